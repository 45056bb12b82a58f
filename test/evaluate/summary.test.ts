// Summaries and series from hand-made scoreboards, and the table/CSV rows built from them.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {RESPONSE_BUCKETS, type SimMetrics, emptyMetrics, responseBucket} from '../../src/lib/backends/sim/metrics.js'
import {parsePolicies} from '../../src/lib/evaluate/harness.js'
import {type Evaluation, csvRows, evaluationOf, seriesOf, summaryOf, tableRows} from '../../src/lib/evaluate/summary.js'
import {EVALUATION_POLICIES} from '../../src/lib/policy/policies.js'

/** A scoreboard that has seen `requests` requests, all answered in `ms`, plus the given totals. */
function board(tweak: Partial<SimMetrics>, requests = 0, ms = 1): SimMetrics {
  const metrics = {...emptyMetrics(), ...tweak}
  metrics.responseHistogram = new Array<number>(RESPONSE_BUCKETS).fill(0)
  metrics.responseHistogram[responseBucket(ms)] = requests
  metrics.requests = requests
  metrics.responseMsSum = requests * ms
  return metrics
}

/** Adds one period's worth to a scoreboard: `requests` more answered in `ms`. */
function plus(before: SimMetrics, tweak: Partial<SimMetrics>, requests: number, ms: number): SimMetrics {
  const after = structuredClone(before)
  for (const [key, value] of Object.entries(tweak)) (after as any)[key] += value
  after.responseHistogram[responseBucket(ms)] += requests
  after.requests += requests
  after.responseMsSum += requests * ms
  return after
}

