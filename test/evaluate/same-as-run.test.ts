// `sova evaluate` runs exactly what `sova run` runs (issue 15, "one code path"): the same scenario
// and seed, cycle after cycle, give the same samples and the same actions, whether the loop runs in
// evaluate's private in-memory store or as one `sova run --once` process per cycle on a state
// directory (history, journal and simulated cluster going through the store between processes).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {evaluate} from '../../src/lib/evaluate/harness.js'
import {documents, freshStateDir, sova} from '../cli/helpers.js'

/** What a cycle decided and did: its sample's time and each action, as an operator reads them. */
const decisions = (doc: SovaDocument) => ({
  at: doc.at,
  actions: (doc.actions ?? []).map((action) => [action.kind, action.vm, action.host, action.to ?? '', action.vf ?? '', action.status].join(' ')),
})

describe('evaluate and run take the same decisions', () => {
  for (const [scenario, seed, policy] of [
    ['two-hotspots', 3, 'sova'],
    ['paper', 2, 'seed'],
  ] as const) {
    it(`${policy} on ${scenario} seed ${seed}: every cycle's sample time and actions`, async () => {
      const evaluated: SovaDocument[] = []
      await evaluate({scenario, seed, durationSeconds: 300, policies: [policy], onCycle: (_policy, doc) => evaluated.push(doc)})
      assert.ok(evaluated.length >= 10, `evaluate ran ${evaluated.length} cycles`)
      assert.ok(evaluated.some((doc) => (doc.actions ?? []).some((action) => action.status === 'done')), 'the loop acted: a comparison of empty plans would prove little')

      const state = freshStateDir()
      const reset = await sova(['sim', 'reset', '--scenario', scenario, '--seed', String(seed), '--quiet'], {state})
      assert.equal(reset.exitCode, 0, String(reset.stderr))
      for (const [cycle, expected] of evaluated.entries()) {
        const run = await sova(['run', '--once', '--policy', policy, '--format', 'json', '--quiet'], {state})
        assert.equal(run.exitCode, 0, String(run.stderr))
        assert.deepEqual(decisions(documents(run.stdout).at(-1)), decisions(expected), `cycle ${cycle + 1}`)
      }
    })
  }
})
