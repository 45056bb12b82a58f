// Retention: samples by count, age (on the cluster's own clock) and size, raw counters on the
// newest only; settled journal rows by count and age; never an unsettled row, an owed VF, or the
// rows that tell whether it was given back.
import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import Database from 'better-sqlite3'
import {policyParams} from '../../src/lib/cli/flags.js'
import {historyNeeds, POLICY_NAMES} from '../../src/lib/policy/policies.js'
import {DEFAULT_RETENTION, type Retention} from '../../src/lib/store/retention.js'
import {type JournalStatus, Store} from '../../src/lib/store/store.js'
import {freshStateDir, sova} from '../cli/helpers.js'

const HOUR = 3600
const at = (hours: number) => new Date(Date.UTC(2026, 0, 1) + hours * HOUR * 1000).toISOString()

function storeWith(retention: Partial<{samples: Partial<Retention['samples']>; journal: Partial<Retention['journal']>}>): {store: Store; dir: string} {
  const dir = mkdtempSync(join(tmpdir(), 'sova-retention-'))
  const store = Store.open(dir, {samples: {...DEFAULT_RETENTION.samples, ...retention.samples}, journal: {...DEFAULT_RETENTION.journal, ...retention.journal}})
  return {store, dir}
}

const times = (store: Store, cluster = 'c') => store.samplesBefore(cluster, at(10_000), 10_000).map((sample) => sample.at)

describe('sample retention', () => {
  it('by count: the newest N of each cluster', () => {
    const {store} = storeWith({samples: {count: 3}})
    for (let h = 0; h < 6; h++) store.addSample('c', at(h), 'raw', {h1: 0})
    store.addSample('other', at(0), 'raw', {h1: 0})
    assert.deepEqual(times(store), [at(3), at(4), at(5)])
    assert.deepEqual(times(store, 'other'), [at(0)])
  })

  it('by age, on the cluster\'s clock: none older than maxAge before its newest sample', () => {
    const {store} = storeWith({samples: {maxAgeSeconds: 24 * HOUR}})
    for (const h of [0, 10, 20, 30, 40]) store.addSample('c', at(h), 'raw', {h1: 0})
    assert.deepEqual(times(store), [at(20), at(30), at(40)])
  })

  it('by size: the newest samples whose utilisation and knowledge fit, and always the newest', () => {
    const sample = {h1: 0.5, h2: 0.25}
    const bytes = JSON.stringify(sample).length
    const {store} = storeWith({samples: {maxBytes: 2 * bytes}})
    for (let h = 0; h < 5; h++) store.addSample('c', at(h), 'raw', sample)
    assert.deepEqual(times(store), [at(3), at(4)])
    const tiny = storeWith({samples: {maxBytes: 1}}).store
    for (let h = 0; h < 3; h++) tiny.addSample('c', at(h), 'raw', sample)
    assert.deepEqual(times(tiny), [at(2)])
  })

  it('raw counters only on the newest two; rates still come from the newest', () => {
    const {store} = storeWith({})
    for (let h = 0; h < 5; h++) store.addSample('c', at(h), `raw-${h}`, {h1: h})
    assert.deepEqual(store.samplesBefore('c', at(100), 100).map((sample) => [sample.at, sample.raw, sample.utilisation.h1]), [
      [at(0), '', 0], [at(1), '', 1], [at(2), '', 2], [at(3), 'raw-3', 3], [at(4), 'raw-4', 4],
    ])
    assert.equal(store.lastSample('c')?.raw, 'raw-4')
  })
})

