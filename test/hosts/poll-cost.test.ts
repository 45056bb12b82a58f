// What one collect cycle costs a host in remote round trips (ISSUE-14 item 4), counted with the
// stand-in tools: every fake ssh and every fake virsh invocation is logged, and each one is a
// round trip to the host (a new ssh session, or a libvirt connection over ssh). Two cycles of
// the hosts backend, as `sova run` takes them: at most 3 round trips per host per cycle.
import assert from 'node:assert/strict'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {after, beforeEach, describe, it} from 'node:test'
import {HostsBackend} from '../../src/lib/backends/hosts/hosts-backend.js'
import type {ConfigFile} from '../../src/lib/config.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const START_WORLD = join(FIXTURES, 'xen', 'world.json')
const fixture = (name: string) => readFileSync(join(FIXTURES, 'libvirt', name), 'utf8')
process.env.PATH = [join(FIXTURES, 'bin', 'libvirt'), join(FIXTURES, 'bin', 'xen'), dirname(process.execPath), process.env.PATH].join(delimiter)

const NOW = 1_700_000_000
const URI1 = 'qemu+ssh://root@kvm1/system'
const PF_NET = 'net_enp3s0f0_3c_fd_fe_9e_6a_40'
/** The budget of ISSUE-14 item 4. */
const MAX_ROUND_TRIPS = 3

let dir = ''
const dirs: string[] = []
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sova-poll-cost-'))
  dirs.push(dir)
  process.env.SOVA_FAKE_STATE = dir
  process.env.SOVA_FAKE_VIRSH_STATE = join(dir, 'virsh-state.json')
  process.env.SOVA_FAKE_LOG = join(dir, 'calls.ndjson')
})
after(() => {
  for (const used of dirs) rmSync(used, {recursive: true, force: true})
})

interface Call {
  host?: string
  argv: string[]
  /** The fake virsh's: the commands of a batch, and the ssh program of a +ssh URI. */
  batch?: string[][]
  sshCommand?: string
}

function calls(): Call[] {
  const log = join(dir, 'calls.ndjson')
  return existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Call) : []
}

/** Remote round trips so far, per host: each ssh session (by destination) and each virsh connection (by URI). */
function roundTrips(): Map<string, number> {
  const count = new Map<string, number>()
  const add = (host: string) => count.set(host, (count.get(host) ?? 0) + 1)
  for (const call of calls()) {
    if (call.host === 'local' && call.argv[0] === 'ssh') add(call.argv[call.argv.indexOf('--') + 1].replace(/^.*@/, ''))
    else if (call.host === undefined && call.argv[0] === '-c') add(new URL(call.argv[1]).hostname)
  }
  return count
}

/** The virsh commands run so far, those of a batch one by one. */
function virshCommands(): string[] {
  return calls()
    .filter((call) => call.host === undefined && call.argv[0] === '-c')
    .flatMap((call) => (call.batch ?? [call.argv.slice(2)]).map((words) => words.join(' ')))
}

/** The domains whose XML virsh was asked for. */
const dumpxmls = () => virshCommands().filter((command) => command.startsWith('dumpxml ')).map((command) => command.slice('dumpxml '.length))
const UUID_OF = (name: string) => fixture(`dumpxml-${name}.xml`).match(/<uuid>([^<]+)</)?.[1] as string

