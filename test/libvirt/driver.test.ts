// The libvirt driver end to end against a fake `virsh` (test/fixtures/bin/libvirt/virsh) first on
// PATH: it logs every argv and keeps a small world (domains per URI) that attach, detach and
// migrate change, and it can be told to misbehave the way a real libvirt did in the lab.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {after, before, beforeEach, describe, it} from 'node:test'
import type {HostDriverContext} from '../../src/lib/backends/hosts/driver.js'
import {deriveVfMac, deriveVmMac} from '../../src/lib/backends/libvirt/device-xml.js'
import {createLibvirtDriver, type LibvirtTimings} from '../../src/lib/backends/libvirt/driver.js'
import type {HostEntry} from '../../src/lib/config.js'
import {UnreachableError} from '../../src/lib/errors.js'
import type {HostShell, ToolResult} from '../../src/lib/exec.js'

const FIXTURES = 'test/fixtures/libvirt'
const fixture = (name: string) => readFileSync(join(FIXTURES, name), 'utf8')

/** The domain UUID of a fixture VM: what a snapshot reads and every action names the domain by. */
const uuidOf = (name: string) => fixture(`dumpxml-${name}.xml`).match(/<uuid>([^<]+)</)?.[1] as string
/** A VM as actions address it (name and real UUID); the driver checks the identity against the live domain. */
const ref = (name: string, uuid = uuidOf(name)) => ({name, uuid})
const NOW = 1_717_171_800
const FAST: LibvirtTimings = {pollMs: 20, attachWaitMs: 300, detachWaitMs: 600, busyRetries: 3, busyRetryMs: 20}
const PF_NET = 'net_enp3s0f0_3c_fd_fe_9e_6a_40'

const kvm1: HostEntry = {name: 'kvm1', backend: 'libvirt', ssh: 'root@kvm1', port: {device: 'enp3s0f0'}}
const kvm2: HostEntry = {name: 'kvm2', backend: 'libvirt', ssh: 'root@kvm2', port: {device: 'enp3s0f0'}}
const kvm3: HostEntry = {name: 'kvm3', backend: 'libvirt', uri: 'qemu+ssh://root@kvm3/system', port: {device: 'enp3s0f0', speedMbps: 25_000}, vfs: {network: 'sriov-pool'}}
const LAB_URI = 'qemu+unix:///system?socket=/tmp/sova-lab-a/libvirt-sock'
const lab: HostEntry = {
  name: 'lab-a',
  backend: 'libvirt',
  uri: LAB_URI,
  port: {device: 'lab0', speedMbps: 1000, counters: 'vms'},
  vfs: {emulated: {model: 'e1000e', nics: [{id: '0000:ee:00.0', mac: '52:54:00:aa:00:01'}, {id: '0000:ee:00.1', mac: '52:54:00:aa:00:02'}]}},
}
const URI1 = 'qemu+ssh://root@kvm1/system'
const URI2 = 'qemu+ssh://root@kvm2/system'
const URI3 = 'qemu+ssh://root@kvm3/system'

/** A domain's `domstats` lines: from the fixture when it has them, else a small made-up block. */
function statsOf(name: string): string {
  const block = fixture('domstats.txt').split('\n\n').find((text) => text.startsWith(`Domain: '${name}'`))
  if (block) return `${block.split('\n').slice(1).join('\n')}\n`
  const taps = [...fixture(`dumpxml-${name}.xml`).matchAll(/<target dev='(vnet\d+)'/g)].map((m) => m[1])
  const nets = taps.flatMap((tap, i) => [`  net.${i}.name=${tap}`, `  net.${i}.rx.bytes=${(i + 1) * 100}`, `  net.${i}.tx.bytes=${(i + 1) * 200}`])
  return ['  state.state=1', '  cpu.time=5000000000', '  balloon.current=131072', '  vcpu.current=1', '  vcpu.0.delay=0', `  net.count=${taps.length}`, ...nets, ''].join('\n')
}

// A domain Sova will not name (it is not Sova's VM) holding VF 0000:03:10.6: that VF is not free.
const BAD_NAME_UUID = 'bad00000-0000-4000-8000-000000000006'
const BAD_NAME_XML = fixture('dumpxml-db1.xml')
  .replace('<name>db1', '<name>bad; name')
  .replace(/<uuid>[^<]+</, `<uuid>${BAD_NAME_UUID}<`)
  .replace("function='0x4'", "function='0x6'")

function hostWorld(domains: string[]) {
  return {
    nodeinfo: fixture('nodeinfo.txt'),
    freecell: fixture('freecell.txt'),
    nodedevs: {
      [PF_NET]: fixture(`nodedev-${PF_NET}.xml`),
      net_enp3s0f1_3c_fd_fe_9e_6a_41: '<device><name>net_enp3s0f1_3c_fd_fe_9e_6a_41</name><parent>pci_0000_03_00_1</parent></device>',
      pci_0000_03_00_0: fixture('nodedev-pci_0000_03_00_0.xml'),
    },
    networks: {'sriov-pool': fixture('net-dumpxml-sriov-pool.xml')},
    domains: Object.fromEntries(
      domains.map((name) => [name, {xml: name === 'bad; name' ? BAD_NAME_XML : fixture(`dumpxml-${name}.xml`), stats: statsOf(name)}]),
    ),
  }
}

let dir: string
const statePath = () => join(dir, 'state.json')
const logPath = () => join(dir, 'virsh.log')

function setWorld(uris: Record<string, unknown>, faults: Record<string, unknown> = {}): void {
  writeFileSync(statePath(), JSON.stringify({uris, faults}))
  writeFileSync(logPath(), '')
}

/** Every virsh call so far: {argv, device?}. */
function calls(): {argv: string[]; device?: string}[] {
  return readFileSync(logPath(), 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line))
}

