// The clairvoyant heuristic: a free, all-knowing rearrangement every second. It must keep the simulator's rules
// and deliver at least what a cluster without VFs delivers.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {type SimCluster, vmsOn} from '../../src/lib/backends/sim/cluster.js'
import {toSnapshot} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {integrateInPlace} from '../../src/lib/backends/sim/step.js'
import {evaluate} from '../../src/lib/evaluate/harness.js'
import {rearrangeForSecond, runClairvoyant} from '../../src/lib/evaluate/clairvoyant.js'
import {checkInvariants} from '../../src/lib/invariants.js'

function memoryProblems(cluster: SimCluster): string[] {
  return cluster.hosts.flatMap((host) => {
    const used = vmsOn(cluster, host.name).reduce((sum, vm) => sum + vm.memoryMiB, 0)
    const room = host.memoryMiB - cluster.physics.hostReserveMiB
    return used > room ? [`${host.name}: VMs use ${used} MiB of ${room}`] : []
  })
}

describe('clairvoyant heuristic', () => {
  for (const scenario of ['paper', 'flash-crowd']) {
    it(`never breaks the invariants, second by second (${scenario}, 5 simulated minutes)`, () => {
      const cluster = structuredClone(buildScenario(scenario, 3))
      const vms = new Set(cluster.vms.map((vm) => vm.name))
      let migrations = 0
      for (let second = 0; second < 300; second++) {
        migrations += rearrangeForSecond(cluster).migrations
        const problems = [...checkInvariants(toSnapshot(cluster), vms), ...memoryProblems(cluster)]
        assert.deepEqual(problems, [], `after rearranging at second ${second}`)
        integrateInPlace(cluster, 1000)
      }
      assert.equal(cluster.metrics.migrations, migrations, 'its moves are counted on the scoreboard')
      assert.ok(cluster.metrics.vfSwitches > 0, 'its VF switches are counted on the scoreboard')
    })
  }

  it('leaves the cluster it is given untouched and reports every period', () => {
    const cluster = buildScenario('paper', 1)
    const before = JSON.stringify(cluster)
    const elapsed: number[] = []
    const {points} = runClairvoyant(cluster, 35, 10, (s) => elapsed.push(s))
    assert.equal(JSON.stringify(cluster), before)
    assert.deepEqual(elapsed, [10, 20, 30, 35])
    assert.deepEqual(points.map((point) => point.timeMs), [0, 10_000, 20_000, 30_000, 35_000])
  })

  it('delivers at least what static-pv delivers (paper, 3 simulated minutes)', async () => {
    const evaluation = await evaluate({scenario: 'paper', seed: 1, durationSeconds: 180, policies: ['static-pv', 'clairvoyant']})
    const [pv, clairvoyant] = evaluation.policies
    assert.deepEqual([pv.policy, clairvoyant.policy], ['static-pv', 'clairvoyant'])
    assert.ok(clairvoyant.deliveredRatio >= pv.deliveredRatio, `clairvoyant ${clairvoyant.deliveredRatio} >= static-pv ${pv.deliveredRatio}`)
    assert.ok(clairvoyant.p99ResponseMs <= pv.p99ResponseMs, `clairvoyant p99 ${clairvoyant.p99ResponseMs} <= static-pv ${pv.p99ResponseMs}`)
  })
})
