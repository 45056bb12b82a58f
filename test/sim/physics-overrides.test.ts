// `--physics`: a scenario run on other physics than its own, so an evaluation can show whether a
// policy depends on being told the simulator's constants.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {SIM_CONSTANTS} from '../../src/lib/backends/sim/cluster.js'
import {parsePhysicsOverrides, withPhysics} from '../../src/lib/backends/sim/physics-overrides.js'
import {buildScenario, resolveScenario} from '../../src/lib/backends/sim/scenarios.js'
import {evaluate} from '../../src/lib/evaluate/harness.js'
import {documents, freshStateDir, sova} from '../cli/helpers.js'

describe('physics overrides', () => {
  it('sets a constant, or multiplies the scenario\'s own', () => {
    const cluster = resolveScenario('paper', 1, {physics: parsePhysicsOverrides(['pvCapMbps=x0.5,attachMs=3000', 'pvBackendCoresPerGbps=x2'])})
    assert.equal(cluster.physics.pvCapMbps, SIM_CONSTANTS.pvCapMbps * 0.5)
    assert.equal(cluster.physics.attachMs, 3000)
    assert.equal(cluster.physics.pvBackendCoresPerGbps, SIM_CONSTANTS.pvBackendCoresPerGbps * 2)
    assert.equal(cluster.physics.detachMs, SIM_CONSTANTS.detachMs, 'the rest untouched')
    const plain = buildScenario('paper', 1)
    assert.deepEqual({...cluster, physics: plain.physics}, plain, 'only the physics change')
  })

  for (const [given, message] of [
    ['pvCap=1', /unknown physics constant "pvCap" \(expected one of portEfficiency, /],
    ['pvCapMbps', /expected NAME=VALUE or NAME=xFACTOR, got "pvCapMbps"/],
    ['pvCapMbps=fast', /--physics pvCapMbps: expected a number >= 0 or xFACTOR \(e\.g\. x0\.5\), got "fast"/],
    ['pvCapMbps=-1', /expected a number >= 0/],
    ['pvCapMbps=1,pvCapMbps=2', /pvCapMbps is given twice/],
  ] as const) {
    it(`refuses ${given}`, () => assert.throws(() => parsePhysicsOverrides([given]), {name: 'UsageError', message}))
  }

  it('refuses physics the simulator cannot run', () => {
    assert.throws(() => withPhysics(buildScenario('paper', 1), parsePhysicsOverrides(['portEfficiency=x2'])), /--physics: portEfficiency: expected a number > 0 and <= 1, got number 1\.88/)
  })

  it('changes what the cluster delivers: a PV path of half the capacity delivers less to the same VMs', async () => {
    const run = async (physics: string[]) =>
      (await evaluate({scenario: 'steady', seed: 1, durationSeconds: 120, policies: ['static-pv'], physics: parsePhysicsOverrides(physics)})).policies[0].deliveredRatio
    const own = await run([])
    const halved = await run(['pvCapMbps=x0.5'])
    assert.ok(halved < own - 0.01, `delivered with the PV cap halved ${halved}, with its own ${own}`)
  })
})

describe('sova sim reset and evaluate --physics', () => {
  it('reset builds the cluster on the physics given; a bad one changes nothing and exits 2', async () => {
    const state = freshStateDir()
    const bad = await sova(['sim', 'reset', '--scenario', 'steady', '--physics', 'warp=9'], {state})
    assert.equal(bad.exitCode, 2)
    assert.match(String(bad.stderr), /--physics: unknown physics constant "warp"/)
    const reset = await sova(['sim', 'reset', '--scenario', 'steady', '--physics', 'pvCapMbps=x2', '--quiet'], {state})
    assert.equal(reset.exitCode, 0, String(reset.stderr))
    const collected = await sova(['collect', '--quiet'], {state})
    assert.equal(collected.exitCode, 0, String(collected.stderr))
    assert.equal(documents(collected.stdout)[0].source.scenario, 'steady')
  })

  it('evaluate takes it too', async () => {
    const result = await sova(['evaluate', '--scenario', 'paper', '--policies', 'static-pv', '--duration', '30s', '--physics', 'pvCapMbps=500', '--format', 'json', '--quiet'], {state: freshStateDir()})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const bad = await sova(['evaluate', '--scenario', 'paper', '--physics', 'pvCapMbps=x'], {state: freshStateDir()})
    assert.equal(bad.exitCode, 2)
    assert.match(String(bad.stderr), /--physics pvCapMbps: expected a number/)
  })
})