/** The virsh commands so far, without `-c URI`. */
const commands = () => calls().map((call) => call.argv.slice(2))
const world = () => JSON.parse(readFileSync(statePath(), 'utf8'))

/** A HostShell whose files are fixtures and whose `ip` answers with the VF counters fixture. */
function fakeShell(where = 'root@kvm1', files: Record<string, string> = {}, dirs: Record<string, string[]> = {}, links: Record<string, string> = {}) {
  const runs: string[][] = []
  const all: Record<string, string> = {'/proc/net/dev': fixture('proc-net-dev.txt'), '/sys/class/net/enp3s0f0/speed': '10000\n', ...files}
  const shell: HostShell & {runs: string[][]} = {
    where,
    runs,
    async run(file, args): Promise<ToolResult> {
      runs.push([file, ...args])
      // An i40e PF: its port counters in ethtool -S (test/fixtures/ethtool).
      const ethtool = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ethtool', name), 'utf8')
      const stdout = file === 'ip' ? fixture('ip-link-enp3s0f0.json') : file === 'ethtool' ? ethtool(args[0] === '-i' ? 'i40e-i.txt' : 'i40e-S.txt') : ''
      return {command: [file, ...args], exitCode: 0, stdout, stderr: '', timedOut: false, notFound: false, durationMs: 1}
    },
    readText: async (path) => all[path],
    list: async (path) => dirs[path],
    linkTarget: async (path) => links[path],
  }
  return shell
}

function driverFor(host: HostEntry, shell = fakeShell(), timeouts = {toolMs: 10_000, migrateMs: 10_000}, migration?: HostDriverContext['migration']) {
  const ctx: HostDriverContext = {host, shell, timeouts, now: () => NOW, ...(migration ? {migration} : {})}
  return createLibvirtDriver(ctx, FAST)
}

const pathBefore = process.env.PATH
before(() => {
  process.env.PATH = `${resolve('test/fixtures/bin/libvirt')}:${pathBefore}`
})
after(() => {
  rmSync(dir, {recursive: true, force: true})
  process.env.PATH = pathBefore
  delete process.env.SOVA_FAKE_LOG
  delete process.env.SOVA_FAKE_STATE
})
beforeEach(() => {
  if (dir) rmSync(dir, {recursive: true, force: true})
  dir = mkdtempSync(join(tmpdir(), 'sova-libvirt-test-'))
  process.env.SOVA_FAKE_LOG = logPath()
  process.env.SOVA_FAKE_STATE = statePath()
})

