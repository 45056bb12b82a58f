import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {
  RESPONSE_BUCKETS,
  RESPONSE_BUCKET_EDGES_MS,
  type SimMetrics,
  emptyMetrics,
  percentileMs,
  responseBucket,
  summariseMetrics,
} from '../../src/lib/backends/sim/metrics.js'
import {findVm} from '../../src/lib/backends/sim/cluster.js'
import {advance, attachVf, detachVf, migrate} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'

describe('sim metrics', () => {
  it('buckets: 0.01 ms to 100 s, 50 a decade, under- and overflow', () => {
    assert.equal(RESPONSE_BUCKETS, 352)
    assert.equal(responseBucket(0), 0)
    assert.equal(responseBucket(0.0099), 0)
    assert.equal(responseBucket(0.01), 1)
    assert.equal(responseBucket(1), 101) // log10(1 / 0.01) · 50 = 100 -> [1, 1.047)
    assert.equal(responseBucket(1.04), 101)
    assert.equal(responseBucket(1.05), 102)
    assert.equal(responseBucket(99_999), 350)
    assert.equal(responseBucket(100_000), 351)
    assert.equal(responseBucket(Number.POSITIVE_INFINITY), 351)
    for (const [k, edge] of RESPONSE_BUCKET_EDGES_MS.entries()) assert.equal(responseBucket(edge), k + 1, `edge ${k}`)
  })

  it('percentileMs on a hand-made histogram: log-linear inside the bucket', () => {
    const h = new Array<number>(RESPONSE_BUCKETS).fill(0)
    h[101] = 10 // [1, 1.0471) ms
    assert.ok(Math.abs(percentileMs(h, 50) - 10 ** 0.01) < 1e-12, 'half way through [1, 10^0.02) is 10^0.01')
    assert.equal(percentileMs(h, 0), 1)
    assert.ok(Math.abs(percentileMs(h, 100) - 10 ** 0.02) < 1e-12)
    h[201] = 90 // [100, 104.7) ms
    const p99 = percentileMs(h, 99)
    assert.ok(Math.abs(p99 - 100 * 10 ** (0.02 * (89 / 90))) < 1e-9, `p99 ${p99}`)
    assert.ok(Math.abs(p99 / 102 - 1) < 0.03, 'within a few % of the true value')
    assert.ok(percentileMs(h, 5) < 1.05, 'p5 falls in the fast bucket')
    assert.equal(percentileMs(emptyMetrics().responseHistogram, 99), 0)
    assert.throws(() => percentileMs(h, 101), RangeError)
  })

  it('summariseMetrics: after − before over the seconds; ratio 1 when nothing offered', () => {
    const before: SimMetrics = {...emptyMetrics(), offeredMbit: 100, deliveredMbit: 90, requests: 10, responseMsSum: 20, backendCoreSeconds: 5, migrations: 1, vfSwitches: 2, hostSecondsHot: 3, vmSeconds: 40, unservedVmSeconds: 4}
    const after: SimMetrics = {...emptyMetrics(), offeredMbit: 300, deliveredMbit: 240, requests: 30, responseMsSum: 80, backendCoreSeconds: 25, migrations: 2, vfSwitches: 6, hostSecondsHot: 13, vmSeconds: 80, unservedVmSeconds: 14}
    after.responseHistogram[101] = 20
    assert.deepEqual(summariseMetrics(before, after, 10), {
      seconds: 10,
      offeredMbit: 200,
      deliveredMbit: 150,
      deliveredRatio: 0.75,
      meanResponseMs: 3,
      p99ResponseMs: 1 * 10 ** (0.02 * 0.99),
      hostSecondsHot: 10,
      migrations: 1,
      vfSwitches: 4,
      backendCoresMean: 2,
      unservedShare: 0.25,
    })
    const none = summariseMetrics(emptyMetrics(), emptyMetrics(), 0)
    assert.equal(none.deliveredRatio, 1)
    assert.equal(none.meanResponseMs, 0)
    assert.equal(none.backendCoresMean, 0)
    assert.equal(none.unservedShare, 0)
  })

  it('the cluster keeps score: offered >= delivered, requests weigh responses, actions count successes', () => {
    let c = buildScenario('paper', 1)
    assert.deepEqual(c.metrics, emptyMetrics())
    c = advance(c, 300)
    const m = c.metrics
    assert.ok(m.offeredMbit >= m.deliveredMbit && m.deliveredMbit > 0)
    assert.ok(m.requests > 0 && m.responseMsSum > 0)
    assert.ok(Math.abs(m.responseHistogram.reduce((a, b) => a + b) - m.requests) < 1e-6 * m.requests)
    assert.ok(m.backendCoreSeconds > 0)
    const s = summariseMetrics(emptyMetrics(), m, 300)
    assert.ok(s.deliveredRatio < 1, 'host1\'s bulk VMs on PV are not fully served after their ramp')
    assert.ok(s.p99ResponseMs > s.meanResponseMs)
    assert.ok(Math.abs(m.vmSeconds - 300 * c.vms.length) < 1e-6, 'every VM, every second')
    assert.ok(s.unservedShare > 0 && s.unservedShare < 1, `the PV-capped bulk VMs are unserved part of the time: ${s.unservedShare}`)

    const vf = findVm(c, 'web1')!.vf!
    c = detachVf(c, 'host1', 'web1', vf).cluster
    c = attachVf(c, 'host1', 'bulk1', vf).cluster
    assert.equal(attachVf(c, 'host1', 'bulk1', vf).cluster.metrics.vfSwitches, 2, 'a refusal counts nothing')
    c = migrate(c, 'web1', 'host1', 'host3').cluster
    assert.equal(migrate(c, 'web1', 'host1', 'host3').cluster.metrics.migrations, 1, 'a refused migration counts nothing')
    assert.equal(c.metrics.vfSwitches, 2)
    assert.equal(c.metrics.migrations, 1)
  })
})
