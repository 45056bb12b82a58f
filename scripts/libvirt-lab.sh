#!/usr/bin/env bash
# Sova libvirt lab: two real libvirtd daemons ("a" and "b") plus a tiny QEMU/TCG Linux guest on one
# Debian 12 host (root; no systemd, KVM, dbus or bridge needed). See docs/libvirt-lab.md.
#
#   scripts/libvirt-lab.sh install | up | down | status
#
# `up` prints the path of a Sova config file (and nothing else) on stdout; progress goes to stderr.
# Every name and path used here is fixed by this script; the only input is SOVA_LAB_DIR, which is
# checked against a strict pattern before use and is never evaluated as shell code.
set -euo pipefail

LAB=${SOVA_LAB_DIR:-/tmp/sova-lab}
LAB=${LAB%/}
if [[ ! $LAB =~ ^/[A-Za-z0-9._/-]+$ || $LAB == *..* || $LAB =~ ^/+$ ]]; then
  echo "libvirt-lab: SOVA_LAB_DIR must be an absolute path of [A-Za-z0-9._/-] (got '$LAB')" >&2
  exit 2
fi
readonly LAB
readonly CACHE=$LAB/cache            # survives `down` and `up`: guest kernel, modules, busybox
readonly GUEST=$CACHE/guest          # extracted guest files; complete when $GUEST/.complete exists
readonly CONFIG=$LAB/sova-config.json
readonly CONSOLE=$LAB/vm1.console
readonly VM=vm1
readonly VM_MAC=52:54:00:00:00:01
# The lab's ports have no real link (their traffic is the VMs' sum): a speed is part of the config.
# The lab is ~500x smaller than a 10 GbE cluster, so the sova policy's PV cap (about 1/3.8 of a port)
# and the horizon over which a move must pay for its memory copy are scaled with it; cooldowns and
# the watch before a move off a host that turned hot are short, for tests.
readonly LAB_PORT_MBPS=100
# Guest UDP traffic on its PV NIC, in Mbit/s (0 = none). The guest's pktgen sends at this rate.
readonly TRAFFIC_MBPS=${SOVA_LAB_TRAFFIC_MBPS:-20}
[[ $TRAFFIC_MBPS =~ ^[0-9]{1,4}$ ]] || { echo "libvirt-lab: SOVA_LAB_TRAFFIC_MBPS must be an integer" >&2; exit 2; }

readonly PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86 libvirt-clients)
readonly KERNEL_META=linux-image-amd64   # the generic flavour: the cloud flavour has no e1000e.ko
readonly DAEMONS=(a b)
declare -A HOST_UUID=([a]=5a5a5a5a-0000-4000-8000-00000000000a [b]=5a5a5a5a-0000-4000-8000-00000000000b)
# Folders libvirtd has compiled in; each daemon gets its own copy bound over them in a private mount ns.
readonly LIBVIRT_DIRS=(/etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt)
readonly LIBVIRT_SUBDIRS=(etc run lib log cache)   # same order as LIBVIRT_DIRS
# Guest modules, in load order (dependencies first).
readonly GUEST_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
  virtio_balloon failover net_failover virtio_net e1000e pktgen)

T0=$(date +%s%N)
log() { echo "[libvirt-lab +$(( ($(date +%s%N) - T0) / 1000000 )) ms] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

uri() { echo "qemu+unix:///system?socket=$LAB/$1/sock/libvirt-sock"; }
vsh() { local d=$1; shift; timeout 60 virsh -q -c "$(uri "$d")" "$@"; }

# pid of daemon $1 if it is alive and really our libvirtd, else nothing
daemon_pid() {
  local f=$LAB/$1/libvirtd.pid p
  [[ -r $f ]] || return 0
  p=$(<"$f")
  [[ $p =~ ^[0-9]+$ ]] || return 0
  [[ -r /proc/$p/comm && $(</proc/"$p"/comm) == libvirtd ]] && echo "$p"
  return 0
}

# pids of processes (qemu, libvirtd) whose command line mentions this lab's folder
lab_pids() {
  local d p cmd
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [[ $p == "$$" ]] && continue
    cmd=$(tr '\0' ' ' 2>/dev/null <"$d/cmdline") || continue
    case $cmd in
      qemu-system-*"$LAB/"* | */qemu-system-*"$LAB/"* | libvirtd*"$LAB/"* | */libvirtd*"$LAB/"*) echo "$p" ;;
    esac
  done
}

