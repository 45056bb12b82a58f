// The built CLI against a libvirt lab configuration (test/fixtures/config/libvirt-lab.json): two
// hosts lab-a and lab-b behind qemu+unix URIs, with emulated e1000e NICs standing in for VFs, played
// by the fake virsh of test/fixtures/bin/libvirt (first on PATH). Every virsh call is logged, so the
// tests assert the document, the exit code and the exact virsh argv (and device XML) per host.
import assert from 'node:assert/strict'
import {chmodSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {describe, it} from 'node:test'
import {documents, freshStateDir, sova} from './helpers.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
const CONFIG = join(FIXTURES, 'config', 'libvirt-lab.json')
const URI_A = 'qemu+unix:///system?socket=/tmp/sova-lab-a/libvirt-sock'
const URI_B = 'qemu+unix:///system?socket=/tmp/sova-lab-b/libvirt-sock'
const fixture = (name: string) => readFileSync(join(FIXTURES, 'libvirt', name), 'utf8')
/** A fixture domain's UUID: what virsh is given, never its name. */
const uuidOf = (name: string) => fixture(`dumpxml-${name}.xml`).match(/<uuid>([^<]+)</)?.[1] as string

/** A small `virsh domstats` block for a domain of the fixtures: its taps with made-up counters. */
function statsOf(name: string): string {
  const taps = [...fixture(`dumpxml-${name}.xml`).matchAll(/<target dev='(vnet\d+)'/g)].map((m) => m[1])
  const nets = taps.flatMap((tap, i) => [`  net.${i}.name=${tap}`, `  net.${i}.rx.bytes=${(i + 1) * 100}`, `  net.${i}.tx.bytes=${(i + 1) * 200}`])
  return ['  state.state=1', '  cpu.time=5000000000', '  balloon.current=131072', '  vcpu.current=1', '  vcpu.0.delay=0', `  net.count=${taps.length}`, ...nets, ''].join('\n')
}

const hostWorld = (domains: string[]) => ({
  nodeinfo: fixture('nodeinfo.txt'),
  freecell: fixture('freecell.txt'),
  nodedevs: {},
  networks: {},
  domains: Object.fromEntries(domains.map((name) => [name, {xml: fixture(`dumpxml-${name}.xml`), stats: statsOf(name)}])),
})

/** lab1 (holding stand-in 0000:ee:00.0) and app1 on lab-a, nothing on lab-b. */
function lab(change: (world: any) => void = () => {}, config = CONFIG) {
  const dir = mkdtempSync(join(tmpdir(), 'sova-libvirt-cli-'))
  const world = {uris: {[URI_A]: hostWorld(['lab1', 'app1']), [URI_B]: hostWorld([])}, faults: {}}
  change(world)
  writeFileSync(join(dir, 'state.json'), JSON.stringify(world))
  const log = join(dir, 'virsh.ndjson')
  writeFileSync(log, '')
  const state = freshStateDir()
  const env = {PATH: [join(FIXTURES, 'bin', 'libvirt'), dirname(process.execPath), process.env.PATH].join(delimiter), SOVA_FAKE_STATE: join(dir, 'state.json'), SOVA_FAKE_LOG: log, SOVA_CONFIG: ''}
  return {
    run: ([command, ...args]: string[]) => sova([command, '--config', config, ...args], {state, env}),
    calls: (): {argv: string[]; device?: string}[] => readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)),
    clearLog: () => writeFileSync(log, ''),
  }
}

/** The virsh calls that change a domain, as `URI command domain [device XML]`. */
const acting = (calls: {argv: string[]; device?: string}[]) =>
  calls
    .filter((call) => ['attach-device', 'detach-device', 'migrate'].includes(call.argv[2]))
    .map((call) => [call.argv[1], call.argv[2], ...call.argv.slice(3).filter((arg) => !arg.includes('/device.xml')), call.device].filter(Boolean).join(' '))

