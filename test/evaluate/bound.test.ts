// The bound (docs/bound.md): on tiny clusters whose best arrangement is known, it is that
// arrangement's delivery exactly (the simulator, given it, delivers the same); on random scenarios
// and seeds, no policy nor the clairvoyant heuristic delivers more, answers faster or leaves fewer
// VM-seconds below demand.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import type {SimCluster} from '../../src/lib/backends/sim/cluster.js'
import {parseScenarioFile} from '../../src/lib/backends/sim/scenario-file.js'
import {integrateInPlace} from '../../src/lib/backends/sim/step.js'
import {backendPricedBound, deliverableBoundMbps, pooledLimits, responseFloorMs, runBound} from '../../src/lib/evaluate/bound.js'
import {evaluateCluster} from '../../src/lib/evaluate/harness.js'
import {summaryOf} from '../../src/lib/evaluate/summary.js'
import {EVALUATION_POLICIES} from '../../src/lib/policy/policies.js'
import {FC_SEED, scenarioArb} from '../helpers/scenario-arbs.js'

const USABLE = 10_000 * 0.94
const PV_CAP = 9400 / 3.8

interface TinyVm {
  rx: number
  tx?: number
  vf?: boolean
  host?: string
}

/** A cluster of constant demand (no jitter, wave or bursts): `vfs` VFs and `backendCores` per host. */
function tiny(vms: TinyVm[], {hosts = 1, vfs = 0, backendCores = 4}: {hosts?: number; vfs?: number; backendCores?: number} = {}): SimCluster {
  return parseScenarioFile(
    {
      name: 'tiny',
      hosts: Array.from({length: hosts}, (_, h) => ({name: `h${h + 1}`, vfs, backendCores})),
      vms: vms.map((vm, i) => ({
        name: `vm${i + 1}`,
        host: vm.host ?? 'h1',
        vcpus: 2,
        memoryMiB: 2048,
        kind: 'bulk',
        vf: vm.vf ?? false,
        demand: {rxMbps: vm.rx, txMbps: vm.tx ?? 0},
      })),
    },
    'tiny.json',
    1,
  )
}

/** The bound's delivery in the cluster's first second, Mbit/s. */
function boundNow(cluster: SimCluster): number {
  const points = runBound(cluster, 1, 10)
  return summaryOf(points).deliveredMbit
}

/** What the simulator delivers in one second of the cluster as it is arranged, Mbit/s. */
function simulatedNow(cluster: SimCluster): number {
  const copy = structuredClone(cluster)
  integrateInPlace(copy, 1000)
  return copy.metrics.deliveredMbit - cluster.metrics.deliveredMbit
}

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) <= 1e-6 * Math.max(1, expected), `${what}: ${actual} vs ${expected}`)