wait_gone() { # PID TIMEOUT_TENTHS
  local i
  for ((i = 0; i < $2; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  return 1
}

# ---------------------------------------------------------------------------------------- install
cmd_install() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) == installed ]] || missing+=("$p")
  done
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    mkdir -p "$LAB"
    local aptlog=$LAB/apt.log
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
             --no-install-recommends "${PACKAGES[@]}"; } >"$aptlog" 2>&1 </dev/null; then
      tail -n 20 "$aptlog" >&2
      die "apt-get failed; see $aptlog"
    fi
  fi
  # The QEMU driver resolves its compiled-in default user even when qemu.conf says root;
  # libvirt-daemon-system (not needed otherwise) is what normally creates it.
  if ! getent passwd libvirt-qemu >/dev/null; then
    local group_opt=(--user-group)
    getent group libvirt-qemu >/dev/null && group_opt=(--gid libvirt-qemu)
    useradd --system "${group_opt[@]}" --no-create-home --home-dir /var/lib/libvirt \
      --shell /usr/sbin/nologin libvirt-qemu
    log "created user libvirt-qemu"
  fi
  log "packages ready"
}

# ------------------------------------------------------------------------------------------- down
cmd_down() {
  local d p pids=()
  # 1. VMs first: QEMU outlives a killed libvirtd (and a restarted daemon would reattach to it).
  for d in "${DAEMONS[@]}"; do
    [[ -n $(daemon_pid "$d") && -S $LAB/$d/sock/libvirt-sock ]] || continue
    # By UUID, one a line: a name may hold spaces ("web 2") or be another domain's id ("2"), and
    # virsh reads a domain argument as an id before a name.
    local uuids
    uuids=$(vsh "$d" list --uuid 2>/dev/null) || continue
    while read -r p; do
      [[ $p =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || continue
      if vsh "$d" destroy "$p" >/dev/null 2>&1; then log "destroyed $p on $d"; else log "could not destroy $p on $d"; fi
    done <<<"$uuids"
  done
  # 2. Then the daemons, by pid (both at once: each takes about 2 s to shut down).
  local -A dpid=()
  for d in "${DAEMONS[@]}"; do
    p=$(daemon_pid "$d")
    [[ -n $p ]] || continue
    dpid[$d]=$p
    kill "$p" 2>/dev/null || true
  done
  for d in "${!dpid[@]}"; do
    p=${dpid[$d]}
    wait_gone "$p" 100 || { log "libvirtd $d ($p) ignores SIGTERM, killing"; kill -KILL "$p" 2>/dev/null || true; wait_gone "$p" 50 || true; }
    log "stopped libvirtd $d (pid $p)"
    rm -f "$LAB/$d/libvirtd.pid"
  done
  # 3. Safety net: anything still running from this lab (a daemon that died and left its QEMU behind).
  mapfile -t pids < <(lab_pids)
  for p in "${pids[@]}"; do
    log "killing leftover pid $p: $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-80)"
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do wait_gone "$p" 50 || kill -KILL "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait_gone "$p" 20 || die "pid $p survived SIGKILL"; done
  rm -f "$CONFIG"
}

# ----------------------------------------------------------------------------------------- daemons
write_daemon_config() { # NAME
  local b=$LAB/$1 s
  rm -rf "$b"
  for s in "${LIBVIRT_SUBDIRS[@]}" sock; do mkdir -p "$b/$s"; done
  # Seed QEMU's capability cache from an earlier run: the first client call then takes ~0.3 s
  # instead of ~5-8 s. libvirt re-probes by itself when the cache is stale (new QEMU, kernel, ...).
  if compgen -G "$CACHE/qemu-capabilities/$1/*.xml" >/dev/null; then
    mkdir -p "$b/cache/qemu/capabilities"
    cp "$CACHE/qemu-capabilities/$1"/*.xml "$b/cache/qemu/capabilities/"
  fi
  cat >"$b/etc/libvirtd.conf" <<EOF
unix_sock_dir = "$b/sock"
auth_unix_ro = "none"
auth_unix_rw = "none"
host_uuid = "${HOST_UUID[$1]}"
log_outputs = "3:file:$b/libvirtd.log"
EOF
  # Only stdio_handler = "file" is required (a root daemon does not spawn virtlogd); the rest keeps
  # QEMU as root with no security driver, ownership changes or cgroup folders left behind.
  cat >"$b/etc/qemu.conf" <<'EOF'
stdio_handler = "file"
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
EOF
}

start_daemon() { # NAME CPU -- libvirtd in a private mount namespace, its own folders bound over the system ones
  local b=$LAB/$1 i binds=()
  for i in "${!LIBVIRT_DIRS[@]}"; do
    mkdir -p "${LIBVIRT_DIRS[$i]}"
    binds+=("$b/${LIBVIRT_SUBDIRS[$i]}" "${LIBVIRT_DIRS[$i]}")
  done
  # Pinned to one CPU until its first client call has been served (see unpin_daemons); the paths
  # are passed as arguments, never pasted into the shell code.
  # shellcheck disable=SC2016 # the inner script expands its own arguments
  taskset -c "$2" unshare --mount --propagation private -- sh -c '
    set -e
    pidfile=$1; shift
    while [ $# -gt 0 ]; do mount --bind "$1" "$2"; shift 2; done
    exec libvirtd --daemon --config /etc/libvirt/libvirtd.conf --pid-file "$pidfile"
  ' sova-lab-"$1" "$b/libvirtd.pid" "${binds[@]}" </dev/null >>"$b/libvirtd.stdio" 2>&1 3>&-
  for ((i = 0; i < 100; i++)); do
    [[ -S $b/sock/libvirt-sock && -n $(daemon_pid "$1") ]] && return 0
    sleep 0.1
  done
  die "libvirtd $1 did not create its socket; see $b/libvirtd.log"
}

# libvirt checks its QEMU capability cache against the CPUID of the CPU the check happens to run on
# (the APIC ID differs per CPU), so an unpinned daemon re-probes QEMU (~5-8 s) about half the time.
# So each daemon starts pinned to a CPU of its own (same one every run, one cache per daemon) and
# gets our full CPU set back once it has answered.
allowed_cpus() { # the CPUs we may run on, one per line
  local part parts
  IFS=, read -ra parts < <(awk '/^Cpus_allowed_list:/ {print $2}' /proc/$$/status)
  for part in "${parts[@]}"; do
    if [[ $part == *-* ]]; then seq "${part%-*}" "${part#*-}"; else echo "$part"; fi
  done
}
unpin_daemons() {
  local mask d p
  mask=$(taskset -p $$ | sed -E 's/.*: *//')
  for d in "${DAEMONS[@]}"; do
    p=$(daemon_pid "$d")
    [[ -n $p ]] && taskset -a -p "$mask" "$p" >/dev/null
  done
  return 0
}

# ------------------------------------------------------------------------------------------- guest
fetch_guest() { # extract kernel, modules and busybox once into $GUEST
  [[ -f $GUEST/.complete ]] && return 0
  local dl=$CACHE/download kpkg
  rm -rf "$GUEST" "$dl"
  mkdir -p "$GUEST/modules" "$dl"
  if ! kpkg=$(apt-cache depends "$KERNEL_META" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}') || [[ -z $kpkg ]]; then
    apt-get update -qq >&2
    kpkg=$(apt-cache depends "$KERNEL_META" | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [[ $kpkg =~ ^linux-image-[0-9][A-Za-z0-9.+-]*$ ]] || die "cannot resolve the kernel package of $KERNEL_META"
  log "downloading $kpkg and busybox-static"
  if ! (cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root "$kpkg" busybox-static >&2); then
    log "download failed, refreshing the package lists"   # stale lists name files the mirror dropped
    apt-get update -qq >&2
    kpkg=$(apt-cache depends "$KERNEL_META" | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [[ $kpkg =~ ^linux-image-[0-9][A-Za-z0-9.+-]*$ ]] || die "cannot resolve the kernel package of $KERNEL_META"
    rm -f "$dl"/*.deb
    (cd "$dl" && apt-get download -qq -o APT::Sandbox::User=root "$kpkg" busybox-static >&2)
  fi
  local kdeb bdeb
  kdeb=$(find "$dl" -maxdepth 1 -name 'linux-image-*.deb' | head -n1)
  bdeb=$(find "$dl" -maxdepth 1 -name 'busybox-static_*.deb' | head -n1)
  [[ -n $kdeb && -n $bdeb ]] || die "apt-get download gave no .deb files"
  local x=$dl/x m
  mkdir -p "$x"
  dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$x" --wildcards './boot/vmlinuz-*' \
    './lib/modules/*/kernel/drivers/virtio/*.ko' './lib/modules/*/kernel/drivers/net/virtio_net.ko' \
    './lib/modules/*/kernel/drivers/net/net_failover.ko' './lib/modules/*/kernel/net/core/failover.ko' \
    './lib/modules/*/kernel/net/core/pktgen.ko' \
    './lib/modules/*/kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko'
  mv "$x"/boot/vmlinuz-* "$GUEST/vmlinuz"
  for m in "${GUEST_MODULES[@]}"; do
    find "$x/lib/modules" -name "$m.ko" -exec mv {} "$GUEST/modules/" \;
    [[ -f $GUEST/modules/$m.ko ]] || die "$m.ko is not in $kpkg"
  done
  dpkg-deb --fsys-tarfile "$bdeb" | tar -x -C "$x" ./bin/busybox
  mv "$x/bin/busybox" "$GUEST/busybox"
  echo "$kpkg" >"$GUEST/.complete"
  rm -rf "$dl"
  log "guest files cached in $GUEST"
}

build_initrd() { # OUT
  local r=$LAB/initrd.d
  rm -rf "$r"
  mkdir -p "$r"/{bin,proc,sys,dev,lib/modules}
  cp "$GUEST/busybox" "$r/bin/busybox"
  cp "$GUEST"/modules/*.ko "$r/lib/modules/"
  printf '%s\n' "${GUEST_MODULES[@]}" >"$r/lib/modules/order"
  cat >"$r/init" <<'EOF'
#!/bin/busybox sh
# Sova lab guest: steady UDP traffic on the PV NIC (in-kernel pktgen) and a 1 Hz heartbeat on ttyS0.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# Like modprobe, pass module parameters given on the kernel command line as MODULE.PARAM=VALUE.
while read -r m; do
  args=""
  for w in $(cat /proc/cmdline); do case $w in "$m".*=*) args="$args ${w#"$m".}" ;; esac; done
  insmod "/lib/modules/$m.ko" $args || echo "GUEST-WARN insmod $m failed"
done </lib/modules/order

now() { cut -d' ' -f1 /proc/uptime; }
mbps=20
for w in $(cat /proc/cmdline); do case $w in sova.mbps=*) mbps=${w#sova.mbps=} ;; esac; done

PV_MAC=52:54:00:00:00:01
# Fake peer 10.99.0.1 behind a static neighbour entry (no ARP). Its locally administered MAC is not
# the host tap's, so the host counts the frames on the tap and then drops them: never routed.
PEER_MAC=02:00:00:00:00:01
pvnic() { # name of the PV NIC, found by MAC (hot-plugged e1000e NICs are other ethN)
  for n in /sys/class/net/*; do
    [ "$(cat "$n/address" 2>/dev/null)" = $PV_MAC ] && { echo "${n##*/}"; return 0; }
  done
  return 1
}
nic_setup() { # waits up to 10 s for the PV NIC, then sets dev and configures it
  i=0
  while ! dev=$(pvnic); do
    i=$((i + 1)); [ $i -le 100 ] || { echo "GUEST-WARN no PV NIC"; return 1; }
    sleep 0.1
  done
  ip link set "$dev" up
  ip addr add 10.99.0.2/24 dev "$dev" 2>/dev/null
  arp -i "$dev" -s 10.99.0.1 $PEER_MAC || echo "GUEST-WARN static neighbour failed"
}

# pktgen sends 1400-byte UDP frames at $mbps and sleeps between frames, so it stays cheap under TCG.
# It stops by itself when the link goes down (virsh domif-setlink vm1 52:54:00:00:00:01 down); the
# loop starts it again when the link is back.
PG=/proc/net/pktgen
pktgen_setup() {
  echo rem_device_all >$PG/kpktgend_0
  echo "add_device $dev" >$PG/kpktgend_0
  for c in "count 0" "pkt_size 1400" "dst 10.99.0.1" "dst_mac $PEER_MAC" "src_min 10.99.0.2" \
           "src_max 10.99.0.2" "udp_src_min 9" "udp_src_max 9" "udp_dst_min 9" "udp_dst_max 9" \
           "rate $mbps"; do
    echo "$c" >"$PG/$dev" || { echo "GUEST-WARN pktgen '$c' failed"; return 1; }
  done
}
pktgen_loop() {
  while :; do
    echo start >$PG/pgctrl
    echo "TRAFFIC paused $(now)"
    until dev=$(pvnic) && [ "$(cat "/sys/class/net/$dev/carrier" 2>/dev/null)" = 1 ]; do sleep 0.5; done
    pktgen_setup && echo "TRAFFIC resumed $(now)"
  done
}
# A virtio TX queue was once seen to stall for good under TCG (NETDEV WATCHDOG ... timed out). If
# the NIC's sent-packet count stands still for 6 s while its link is up, reset it by rebinding the
# driver; pktgen then drops the old device and the loop above picks up the new one.
tx_watchdog() {
  last=-1; still=0
  while sleep 2; do
    d=$(pvnic) || continue
    if [ "$(cat "/sys/class/net/$d/carrier" 2>/dev/null)" != 1 ]; then last=-1; still=0; continue; fi
    n=$(cat "/sys/class/net/$d/statistics/tx_packets")
    if [ "$n" = "$last" ]; then still=$((still + 1)); else still=0; fi
    last=$n
    [ $still -ge 3 ] || continue
    v=$(readlink "/sys/class/net/$d/device"); v=${v##*/}
    echo "TRAFFIC stalled on $d ($v), resetting it $(now)"
    echo "$v" >/sys/bus/virtio/drivers/virtio_net/unbind
    echo "$v" >/sys/bus/virtio/drivers/virtio_net/bind
    nic_setup
    last=-1; still=0
  done
}
if nic_setup && [ "$mbps" -gt 0 ]; then
  if [ -d $PG ] && pktgen_setup; then
    echo "TRAFFIC pktgen $dev $mbps Mbit/s"
    pktgen_loop &
    tx_watchdog &
  else  # fallback: ICMP echo requests to the fake peer, about 1.1 Mbit/s
    echo "TRAFFIC ping $dev"
    ping -q -s 1400 -i 0.01 10.99.0.1 >/dev/null 2>&1 &
  fi
fi

# Heartbeat (1 Hz; its uptime keeps growing across a live migration), plus a NICS line whenever the
# set of network interfaces with a bound driver changes (a hot-plugged e1000e shows up as ethN).
nics() { for n in /sys/class/net/eth*; do [ -e "$n" ] && printf '%s=%s ' "${n##*/}" "$(cat "$n/address" 2>/dev/null)"; done; }
known=$(nics)
echo "NICS $known"
echo "GUEST-READY $(now)"
while :; do
  cur=$(nics)
  [ "$cur" = "$known" ] || { echo "NICS $cur"; known=$cur; }
  echo "HB $(now)"
  sleep 1
done
EOF
  chmod +x "$r/init"
  (cd "$r" && find . | "$GUEST/busybox" cpio -o -H newc 2>/dev/null | gzip -1 >"$1")
  rm -rf "$r"
}

write_domain_xml() { # OUT
  local ports='' i
  for i in 1 2 3 4; do ports+="    <controller type='pci' model='pcie-root-port'/>"$'\n'; done
  cat >"$1" <<EOF
<domain type='qemu'>
  <name>$VM</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>$GUEST/vmlinuz</kernel>
    <initrd>$LAB/initrd.gz</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet sova.mbps=$TRAFFIC_MBPS</cmdline>
  </os>
  <features><acpi/></features>
  <on_reboot>destroy</on_reboot>
  <devices>
    <controller type='pci' model='pcie-root'/>
$ports    <interface type='ethernet'>
      <mac address='$VM_MAC'/>
      <model type='virtio'/>
    </interface>
    <serial type='file'>
      <source path='$CONSOLE' append='on'/>
    </serial>
    <memballoon model='virtio'>
      <stats period='2'/>
    </memballoon>
  </devices>
</domain>
EOF
}

write_sova_config() { # OUT
  local tmp=$1.tmp
  cat >"$tmp" <<EOF
{
  "cluster": "sova-lab",
  "hosts": [
    {"name": "lab-a", "backend": "libvirt", "uri": "$(uri a)",
     "port": {"device": "lo", "counters": "vms", "speedMbps": $LAB_PORT_MBPS},
     "vfs": {"emulated": {"model": "e1000e", "nics": [{"id": "0000:6a:00.1", "mac": "52:54:00:aa:00:01"}, {"id": "0000:6a:00.2", "mac": "52:54:00:aa:00:02"}]}}},
    {"name": "lab-b", "backend": "libvirt", "uri": "$(uri b)",
     "port": {"device": "lo", "counters": "vms", "speedMbps": $LAB_PORT_MBPS},
     "vfs": {"emulated": {"model": "e1000e", "nics": [{"id": "0000:6b:00.1", "mac": "52:54:00:bb:00:01"}, {"id": "0000:6b:00.2", "mac": "52:54:00:bb:00:02"}]}}}
  ],
  "policy": {"sova": {"pvCapMbps": 6, "horizonSeconds": 900, "cooldownSeconds": 1, "hostSettleSeconds": 1, "watchBeforeMoveSeconds": 1}}
}
EOF
  mv "$tmp" "$1"
}

# ---------------------------------------------------------------------------------------------- up
on_up_exit() {
  local rc=$?
  ((rc == 0)) && return 0
  trap - EXIT INT TERM
  log "up failed (exit $rc), tearing the lab down"
  local d errs
  for d in "${DAEMONS[@]}"; do
    # (errors about dnsmasq, dbus, DMI and cgroups are expected here and harmless)
    errs=$(grep -s ' error : ' "$LAB/$d/libvirtd.log" | grep -v -E 'dnsmasq|GDBus|DMI|dmidecode|virCgroupDetect' | tail -n 5) || true
    [[ -z $errs ]] || printf -- '--- last errors of libvirtd %s:\n%s\n' "$d" "$errs" >&2
  done
  [[ -f $CONSOLE ]] && { echo "--- end of $CONSOLE:" >&2; tail -n 10 "$CONSOLE" >&2; }
  cmd_down || true
  exit "$rc"
}

cmd_up() {
  exec 3>&1 1>&2   # stdout carries only the config path; everything else goes to stderr
  cmd_install
  cmd_down
  trap on_up_exit EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$LAB" "$CACHE"
  rm -f "$CONSOLE" "$LAB/initrd.gz" "$LAB/$VM.xml"
  local d
  local cpus i=0
  mapfile -t cpus < <(allowed_cpus)
  ((${#cpus[@]})) || die "cannot read our CPU affinity"
  for d in "${DAEMONS[@]}"; do
    write_daemon_config "$d"
    start_daemon "$d" "${cpus[i++ % ${#cpus[@]}]}"
  done
  log "daemons started"
  # The first call to a daemon probes QEMU's capabilities (~5-8 s, ~0.1 s with a valid cache): do
  # both at once, in the background, while the guest is prepared.
  local -A probe
  for d in "${DAEMONS[@]}"; do
    (vsh "$d" version >/dev/null 2>"$LAB/$d/probe.err" && log "daemon $d answers") &
    probe[$d]=$!
  done
  fetch_guest
  build_initrd "$LAB/initrd.gz"
  write_domain_xml "$LAB/$VM.xml"
  log "guest built"
  for d in "${DAEMONS[@]}"; do
    wait "${probe[$d]}" || die "daemon $d does not answer: $(cat "$LAB/$d/probe.err")"
  done
  unpin_daemons
  for d in "${DAEMONS[@]}"; do
    compgen -G "$LAB/$d/cache/qemu/capabilities/*.xml" >/dev/null || continue
    rm -rf "$CACHE/qemu-capabilities/$d"
    mkdir -p "$CACHE/qemu-capabilities/$d"
    cp "$LAB/$d"/cache/qemu/capabilities/*.xml "$CACHE/qemu-capabilities/$d/"
  done
  vsh a define "$LAB/$VM.xml" >/dev/null
  vsh a start "$VM" >/dev/null
  log "$VM started on a"
  local i
  for ((i = 0; i < 600; i++)); do
    grep -q '^GUEST-READY' "$CONSOLE" 2>/dev/null && break
    [[ $(vsh a domstate "$VM" 2>/dev/null) == running ]] || die "$VM is no longer running"
    sleep 0.2
  done
  grep -q '^GUEST-READY' "$CONSOLE" 2>/dev/null || die "no GUEST-READY from $VM within 120 s"
  grep -q '^GUEST-WARN' "$CONSOLE" && log "guest warnings: $(grep '^GUEST-WARN' "$CONSOLE" | tr '\n' ';')"
  log "$VM booted: $(grep -m1 '^TRAFFIC' "$CONSOLE" || echo 'no traffic')"
  write_sova_config "$CONFIG"
  trap - EXIT INT TERM
  log "lab up"
  echo "$CONFIG" >&3
}

# ------------------------------------------------------------------------------------------ status
cmd_status() {
  local d p rc=0
  for d in "${DAEMONS[@]}"; do
    p=$(daemon_pid "$d")
    if [[ -n $p ]] && vsh "$d" version >/dev/null 2>&1; then
      echo "daemon $d: up (pid $p) $(uri "$d")"
      timeout 60 virsh -c "$(uri "$d")" list --all
    else
      echo "daemon $d: down"
      rc=1
    fi
  done
  return "$rc"
}

usage() { echo "usage: $0 install|up|down|status   (lab folder: \$SOVA_LAB_DIR, now $LAB)" >&2; exit 2; }

[[ $(id -u) == 0 ]] || { echo "libvirt-lab: must run as root" >&2; exit 1; }
case ${1:-} in
  install) cmd_install ;;
  up) cmd_up ;;
  down) cmd_down; log "lab down" ;;
  status) cmd_status ;;
  *) usage ;;
esac