const vmsOf = (doc: any) => Object.fromEntries(doc.hosts.map((host: any) => [host.name, host.vms.map((vm: any) => [vm.name, vm.path, vm.vf])]))

describe('sova on a libvirt lab (fake virsh)', () => {
  it('collect: both hosts, the stand-in NIC as lab1\'s VF, source.backend libvirt', async () => {
    // Protects the libvirt read path through the CLI: URIs from the config, emulated VF pools.
    const {run} = lab()
    const result = await run(['collect'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual([doc.source.backend, doc.source.cluster], ['libvirt', 'lab'])
    assert.deepEqual(vmsOf(doc), {'lab-a': [['lab1', 'vf', '0000:ee:00.0'], ['app1', 'pv', null]], 'lab-b': []})
    assert.deepEqual(doc.hosts.map((h: any) => [h.name, h.nic.speedMbps, h.vfs]), [
      ['lab-a', 1000, {total: 2, free: ['0000:ee:00.1']}],
      ['lab-b', 1000, {total: 1, free: ['0000:ee:01.0']}],
    ])
  })

  it('switch-vf app1 --to vf: one virsh attach-device --live of the free stand-in on lab-a', async () => {
    // Protects the one-off hot-plug: the right URI, the live flag and the device XML by MAC.
    const {run, calls} = lab()
    const result = await run(['switch-vf', 'app1', '--to', 'vf'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.deepEqual(acting(calls()), [
      `${URI_A} attach-device ${uuidOf('app1')} --live <interface type='ethernet'><mac address='52:54:00:aa:00:02'/><model type='e1000e'/></interface>`,
    ])
    assert.deepEqual(documents(result.stdout)[0].actions.map((a: any) => [a.kind, a.vm, a.host, a.vf, a.status]), [['attach-vf', 'app1', 'lab-a', '0000:ee:00.1', 'done']])
  })

  it('migrate lab1 --to lab-b: detach on lab-a, virsh migrate, attach on lab-b, in that order', async () => {
    // Protects the Executor's migration over virsh: no live migration with a device attached.
    const {run, calls} = lab()
    const result = await run(['migrate', 'lab1', '--to', 'lab-b'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.deepEqual(acting(calls()), [
      `${URI_A} detach-device ${uuidOf('lab1')} --live <interface type='ethernet'><mac address='52:54:00:aa:00:01'/><model type='e1000e'/><alias name='net1'/></interface>`,
      `${URI_A} migrate --live --persistent --undefinesource ${uuidOf('lab1')} ${URI_B}`,
      `${URI_B} attach-device ${uuidOf('lab1')} --live <interface type='ethernet'><mac address='52:54:00:bb:00:01'/><model type='e1000e'/></interface>`,
    ])
    assert.deepEqual(documents(result.stdout)[0].actions.map((a: any) => [a.kind, a.host, a.status]), [
      ['detach-vf', 'lab-a', 'done'],
      ['migrate', 'lab-a', 'done'],
      ['attach-vf', 'lab-b', 'done'],
    ])
    const after = await run(['collect'])
    assert.equal(after.exitCode, 0, String(after.stderr))
    assert.deepEqual(vmsOf(documents(after.stdout)[0]), {'lab-a': [['app1', 'pv', null]], 'lab-b': [['lab1', 'vf', '0000:ee:01.0']]})
  })

  it('migration options from a YAML configuration reach virsh migrate: the cluster\'s, the source\'s own over them, the target\'s address', async () => {
    // Protects the path from the file to the tool (config -> hosts backend -> driver), in YAML.
    const dir = mkdtempSync(join(tmpdir(), 'sova-libvirt-yaml-'))
    chmodSync(dir, 0o700)
    const config = join(dir, 'lab.yaml')
    const labConfig = JSON.parse(readFileSync(CONFIG, 'utf8'))
    const host = (entry: any, migration: string) => [
      `  - name: ${entry.name}`, '    backend: libvirt', `    uri: "${entry.uri}"`,
      `    port: ${JSON.stringify(entry.port)}`, `    vfs: ${JSON.stringify(entry.vfs)}`, '    migration:', migration,
    ]
    writeFileSync(config, [
      '# the lab, with migration options',
      'cluster: lab',
      'timeouts: {toolSeconds: 20, migrateSeconds: 30}',
      'migration:',
      '  bandwidthMiBs: 100   # every host',
      '  compressed: true',
      'hosts:',
      ...host(labConfig.hosts[0], '      bandwidthMiBs: 250   # lab-a\'s own'),
      ...host(labConfig.hosts[1], '      address: 192.0.2.7\n      listenAddress: 192.0.2.7'),
      '',
    ].join('\n'), {mode: 0o600})
    const {run, calls} = lab(() => {}, config)
    const result = await run(['migrate', 'lab1', '--to', 'lab-b'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.deepEqual(acting(calls()).filter((line) => line.includes(' migrate ')), [
      `${URI_A} migrate --live --persistent --undefinesource --compressed --bandwidth 250 --migrateuri tcp://192.0.2.7 --listen-address 192.0.2.7 ${uuidOf('lab1')} ${URI_B}`,
    ])
  })

  it('a domain named 6 while app1\'s domain id is 6: collect, switch-vf and migrate see and act on "6" itself', async () => {
    // virsh reads a domain argument as an id first: every call names the domain by UUID instead.
    const SIX = '66666666-0000-4000-8000-000000000066'
    const {run, calls} = lab((world) => {
      const domains = world.uris[URI_A].domains
      domains.app1.xml = domains.app1.xml.replace(/^<domain ([^>]*)id='\d+'/, "<domain $1id='6'")
      domains['6'] = {
        xml: domains.lab1.xml.replace(/<name>lab1</, '<name>6<').replace(/<uuid>[^<]+</, `<uuid>${SIX}<`).replace(/^<domain ([^>]*)id='\d+'/, "<domain $1id='12'"),
        stats: domains.lab1.stats,
      }
      delete domains.lab1
    })
    const collected = await run(['collect'])
    assert.equal(collected.exitCode, 0, String(collected.stderr))
    const vms = documents(collected.stdout)[0].hosts[0].vms.map((vm: any) => [vm.name, vm.uuid, vm.vf])
    assert.deepEqual(vms.sort(), [['6', SIX, '0000:ee:00.0'], ['app1', uuidOf('app1'), null]])
    const unplugged = await run(['switch-vf', '6', '--to', 'pv'])
    assert.equal(unplugged.exitCode, 0, String(unplugged.stderr))
    assert.deepEqual(documents(unplugged.stdout)[0].actions.map((a: any) => [a.kind, a.vm, a.uuid, a.status]), [['detach-vf', '6', SIX, 'done']])
    const moved = await run(['migrate', '6', '--to', 'lab-b'])
    assert.equal(moved.exitCode, 0, String(moved.stderr))
    assert.deepEqual(acting(calls()), [
      `${URI_A} detach-device ${SIX} --live <interface type='ethernet'><mac address='52:54:00:aa:00:01'/><model type='e1000e'/><alias name='net1'/></interface>`,
      `${URI_A} migrate --live --persistent --undefinesource ${SIX} ${URI_B}`,
    ])
    const after = await run(['collect'])
    assert.deepEqual(vmsOf(documents(after.stdout)[0]), {'lab-a': [['app1', 'pv', null]], 'lab-b': [['6', 'pv', null]]})
  })

  it('a domain whose name Sova refuses is listed unmanaged, with its VF counted as taken', async () => {
    const {run} = lab((world) => {
      const domains = world.uris[URI_A].domains
      domains['web 2'] = {
        xml: domains.lab1.xml.replace(/<name>lab1</, '<name>web 2<').replace(/<uuid>[^<]+</, '<uuid>77777777-0000-4000-8000-000000000077<').replace("52:54:00:aa:00:01", '52:54:00:aa:00:02'),
        stats: domains.lab1.stats,
      }
    })
    const result = await run(['collect'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.unmanaged, [
      {host: 'lab-a', name: 'web 2', uuid: '77777777-0000-4000-8000-000000000077', why: 'its name is not one Sova passes on (letters, digits and . _ : @ + -, at most 64, not starting with -)', vf: '0000:ee:00.1'},
    ])
    assert.deepEqual(doc.hosts[0].vfs, {total: 2, free: []})
    assert.deepEqual(vmsOf(doc)['lab-a'], [['lab1', 'vf', '0000:ee:00.0'], ['app1', 'pv', null]])
  })

  it('tags from a domain\'s <metadata> select it for a configuration group: the document carries the tags and the group\'s rules', async () => {
    // Protects the rules that live with the VM: <sova:vm> tags read from the live XML, checked, matched by rules.groups[].match.tag.
    const metadata = `<metadata><app:x xmlns:app="https://example.org/app"><app:tag>database</app:tag></app:x>` +
      `<s:vm xmlns:s="https://sova.dev/xmlns/vm/1"><s:tag>database</s:tag><s:tag>bad tag</s:tag><s:tag>database</s:tag></s:vm></metadata>`
    const config = join(mkdtempSync(join(tmpdir(), 'sova-rules-')), 'config.json')
    const lab0 = JSON.parse(readFileSync(CONFIG, 'utf8'))
    writeFileSync(config, JSON.stringify({...lab0, rules: {groups: [{name: 'databases', match: {tag: 'database'}, migrate: 'never', vf: 'always'}]}}))
    const {run} = lab((world) => {
      world.uris[URI_A].domains.app1.xml = world.uris[URI_A].domains.app1.xml.replace('</domain>', `${metadata}</domain>`)
    }, config)
    const result = await run(['collect'])
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    const [lab1, app1] = doc.hosts[0].vms
    assert.deepEqual(app1.tags, ['database'], 'the valid tag once; other applications\' metadata not read')
    assert.deepEqual(app1.rules, {migrate: 'never', vf: 'always', groups: ['databases'], by: {migrate: 'configuration rules.groups[0] "databases"', vf: 'configuration rules.groups[0] "databases"'}})
    assert.equal(lab1.tags, undefined)
    assert.equal(lab1.rules, undefined)
    assert.match(String(result.stderr), /collect: app1 on lab-a: tag "bad tag" ignored: not a tag/)
  })

  it('a hostile VM name is refused with exit 2 before virsh is ever run', async () => {
    // Protects the name validation in front of virsh.
    const {run, calls} = lab()
    const result = await run(['switch-vf', "lab1' --all", '--to', 'pv'])
    assert.equal(result.exitCode, 2)
    assert.match(String(result.stderr), /^sova switch-vf: VM "lab1' --all" is not a valid name[^\n]*\n$/)
    assert.deepEqual(calls(), [])
  })

  it('collect writes lab-a\'s sample, lists lab-b missing with libvirt\'s words, and exits 69', async () => {
    // Protects a partial sample -> exit 69 for a libvirt URI, with the document first.
    const {run} = lab((world) => {
      world.uris[URI_B].unreachable = true
    })
    const result = await run(['collect', '--quiet'])
    assert.equal(result.exitCode, 69, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.hosts.map((host: {name: string}) => host.name), ['lab-a'])
    assert.equal(doc.missing[0].host, 'lab-b')
    assert.match(doc.missing[0].reason, /^did not answer: .*failed to connect to the hypervisor.*: no decision about lab-b or its VMs$/)
    assert.equal(String(result.stderr), 'sova collect: lab-b gave no readings, so nothing was decided about it; the other hosts were handled (see "missing" in the output)\n')
  })
})
