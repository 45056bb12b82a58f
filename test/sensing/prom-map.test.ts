// The pure side of Prometheus sensing: answers read into a reading, a reading mapped to the
// RawSnapshot a direct reading gives, and two of them through collect's one toDocument.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {toDocument} from '../../src/lib/loop/rates.js'
import {hostsLackingExporterDomains, snapshotOf, withUnchangedTextfiles} from '../../src/lib/sensing/prom-map.js'
import {addAnswer, addRangeAnswer, alignTextfile, PrometheusAnswerError, type Reading} from '../../src/lib/sensing/prom-response.js'
import {END_ONLY, FALLBACKS, PART_NAMES, sensingQueries} from '../../src/lib/sensing/promql.js'
import {type FakeHost, fleetSeries, matrix, vector} from '../support/fake-prometheus.js'

const UUID1 = '11111111-1111-4111-8111-111111111111'
const UUID2 = '22222222-2222-4222-8222-222222222222'
const VF = '0000:03:10.1'
const VF2 = '0000:03:10.2'

const context = (names: string[], maxTextfileAgeSeconds = 120) => ({hosts: names.map((name) => ({name})), hostLabel: 'sova_host', maxTextfileAgeSeconds, source: {backend: 'libvirt', cluster: 'c'}})

/** What Prometheus answers at `time`; at a window's start, counters only (as the start's queries ask). */
function readingOf(hosts: FakeHost[], time: number, countersOnly = false): Reading {
  const reading: Reading = new Map()
  // One answer per query part, as Prometheus gives them.
  for (const part of PART_NAMES.filter((name) => !countersOnly || !END_ONLY.includes(name))) {
    const series = fleetSeries(hosts, time).filter((one) => one.metric.sova_part === part)
    addAnswer(reading, vector(series, time), part, 'sova_host', 'test')
  }
  return reading
}

/** The document over [start, end] of a fake fleet, as the Prometheus source builds it. */
function documentOver(startHosts: FakeHost[], endHosts: FakeHost[], start: number, end: number, names = endHosts.map((host) => host.name)) {
  const before = readingOf(startHosts, start, true)
  const after = readingOf(endHosts, end)
  alignTextfile(before, after, end - start)
  const first = snapshotOf(before, new Date(start * 1000).toISOString(), {...context(names), countersOnly: true}).snapshot
  const last = withUnchangedTextfiles(before, snapshotOf(after, new Date(end * 1000).toISOString(), context(names)).snapshot, after, end - start)
  return toDocument(first, last)
}

const host = (vms: FakeHost['vms'], extra: Partial<FakeHost> = {}): FakeHost => ({name: 'h1', vms, vfs: [VF, VF2], ...extra})

