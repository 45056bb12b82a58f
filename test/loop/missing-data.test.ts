// Issue 5, item 6, the pure parts: a host missing from a sample stays out of every decision and
// says why; a sample too old is not decided on; a VM unseen for a while keeps its memory.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {RawHost, RawSnapshot} from '../../src/lib/backends/types.js'
import {dateMissing} from '../../src/lib/loop/collect.js'
import {toDocument} from '../../src/lib/loop/rates.js'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {parseDocument} from '../../src/lib/document/validate.js'
import {UnreachableError} from '../../src/lib/errors.js'
import {DEFAULT_MAX_SAMPLE_AGE_SECONDS, sampleAgeProblem} from '../../src/lib/loop/freshness.js'
import type {HistoryEntry} from '../../src/lib/loop/history.js'
import {planOperatorMigration, planOperatorVf} from '../../src/lib/loop/one-off.js'
import {remember} from '../../src/lib/policy/memory.js'
import {planReconciliation} from '../../src/lib/loop/reconcile.js'
import {migrateStage, switchVfStage} from '../../src/lib/loop/stages.js'
import type {JournalEntry} from '../../src/lib/store/store.js'
import {policyParams} from '../../src/lib/cli/flags.js'
import {host, vm} from '../helpers/build.js'

const T0 = '2026-11-25T10:00:00.000Z'
const T10 = '2026-11-25T10:00:10.000Z'
const T95 = '2026-11-25T10:01:35.000Z'

function rawHost(name: string, bytes: number): RawHost {
  return {
    name, nic: {device: 'p5p1', speedMbps: 10_000, rxBytes: bytes, txBytes: bytes}, vfs: {total: 2, free: []}, cpus: 8, memoryMiB: {total: 1024, free: 512},
    vms: [{name: `vm-${name}`, id: '1', uuid: `uuid-vm-${name}`, vcpus: 1, memoryMiB: 256, path: 'pv', vf: null, counters: {cpuSeconds: bytes / 1e9, blockedSeconds: 0, rxBytes: bytes, txBytes: bytes}}],
  }
}
const raw = (at: string, hosts: RawHost[], missing?: RawSnapshot['missing']): RawSnapshot => {
  const snapshot: RawSnapshot = {at, source: {backend: 'xen', cluster: 'lab'}, hosts}
  if (missing) snapshot.missing = missing
  return snapshot
}

describe('a document with a missing host', () => {
  it('lists the host with why and how old its last sample is, and leaves it out of hosts', () => {
    const before = raw(T0, [rawHost('h1', 1e9), rawHost('h2', 1e9)])
    const now = raw(T95, [rawHost('h1', 2e9)], dateMissing([{host: 'h2', reason: 'did not answer: ssh: connect to host h2 port 22: Connection timed out'}], before))
    const doc = toDocument(before, now)
    assert.deepEqual(doc.hosts.map((h) => h.name), ['h1'])
    assert.deepEqual(doc.missing, [{
      host: 'h2',
      reason: 'did not answer: ssh: connect to host h2 port 22: Connection timed out; its last sample is 95 s old: no decision about h2 or its VMs',
      lastSampleAt: T0,
    }])
    // The document reads back: the schema and the cross-checks accept it.
    assert.deepEqual(parseDocument(JSON.parse(JSON.stringify(doc)), 'test'), doc)
  })

  it('dates an outage from the last sample that had the host, across samples that did not', () => {
    const had = raw(T0, [rawHost('h1', 1e9), rawHost('h2', 1e9)])
    const first = raw(T10, [rawHost('h1', 2e9)], dateMissing([{host: 'h2', reason: 'did not answer'}], had))
    const second = dateMissing([{host: 'h2', reason: 'did not answer'}], first)
    assert.deepEqual(second, [{host: 'h2', reason: 'did not answer', lastSampleAt: T0}])
    assert.deepEqual(dateMissing([{host: 'h3', reason: 'did not answer'}], first), [{host: 'h3', reason: 'did not answer'}])
  })

  it('a host with no readings at the start of the window is missing too, never given rates of 0', () => {
    const before = raw(T0, [rawHost('h1', 1e9)], [{host: 'h2', reason: 'did not answer', lastSampleAt: '2026-11-25T09:58:00.000Z'}])
    const doc = toDocument(before, raw(T10, [rawHost('h1', 2e9), rawHost('h2', 5e9)]))
    assert.deepEqual(doc.hosts.map((h) => h.name), ['h1'])
    assert.equal(doc.missing?.[0].host, 'h2')
    assert.match(doc.missing?.[0].reason ?? '', /^it answered, but the start of the window has no readings of it .*; its last sample is 130 s old: no decision about h2 or its VMs$/)
  })

  it('a document naming a host both sampled and missing, or missing twice, is refused with where', () => {
    const doc = toDocument(raw(T0, [rawHost('h1', 1e9)]), raw(T10, [rawHost('h1', 2e9)]))
    const both = {...doc, missing: [{host: 'h1', reason: 'x'}]}
    assert.throws(() => parseDocument(both, 'stdin line 1'), /^InputError: stdin line 1: missing\[0\]\.host: host "h1" is both sampled and missing$/)
    const twice = {...doc, missing: [{host: 'h2', reason: 'x'}, {host: 'h2', reason: 'y'}]}
    assert.throws(() => parseDocument(twice, 'stdin line 1'), /missing\[1\]\.host: host "h2" is listed missing twice/)
  })
})

