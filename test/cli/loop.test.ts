// The loop end to end on the simulated cluster: the five-stage pipeline over many cycles, the
// equivalence of `sova run --once` and the pipeline, and dry runs that touch nothing.
import assert from 'node:assert/strict'
import {cpSync} from 'node:fs'
import {describe, it} from 'node:test'
import {readSimCluster} from '../../src/lib/backends/sim/backend.js'
import {toSnapshot} from '../../src/lib/backends/sim/model.js'
import {checkInvariants} from '../../src/lib/invariants.js'
import {Store} from '../../src/lib/store/store.js'
import {documents, freshStateDir, pipeline, sova} from './helpers.js'

const FIVE_STAGES = ['collect', 'score', 'balance', 'migrate', 'switch-vf']

function simState(state: string) {
  const store = Store.open(state)
  try {
    return {snapshot: toSnapshot(readSimCluster(store)), journal: store.journalCount()}
  } finally {
    store.close()
  }
}

function placement(state: string): Record<string, string> {
  const {snapshot} = simState(state)
  return Object.fromEntries(snapshot.hosts.flatMap((host) => host.vms.map((vm) => [vm.name, `${host.name}/${vm.vf ?? 'pv'}`])))
}

/** What was decided, without bookkeeping that legitimately differs between processes. */
function decisions(doc: any) {
  const actions = (doc.actions ?? []).map(({journalId, durationMs, ...rest}: any) => rest)
  return {at: doc.at, scores: doc.scores, plan: doc.plan, actions}
}

/**
 * A state dir warmed up to just before the first cycle that migrates on `paper` (the simulator is
 * deterministic, so a scratch run finds that cycle whatever the policy's tuning).
 */
async function warmedToFirstMigration(): Promise<string> {
  const scratch = await sova(['run', '--cycles', '20', '--interval', '0s'], {state: freshStateDir()})
  const first = documents(scratch.stdout).findIndex((doc: any) => doc.plan.migrations.length > 0)
  assert.ok(first > 0, 'paper migrates within 20 cycles, not in the first')
  const warm = freshStateDir()
  assert.equal((await sova(['run', '--cycles', String(first), '--interval', '0s'], {state: warm})).exitCode, 0)
  return warm
}

describe('the loop on the paper scenario', () => {
  it('the five piped commands migrate and switch VFs with reasons; invariants hold after every cycle', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'reset', '--scenario', 'paper', '--seed', '1'], {state})).exitCode, 0)
    const vms = new Set(Object.keys(placement(state)))
    let migrations = 0
    let vfSwitches = 0
    for (let cycle = 1; cycle <= 24; cycle++) {
      const result = await pipeline(FIVE_STAGES, {state})
      assert.equal(result.exitCode, 0, `cycle ${cycle}: ${result.stderr}`)
      const [doc] = documents(result.stdout)
      for (const action of doc.actions) {
        assert.ok(action.reason.length > 10, `a reason for ${action.kind} ${action.vm}`)
        assert.equal(action.status, 'done', `${action.kind} ${action.vm}: ${action.error}`)
        if (action.kind === 'migrate') migrations++
        else vfSwitches++
      }
      // sova (the default) says what the move relieves, what it copies and why this target.
      for (const move of doc.plan.migrations) assert.match(move.reason, /predicted hot.*takes \d+ Mbit\/s off its (rx|tx).*copying.*keeps the most headroom/)
      assert.deepEqual(checkInvariants(simState(state).snapshot, vms), [], `cycle ${cycle}`)
    }
    assert.ok(migrations >= 1, `migrations: ${migrations}`)
    assert.ok(vfSwitches >= 4, `VF switches: ${vfSwitches}`)
  })

  it('sova run --once and the five piped commands take the same decisions from the same state', async () => {
    // Warmed to the edge of host1's hotspot, so the compared cycle migrates.
    const warm = await warmedToFirstMigration()
    const inProcess = freshStateDir()
    const piped = freshStateDir()
    cpSync(warm, inProcess, {recursive: true})
    cpSync(warm, piped, {recursive: true})

    const [once] = documents((await sova(['run', '--once'], {state: inProcess})).stdout)
    const [stages] = documents((await pipeline(FIVE_STAGES, {state: piped})).stdout)
    assert.ok(once.plan.migrations.length > 0, 'the compared cycle plans a migration')
    assert.deepEqual(decisions(stages), decisions(once))
    assert.deepEqual(placement(piped), placement(inProcess))
  })

  it('--dry-run plans and records "dry-run" actions, and touches nothing', async () => {
    const warm = await warmedToFirstMigration()
    const before = placement(warm)
    const journalBefore = simState(warm).journal
    const [doc] = documents((await sova(['run', '--once', '--dry-run'], {state: warm})).stdout)
    assert.ok(doc.actions.length > 0)
    assert.ok(doc.actions.every((action: any) => action.status === 'dry-run'))
    assert.ok(doc.actions.some((action: any) => action.kind === 'migrate'))
    assert.deepEqual(placement(warm), before)
    assert.equal(simState(warm).journal, journalBefore)

    const holder = Object.keys(before).find((vm) => !before[vm].endsWith('/pv')) as string
    for (const args of [['migrate', 'web1', '--to', 'host3', '--dry-run'], ['switch-vf', holder, '--to', 'pv', '--dry-run']]) {
      const result = await sova(args, {state: warm})
      assert.equal(result.exitCode, 0, String(result.stderr))
      assert.ok(documents(result.stdout)[0].actions.every((action: any) => action.status === 'dry-run'))
    }
    assert.deepEqual(placement(warm), before)
    assert.equal(simState(warm).journal, journalBefore)
  })

  it('a one-off migration detaches the VF first and gives one back on arrival', async () => {
    const state = freshStateDir()
    const [doc] = documents((await sova(['collect'], {state})).stdout)
    const vm = doc.hosts[0].vms.find((candidate: any) => candidate.vf)
    const result = await sova(['migrate', vm.name, '--to', 'host3'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [out] = documents(result.stdout)
    assert.deepEqual(out.actions.map((action: any) => `${action.kind}:${action.status}`), ['detach-vf:done', 'migrate:done', 'attach-vf:done'])
    assert.match(placement(state)[vm.name], /^host3\/0000:/)
  })
})
