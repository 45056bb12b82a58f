// `sova evaluate --jobs`: policies run side by side, the rows in the order asked, a failure not lost.
// (test/cli/evaluate.test.ts checks that worker threads give the very results of one thread.)
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {tmpdir} from 'node:os'
import {describe, it} from 'node:test'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {type PolicyRunner, evaluateCluster, runPolicy} from '../../src/lib/evaluate/harness.js'
import {workerRunner} from '../../src/lib/evaluate/workers.js'

describe('policies side by side', () => {
  it('rows come in the order of --policies however the runs finish, and equal those of one at a time', async () => {
    const cluster = buildScenario('paper', 2)
    const options = {seed: 2, durationSeconds: 60, policies: ['seed', 'static-pv', 'bound'] as const}
    const inTurn = await evaluateCluster(cluster, {...options, policies: [...options.policies]})
    // The last policy finishes first, the first last: each waits for the one after it (no clock involved).
    const finishOrder = ['bound', 'static-pv', 'seed']
    const release = new Map<string, () => void>()
    const turns = new Map(finishOrder.map((policy) => [policy, new Promise<void>((resolve) => release.set(policy, resolve))]))
    release.get('bound')?.()
    const finished: string[] = []
    const runner: PolicyRunner = async (policy, copy, onPeriod) => {
      const points = await runPolicy(policy, copy, {durationSeconds: options.durationSeconds}, onPeriod)
      await turns.get(policy)
      finished.push(policy)
      release.get(finishOrder[finishOrder.indexOf(policy) + 1])?.()
      return points
    }
    const sideBySide = await evaluateCluster(cluster, {...options, policies: [...options.policies], jobs: 3, runner})
    assert.deepEqual(finished, ['bound', 'static-pv', 'seed'])
    assert.deepEqual(sideBySide, inTurn)
  })

  it('a run that fails fails the evaluation with its reason', async () => {
    const runner: PolicyRunner = async (policy, copy, onPeriod) => {
      if (policy === 'static-vf') throw new Error('static-vf broke')
      return runPolicy(policy, copy, {durationSeconds: 30}, onPeriod)
    }
    await assert.rejects(evaluateCluster(buildScenario('paper', 1), {seed: 1, durationSeconds: 30, policies: ['static-pv', 'static-vf'], jobs: 2, runner}), /static-vf broke/)
  })

  it('a worker thread that cannot start rejects with the policy and why', async () => {
    const runner = workerRunner(join(tmpdir(), 'no-such-sova-worker.js'), {}, 30)
    await assert.rejects(runner('seed', buildScenario('paper', 1), () => {}), /evaluate: seed: its worker thread failed: .*no-such-sova-worker/)
  })
})