describe('libvirt driver: snapshot', () => {
  it('reads the host, every running domain, its VF, the pool and the port', async () => {
    setWorld({[URI1]: hostWorld(['web1', 'db1', 'idle1', 'bad; name'])})
    const shell = fakeShell()
    const raw = await driverFor(kvm1, shell).snapshot()
    // The whole port from i40e's port.rx_bytes/port.tx_bytes, not the PF's row in /proc/net/dev (987_654_321_000).
    assert.deepEqual(raw.nic, {
      device: 'enp3s0f0', speedMbps: 10_000, rxBytes: 412_233_900_177, txBytes: 390_112_877_102,
      basis: 'port-counters', basisWhy: 'i40e port counters port.rx_bytes/port.tx_bytes from ethtool -S', driver: 'i40e',
    })
    assert.equal(raw.cpus, 32)
    assert.deepEqual(raw.memoryMiB, {total: 128_808, free: 61_440})
    assert.deepEqual(raw.vfs, {total: 4, free: ['0000:03:10.0']}, 'the VF of the domain with a refused name is not free')
    assert.deepEqual(raw.vms.map((vm) => vm.name), ['web1', 'db1', 'idle1'], 'a name Sova would refuse is not managed')
    assert.deepEqual(raw.unmanaged, [
      {host: 'kvm1', name: 'bad; name', uuid: BAD_NAME_UUID, why: 'its name is not one Sova passes on (letters, digits and . _ : @ + -, at most 64, not starting with -)', vf: '0000:03:10.6'},
    ])
    const [web1, db1, idle1] = raw.vms
    assert.deepEqual(web1, {
      name: 'web1',
      id: '8c6a1f0e-3b7d-4d59-9a43-2f1e5c7b9a01',
      uuid: '8c6a1f0e-3b7d-4d59-9a43-2f1e5c7b9a01',
      vcpus: 2,
      memoryMiB: 4096,
      path: 'vf',
      vf: '0000:03:10.2',
      counters: {
        cpuSeconds: 325.812524,
        blockedSeconds: (2 * NOW - 325.812524 - 1) / 2,
        // The tap's counters (guest's view) plus VF 1's own, read from the PF.
        rxBytes: 91_839_211 + 4_000_000_000,
        txBytes: 12_345_678 + 1_000_000_000,
        // What the sum counts: a change of tap or VF is no rate.
        basis: 'taps vnet0 + vf 0000:03:10.2',
      },
    })
    assert.deepEqual([db1.vf, db1.vcpus, db1.memoryMiB, db1.counters.rxBytes, db1.counters.txBytes], ['0000:03:10.4', 4, 8192, 5000 + 200_000, 7000 + 300_000])
    assert.deepEqual([idle1.path, idle1.vf, idle1.memoryMiB, idle1.counters.rxBytes, idle1.counters.txBytes], ['pv', null, 1024, 1000, 2000])
    assert.ok(calls().every((call) => call.argv[0] === '-c' && call.argv[1] === URI1))
    // Every domain is read by its UUID, never by a name virsh could take for an id or another UUID.
    assert.deepEqual(commands().map((argv) => argv.join(' ')).sort(), [
      'domstats --state --cpu-total --balloon --vcpu --interface --list-active',
      `dumpxml ${uuidOf('db1')}`,
      `dumpxml ${uuidOf('idle1')}`,
      `dumpxml ${uuidOf('web1')}`,
      `dumpxml ${BAD_NAME_UUID}`,
      'freecell --all',
      'list --uuid',
      `nodedev-dumpxml ${PF_NET}`,
      'nodedev-dumpxml pci_0000_03_00_0',
      'nodedev-list --cap net',
      'nodeinfo',
    ])
    assert.deepEqual(shell.runs, [['ip', '-s', '-j', '-d', 'link', 'show', 'enp3s0f0'], ['ethtool', '-i', 'enp3s0f0'], ['ethtool', '-S', 'enp3s0f0']])
  })

  it('reads every VF\'s own counters only when asked (sova export), even with no VM on a VF', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])})
    const plain = await driverFor(kvm1).snapshot()
    assert.equal(plain.vfCounters, undefined, 'collect spares the host the ip call')
    const shell = fakeShell()
    const ctx: HostDriverContext = {host: kvm1, shell, timeouts: {toolMs: 10_000, migrateMs: 10_000}, now: () => NOW, readAllVfCounters: true}
    const raw = await createLibvirtDriver(ctx, FAST).snapshot()
    assert.ok(shell.runs.some((argv) => argv.join(' ') === 'ip -s -j -d link show enp3s0f0'))
    assert.ok((raw.vfCounters ?? []).length > 0)
    for (const vf of raw.vfCounters ?? []) assert.match(vf.vf, /^0000:03:1[0-9a-f]\.[0-7]$/)
  })

  it('finds the PF node device once, then reads only its VFs', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])})
    const driver = driverFor(kvm1)
    await driver.snapshot()
    writeFileSync(logPath(), '')
    await driver.snapshot()
    assert.deepEqual(commands().filter((argv) => argv[0].startsWith('nodedev')), [['nodedev-dumpxml', 'pci_0000_03_00_0']])
  })

  it('falls back to sysfs for the VFs when libvirt has no node device for the port', async () => {
    const host = hostWorld(['idle1'])
    host.nodedevs = {} as typeof host.nodedevs
    setWorld({[URI1]: host})
    const base = '/sys/class/net/enp3s0f0/device'
    const shell = fakeShell('root@kvm1', {[`${base}/sriov_totalvfs`]: '63\n', [`${base}/sriov_numvfs`]: '2\n'}, {[base]: ['vendor', 'virtfn1', 'virtfn0']}, {[`${base}/virtfn0`]: '0000:03:10.0', [`${base}/virtfn1`]: '0000:03:10.2'})
    const raw = await driverFor({...kvm1, vfs: {allow: ['03:10.2']}}, shell).snapshot()
    assert.deepEqual(raw.vfs, {total: 1, free: ['0000:03:10.2']})
  })

  it('emulated lab: a stand-in NIC is the VF, the port is the VMs\' sum', async () => {
    setWorld({[LAB_URI]: hostWorld(['lab1', 'app1'])})
    const raw = await driverFor(lab, fakeShell('local')).snapshot()
    assert.deepEqual(raw.vfs, {total: 2, free: ['0000:ee:00.1']})
    const lab1 = raw.vms.find((vm) => vm.name === 'lab1')
    assert.deepEqual([lab1?.path, lab1?.vf, lab1?.counters.rxBytes, lab1?.counters.txBytes], ['vf', '0000:ee:00.0', 300, 600])
    const {parts, ...port} = raw.nic
    assert.deepEqual(port, {device: 'lab0', speedMbps: 1000, rxBytes: 300 + 100, txBytes: 600 + 200, basis: 'vms'})
    assert.deepEqual(parts?.map((part) => [part.id, part.rxBytes, part.txBytes]), raw.vms.map((vm) => [vm.uuid, vm.counters.rxBytes, vm.counters.txBytes]))
    assert.ok(!commands().some((argv) => argv[0].startsWith('nodedev')), 'no SR-IOV lookups in a lab')
  })

  it('a domain Sova does not manage (web 2, a 70-character name) is listed, its VF taken and its traffic in a "vms" port', async () => {
    const world = hostWorld(['lab1', 'app1'])
    const long = 'x'.repeat(70)
    world.domains = {
      ...world.domains,
      'web 2': domainAs('lab1', 'web 2', '77777777-0000-4000-8000-000000000077', 21),
      [long]: domainAs('app1', long, '88888888-0000-4000-8000-000000000088', 22),
    }
    world.domains['web 2'].xml = world.domains['web 2'].xml.replace('52:54:00:aa:00:01', '52:54:00:aa:00:02')
    setWorld({[LAB_URI]: world})
    const raw = await driverFor(lab, fakeShell('local')).snapshot()
    assert.deepEqual(raw.vms.map((vm) => vm.name), ['lab1', 'app1'])
    assert.deepEqual(raw.unmanaged?.map((entry) => [entry.name, entry.uuid, entry.vf]), [
      ['web 2', '77777777-0000-4000-8000-000000000077', '0000:ee:00.1'],
      [long, '88888888-0000-4000-8000-000000000088', null],
    ])
    assert.deepEqual(raw.vfs, {total: 2, free: []})
    // lab1 300/600 and app1 100/200 (see the emulated lab test), plus web 2 (lab1's taps) and the long one (app1's).
    assert.deepEqual([raw.nic.rxBytes, raw.nic.txBytes], [2 * (300 + 100), 2 * (600 + 200)])
  })

  it('hostdev network: the pool from net-dumpxml, the held VF from the live XML', async () => {
    setWorld({[URI3]: hostWorld(['pool1', 'idle1'])})
    const raw = await driverFor(kvm3).snapshot()
    assert.deepEqual(raw.vfs, {total: 4, free: ['0000:03:10.0', '0000:03:10.2', '0000:03:10.4']})
    assert.deepEqual(raw.vms.map((vm) => [vm.name, vm.vf]), [['pool1', '0000:03:10.6'], ['idle1', null]])
    assert.equal(raw.nic.speedMbps, 25_000)
  })

  it('a host that does not answer is UnreachableError with virsh\'s words', async () => {
    setWorld({[URI1]: {...hostWorld([]), unreachable: true}})
    await assert.rejects(driverFor(kvm1).snapshot(), (error: Error) => {
      assert.ok(error instanceof UnreachableError)
      assert.equal(error.message, "kvm1: error: failed to connect to the hypervisor; error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory")
      return true
    })
  })

  it('an unknown link speed is a configuration problem, said so', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])})
    await assert.rejects(driverFor(kvm1, fakeShell('root@kvm1', {'/sys/class/net/enp3s0f0/speed': '-1\n'})).snapshot(), /link speed of enp3s0f0 is unknown/)
  })
})