describe('an operator request about a host that did not answer', () => {
  const answered = [host('h1', [vm('web1')]), host('h3')]
  const missing = [{host: 'h2', reason: 'did not answer: ssh: timed out; its last sample is 40 s old: no decision about h2 or its VMs'}]

  it('to that host, or about a VM seen nowhere while it is out, is refused as unreachable (69)', () => {
    assert.throws(() => planOperatorMigration(answered, 'web1', 'h2', missing), (error: unknown) => error instanceof UnreachableError && error.message === '--to: h2 did not answer: ssh: timed out; its last sample is 40 s old: nothing done')
    assert.throws(() => planOperatorVf(answered, 'db9', 'vf', missing), (error: unknown) => error instanceof UnreachableError && /^VM db9 is on none of the hosts that answered, and h2 did not answer/.test(error.message))
  })

  it('between the hosts that answered, it goes ahead', () => {
    const planned = planOperatorMigration(answered, 'web1', 'h3', missing)
    assert.equal('item' in planned ? planned.item?.to : undefined, 'h3')
  })
})

describe('reconciliation while a host is out', () => {
  const entry = (tweak: Partial<JournalEntry>): JournalEntry => ({
    id: 1, runId: 'dead/1', createdAt: T0, updatedAt: T0, kind: 'migrate', vm: 'web1', host: 'h1', toHost: 'h2', vf: null,
    status: 'started', reason: 'h1 predicted hot', error: null, uuid: null, device: null, ...tweak,
  })

  it('leaves a row about the missing host for a run that can see it, and gives no VF back meanwhile', () => {
    const detached = entry({id: 1, kind: 'detach-vf', toHost: null, vf: '0000:03:10.1', status: 'done', reason: 'detach before migrating to h2'})
    const moving = entry({id: 2})
    const fixes = planReconciliation([detached, moving], new Set(['dead/1']), [host('h1', [vm('web1')])], new Set(['h2']))
    assert.deepEqual(fixes, [{kind: 'wait', id: 2, note: 'h2 did not answer'}])
  })

  it('leaves a row whose VM is on no host that answered', () => {
    const attach = entry({kind: 'attach-vf', host: 'h1', toHost: null, vf: '0000:03:10.1'})
    const fixes = planReconciliation([attach], new Set(['dead/1']), [host('h1'), host('h3')], new Set(['h2']))
    assert.deepEqual(fixes, [{kind: 'wait', id: 1, note: 'web1 is on none of the hosts that answered, and h2 did not'}])
  })
})