/** A libvirt host kvm1: the fake virsh's domains and the dom0-like files ssh, ip and ethtool read. */
/** `count` more domains like idle1, named vm0, vm1, ... */
function manyDomains(count: number): Record<string, string> {
  const xml = fixture('dumpxml-idle1.xml')
  return Object.fromEntries(Array.from({length: count}, (_, i) => {
    const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`
    return [`vm${i}`, xml.replace(/<name>[^<]+</, `<name>vm${i}<`).replace(/<uuid>[^<]+</, `<uuid>${uuid}<`)]
  }))
}

function libvirtWorld(domains: string[], extra: Record<string, string> = {}): void {
  const stats = (name: string) => {
    const taps = [...fixture(`dumpxml-${name}.xml`).matchAll(/<target dev='(vnet\d+)'/g)].map((m) => m[1])
    const nets = taps.flatMap((tap, i) => [`  net.${i}.name=${tap}`, `  net.${i}.rx.bytes=${(i + 1) * 100}`, `  net.${i}.tx.bytes=${(i + 1) * 200}`])
    return ['  state.state=1', '  cpu.time=5000000000', '  balloon.current=131072', '  vcpu.current=1', '  vcpu.0.delay=0', `  net.count=${taps.length}`, ...nets, ''].join('\n')
  }
  const virsh = {
    uris: {
      [URI1]: {
        nodeinfo: fixture('nodeinfo.txt'),
        freecell: fixture('freecell.txt'),
        nodedevs: {[PF_NET]: fixture(`nodedev-${PF_NET}.xml`), pci_0000_03_00_0: fixture('nodedev-pci_0000_03_00_0.xml')},
        networks: {},
        domains: {
          ...Object.fromEntries(domains.map((name) => [name, {xml: fixture(`dumpxml-${name}.xml`), stats: stats(name)}])),
          ...Object.fromEntries(Object.entries(extra).map(([name, xml]) => [name, {xml, stats: stats('idle1')}])),
        },
      },
    },
    faults: {},
  }
  writeFileSync(join(dir, 'virsh-state.json'), JSON.stringify(virsh))
  const world = JSON.parse(readFileSync(START_WORLD, 'utf8'))
  const base = '/sys/class/net/enp3s0f0'
  world.hosts.kvm1 = {
    info: {nr_cpus: 8, total_memory: 32768, free_memory: 16384},
    dom0: {memMiB: 0, vcpus: 0, cpuSeconds: 0},
    port: {device: 'enp3s0f0', rxBytes: 5_000_000, txBytes: 6_000_000},
    ethtool: {driver: 'i40e'},
    assignable: [],
    files: {[`${base}/speed`]: '10000\n', [`${base}/device/sriov_totalvfs`]: '63\n', [`${base}/device/sriov_numvfs`]: '4\n'},
    links: {[`${base}/device`]: '../../../0000:03:00.0', ...Object.fromEntries(['0', '2', '4', '6'].map((fn, i) => [`${base}/device/virtfn${i}`, `../0000:03:10.${fn}`]))},
    vfStats: {'2': {rx: 4000, tx: 5000}},
  }
  writeFileSync(join(dir, 'xen-world.json'), JSON.stringify(world))
}

/** The hosts backend as the CLI opens it: with a state directory, so ssh sessions share a connection. */
function backendOf(config: ConfigFile): HostsBackend {
  return new HostsBackend(config, {now: () => NOW, stateDir: join(dir, 'state')})
}

/** Runs `cycles` snapshots and returns each cycle's round trips per host. */
async function measure(backend: HostsBackend, cycles: number, between: (cycle: number) => void = () => {}): Promise<Map<string, number>[]> {
  const perCycle: Map<string, number>[] = []
  for (let cycle = 0; cycle < cycles; cycle++) {
    between(cycle)
    writeFileSync(join(dir, 'calls.ndjson'), '')
    const snapshot = await backend.snapshot()
    assert.equal(snapshot.missing, undefined, JSON.stringify(snapshot.missing))
    perCycle.push(roundTrips())
  }
  return perCycle
}

describe('polling cost: remote round trips per host per cycle', () => {
  it('a libvirt host behind qemu+ssh: at most 3 a cycle, the second reading no domain XML, one ssh connection shared with libvirt', async () => {
    libvirtWorld(['web1', 'db1', 'idle1'])
    const backend = backendOf({cluster: 'kvm', hosts: [{name: 'kvm1', backend: 'libvirt', uri: URI1, port: {device: 'enp3s0f0'}}]})
    const perCycle: string[][] = []
    const cycles = await measure(backend, 2, () => perCycle.push(dumpxmls()))
    perCycle.push(dumpxmls())
    process.stderr.write(`libvirt kvm1 round trips per cycle: ${cycles.map((c) => c.get('kvm1')).join(', ')}\n`)
    for (const cycle of cycles) assert.ok((cycle.get('kvm1') ?? 0) <= MAX_ROUND_TRIPS, `kvm1: ${cycle.get('kvm1')} round trips`)
    // First cycle: every domain's XML, in one batch; second: none, all cached and unchanged.
    assert.deepEqual(perCycle.slice(1).map((uuids) => uuids.sort()), [['web1', 'db1', 'idle1'].map(UUID_OF).sort(), []])
    // Sova's ssh sessions and libvirt's own ssh share one connection: the socket folder is 0700 under the state dir.
    const control = join(dir, 'state', 'ssh')
    assert.equal(statSync(control).mode & 0o777, 0o700)
    const ssh = calls().filter((call) => call.argv[0] === 'ssh')
    assert.ok(ssh.length > 0 && ssh.every((call) => call.argv.includes(`ControlPath=${control}/%C`) && call.argv.includes('ControlMaster=auto')), JSON.stringify(ssh[0]?.argv))
    const virsh = calls().filter((call) => call.argv[0] === '-c')
    assert.ok(virsh.every((call) => call.sshCommand === join(control, 'ssh')), JSON.stringify(virsh[0]))
    assert.match(readFileSync(join(control, 'ssh'), 'utf8'), /^exec ssh -o BatchMode=yes -o ConnectTimeout=10 -o ControlMaster=auto -o "ControlPath=\$\{0%\/\*\}\/%C" -o ControlPersist=30 "\$@"$/m)
  })

  it('a libvirt host with 43 VMs costs the same: 3, then 2', async () => {
    libvirtWorld(['web1', 'db1', 'idle1'], manyDomains(40))
    const backend = backendOf({cluster: 'kvm', hosts: [{name: 'kvm1', backend: 'libvirt', uri: URI1, port: {device: 'enp3s0f0'}}]})
    const dumped: number[] = []
    const cycles = await measure(backend, 2, () => dumped.push(dumpxmls().length))
    dumped.push(dumpxmls().length)
    assert.deepEqual(cycles.map((cycle) => cycle.get('kvm1')), [3, 2])
    assert.deepEqual(dumped.slice(1), [43, 0])
    const snapshot = await backend.snapshot()
    assert.equal(snapshot.hosts[0].vms.length, 43)
  })

  it('a libvirt domain whose definition changed is read again, and only it; one Sova acted on too', async () => {
    libvirtWorld(['web1', 'db1', 'idle1'])
    const backend = backendOf({cluster: 'kvm', hosts: [{name: 'kvm1', backend: 'libvirt', uri: URI1, port: {device: 'enp3s0f0'}}]})
    await measure(backend, 1)
    // A NIC hot-plugged into idle1 by hand: domstats shows one more interface.
    const state = JSON.parse(readFileSync(join(dir, 'virsh-state.json'), 'utf8'))
    const idle1 = state.uris[URI1].domains.idle1
    idle1.stats = idle1.stats.replace(/net\.count=(\d+)/, (_: string, n: string) => `net.count=${Number(n) + 1}\n  net.${n}.name=vnet99\n  net.${n}.rx.bytes=0\n  net.${n}.tx.bytes=0`)
    writeFileSync(join(dir, 'virsh-state.json'), JSON.stringify(state))
    const [changed] = await measure(backend, 1)
    assert.ok((changed.get('kvm1') ?? 0) <= MAX_ROUND_TRIPS)
    assert.deepEqual(dumpxmls(), [UUID_OF('idle1')])
    // An action on web1 (whatever it came to) drops web1's XML from the cache.
    await backend.detachVf('kvm1', {name: 'web1', uuid: UUID_OF('web1')}, '0000:03:10.2')
    writeFileSync(join(dir, 'calls.ndjson'), '')
    await backend.snapshot()
    assert.deepEqual(dumpxmls(), [UUID_OF('web1')])
  })

  it('Xen hosts: at most 3 round trips each a cycle, over two cycles', async () => {
    const backend = backendOf({
      cluster: 'xen',
      hosts: [
        {name: 'xen1', backend: 'xen', ssh: 'root@xen1', port: {device: 'eth0'}},
        {name: 'xen2', backend: 'xen', ssh: 'root@xen2', port: {device: 'eth0', speedMbps: 25_000}},
      ],
    })
    const cycles = await measure(backend, 2)
    process.stderr.write(`xen round trips per cycle: ${cycles.map((c) => `xen1 ${c.get('xen1')}, xen2 ${c.get('xen2')}`).join('; ')}\n`)
    for (const cycle of cycles) for (const host of ['xen1', 'xen2']) assert.ok((cycle.get(host) ?? 0) <= MAX_ROUND_TRIPS, `${host}: ${cycle.get(host)} round trips`)
  })
})
