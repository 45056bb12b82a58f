// `sova collect` and `sova run` reading the cluster from Prometheus, through the built CLI against a
// local server answering in the Prometheus API's JSON (the real Prometheus is in test/lab).
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {after, describe, it} from 'node:test'
import {documents, freshStateDir, sova} from './helpers.js'
import {type FakeHost, fleetAnswer, startFakePrometheus} from '../support/fake-prometheus.js'
import {HOSTS_PER_QUERY} from '../../src/lib/sensing/prometheus.js'

const VF = '0000:03:10.1'
const fleet: FakeHost[] = [
  {name: 'h1', vfs: [VF], vms: [{name: 'vm1', uuid: '11111111-1111-4111-8111-111111111111', tapBps: 1000, vf: VF, vfBps: 4000, cpu: 0.25}]},
  {name: 'h2', vfs: [], vms: [{name: 'vm2', uuid: '22222222-2222-4222-8222-222222222222', tapBps: 500, cpu: 1}], portBps: 2e6},
]

function configFile(sensing: Record<string, unknown>, hosts = ['h1', 'h2'], extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-prom-cli-'))
  const path = join(dir, 'config.json')
  const entries = hosts.map((name) => ({name, backend: 'libvirt', uri: `qemu+ssh://root@${name}/system`, port: {device: 'eth0'}}))
  writeFileSync(path, JSON.stringify({cluster: 'fleet', hosts: entries, sensing: {prometheus: sensing}, ...extra}, null, 2), {mode: 0o600})
  return path
}

const closers: (() => Promise<void>)[] = []
after(() => Promise.all(closers.map((close) => close())))

async function prometheus(hosts: FakeHost[]) {
  const server = await startFakePrometheus((request) => fleetAnswer(hosts, request))
  closers.push(server.close)
  return server
}