describe('the age of a sample', () => {
  it('is decided on up to the limit, not past it, and not from the future', () => {
    assert.equal(sampleAgeProblem(T0, '2026-11-25T10:02:00.000Z', 120), undefined)
    assert.equal(sampleAgeProblem(T0, '2026-11-25T10:02:01.000Z', 120), `sample of ${T0} is 121 s old, more than the 120 s allowed (--max-sample-age)`)
    assert.equal(sampleAgeProblem(T10, T0, 120), `sample of ${T10} is 10 s ahead of the cluster's clock (${T0}): not a sample of this cluster's present`)
    assert.equal(DEFAULT_MAX_SAMPLE_AGE_SECONDS, 120)
  })

  const planned = (): SovaDocument => ({
    sova: 1, at: T0, source: {backend: 'sim', cluster: 'lab', windowSeconds: 10},
    hosts: [host('h1', [vm('web1')], (h) => {
      h.vfs.free = ['0000:03:10.1']
    }), host('h2')],
    scores: {policy: 'seed', vms: {web1: {host: 'h1', ioRatio: 2, netScore: 50, tier: 'list1', reason: 'tier 1'}}, hosts: {}},
    plan: {policy: 'seed', migrations: [{vm: 'web1', from: 'h1', to: 'h2', giveVfOnArrival: false, reason: 'h1 predicted hot'}], vf: []},
  })
  const heard: string[] = []
  const clock = (now: string) => ({maxAgeSeconds: 60, now: async () => now, onStale: (problem: string) => heard.push(problem)})

  it('too old: migrate executes none of the plan and switch-vf decides nothing, both saying why', async () => {
    heard.length = 0
    const migrated = await migrateStage(planned(), undefined, clock(T95))
    assert.equal(migrated.actions, undefined)
    assert.equal(migrated.plan?.noop?.migrations, `sample of ${T0} is 95 s old, more than the 60 s allowed (--max-sample-age): none of the 1 planned migrations executed`)
    const switched = await switchVfStage(planned(), policyParams({policy: 'seed'}), undefined, clock(T95))
    assert.deepEqual(switched.plan?.vf, [])
    assert.match(switched.plan?.noop?.vf ?? '', /95 s old, more than the 60 s allowed \(--max-sample-age\): no VF change decided$/)
    assert.equal(heard.length, 2)
  })

  it('fresh: the same plan goes ahead (here as a dry run)', async () => {
    const migrated = await migrateStage(planned(), undefined, clock(T10))
    assert.deepEqual(migrated.actions?.map((action) => [action.kind, action.status]), [['migrate', 'dry-run']])
    const switched = await switchVfStage(planned(), policyParams({policy: 'seed'}), undefined, clock(T10))
    assert.deepEqual(switched.plan?.vf.map((change) => [change.vm, change.op]), [['web1', 'attach']])
  })
})

describe('memory across a sample that did not list a VM', () => {
  const entry = (seconds: number, vms: [string, string][]): HistoryEntry => ({
    at: Date.parse(T0) + seconds * 1000,
    utilisation: {},
    knowledge: {peak: {}, vms: vms.map(([name, where]) => [name, where, 'pv', 10] as [string, string, 'pv', number])},
  })

  it('a VM back on the same host after its host was out has not moved, and keeps its last move', () => {
    const entries = [
      entry(0, [['web1', 'h1'], ['db1', 'h2']]),
      entry(10, [['web1', 'h3'], ['db1', 'h2']]), // web1 migrated h1 -> h3
      entry(20, [['db1', 'h2']]), // h3 out: web1 not listed
      entry(30, [['db1', 'h2']]),
      entry(40, [['web1', 'h3'], ['db1', 'h2']]), // h3 back
    ]
    const {names, vms} = remember(entries)
    const web1 = vms[names.indexOf('web1')]
    assert.equal(web1.recentMoves, 1)
    assert.equal(web1.lastMoveAt, new Date(Date.parse(T0) + 10_000).toISOString())
  })

  it('a VM that reappears elsewhere did move, dated by the sample that shows it', () => {
    const entries = [entry(0, [['web1', 'h1']]), entry(10, []), entry(20, [['web1', 'h2']])]
    const web1 = remember(entries).vms[0]
    assert.equal(web1.recentMoves, 1)
    assert.equal(web1.lastMoveAt, new Date(Date.parse(T0) + 20_000).toISOString())
  })
})