describe('libvirt driver: attach and detach', () => {
  it('attach-device --live with the VF XML, confirmed in the live XML; the temp file is removed', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])})
    const result = await driverFor(kvm1).attachVf(ref('idle1'), '03:10.0')
    assert.equal(result.ok, true, JSON.stringify(result))
    const attach = calls().find((call) => call.argv[2] === 'attach-device')
    assert.ok(attach)
    assert.deepEqual(attach.argv.slice(0, 4), ['-c', URI1, 'attach-device', uuidOf('idle1')])
    assert.match(attach.argv[4], /sova-virsh-[^/]+\/device\.xml$/)
    assert.equal(attach.argv[5], '--live')
    assert.equal(attach.argv.length, 6)
    assert.equal(existsSync(attach.argv[4]), false)
    assert.equal(
      attach.device,
      `<interface type='hostdev' managed='yes'><mac address='${deriveVfMac('kvm1', '0000:03:10.0')}'/><driver name='vfio'/><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x0'/></source></interface>`,
    )
    assert.equal(commands().at(-1)?.[0], 'dumpxml', 'the live XML was read after the attach')
    const raw = await driverFor(kvm1).snapshot()
    assert.equal(raw.vms[0].vf, '0000:03:10.0')
  })

  it('a teaming domain gets the VF as the transient half, with the backup\'s MAC', async () => {
    setWorld({[URI1]: hostWorld(['app1'])})
    assert.deepEqual((await driverFor(kvm1).attachVf(ref('app1'), '0000:03:10.6')).ok, true)
    assert.match(calls().find((call) => call.argv[2] === 'attach-device')?.device ?? '', /<mac address='52:54:00:00:77:01'\/>.*<teaming type='transient' persistent='ua-backup1'\/>/)
  })

  it('a pool network: attach by network name, libvirt picks the VF', async () => {
    setWorld({[URI3]: hostWorld(['pool1', 'idle1'])})
    const result = await driverFor(kvm3).attachVf(ref('idle1'), '0000:03:10.0')
    assert.equal(result.ok, true, JSON.stringify(result))
    assert.equal(calls().find((call) => call.argv[2] === 'attach-device')?.device, `<interface type='network'><mac address='${deriveVfMac('kvm3', '0000:03:10.0')}'/><source network='sriov-pool'/></interface>`)
    assert.equal((await driverFor(kvm3).snapshot()).vms.find((vm) => vm.name === 'idle1')?.vf, '0000:03:10.0')
  })

  it('a pool network that picks another VF than the one asked for says which it gave', async () => {
    setWorld({[URI3]: hostWorld(['pool1', 'idle1'])})
    const free = (await driverFor(kvm3).snapshot()).vfs.free
    const result = await driverFor(kvm3).attachVf(ref('idle1'), free[1])
    assert.deepEqual(result.ok && result.vf, free[0], JSON.stringify(result))
  })

  it('refuses a VF outside the pool or a second VF, before any attach-device', async () => {
    setWorld({[URI1]: hostWorld(['web1', 'idle1'])})
    const outside = await driverFor({...kvm1, vfs: {allow: ['0000:03:10.0']}}).attachVf(ref('idle1'), '0000:03:10.6')
    assert.match(outside.ok ? '' : outside.error, /^refused: 0000:03:10.6 is not in kvm1's VF pool \(0000:03:10.0\)$/)
    const second = await driverFor(kvm1).attachVf(ref('web1'), '0000:03:10.0')
    assert.match(second.ok ? '' : second.error, /^refused: web1 already holds 0000:03:10.2$/)
    assert.ok(!commands().some((argv) => argv[0] === 'attach-device'))
  })

  it('virsh\'s own error when attach-device fails', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])}, {attachError: "Requested operation is not valid: PCI device 0000:03:10.0 is in use by driver QEMU, domain web9"})
    const result = await driverFor(kvm1).attachVf(ref('idle1'), '0000:03:10.0')
    assert.equal(result.ok ? '' : result.error, "error: Failed to attach device from " + calls().find((call) => call.argv[2] === 'attach-device')?.argv[4] + "; error: Requested operation is not valid: PCI device 0000:03:10.0 is in use by driver QEMU, domain web9")
  })

  it('an attach that never shows in the live XML is undone and failed', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])}, {attachInvisible: true})
    const result = await driverFor(kvm1).attachVf(ref('idle1'), '0000:03:10.0')
    // The undo is still sent; here libvirt has nothing to remove and says so in its own words.
    const mac = deriveVfMac('kvm1', '0000:03:10.0')
    assert.equal(
      result.ok ? '' : result.error,
      `attach-device returned 0, but 0000:03:10.0 never showed in idle1's live XML within 0.3 s; undo failed: error: operation failed: no device matching MAC address ${mac} found`,
    )
    const verbs = commands().map((argv) => argv[0])
    assert.equal(verbs.at(-1), 'detach-device')
    assert.ok(verbs.filter((verb) => verb === 'dumpxml').length >= 3)
  })

  it('a loaded machine: the waits are budgets of reads, not of wall-clock time', async () => {
    // Each read takes 0.25 s (10x the poll interval), the plug shows on the 6th read and the unplug on
    // the 8th: 1.5 s and 2 s of reading, over the 0.3 s and 0.6 s "waits", well within their 15 and 30 reads.
    setWorld({[URI1]: hostWorld(['idle1'])}, {slowReadsMs: 250, attachShowsAfterPolls: 5, lingerPolls: 7})
    const driver = driverFor(kvm1)
    const attached = await driver.attachVf(ref('idle1'), '0000:03:10.0')
    assert.equal(attached.ok, true, JSON.stringify(attached))
    const detached = await driver.detachVf(ref('idle1'), '0000:03:10.0')
    assert.equal(detached.ok, true, JSON.stringify(detached))
  })

  it('detach-device --live with the live device (alias included), then polled until really gone', async () => {
    setWorld({[URI1]: hostWorld(['web1'])}, {lingerPolls: 3})
    const result = await driverFor(kvm1).detachVf(ref('web1'), '0000:03:10.2')
    assert.equal(result.ok, true, JSON.stringify(result))
    const detach = calls().find((call) => call.argv[2] === 'detach-device')
    assert.deepEqual([...(detach?.argv.slice(0, 4) ?? []), detach?.argv[5]], ['-c', URI1, 'detach-device', uuidOf('web1'), '--live'])
    assert.equal(
      detach?.device,
      "<interface type='hostdev' managed='yes'><mac address='52:54:00:6d:90:02'/><driver name='vfio'/><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x2'/></source><alias name='hostdev0'/></interface>",
    )
    const afterDetach = commands().slice(commands().findIndex((argv) => argv[0] === 'detach-device') + 1)
    assert.ok(afterDetach.filter((argv) => argv[0] === 'dumpxml').length >= 4, 'rc 0 was not taken as proof: the XML was read until the VF left')
    assert.doesNotMatch(world().uris[URI1].domains.web1.xml, /type='hostdev'/)
  })

  it('a device that stays is a failed detach, with the address and the time waited', async () => {
    setWorld({[URI1]: hostWorld(['web1'])}, {lingerPolls: 1000})
    const result = await driverFor(kvm1).detachVf(ref('web1'), '0000:03:10.2')
    assert.equal(result.ok ? '' : result.error, 'detach requested, but VF 0000:03:10.2 still present after 0.6 s')
  })

  it('"guest is busy" is retried', async () => {
    setWorld({[URI1]: hostWorld(['web1'])}, {busyDetaches: 2})
    const result = await driverFor(kvm1).detachVf(ref('web1'), '0000:03:10.2')
    assert.equal(result.ok, true, JSON.stringify(result))
    assert.equal(commands().filter((argv) => argv[0] === 'detach-device').length, 3)
  })

  it('a teaming VF is detached by alias; its backup with the same MAC stays', async () => {
    setWorld({[URI1]: hostWorld(['db1'])})
    assert.equal((await driverFor(kvm1).detachVf(ref('db1'), '0000:03:10.4')).ok, true)
    const xml: string = world().uris[URI1].domains.db1.xml
    assert.doesNotMatch(xml, /type='hostdev'/)
    assert.match(xml, /ua-backup0/)
  })

  it('emulated lab: the stand-in NIC is detached by MAC; a VF not held is already detached', async () => {
    setWorld({[LAB_URI]: hostWorld(['lab1'])})
    const driver = driverFor(lab, fakeShell('local'))
    assert.equal((await driver.detachVf(ref('lab1'), '0000:ee:00.0')).ok, true)
    assert.equal(calls().find((call) => call.argv[2] === 'detach-device')?.device, "<interface type='ethernet'><mac address='52:54:00:aa:00:01'/><model type='e1000e'/><alias name='net1'/></interface>")
    writeFileSync(logPath(), '')
    assert.equal((await driver.detachVf(ref('lab1'), '0000:ee:00.0')).ok, true)
    assert.deepEqual(commands(), [['dumpxml', uuidOf('lab1')]])
  })
})