describe('sensing through Prometheus', () => {
  it('collect --prometheus: rates over the configured window from two instants, no ssh to any host', async () => {
    const server = await prometheus(fleet)
    const config = configFile({url: 'http://unused.invalid:9090', hostLabel: 'sova_host', windowSeconds: 30})
    const result = await sova(['collect', '--prometheus', server.url, '--config', config, '--format', 'json'], {state: freshStateDir()})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.hosts.map((host: {name: string}) => host.name), ['h1', 'h2'])
    assert.equal(doc.source.windowSeconds, 30)
    const vm1 = doc.hosts[0].vms[0]
    assert.deepEqual([vm1.name, vm1.path, vm1.vf, vm1.net.rxBps], ['vm1', 'vf', VF, 5000])
    assert.equal(doc.hosts[1].nic.rxBps, 2e6)
    assert.deepEqual(doc.hosts[0].vfs, {total: 1, free: []})
    // One query per part: what both ends of the window need as a range query with the 30 s window
    // as its step (13), the gauges as instant queries at its end (7); none of the textfile's own
    // domain series (the libvirt exporter has every domain).
    assert.equal(server.requests.length, 20)
    assert.ok(server.requests.every((request) => !/sova_domain_cpu_seconds_total/.test(request.query)))
    const ranges = server.requests.filter((request) => request.path.endsWith('/api/v1/query_range'))
    const instants = server.requests.filter((request) => request.path.endsWith('/api/v1/query'))
    assert.equal(ranges.length, 13)
    assert.ok(ranges.every((request) => Math.abs(request.end - request.start - 30) < 1e-6 && request.step === 30 && request.end === ranges[0].end))
    assert.deepEqual([...new Set(instants.map((request) => request.time))], [ranges[0].end])
    // The start is read for its counters only: no gauges over the window.
    const overWindow = ranges.map((request) => request.query).join('\n')
    assert.doesNotMatch(overWindow, /node_memory_MemTotal_bytes|libvirt_domain_info_memory_usage_bytes|sova_port_speed_bytes/)
    assert.match(overWindow, /libvirt_domain_info_cpu_time_seconds_total/)
  })

  it('a host without the libvirt exporter (Xen) is read from its textfile\'s own domain series, asked of that host only', async () => {
    const xen: FakeHost = {name: 'x1', vfs: [], xen: true, vms: [{name: 'vm3', uuid: '33333333-3333-4333-8333-333333333333', tapBps: 3000, cpu: 0.5}]}
    const server = await prometheus([...fleet, xen])
    const result = await sova(['collect', '--config', configFile({url: server.url, hostLabel: 'sova_host'}, ['h1', 'h2', 'x1']), '--format', 'json'], {state: freshStateDir()})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    const vm3 = doc.hosts[2].vms[0]
    assert.deepEqual([doc.hosts[2].name, vm3.name, vm3.net.rxBps, vm3.vcpus], ['x1', 'vm3', 3000, 4])
    const second = server.requests.filter((request) => /sova_domain_(cpu_seconds_total|virtual_cpus|memory_bytes|receive_bytes_total|transmit_bytes_total)\{/.test(request.query))
    // CPU, rx and tx over the window; vCPUs and memory at its end.
    assert.equal(second.length, 5)
    assert.ok(second.every((request) => request.query.includes('{sova_host=~"x1"}')), second.map((request) => request.query).join('\n'))
  })

  it('a configuration of more than HOSTS_PER_QUERY hosts is asked in slices, so no answer grows with the fleet', async () => {
    const names = Array.from({length: HOSTS_PER_QUERY + 1}, (_, i) => `n${i + 1}`)
    const server = await prometheus(names.map((name) => ({name, vfs: [], vms: []})))
    const result = await sova(['collect', '--config', configFile({url: server.url, hostLabel: 'sova_host'}, names), '--format', 'json'], {state: freshStateDir()})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(documents(result.stdout)[0].hosts.length, HOSTS_PER_QUERY + 1)
    // Two slices: each part's query twice, the second of the last host only.
    assert.equal(server.requests.length, 2 * 20)
    const asked = server.requests.map((request) => request.query.match(/sova_host=~"([^"]*)"/)?.[1].split('|').length)
    assert.deepEqual([...new Set(asked)].sort(), [1, HOSTS_PER_QUERY])
  })

  it('a host whose exporter is down, or whose textfile is stale, is missing with the reason (exit 69); the others are read', async () => {
    const stale: FakeHost = {name: 'h3', vfs: [], vms: [], textfileAt: (time) => time - 300}
    const server = await prometheus([fleet[0], {...fleet[1], down: true}, stale])
    const config = configFile({url: server.url, hostLabel: 'sova_host'}, ['h1', 'h2', 'h3'])
    const result = await sova(['collect', '--config', config, '--format', 'json'], {state: freshStateDir()})
    assert.equal(result.exitCode, 69)
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.hosts.map((host: {name: string}) => host.name), ['h1'])
    const reason = (host: string) => doc.missing.find((entry: {host: string}) => entry.host === host)?.reason
    assert.match(reason('h2'), /^read from Prometheus: its exporter target is down in Prometheus \(up == 0: libvirt at h2:9177\)/)
    assert.match(reason('h3'), /^read from Prometheus: its sova textfile is 300 s old \(more than 120 s\): its inventory is stale/)
    assert.match(String(result.stderr), /collect: h2: read from Prometheus: its exporter target is down/)
    assert.match(String(result.stderr), /sova collect: h2, h3 gave no readings/)
  })

  it('Prometheus out of reach: exit 69, one line, no document; an answer the API does not document: exit 65', async () => {
    const gone = await startFakePrometheus(() => ({status: 200, body: {}}))
    await gone.close()
    const unreachable = await sova(['collect', '--config', configFile({url: gone.url, retries: 0})], {state: freshStateDir()})
    assert.equal(unreachable.exitCode, 69)
    assert.equal(String(unreachable.stdout), '')
    assert.match(String(unreachable.stderr), new RegExp(`^sova collect: Prometheus at ${gone.url} cannot be reached \\(ECONNREFUSED, 1 attempt\\)\\n$`))
    const odd = await startFakePrometheus(() => ({status: 200, body: {status: 'success', data: {resultType: 'scalar', result: [0, '1']}}}))
    closers.push(odd.close)
    const garbled = await sova(['run', '--once', '--dry-run', '--config', configFile({url: odd.url})], {state: freshStateDir()})
    assert.equal(garbled.exitCode, 65)
    assert.match(String(garbled.stderr), /^sova run: Prometheus at .*, query up: expected data.resultType "matrix" with a result list, got "scalar"\n$/)
  })

  it('run --once --dry-run plans from Prometheus readings', async () => {
    const server = await prometheus(fleet)
    const result = await sova(['run', '--once', '--dry-run', '--prometheus', server.url, '--config', configFile({url: server.url, hostLabel: 'sova_host'}), '--format', 'json'], {state: freshStateDir()})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.hosts.map((host: {name: string}) => host.name), ['h1', 'h2'])
    assert.ok(doc.scores, 'scored')
  })

  it('a domain\'s tags (sova_domain_tag, read at the window\'s end) select it for a rules.groups rule in the plan; a bad tag is said on stderr', async () => {
    const tagged: FakeHost[] = [{...fleet[0], vms: [{...fleet[0].vms[0], tags: ['database', 'not a tag']}]}, fleet[1]]
    const server = await prometheus(tagged)
    const rules = {rules: {groups: [{name: 'databases', match: {tag: 'database'}, migrate: 'never'}]}}
    const config = configFile({url: server.url, hostLabel: 'sova_host'}, ['h1', 'h2'], rules)
    const result = await sova(['run', '--once', '--dry-run', '--prometheus', server.url, '--config', config, '--format', 'json'], {state: freshStateDir()})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    const [vm1] = doc.hosts[0].vms
    assert.deepEqual(vm1.tags, ['database'])
    assert.deepEqual(vm1.rules, {migrate: 'never', groups: ['databases'], by: {migrate: 'configuration rules.groups[0] "databases"'}})
    assert.equal(doc.hosts[1].vms[0].rules, undefined)
    assert.match(String(result.stderr), /collect: vm1 on h1: tag "not a tag" ignored: not a tag/)
    // Asked at the end instant only: the start of the window reads counters.
    const asked = (path: string) => server.requests.filter((request) => request.path.endsWith(path)).map((request) => request.query).join('\n')
    assert.doesNotMatch(asked('/query_range'), /sova_domain_tag/)
    assert.match(asked('/query'), /sova_domain_tag/)
  })

  it('--prometheus without hosts in the configuration is a usage error; a bad URL too', async () => {
    const none = await sova(['collect', '--prometheus', 'http://127.0.0.1:9', '--backend', 'sim'], {state: freshStateDir()})
    assert.equal(none.exitCode, 2)
    assert.match(String(none.stderr), /--prometheus: .* lists no hosts/)
    const bad = await sova(['collect', '--prometheus', 'http://u:secret@prom:9090', '--config', configFile({url: 'http://prom:9090'})], {state: freshStateDir()})
    assert.equal(bad.exitCode, 2)
    assert.doesNotMatch(String(bad.stderr), /secret/)
  })

  it('doctor says per host whether Prometheus has its readings, and why not', async () => {
    // The Xen stand-ins answer doctor's host checks; the fake Prometheus has xen1, and xen2's exporter down.
    const fixtures = join(import.meta.dirname, '..', 'fixtures')
    const server = await prometheus([{name: 'xen1', vfs: [], vms: [], xen: true}, {name: 'xen2', vfs: [], vms: [], xen: true, down: true}])
    const config = JSON.parse(readFileSync(join(fixtures, 'config', 'xen.json'), 'utf8'))
    config.sensing = {prometheus: {url: server.url, hostLabel: 'sova_host'}}
    const path = join(mkdtempSync(join(tmpdir(), 'sova-prom-doctor-')), 'config.json')
    writeFileSync(path, JSON.stringify(config), {mode: 0o600})
    const fake = mkdtempSync(join(tmpdir(), 'sova-prom-doctor-fake-'))
    const env = {PATH: [join(fixtures, 'bin', 'xen'), dirname(process.execPath), process.env.PATH].join(delimiter), SOVA_FAKE_STATE: fake, SOVA_FAKE_LOG: join(fake, 'calls.ndjson'), SOVA_CONFIG: ''}
    const result = await sova(['doctor', '--config', path, '--format', 'json'], {state: freshStateDir(), env})
    assert.equal(result.exitCode, 1, String(result.stderr))
    const rows = documents(result.stdout).filter((row: {check: string}) => row.check === 'prometheus readings')
    assert.deepEqual(rows.map((row: {host: string; result: string}) => [row.host, row.result]), [['xen1', 'pass'], ['xen2', 'FAIL']])
    assert.match(rows[1].detail, /its exporter target is down in Prometheus \(up == 0: libvirt at xen2:9177\)/)
    assert.match(rows[1].fix, /docs\/prometheus.md/)
  })

  it('config check: every sensing problem on its line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sova-prom-check-'))
    const file = join(dir, 'config.yaml')
    writeFileSync(
      file,
      [
        'hosts:',
        '  - {name: h1, backend: libvirt, port: {device: eth0}}',
        'sensing:',
        '  prometheus:',
        '    url: ftp://prom',
        '    hostLabel: "bad-label"',
        '    windowSecs: 30',
        '',
      ].join('\n'),
      {mode: 0o600},
    )
    const result = await sova(['config', 'check', '--config', file], {state: freshStateDir()})
    assert.equal(result.exitCode, 65)
    const lines = String(result.stdout).trim().split('\n')
    assert.match(lines[0], new RegExp(`^${file}:5: sensing.prometheus.url: expected a URL such as http://prometheus:9090`))
    assert.match(lines[1], new RegExp(`^${file}:6: sensing.prometheus.hostLabel: expected a Prometheus label name`))
    assert.match(lines[2], new RegExp(`^${file}:7: sensing.prometheus.windowSecs: unknown key`))
    const both = join(dir, 'both.json')
    writeFileSync(both, JSON.stringify({sensing: {prometheus: {url: 'http://p:9090', auth: {basic: {username: 'u', passwordFile: '/p'}, bearer: {tokenFile: '/t'}}}}}, null, 2), {mode: 0o600})
    const twice = await sova(['config', 'check', '--config', both], {state: freshStateDir()})
    assert.equal(twice.exitCode, 65)
    assert.match(String(twice.stdout), /sensing.prometheus: needs the hosts list/)
    assert.match(String(twice.stdout), /sensing.prometheus.auth: choose one of basic or bearer/)
  })
})
