// `sova doctor` for one libvirt host: virsh here, the URI answers, ssh reaches the host's files,
// the port and its speed are known, and there are VFs to hand out.
import {toolError} from '../../exec.js'
import {parseLinkSpeed, readPort} from '../../linux/host-facts.js'
import {hostNameOf, nameDoesNotResolve, notChecked, unresolvedCheck} from '../hosts/cause.js'
import type {DoctorCheck} from '../hosts/driver.js'
import type {RawHost} from '../types.js'
import {type LibvirtHost, readHostPool, readHostSnapshot} from './snapshot.js'
import {virshError} from './virsh.js'

type Check = Omit<DoctorCheck, 'host'>

async function checkVirsh(host: LibvirtHost): Promise<Check> {
  const result = await host.virsh.run(['--version'])
  if (result.exitCode === 0) return {check: 'virsh', ok: true, detail: `virsh ${result.stdout.trim()}`}
  return {check: 'virsh', ok: false, detail: toolError(result), fix: 'install the libvirt client here (Debian: apt-get install libvirt-clients)'}
}

async function checkConnection(host: LibvirtHost): Promise<Check> {
  const result = await host.virsh.run(['version'])
  if (result.exitCode === 0) {
    const hypervisor = result.stdout.match(/^Running hypervisor:\s*(.+)$/m)?.[1] ?? 'answers'
    return {check: 'libvirt', ok: true, detail: `${host.virsh.uri}: ${hypervisor}`}
  }
  const detail = `${host.virsh.uri}: ${virshError(result)}`
  // Through qemu+ssh, an error of ssh's own is ssh's to fix, not libvirtd's.
  const viaSsh = /^[a-z]+\+ssh:/.test(host.virsh.uri) && /\bssh:/.test(detail)
  const fix = viaSsh ? `make key-based root ssh to ${hostNameOf(host.virsh.uri)} work from here (ssh -o BatchMode=yes)` : 'start libvirtd on the host (systemctl start libvirtd), and check the URI'
  return {check: 'libvirt', ok: false, detail, fix}
}

async function checkSsh(host: LibvirtHost): Promise<Check> {
  const result = await host.ctx.shell.run('true', [], {timeoutMs: host.ctx.timeouts.toolMs})
  if (result.exitCode === 0) return {check: 'ssh', ok: true, detail: `${host.ctx.shell.where} answers`}
  return {check: 'ssh', ok: false, detail: `${host.ctx.shell.where}: ${toolError(result)}`, fix: `make "ssh -o BatchMode=yes ${host.ctx.shell.where} true" work (keys, known_hosts)`}
}

async function checkPortAndSpeed(host: LibvirtHost): Promise<Check[]> {
  const {device, speedMbps, counters} = host.ctx.host.port
  const port = counters === 'vms' ? undefined : await readPort(host.ctx.shell, device)
  const portCheck: Check =
    counters === 'vms'
      ? {check: 'port', ok: true, detail: `${device}: traffic is the sum of the VMs' counters (port.counters "vms", a lab setting)`}
      : port
        ? {check: 'port', ok: true, detail: `${device}: rx ${port.rxBytes} B, tx ${port.txBytes} B so far`}
        : {check: 'port', ok: false, detail: `${device} is not in /proc/net/dev on ${host.ctx.shell.where}`, fix: 'set port.device to the PF\'s interface name (ip link), or port.counters to "vms" in a lab'}
  const sysfs = speedMbps === undefined ? (port?.speedMbps ?? parseLinkSpeed(await host.ctx.shell.readText(`/sys/class/net/${device}/speed`))) : undefined
  const speedCheck: Check =
    speedMbps !== undefined
      ? {check: 'link speed', ok: true, detail: `${speedMbps} Mbit/s (port.speedMbps)`}
      : sysfs !== undefined
        ? {check: 'link speed', ok: true, detail: `${sysfs} Mbit/s (/sys/class/net/${device}/speed)`}
        : {check: 'link speed', ok: false, detail: `/sys/class/net/${device}/speed is missing or -1`, fix: 'set port.speedMbps in the configuration'}
  return [portCheck, speedCheck]
}