describe('libvirt driver: give back exactly what was taken', () => {
  // web1's VF as an operator set it up: VLAN 42 and its own MAC.
  function taggedWeb1() {
    const world = hostWorld(['web1'])
    world.domains.web1.xml = world.domains.web1.xml.replace("<alias name='hostdev0'/>", "<vlan>\n        <tag id='42'/>\n      </vlan>\n      <alias name='hostdev0'/>")
    return world
  }

  it('a done detach returns the device\'s own live XML; a give-back attaches that XML again (MAC, VLAN, guest address)', async () => {
    setWorld({[URI1]: taggedWeb1()})
    const driver = driverFor(kvm1)
    const liveBefore: string = world().uris[URI1].domains.web1.xml
    const detached = await driver.detachVf(ref('web1'), '0000:03:10.2')
    assert.ok(detached.ok && detached.device, JSON.stringify(detached))
    assert.equal(detached.device.vf, '0000:03:10.2')
    assert.ok(liveBefore.includes(detached.device.definition), 'the definition is the device exactly as the live XML printed it')
    assert.match(detached.device.definition, /^<interface type='hostdev' managed='yes'>[\s\S]*<tag id='42'\/>[\s\S]*<\/interface>$/)
    const given = await driver.attachVf(ref('web1'), '0000:03:10.2', detached.device)
    assert.equal(given.ok, true, JSON.stringify(given))
    const attached = calls().filter((call) => call.argv[2] === 'attach-device').at(-1)?.device ?? ''
    assert.match(attached, /<mac address='52:54:00:6d:90:02'\/>/)
    assert.match(attached, /<vlan>\s*<tag id='42'\/>\s*<\/vlan>/)
    assert.match(attached, /<address type='pci' domain='0x0000' bus='0x02' slot='0x00' function='0x0'\/><\/interface>$/, 'the guest-side PCI address too')
    assert.doesNotMatch(attached, /hostdev0/, 'only the automatic alias is left out')
    assert.doesNotMatch(attached, new RegExp(deriveVfMac('kvm1', '0000:03:10.2')), 'not rebuilt with a MAC of Sova\'s')
  })

  it('a kept device that is not the VF asked for is refused: nothing attached, nothing rebuilt', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])})
    const result = await driverFor(kvm1).attachVf(ref('idle1'), '0000:03:10.0', {vf: '0000:03:10.0', definition: "<interface type='bridge'><mac address='52:54:00:00:00:09'/></interface>"})
    assert.match(result.ok ? '' : result.error, /^refused: the device kept for 0000:03:10.0 is not that VF on this host .*; nothing attached$/)
    assert.ok(!commands().some((argv) => argv[0] === 'attach-device'))
  })

  it('on arrival the device is built from the host\'s configuration: vfs.vlan and vfs.mac', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])})
    const result = await driverFor({...kvm1, vfs: {vlan: 42, mac: 'per-vm'}}).attachVf(ref('idle1'), '0000:03:10.0')
    assert.equal(result.ok, true, JSON.stringify(result))
    assert.equal(
      calls().find((call) => call.argv[2] === 'attach-device')?.device,
      `<interface type='hostdev' managed='yes'><mac address='${deriveVmMac(uuidOf('idle1'))}'/><driver name='vfio'/><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x0'/></source><vlan><tag id='42'/></vlan></interface>`,
    )
  })
})

