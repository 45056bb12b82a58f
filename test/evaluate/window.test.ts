// Every row of `sova evaluate` is scored over exactly --duration of simulated time, whatever its
// loop periods and actions take: the simulator's scoreboard stops at the window's end.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {attachVf, detachVf} from '../../src/lib/backends/sim/model.js'
import {integrateInPlace} from '../../src/lib/backends/sim/step.js'
import {evaluate} from '../../src/lib/evaluate/harness.js'
import {EVALUATION_POLICIES} from '../../src/lib/policy/policies.js'

describe('scoring window', () => {
  it('the scoreboard stops at scoreUntilMs: what comes after counts for nothing, time goes on', () => {
    const exact = buildScenario('paper', 2)
    integrateInPlace(exact, 1500)
    const windowed = {...buildScenario('paper', 2), scoreUntilMs: 1500}
    integrateInPlace(windowed, 4000)
    assert.equal(windowed.timeMs, 4000)
    assert.deepEqual(windowed.metrics, exact.metrics)
    assert.ok(exact.metrics.offeredMbit > 0)
  })

  it('an action completing after the window is not counted; one completing at its end is', () => {
    const cluster = buildScenario('paper', 2)
    const holder = cluster.vms.find((vm) => vm.vf !== null)
    assert.ok(holder)
    const vf = holder.vf as string
    const detachMs = cluster.physics.detachMs
    const atEnd = detachVf({...cluster, scoreUntilMs: detachMs}, holder.host, holder.name, vf).cluster
    assert.equal(atEnd.metrics.vfSwitches, 1, 'completed exactly at the window\'s end')
    const after = attachVf(atEnd, holder.host, holder.name, vf).cluster
    assert.equal(after.metrics.vfSwitches, 1, 'completed after the window: not counted')
    assert.equal(after.vms.find((vm) => vm.name === holder.name)?.vf, vf, 'though it happened')
  })

  it('every policy of an evaluation is scored over exactly --duration, offered the same traffic', async () => {
    // 95 s: not a whole number of 10 s loop periods, and the loop policies' actions take time too.
    const evaluation = await evaluate({scenario: 'flash-crowd', seed: 3, durationSeconds: 95, policies: EVALUATION_POLICIES})
    const offered = evaluation.policies[0].offeredMbit
    for (const run of evaluation.policies) {
      assert.equal(run.seconds, 95, `${run.policy}: seconds`)
      assert.equal(run.series.at(-1)?.t, 95, `${run.policy}: the series ends at the window's end`)
      assert.ok(Math.abs(run.offeredMbit - offered) <= 1e-9 * offered, `${run.policy}: offered ${run.offeredMbit} vs ${offered}`)
    }
    assert.ok(evaluation.policies.some((run) => (run.vfSwitches ?? 0) + (run.migrations ?? 0) > 0), 'some policy acted')
  })
})