describe('bound: tiny clusters with a known best', () => {
  it('a VM alone gets its demand when a VF carries it, the PV cap when there is no VF', () => {
    close(boundNow(tiny([{rx: 5000}], {vfs: 1})), 5000, 'one VF')
    close(boundNow(tiny([{rx: 5000}], {vfs: 0})), PV_CAP, 'no VF')
    close(simulatedNow(tiny([{rx: 5000, vf: true}], {vfs: 1})), 5000, 'the simulator with the VF attached')
  })

  it('PV VMs share the backend: four 2000+2000 Mbit/s VMs and no VF get the backend capacity', () => {
    const cluster = tiny([{rx: 2000, tx: 2000}, {rx: 2000, tx: 2000}, {rx: 2000, tx: 2000}, {rx: 2000, tx: 2000}])
    const backend = (4 / 0.55) * 1000
    close(boundNow(cluster), backend, 'bound')
    close(simulatedNow(cluster), backend, 'simulator')
  })

  it('one port per direction: two 6000 Mbit/s receivers with VFs share 9400', () => {
    const cluster = tiny([{rx: 6000, vf: true}, {rx: 6000, vf: true}], {vfs: 2})
    close(boundNow(cluster), USABLE, 'bound')
    close(simulatedNow(cluster), USABLE, 'simulator')
  })

  it('one VF and a small backend: the VF to one VM, the backend full with the rest (the LP optimum)', () => {
    // Backend of 3000 Mbit/s: 0.55 cores per Gbit/s × 3 Gbit/s.
    const cluster = tiny([{rx: 3000, vf: true}, {rx: 3000}, {rx: 3000}], {vfs: 1, backendCores: 0.55 * 3})
    close(boundNow(cluster), 6000, 'bound')
    close(simulatedNow(cluster), 6000, 'simulator, VF on vm1')
  })

  it('placement is free to the bound: a crowded host and an empty one count as one pool of ports', () => {
    const crowded = tiny([{rx: 6000, vf: true}, {rx: 6000, vf: true}], {hosts: 2, vfs: 2})
    close(boundNow(crowded), 12_000, 'bound: either VM could move to the empty host')
    close(simulatedNow(crowded), USABLE, 'simulator, both on h1')
    const spread = tiny([{rx: 6000, vf: true}, {rx: 6000, vf: true, host: 'h2'}], {hosts: 2, vfs: 2})
    close(simulatedNow(spread), 12_000, 'simulator, one per host')
  })

  it('the Lagrangian bound is the relaxation\'s optimum when the backend binds', () => {
    // K = 1 VF, backend 4. VF to VM 0 (10), VMs 1 and 2 on PV want 4 + 1 > 4: 14 in all. VF to VM 1
    // gives 5 + 4 = 9. Without the backend term (λ = 0) the bound would say 15; the price λ = 1 gives 14.
    const a = Float64Array.from([10, 5, 1])
    const b = Float64Array.from([3, 4, 1])
    close(backendPricedBound(a, b, 4, 1), 14, 'K=1, B=4')
    // No VF: PV only, backend 4 of the 8 wanted.
    close(backendPricedBound(a, b, 4, 0), 4, 'K=0, B=4')
    // Every VM a VF: everything on VFs.
    close(backendPricedBound(a, b, 0, 3), 16, 'K=3, B=0')
  })

  it('a VM whose demand exceeds any path is unserved every second; the others need not be', () => {
    const cluster = tiny([{rx: 12_000, vf: true}, {rx: 10}], {vfs: 2})
    const summary = summaryOf(runBound(cluster, 10, 10))
    close(summary.unservedShare, 0.5, 'one of two VMs, every second')
    close(summary.deliveredMbit, USABLE * 10, 'delivered: the one port\'s rx')
  })

  it('the simulator counts a VM-second unserved when the VM gets less than its demand', () => {
    const cluster = tiny([{rx: 5000}, {rx: 100}], {vfs: 0})
    integrateInPlace(cluster, 10_000)
    close(cluster.metrics.vmSeconds, 20, 'VM-seconds')
    close(cluster.metrics.unservedVmSeconds, 10, 'the 5000 Mbit/s VM on PV, every second')
    const floor = summaryOf(runBound(tiny([{rx: 5000}, {rx: 5000}, {rx: 100}], {vfs: 0}), 10, 10)).unservedShare
    close(floor, 2 / 3, 'the bound knows no VF could help either heavy VM')
    const withVf = summaryOf(runBound(tiny([{rx: 5000}, {rx: 5000}, {rx: 100}], {vfs: 1}), 10, 10)).unservedShare
    close(withVf, 1 / 3, 'with one VF, at least one of them (the other could have it)')
    const three = summaryOf(runBound(tiny([{rx: 5000}, {rx: 5000}, {rx: 5000}, {rx: 10}], {hosts: 2, vfs: 1}), 10, 10)).unservedShare
    close(three, 1 / 4, 'two VFs (one per host) for three VMs that need one: one left on PV')
  })

  it('the response floor is the best path, unloaded: base latency plus service time', () => {
    const cluster = tiny([{rx: 100, tx: 100}], {vfs: 1})
    const vm = cluster.vms[0]
    const serviceMs = (vm.demand.requestKiB * 8.192) / USABLE
    close(responseFloorMs(cluster, vm, {rxMbps: 100, txMbps: 100}, pooledLimits(cluster)), cluster.physics.vfBaseLatencyMs + serviceMs, 'floor')
  })

  it('reports every period and exactly the window asked for, leaving the cluster untouched', () => {
    const cluster = tiny([{rx: 100}], {vfs: 1})
    const before = JSON.stringify(cluster)
    const elapsed: number[] = []
    const points = runBound(cluster, 25.5, 10, (s) => elapsed.push(s))
    assert.equal(JSON.stringify(cluster), before)
    assert.deepEqual(elapsed, [10, 20, 25.5])
    assert.deepEqual(points.map((point) => point.timeMs), [0, 10_000, 20_000, 25_500])
    close(summaryOf(points).deliveredMbit, 100 * 25.5, 'delivered')
  })

  it('never above what was offered', () => {
    const cluster = tiny([{rx: 1, tx: 2}, {rx: 3}], {vfs: 0})
    const limits = pooledLimits(cluster)
    assert.ok(deliverableBoundMbps([{rxMbps: 1, txMbps: 2}, {rxMbps: 3, txMbps: 0}], limits) >= 6 - 1e-9)
    close(boundNow(cluster), 6, 'bound')
  })
})