describe('libvirt driver: migrate', () => {
  it('migrate --live --persistent --undefinesource to the target\'s URI; the VM shows there', async () => {
    setWorld({[URI1]: hostWorld(['idle1']), [URI2]: hostWorld([])})
    const result = await driverFor(kvm1).migrate(ref('idle1'), kvm2)
    assert.equal(result.ok, true, JSON.stringify(result))
    assert.deepEqual(calls().find((call) => call.argv[2] === 'migrate')?.argv, ['-c', URI1, 'migrate', '--live', '--persistent', '--undefinesource', uuidOf('idle1'), URI2])
    // rc 0 is not taken for it: the domain was seen running on the target and gone from the source.
    assert.deepEqual(calls().slice(-3).map((call) => [call.argv[1], ...call.argv.slice(2)]).sort(), [
      [URI1, 'domstate', uuidOf('idle1')],
      [URI2, 'domstate', uuidOf('idle1')],
      [URI2, 'dumpxml', uuidOf('idle1')],
    ])
    const there = await driverFor(kvm2, fakeShell('root@kvm2')).snapshot()
    assert.deepEqual(there.vms.map((vm) => [vm.name, vm.id]), [['idle1', '5e2f9d10-7c4b-4f8e-8a61-3d9b0c1e2f34']])
  })

  it('migration options: the source\'s settings (the cluster\'s, its own over them) and the target\'s address, in that argv', async () => {
    // Protects each configured option reaching virsh exactly, and the target's migration network.
    setWorld({[URI1]: hostWorld(['idle1']), [URI2]: hostWorld([])})
    const source = {...kvm1, migration: {bandwidthMiBs: 400, tls: true}}
    const target = {...kvm2, migration: {address: 'fd00:9::2', listenAddress: 'fd00:9::2', bandwidthMiBs: 1}}
    const result = await driverFor(source, fakeShell(), undefined, {autoConverge: true, compressed: true, postcopy: true, bandwidthMiBs: 100}).migrate(ref('idle1'), target)
    assert.equal(result.ok, true, JSON.stringify(result))
    assert.deepEqual(calls().find((call) => call.argv[2] === 'migrate')?.argv, [
      '-c', URI1, 'migrate', '--live', '--persistent', '--undefinesource',
      '--auto-converge', '--compressed', '--tls', '--postcopy', '--postcopy-after-precopy', '--bandwidth', '400',
      '--migrateuri', 'tcp://[fd00:9::2]', '--listen-address', 'fd00:9::2',
      uuidOf('idle1'), URI2,
    ])
    assert.ok(world().uris[URI2].domains.idle1)
  })

  it('migration options: empty sections change nothing; a value no tool should see is refused before virsh runs', async () => {
    // Protects "defaults unchanged" and the validation of addresses at the driver.
    setWorld({[URI1]: hostWorld(['idle1']), [URI2]: hostWorld([])})
    const plain = await driverFor({...kvm1, migration: {}}, fakeShell(), undefined, {}).migrate(ref('idle1'), {...kvm2, migration: {maxParallel: 2}})
    assert.equal(plain.ok, true, JSON.stringify(plain))
    assert.deepEqual(calls().find((call) => call.argv[2] === 'migrate')?.argv, ['-c', URI1, 'migrate', '--live', '--persistent', '--undefinesource', uuidOf('idle1'), URI2])
    setWorld({[URI1]: hostWorld(['idle1']), [URI2]: hostWorld([])})
    const named = await driverFor(kvm1).migrate(ref('idle1'), {...kvm2, migration: {listenAddress: 'kvm2-mig'}})
    assert.equal(named.ok ? '' : named.error, 'kvm2: migration.listenAddress: "kvm2-mig" is not an IP address (QEMU binds to an address, not a name)')
    const hostile = await driverFor(kvm1).migrate(ref('idle1'), {...kvm2, migration: {address: 'a;reboot'}})
    assert.equal(hostile.ok ? '' : hostile.error, 'kvm2: migration.address: "a;reboot" is neither a host name nor an IP address')
    assert.ok(!commands().some((argv) => argv[0] === 'migrate'))
  })

  it('refused while a VF (or a lab stand-in) is attached: no migrate call', async () => {
    setWorld({[URI1]: hostWorld(['web1']), [URI2]: hostWorld([]), [LAB_URI]: hostWorld(['lab1'])})
    const vf = await driverFor(kvm1).migrate(ref('web1'), kvm2)
    assert.equal(vf.ok ? '' : vf.error, 'refused: web1 still holds a hostdev interface 0000:03:10.2; detach it before migrating')
    const standIn = await driverFor(lab, fakeShell('local')).migrate(ref('lab1'), {...lab, name: 'lab-b', uri: 'qemu+unix:///system?socket=/tmp/sova-lab-b/libvirt-sock'})
    assert.match(standIn.ok ? '' : standIn.error, /still holds the stand-in VF 0000:ee:00.0/)
    assert.ok(!commands().some((argv) => argv[0] === 'migrate'))
  })

  it('a migration that hangs is aborted with domjobabort and failed', async () => {
    setWorld({[URI1]: hostWorld(['idle1']), [URI2]: hostWorld([])}, {migrateHangMs: 20_000})
    const result = await driverFor(kvm1, fakeShell(), {toolMs: 10_000, migrateMs: 700}).migrate(ref('idle1'), kvm2)
    assert.equal(result.ok ? '' : result.error, 'migration of idle1 to kvm2 timed out after 0.7 s; aborted (domjobabort); idle1 stays on kvm1')
    assert.deepEqual(commands().at(-1), ['domjobabort', uuidOf('idle1')])
    assert.ok(world().uris[URI1].domains.idle1)
  })

  it('virsh\'s words when the target refuses; other backends are refused', async () => {
    setWorld({[URI1]: hostWorld(['idle1']), [URI2]: {...hostWorld([]), unreachable: true}})
    const result = await driverFor(kvm1).migrate(ref('idle1'), kvm2)
    assert.equal(result.ok ? '' : result.error, `error: operation failed: Failed to connect to remote libvirt URI ${URI2}`)
    const xen = await driverFor(kvm1).migrate(ref('idle1'), {name: 'xen1', backend: 'xen', port: {device: 'eth0'}})
    assert.match(xen.ok ? '' : xen.error, /^refused: xen1 is a xen host/)
  })
})