describe('evaluation summaries', () => {
  const start = board({})
  const first = plus(start, {offeredMbit: 20_000, deliveredMbit: 15_000, hostSecondsHot: 3, backendCoreSeconds: 20, migrations: 1, vfSwitches: 4, vmSeconds: 40, unservedVmSeconds: 10}, 1000, 2)
  const second = plus(first, {offeredMbit: 40_000, deliveredMbit: 40_000, backendCoreSeconds: 10, vfSwitches: 2, vmSeconds: 40}, 1000, 50)
  const points = [
    {timeMs: 0, metrics: start},
    {timeMs: 10_000, metrics: first},
    {timeMs: 20_000, metrics: second},
  ]

  it('gives one series point per period: its end, its delivered Gbit/s and its own p99', () => {
    const series = seriesOf(points)
    assert.equal(series.length, 2)
    assert.deepEqual(series.map((point) => point.t), [10, 20])
    assert.ok(Math.abs(series[0].deliveredGbps - 1.5) < 1e-12, `15 000 Mbit in 10 s = 1.5 Gbit/s, got ${series[0].deliveredGbps}`)
    assert.ok(Math.abs(series[1].deliveredGbps - 4) < 1e-12)
    // Each period's p99 is its own requests' (2 ms, then 50 ms), within a histogram bucket (~5 %).
    assert.ok(Math.abs(series[0].p99Ms - 2) / 2 < 0.05, `p99 ${series[0].p99Ms}`)
    assert.ok(Math.abs(series[1].p99Ms - 50) / 50 < 0.05, `p99 ${series[1].p99Ms}`)
  })

  it('summarises the whole run from its first to its last scoreboard', () => {
    const summary = summaryOf(points)
    assert.equal(summary.seconds, 20)
    assert.equal(summary.offeredMbit, 60_000)
    assert.equal(summary.deliveredMbit, 55_000)
    assert.ok(Math.abs(summary.deliveredRatio - 55 / 60) < 1e-12)
    assert.ok(Math.abs(summary.meanResponseMs - 26) < 1e-9, 'mean of 1000 × 2 ms and 1000 × 50 ms')
    assert.ok(summary.p99ResponseMs > 45, 'the slow half dominates the p99')
    assert.equal(summary.hostSecondsHot, 3)
    assert.equal(summary.migrations, 1)
    assert.equal(summary.vfSwitches, 6)
    assert.equal(summary.backendCoresMean, 1.5)
    assert.equal(summary.unservedShare, 10 / 80, 'unserved VM-seconds / VM-seconds')
  })

  it('does not count a scoreboard that started mid-scenario from zero', () => {
    const summary = summaryOf(points.slice(1))
    assert.equal(summary.offeredMbit, 40_000)
    assert.equal(summary.vfSwitches, 2)
    assert.equal(summary.seconds, 10)
  })

  it('turns an evaluation into table rows (rounded) and CSV rows (the JSON names), one per policy in order', () => {
    const evaluation: Evaluation = {
      scenario: 'paper',
      seed: 1,
      durationSeconds: 20,
      periodSeconds: 10,
      policies: [evaluationOf('seed', points), evaluationOf('clairvoyant', points), evaluationOf('bound', points)],
    }
    const table = tableRows(evaluation)
    assert.deepEqual(table.map((row) => row.policy), ['seed', 'clairvoyant', 'bound'])
    assert.deepEqual(table.map((row) => row.kind), ['policy', 'heuristic', 'bound'])
    assert.equal(table[0].delivered_ratio, '0.917')
    assert.equal(table[0].mean_response_ms, '26.00')
    assert.equal(table[0].backend_cores, '1.50')
    assert.equal(table[0].unserved_share, '0.125')
    const csv = csvRows(evaluation)
    assert.equal(csv[1].policy, 'clairvoyant')
    assert.equal(csv[1].delivered_mbit, 55_000)
    assert.equal(csv[1].vf_switches, 6)
    assert.equal(csv[1].unserved_share, 0.125)
  })

  it('leaves what the bound does not bound empty: null in JSON, "-" in the table, empty in CSV', () => {
    const bound = evaluationOf('bound', points)
    assert.deepEqual([bound.hostSecondsHot, bound.migrations, bound.vfSwitches, bound.backendCoresMean], [null, null, null, null])
    assert.equal(bound.deliveredMbit, 55_000, 'its delivered traffic is reported')
    const evaluation: Evaluation = {scenario: 'paper', seed: 1, durationSeconds: 20, periodSeconds: 10, policies: [bound]}
    const [row] = tableRows(evaluation)
    assert.deepEqual([row.host_seconds_hot, row.migrations, row.vf_switches, row.backend_cores], ['-', '-', '-', '-'])
    const [csv] = csvRows(evaluation)
    assert.deepEqual([csv.host_seconds_hot, csv.migrations, csv.vf_switches, csv.backend_cores], ['', '', '', ''])
    assert.match(JSON.stringify(bound), /"migrations":null/)
  })

  it('says which way is better in every figure\'s header, and puts hot host-seconds beside delivered traffic', async () => {
    const {EVALUATION_COLUMNS} = await import('../../src/lib/evaluate/summary.js')
    const {headingOf} = await import('../../src/lib/render/grid.js')
    const by = Object.fromEntries(EVALUATION_COLUMNS.map((column) => [column.name, headingOf(column)]))
    assert.equal(by.delivered_ratio, 'DELIVERED_RATIO ↑')
    assert.equal(by.p99_response_ms, 'P99_RESPONSE_MS ↓')
    assert.equal(by.unserved_share, 'UNSERVED_SHARE ↓')
    assert.equal(by.policy, 'POLICY')
    const names = EVALUATION_COLUMNS.map((column) => column.name)
    assert.equal(names.indexOf('host_seconds_hot'), names.indexOf('delivered_ratio') + 1)
  })
})

describe('--policies', () => {
  it('defaults to every evaluation policy, in order, and keeps a given order', () => {
    assert.deepEqual(parsePolicies(undefined), [...EVALUATION_POLICIES])
    assert.deepEqual(parsePolicies('bound,seed, sova'), ['bound', 'seed', 'sova'])
  })

  it('refuses the old "oracle", naming what replaced it', () => {
    assert.throws(() => parsePolicies('seed,oracle'), /"oracle" is no longer offered .*"bound" is the upper bound, "clairvoyant" the heuristic/)
  })

  it('refuses unknown names, empty lists and duplicates, listing the valid names (exit 2)', () => {
    for (const bad of ['seed,bogus', '', ',', 'seed,seed', 'seed,,sova']) {
      assert.throws(() => parsePolicies(bad), (error: any) => {
        assert.equal(error.exit, 2, bad)
        assert.match(error.message, /valid policies: static-pv, .*clairvoyant, bound/)
        assert.doesNotMatch(error.message, /\n/)
        return true
      })
    }
  })
})