/**
 * The pooled relaxation's integer optimum by enumeration (tiny n): every VF set S, |S| ≤ K; with S
 * fixed, VF traffic costs no backend, so the best is min(C, VF rx) + min(C, VF tx) plus the PV traffic
 * the ports still take, up to the backend.
 */
function pooledOptimum(demands: Array<{rxMbps: number; txMbps: number}>, limits: ReturnType<typeof pooledLimits>): number {
  const {vfCapMbps: U, pvCapMbps: P, portMbps: C, backendMbps: B, vfs: K} = limits
  let best = 0
  for (let mask = 0; mask < 1 << demands.length; mask++) {
    const members = demands.filter((_, i) => mask & (1 << i))
    if (members.length > K) continue
    const others = demands.filter((_, i) => !(mask & (1 << i)))
    const vfRx = members.reduce((sum, d) => sum + Math.min(d.rxMbps, U), 0)
    const vfTx = members.reduce((sum, d) => sum + Math.min(d.txMbps, U), 0)
    const pvRx = Math.min(others.reduce((sum, d) => sum + Math.min(d.rxMbps, P), 0), Math.max(0, C - vfRx))
    const pvTx = Math.min(others.reduce((sum, d) => sum + Math.min(d.txMbps, P), 0), Math.max(0, C - vfTx))
    best = Math.max(best, Math.min(C, vfRx) + Math.min(C, vfTx) + Math.min(B, pvRx + pvTx))
  }
  return best
}

describe('bound: at least the pooled relaxation\'s optimum (random tiny instances, by enumeration)', () => {
  it('never below the best any VF set achieves', () => {
    const demandArb = fc.record({rxMbps: fc.integer({min: 0, max: 12_000}), txMbps: fc.integer({min: 0, max: 12_000})})
    fc.assert(
      fc.property(
        fc.array(demandArb, {minLength: 1, maxLength: 7}),
        fc.record({hosts: fc.integer({min: 1, max: 3}), vfs: fc.integer({min: 0, max: 3}), backendCores: fc.constantFrom(0, 0.5, 1, 2, 4, 8)}),
        (demands, shape) => {
          const limits = pooledLimits(tiny([{rx: 0}], shape))
          const optimum = pooledOptimum(demands, limits)
          const bound = deliverableBoundMbps(demands, limits)
          assert.ok(bound >= optimum - 1e-6 * Math.max(1, optimum), `bound ${bound} < optimum ${optimum} for ${JSON.stringify({demands, shape})}`)
        },
      ),
      {numRuns: 2000, seed: FC_SEED},
    )
  })
})

describe('bound: no policy beats it (random scenarios and seeds, 2–4 simulated minutes)', () => {
  it('delivered traffic at most the bound; p99, mean response and unserved share at least its floors', async () => {
    const loose = (value: number) => value * (1 + 1e-9) + 1e-9
    await fc.assert(
      fc.asyncProperty(scenarioArb, fc.integer({min: 120, max: 240}), async (scenario, durationSeconds) => {
        const evaluation = await evaluateCluster(scenario.build(), {seed: 1, durationSeconds, policies: EVALUATION_POLICIES})
        const bound = evaluation.policies.find((run) => run.policy === 'bound')
        assert.ok(bound)
        for (const run of evaluation.policies) {
          const what = `${run.policy} on ${scenario.label}, ${durationSeconds} s`
          assert.equal(run.seconds, durationSeconds, `${what}: scored over the window`)
          close(run.offeredMbit, bound.offeredMbit, `${what}: offered as the bound's`)
          assert.ok(run.deliveredMbit <= loose(bound.deliveredMbit), `${what}: delivered ${run.deliveredMbit} > bound ${bound.deliveredMbit}`)
          assert.ok(bound.p99ResponseMs <= loose(run.p99ResponseMs), `${what}: p99 ${run.p99ResponseMs} < floor ${bound.p99ResponseMs}`)
          assert.ok(bound.meanResponseMs <= loose(run.meanResponseMs), `${what}: mean ${run.meanResponseMs} < floor ${bound.meanResponseMs}`)
          assert.ok(bound.unservedShare <= loose(run.unservedShare), `${what}: unserved ${run.unservedShare} < floor ${bound.unservedShare}`)
        }
      }),
      {numRuns: 12, seed: FC_SEED},
    )
  })
})