/** A fixture domain under another name, UUID and domain id: `virsh list` shows the id. */
function domainAs(fixtureName: string, name: string, uuid: string, id: number) {
  const xml = fixture(`dumpxml-${fixtureName}.xml`)
    .replace(/^<domain ([^>]*)id='\d+'/, `<domain $1id='${id}'`)
    .replace(/<name>[^<]+</, `<name>${name}<`)
    .replace(/<uuid>[^<]+</, `<uuid>${uuid}<`)
  return {xml, stats: statsOf(fixtureName)}
}

describe('libvirt driver: the domain meant, by UUID', () => {
  // "6" is a running domain's name while db1's domain id is 6; another domain is named like db1's
  // UUID. virsh reads a domain argument as an id first, then a UUID, then a name.
  const SIX_UUID = '66666666-0000-4000-8000-000000000066'
  const LOOKALIKE_UUID = '77777777-0000-4000-8000-000000000077'
  function confusingWorld() {
    const world = hostWorld(['db1'])
    world.domains = {
      db1: domainAs('db1', 'db1', uuidOf('db1'), 6),
      '6': domainAs('web1', '6', SIX_UUID, 12),
      [uuidOf('db1')]: domainAs('idle1', uuidOf('db1'), LOOKALIKE_UUID, 13),
    }
    return world
  }

  it('collect: a domain named 6 and one named like another\'s UUID each have their own UUID and VF', async () => {
    setWorld({[URI1]: confusingWorld()})
    const raw = await driverFor(kvm1).snapshot()
    const byName = new Map(raw.vms.map((vm) => [vm.name, [vm.uuid, vm.vf]]))
    assert.deepEqual(byName.get('6'), [SIX_UUID, '0000:03:10.2'])
    assert.deepEqual(byName.get('db1'), [uuidOf('db1'), '0000:03:10.4'])
    assert.deepEqual(byName.get(uuidOf('db1')), [LOOKALIKE_UUID, null])
  })

  it('switch-vf and migrate act on the domain named 6, not on the domain whose id is 6', async () => {
    setWorld({[URI1]: confusingWorld(), [URI2]: hostWorld([])})
    const driver = driverFor(kvm1)
    const six = ref('6', SIX_UUID)
    const detached = await driver.detachVf(six, '0000:03:10.2')
    assert.equal(detached.ok, true, JSON.stringify(detached))
    const domains = world().uris[URI1].domains
    assert.doesNotMatch(domains['6'].xml, /type='hostdev'/, '"6" lost its VF')
    assert.match(domains.db1.xml, /function='0x4'/, 'db1 (id 6) still has its VF')
    const moved = await driver.migrate(six, kvm2)
    assert.equal(moved.ok, true, JSON.stringify(moved))
    assert.deepEqual(Object.keys(world().uris[URI2].domains), ['6'])
    assert.ok(world().uris[URI1].domains.db1, 'db1 stayed')
    assert.ok(commands().every((argv) => !argv.includes('6')), 'no virsh call named a domain "6"')
  })

  it('an action is refused when the UUID now bears another name, or is gone: nothing is done', async () => {
    setWorld({[URI1]: hostWorld(['web1', 'idle1']), [URI2]: hostWorld([])})
    const driver = driverFor(kvm1)
    const renamed = ref('web1', uuidOf('idle1'))
    for (const result of [await driver.attachVf(renamed, '0000:03:10.0'), await driver.detachVf(renamed, '0000:03:10.2'), await driver.migrate(renamed, kvm2)]) {
      assert.equal(result.ok ? '' : result.error, `refused: domain ${uuidOf('idle1')} is named "idle1" now, not web1`)
    }
    const gone = await driver.detachVf(ref('web1', '99999999-0000-4000-8000-000000000099'), '0000:03:10.2')
    assert.match(gone.ok ? '' : gone.error, /^refused: no running domain 99999999-0000-4000-8000-000000000099 \(meant: web1\); error: failed to get domain/)
    assert.deepEqual(commands().map((argv) => argv[0]).filter((verb) => verb !== 'dumpxml' && !verb.startsWith('nodedev')), [])
  })

  it('a migration virsh calls done but whose guest is not running on the target is failed, with what is true', async () => {
    setWorld({[URI1]: hostWorld(['idle1']), [URI2]: hostWorld([])}, {diesOnArrival: true})
    const result = await driverFor(kvm1).migrate(ref('idle1'), kvm2)
    assert.equal(result.ok ? '' : result.error, 'virsh migrate returned 0, but idle1 is not running on kvm2 (shut off)')
  })

  it('a migration to the VM\'s own host is refused before anything runs', async () => {
    setWorld({[URI1]: hostWorld(['idle1'])})
    const result = await driverFor(kvm1).migrate(ref('idle1'), kvm1)
    assert.equal(result.ok ? '' : result.error, 'refused: idle1 is already on kvm1')
    assert.deepEqual(calls(), [])
  })
})