describe('journal retention', () => {
  const DEAD = 'dead-run'
  /** An owed VF (detach done, migrate failed, give-back failed), a row left started, then `settled` settled rows. */
  function journal(store: Store, settled: number): {owed: number[]; started: number} {
    const add = (runId: string, kind: string, vm: string, status: JournalStatus, reason = 'why') => {
      const id = store.journalPlanned({runId, kind, vm, host: 'h1', toHost: kind === 'migrate' ? 'h2' : undefined, vf: '0000:03:10.1', reason})
      if (status !== 'planned') store.journalUpdate(id, status, status === 'failed' ? 'h1 did not answer' : undefined)
      return id
    }
    const owed = [add(DEAD, 'detach-vf', 'web1', 'done', 'detach before migrating to h2'), add(DEAD, 'migrate', 'web1', 'failed'), add(DEAD, 'attach-vf', 'web1', 'failed')]
    const started = add(DEAD, 'attach-vf', 'web2', 'started')
    for (let i = 0; i < settled; i++) add('later', 'attach-vf', `vm${i}`, 'skipped')
    return {owed, started}
  }

  it('by count: settled rows beyond the newest N go; the owed VF and the unsettled row stay', () => {
    const {store} = storeWith({journal: {maxRows: 10, everySamples: 1}})
    const {owed, started} = journal(store, 50)
    store.addSample('c', at(0), 'raw', {h1: 0})
    const ids = store.journal(1000).map((row) => row.id)
    // 54 rows: the 4 protected ones, and the newest 10.
    assert.deepEqual(ids, [...owed, started, ...Array.from({length: 10}, (_, i) => 45 + i)])
    assert.deepEqual(store.journalOpen().map((row) => row.id), [...owed, started])
  })

  it('the journal totals (the metrics counters) never go down when rows are pruned', () => {
    const {store} = storeWith({journal: {maxRows: 10, everySamples: 1}})
    journal(store, 50)
    const total = () => store.journalTotals().reduce((sum, row) => sum + row.count, 0)
    const before = store.journalTotals()
    store.addSample('c', at(0), 'raw', {h1: 0})
    assert.equal(store.journal(1000).length, 14)
    assert.deepEqual(store.journalTotals(), before)
    assert.equal(total(), 54)
  })

  it('by age: rows settled longer ago than maxAge go, protected rows stay', () => {
    const {store, dir} = storeWith({journal: {maxAgeSeconds: 30 * 24 * HOUR, everySamples: 1}})
    journal(store, 20)
    const db = new Database(join(dir, 'state.db'))
    db.prepare("UPDATE journal SET updated_at = '2020-01-01T00:00:00.000Z' WHERE id <= 14").run()
    db.close()
    store.addSample('c', at(0), 'raw', {h1: 0})
    assert.deepEqual(store.journal(1000).map((row) => row.id), [1, 2, 3, 4, ...Array.from({length: 10}, (_, i) => 15 + i)])
  })

  it('pruned with every N-th sample stored, not every cycle', () => {
    const {store} = storeWith({journal: {maxRows: 10, everySamples: 3}})
    journal(store, 50)
    store.addSample('c', at(0), 'raw', {h1: 0})
    store.addSample('c', at(1), 'raw', {h1: 0})
    assert.equal(store.journalCount(), 54)
    store.addSample('c', at(2), 'raw', {h1: 0})
    assert.equal(store.journalCount(), 14)
  })

  it('the default sample retention keeps more than every policy remembers with its default parameters', () => {
    for (const policy of POLICY_NAMES) {
      const needs = historyNeeds(policyParams({policy}))
      assert.ok(needs.samples <= DEFAULT_RETENTION.samples.count, `${policy}: ${needs.samples} samples`)
      assert.ok(needs.seconds < DEFAULT_RETENTION.samples.maxAgeSeconds, `${policy}: ${needs.seconds} s`)
    }
  })
})

describe('retention through the CLI', () => {
  it('after a run, only the newest two samples keep their raw counters, and rates are still taken', async () => {
    const state = freshStateDir()
    const run = await sova(['run', '--cycles', '5', '--interval', '0s', '--format', 'json'], {state})
    assert.equal(run.exitCode, 0, String(run.stderr))
    // Only the first cycle has no earlier sample to take rates from.
    assert.equal(String(run.stderr).match(/sampling for/g)?.length, 1, String(run.stderr))
    const db = new Database(join(state, 'state.db'), {readonly: true})
    const rows = db.prepare("SELECT count(*) AS samples, sum(raw <> '') AS withRaw FROM samples").get() as {samples: number; withRaw: number}
    db.close()
    assert.deepEqual(rows, {samples: 5, withRaw: 2})
  })
})