describe('Prometheus readings mapped to counters', () => {
  it('a VM\'s traffic is its taps (libvirt exporter) plus the VF it holds (sova_vf_*); a basis-vms port is the VMs\' sum', () => {
    const fleet = [host([{name: 'vm1', uuid: UUID1, tapBps: 1000, vf: VF, vfBps: 5000, cpu: 0.5}, {name: 'vm2', uuid: UUID2, tapBps: 2000, cpu: 1}])]
    const doc = documentOver(fleet, fleet, 1000, 1060)
    const [h1] = doc.hosts
    const vm1 = h1.vms.find((vm) => vm.name === 'vm1')
    assert.equal(vm1?.net.rxBps, 6000)
    assert.equal(vm1?.path, 'vf')
    assert.equal(vm1?.vf, VF)
    assert.ok(Math.abs((vm1?.cpu.usedRatio ?? 0) - 0.5) < 1e-9)
    assert.equal(h1.nic.rxBps, 8000, 'the port of a basis-vms host is the sum of its VMs')
    assert.deepEqual(h1.vfs, {total: 2, free: [VF2]})
    assert.equal(h1.cpus, 16)
    assert.deepEqual(h1.memoryMiB, {total: 65536, free: 32768})
    assert.equal(doc.source.windowSeconds, 60)
  })

  it('a VF that came within the window changes the VM\'s basis: no traffic rate from it this once, and the port leaves it out', () => {
    const before = [host([{name: 'vm1', uuid: UUID1, tapBps: 1000, cpu: 0.5}, {name: 'vm2', uuid: UUID2, tapBps: 2000, cpu: 1}])]
    const after = [host([{name: 'vm1', uuid: UUID1, tapBps: 1000, vf: VF, vfBps: 5000, cpu: 0.5}, {name: 'vm2', uuid: UUID2, tapBps: 2000, cpu: 1}])]
    const doc = documentOver(before, after, 1000, 1060)
    const vm1 = doc.hosts[0].vms.find((vm) => vm.name === 'vm1')
    assert.equal(vm1?.net.rxBps, 0)
    assert.equal(doc.hosts[0].nic.rxBps, 2000, 'only vm2, whose basis did not change')
    // And the other way: a VF that went.
    const back = documentOver(after, before, 1000, 1060)
    assert.equal(back.hosts[0].vms.find((vm) => vm.name === 'vm1')?.net.rxBps, 0)
  })

  it('without the libvirt exporter (Xen) a VM is read from the textfile\'s sova_domain_* series, aligned to the window, on their basis', () => {
    // Textfile rewritten every 25 s: the two files are 50 s apart in the 60 s window.
    const fleet = [host([{name: 'vm1', uuid: UUID1, tapBps: 1000, vf: VF, vfBps: 3000, cpu: 0.5}], {xen: true, textfileAt: (t) => t - (t % 25)})]
    const doc = documentOver(fleet, fleet, 1000, 1060)
    const [vm1] = doc.hosts[0].vms
    assert.ok(Math.abs(vm1.net.rxBps - 4000) < 1e-6, `rx ${vm1.net.rxBps}`)
    assert.ok(Math.abs(vm1.cpu.usedRatio - 0.5) < 1e-9, `cpu ${vm1.cpu.usedRatio}`)
    assert.deepEqual([vm1.vcpus, vm1.memoryMiB, vm1.path, vm1.vf], [4, 1024, 'vf', VF])
    // A VF that came within the window: another basis, no traffic rate this once.
    const before = [host([{name: 'vm1', uuid: UUID1, tapBps: 1000, cpu: 0.5}], {xen: true})]
    const after = [host([{name: 'vm1', uuid: UUID1, tapBps: 1000, vf: VF, vfBps: 3000, cpu: 0.5}], {xen: true})]
    assert.equal(documentOver(before, after, 1000, 1060).hosts[0].vms[0].net.rxBps, 0)
  })

  it('a port with its own counters (sova_port_*) is read from them, aligned to the window when the textfile was written at other times', () => {
    // The textfile is rewritten every 25 s: the two files are 50 s apart in a 60 s window.
    const fleet = [host([{name: 'vm1', uuid: UUID1, tapBps: 1000, cpu: 0.5}], {portBps: 1e6, textfileAt: (t) => t - (t % 25)})]
    const doc = documentOver(fleet, fleet, 1000, 1060)
    assert.equal(doc.hosts[0].nic.basis, 'port-counters')
    assert.ok(Math.abs(doc.hosts[0].nic.rxBps - 1e6) < 1e-6, `rx ${doc.hosts[0].nic.rxBps}, not 5/6 of it`)
  })

  it('a target down, a host absent from Prometheus, a stale or unchanged textfile: missing, with the reason', () => {
    const fleet = [
      host([], {name: 'down', down: true}),
      host([], {name: 'stale', textfileAt: (t) => t - 500}),
      host([], {name: 'stuck', textfileAt: () => 990}),
      host([{name: 'vm1', uuid: UUID1, tapBps: 1, cpu: 0}], {name: 'fine'}),
    ]
    const doc = documentOver(fleet, fleet, 1000, 1060, ['down', 'stale', 'stuck', 'fine', 'absent'])
    assert.deepEqual(doc.hosts.map((h) => h.name), ['fine'])
    const reason = (name: string) => doc.missing?.find((entry) => entry.host === name)?.reason ?? ''
    assert.match(reason('down'), /exporter target is down in Prometheus \(up == 0: libvirt at down:9177\)/)
    assert.match(reason('stale'), /sova textfile is 500 s old \(more than 120 s\)/)
    assert.match(reason('stuck'), /not rewritten during the 60 s window/)
    assert.match(reason('absent'), /Prometheus has no target of it \(no series with sova_host="absent"\)/)
  })

  it('a domain\'s tags (sova_domain_tag) reach the document, so rules that select by tag apply; a bad one is set aside with why', () => {
    const fleet = [host([{name: 'vm1', uuid: UUID1, tapBps: 1, cpu: 0, tags: ['xen:nomigrate', 'database', 'not a tag']}])]
    const doc = documentOver(fleet, fleet, 1000, 1060)
    assert.deepEqual(doc.hosts[0].vms[0].tags, ['database', 'xen:nomigrate'].sort())
    const {snapshot} = snapshotOf(readingOf(fleet, 1000), new Date(1e6).toISOString(), context(['h1']))
    assert.match(snapshot.hosts[0].vms[0].ignoredTags?.[0] ?? '', /tag "not a tag" ignored/)
  })

  it('hosts Prometheus has that the configuration does not list are ignored and named', () => {
    const fleet = [host([], {name: 'h1'}), host([], {name: 'other'})]
    const {snapshot, foreign} = snapshotOf(readingOf(fleet, 1000), new Date(1e6).toISOString(), context(['h1']))
    assert.deepEqual(snapshot.hosts.map((h) => h.name), ['h1'])
    assert.deepEqual(foreign, ['other'])
  })

  it('answers that are not what the API documents are refused', () => {
    const reading: Reading = new Map()
    assert.throws(() => addAnswer(reading, {status: 'error', errorType: 'bad_data', error: 'parse error'}, 'up', 'instance', 'q'), (error: Error) => error instanceof PrometheusAnswerError && /bad_data: parse error/.test(error.message))
    assert.throws(() => addAnswer(reading, {status: 'success', data: {resultType: 'matrix', result: []}}, 'up', 'instance', 'q'), /"vector"/)
    assert.throws(() => addAnswer(reading, {status: 'success', data: {resultType: 'vector', result: [{metric: {instance: 'h1:9100'}, value: [1, 2]}]}}, 'up', 'instance', 'q'), /\{metric, value/)
    assert.throws(() => addAnswer(reading, '<html>', 'up', 'instance', 'q'), /not a JSON object/)
  })

  it('every query is one part aggregated by the host label, so an answer has one series per host, VF or VM interface', () => {
    const queries = [...sensingQueries({hostLabel: 'sova_host', hosts: ['h1', 'h2.example']}), ...sensingQueries({hostLabel: 'sova_host', hosts: ['h1']}, false, true)]
    assert.deepEqual(queries.map(({part}) => part).sort(), [...PART_NAMES].sort())
    for (const {query} of queries) {
      assert.match(query, /^(max|sum|count) by \(sova_host[,)]/)
      assert.doesNotMatch(query, / or |label_replace|unless/)
      // Only the configuration's hosts are asked about (a shard of a fleet).
      assert.match(query, /\{(mode="idle", )?sova_host=~"h1(\|h2\[\.\]example)?"\}/)
    }
    // The textfile's own domain series are a second round's, never in the first.
    assert.ok(sensingQueries({hostLabel: 'sova_host'}).every(({part}) => !FALLBACKS.includes(part)))
  })

  it('instance less its :port is the host; series of one host from two ports are combined as the part aggregates', () => {
    const reading: Reading = new Map()
    const series = (instance: string, domain: string, value: number) => ({metric: {instance, domain}, value})
    addAnswer(reading, vector([series('h1:9177', 'vm1', 7), series('h1:9178', 'vm1', 3), series('h1:9177', 'vm2', 1), series('[::1]:9177', 'vm3', 2)], 0), 'lv_cpu', 'instance', 'q')
    addAnswer(reading, vector([series('h1:9177', 'vm1', 4), series('h1:9178', 'vm1', 6)], 0), 'lv_vcpus', 'instance', 'q')
    assert.deepEqual([...reading.keys()], ['h1', '[::1]'])
    const values = (host: string, part: 'lv_cpu' | 'lv_vcpus') => reading.get(host)?.get(part)?.map((sample) => [sample.labels.domain, sample.value])
    assert.deepEqual(values('h1', 'lv_cpu'), [['vm1', 10], ['vm2', 1]])
    assert.deepEqual(values('h1', 'lv_vcpus'), [['vm1', 6]])
    assert.deepEqual(values('[::1]', 'lv_cpu'), [['vm3', 2]])
  })

  it('a range answer over the window gives each end its own points; a point at neither end is refused', () => {
    const ends = {startMs: 940_000, endMs: 1_000_000, start: new Map() as Reading, end: new Map() as Reading}
    const answer = matrix([
      {metric: {instance: 'h1:9177', domain: 'vm1'}, values: [[940, 5], [1000, 65]]},
      // A domain started within the window: a point at the end only.
      {metric: {instance: 'h1:9177', domain: 'vm2'}, values: [[1000, 3]]},
    ])
    addRangeAnswer(ends, answer, 'lv_cpu', 'instance', 'q')
    const values = (reading: Reading) => reading.get('h1')?.get('lv_cpu')?.map((sample) => [sample.labels.domain, sample.value])
    assert.deepEqual(values(ends.start), [['vm1', 5]])
    assert.deepEqual(values(ends.end), [['vm1', 65], ['vm2', 3]])
    assert.throws(() => addRangeAnswer(ends, matrix([{metric: {instance: 'h1:9177', domain: 'vm1'}, values: [[970, 1]]}]), 'lv_cpu', 'instance', 'q'), /q: a point at 970, neither end of the window/)
    assert.throws(() => addRangeAnswer(ends, vector([], 1000), 'lv_cpu', 'instance', 'q'), /expected data.resultType "matrix"/)
  })

  it('the textfile\'s own domain series are asked of the hosts where the libvirt exporter lacks a domain only', () => {
    const kvm = host([{name: 'vm1', uuid: UUID1, tapBps: 1, cpu: 1}])
    const xen = host([{name: 'vm2', uuid: UUID2, tapBps: 1, cpu: 1}], {name: 'x1', xen: true})
    const idle = host([], {name: 'h0'})
    assert.deepEqual(hostsLackingExporterDomains(readingOf([kvm, xen, idle], 1000)), ['x1'])
  })
})