describe('libvirt driver: refusals and doctor', () => {
  it('a name Sova would not pass on is refused before virsh runs', async () => {
    setWorld({[URI1]: hostWorld(['web1']), [URI2]: hostWorld([])})
    const driver = driverFor(kvm1)
    for (const bad of ['web1; rm -rf /', '--force', '-c', '', 'a b', '$(reboot)']) {
      const vm = ref(bad, uuidOf('web1'))
      for (const result of [await driver.attachVf(vm, '0000:03:10.0'), await driver.detachVf(vm, '0000:03:10.2'), await driver.migrate(vm, kvm2)]) {
        assert.match(result.ok ? '' : result.error, /^refused: ".*" is not a valid VM name/, bad)
      }
    }
    // A domain is only ever named to virsh by its UUID: a name, an id or an option is refused.
    for (const notUuid of ['web1', '3', '--all', '']) {
      for (const result of [await driver.attachVf(ref('web1', notUuid), '0000:03:10.0'), await driver.detachVf(ref('web1', notUuid), '0000:03:10.2'), await driver.migrate(ref('web1', notUuid), kvm2)]) {
        assert.match(result.ok ? '' : result.error, /^refused: ".*" is not a domain UUID \(meant: web1\)/, notUuid)
      }
    }
    const badVf = await driver.attachVf(ref('web1'), '--live')
    assert.match(badVf.ok ? '' : badVf.error, /^refused: "--live" is not a VF id/)
    assert.deepEqual(calls(), [])
  })

  it('an unreachable host fails an action with virsh\'s words instead of throwing', async () => {
    setWorld({[URI1]: {...hostWorld(['web1']), unreachable: true}})
    const result = await driverFor(kvm1).detachVf(ref('web1'), '0000:03:10.2')
    assert.match(result.ok ? '' : result.error, /^error: failed to connect to the hypervisor/)
  })

  it('doctor: virsh, URI, ssh, port, speed, the VF pool and the domains, those Sova does not manage said', async () => {
    setWorld({[URI1]: hostWorld(['web1', 'idle1', 'bad; name'])})
    const checks = await driverFor(kvm1).checks()
    assert.deepEqual(checks.map((check) => [check.check, check.ok]), [['virsh', true], ['libvirt', true], ['ssh', true], ['port', true], ['link speed', true], ['VF pool', true], ['domains', true]])
    assert.ok(checks.every((check) => check.host === 'kvm1'))
    assert.equal(checks[1].detail, `${URI1}: QEMU 7.2.0`)
    assert.equal(checks[5].detail, `4 VFs, 2 free (node device pci_0000_03_00_0)`)
    assert.equal(
      checks[6].detail,
      `2 running domains managed; not managed, never acted on, their VFs and traffic still counted: "bad; name" (${BAD_NAME_UUID}, holds VF 0000:03:10.6): its name is not one Sova passes on (letters, digits and . _ : @ + -, at most 64, not starting with -)`,
    )
  })

  it('doctor: a lab says it is a stand-in; an unreachable URI fails and skips the pool', async () => {
    setWorld({[LAB_URI]: hostWorld(['lab1']), [URI1]: {...hostWorld([]), unreachable: true}})
    const labChecks = await driverFor(lab, fakeShell('local')).checks()
    assert.deepEqual(labChecks.map((check) => check.check), ['virsh', 'libvirt', 'port', 'link speed', 'VF pool', 'domains'])
    assert.match(labChecks[4].detail, /^2 VFs, 1 free \(2 emulated e1000e stand-in NICs \(lab, no SR-IOV\)\)$/)
    const down = await driverFor(kvm1).checks()
    assert.deepEqual(down.filter((check) => !check.ok).map((check) => check.check), ['libvirt', 'VF pool'])
    assert.ok(down.find((check) => check.check === 'libvirt')?.fix)
  })

  it('doctor: a host whose name does not resolve says so once; ssh, port, speed and pool are not checked, libvirtd is not blamed', async () => {
    setWorld({[URI1]: {...hostWorld([]), unresolved: true}})
    const unresolvedShell: ReturnType<typeof fakeShell> = {
      ...fakeShell(),
      run: async (file, args) => ({command: [file, ...args], exitCode: 255, stdout: '', stderr: 'ssh: Could not resolve hostname kvm1: Name or service not known\n', timedOut: false, notFound: false, durationMs: 1}),
    }
    const checks = await driverFor(kvm1, unresolvedShell).checks()
    assert.deepEqual(checks.map((check) => [check.check, check.ok ? 'pass' : check.notChecked ? 'not checked' : 'FAIL']), [
      ['virsh', 'pass'], ['libvirt', 'FAIL'], ['ssh', 'not checked'], ['port', 'not checked'], ['link speed', 'not checked'], ['VF pool', 'not checked'],
    ])
    const libvirt = checks[1]
    assert.equal(libvirt.detail, 'kvm1: name does not resolve (ssh: Could not resolve hostname kvm1: Name or service not known)')
    assert.doesNotMatch(libvirt.fix ?? '', /libvirtd/)
    assert.ok(checks.slice(2).every((check) => check.detail === 'not checked: kvm1 does not resolve' && check.fix === undefined))
  })
})