/** The domains Sova sees on the host, and those it does not manage (said, never a failure: they are not Sova's). */
function domainsCheck(snapshot: RawHost): Check {
  const unmanaged = snapshot.unmanaged ?? []
  const managed = `${snapshot.vms.length} running domain${snapshot.vms.length === 1 ? '' : 's'} managed`
  if (unmanaged.length === 0) return {check: 'domains', ok: true, detail: managed}
  const listed = unmanaged.map((entry) => `${JSON.stringify(entry.name)} (${entry.uuid}${entry.vf ? `, holds VF ${entry.vf}` : ''}): ${entry.why}`)
  return {check: 'domains', ok: true, detail: `${managed}; not managed, never acted on, their VFs and traffic still counted: ${listed.join('; ')}`}
}

async function checkPool(host: LibvirtHost): Promise<Check[]> {
  const pool = await readHostPool(host)
  let free = 'free unknown'
  let domains: Check | undefined
  try {
    const snapshot = await readHostSnapshot(host)
    free = `${snapshot.vfs.free.length} free`
    domains = domainsCheck(snapshot)
  } catch (error) {
    free = `free unknown: ${(error as Error).message}`
  }
  const unknown = pool.unknownAllowed.length > 0 ? `; vfs.allow names ${pool.unknownAllowed.join(', ')}, not VFs of ${host.ctx.host.port.device}` : ''
  const ok = pool.offered.length > 0 && pool.unknownAllowed.length === 0
  const detail = `${pool.offered.length} VF${pool.offered.length === 1 ? '' : 's'}, ${free} (${pool.source})${unknown}`
  const fix =
    host.mode.kind === 'network'
      ? `start the hostdev network: virsh -c ${host.virsh.uri} net-start ${host.mode.network}`
      : host.mode.kind === 'hostdev'
        ? `enable VFs: echo N > /sys/class/net/${host.ctx.host.port.device}/device/sriov_numvfs, and check vfs.allow`
        : undefined
  return [ok ? {check: 'VF pool', ok, detail} : {check: 'VF pool', ok, detail, fix}, ...(domains ? [domains] : [])]
}

/** Runs a check; a check that throws fails with its message instead of ending doctor. */
async function guarded(name: string, run: () => Promise<Check | Check[]>): Promise<Check[]> {
  try {
    const result = await run()
    return Array.isArray(result) ? result : [result]
  } catch (error) {
    return [{check: name, ok: false, detail: (error as Error).message}]
  }
}

/** A check of a tool reaching `name`: its failure said as the name not resolving, when that is why. */
async function reaching(check: string, name: string, where: string, run: () => Promise<Check>): Promise<{checks: Check[]; unresolved: boolean}> {
  const checks = await guarded(check, run)
  const unresolved = checks.some((result) => !result.ok && nameDoesNotResolve(result.detail))
  return {checks: unresolved ? [unresolvedCheck(check, name, checks[0].detail, where)] : checks, unresolved}
}

/** The host's doctor checks, in the order a person would fix them; a check that cannot run behind a failed one is "not checked". */
export async function runChecks(host: LibvirtHost): Promise<DoctorCheck[]> {
  const virsh = await guarded('virsh', () => checkVirsh(host))
  const uriHost = hostNameOf(host.virsh.uri)
  const connection = virsh.every((check) => check.ok)
    ? await reaching('libvirt', uriHost, 'the host\'s "uri"', () => checkConnection(host))
    : {checks: [notChecked('libvirt', 'virsh does not run here')], unresolved: false}
  const checks: Check[] = [...virsh, ...connection.checks]
  // Why the host's files cannot be read through ssh, if they cannot.
  let shellFailure: string | undefined
  if (host.ctx.shell.where !== 'local') {
    const sshHost = hostNameOf(host.ctx.shell.where)
    if (connection.unresolved && sshHost === uriHost) {
      shellFailure = `${sshHost} does not resolve`
      checks.push(notChecked('ssh', shellFailure))
    } else {
      const ssh = await reaching('ssh', sshHost, 'the host\'s "ssh"', () => checkSsh(host))
      checks.push(...ssh.checks)
      if (!ssh.checks.every((check) => check.ok)) shellFailure = ssh.unresolved ? `${sshHost} does not resolve` : 'ssh does not answer'
    }
  }
  if (shellFailure) checks.push(notChecked('port', shellFailure), notChecked('link speed', shellFailure))
  else checks.push(...(await guarded('port', () => checkPortAndSpeed(host))))
  if (connection.checks.every((check) => check.ok)) checks.push(...(await guarded('VF pool', () => checkPool(host))))
  else checks.push(notChecked('VF pool', connection.unresolved ? `${uriHost} does not resolve` : 'libvirt does not answer'))
  return checks.map((check) => ({host: host.ctx.host.name, ...check}))
}
