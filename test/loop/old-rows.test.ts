// A VF owed after a crash may be far back in the journal when its host answers again: thousands of
// rows accrue meanwhile. Reconciliation and `sova check` find it whatever its age (by index, not
// by a window of the newest rows). Through the CLI, on the simulator.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {readSimCluster} from '../../src/lib/backends/sim/backend.js'
import {documents, freshStateDir, sova, withStore} from '../cli/helpers.js'

/** Runs whose pids cannot exist: they are over. */
const CRASHED_RUN = '2026-01-01T00:00:00.000Z/999999998'
const LATER_RUN = '2026-01-02T00:00:00.000Z/999999999'
const FILLER_ROWS = 10_500

/**
 * The oldest rows: a VM's VF detached for a migration to host2 that failed, and the give-back
 * that failed too (host1 was out). The simulated VM is left without its VF, as it would be.
 * Then FILLER_ROWS settled rows of a later run. Returns the VM, its VF and the detach's id.
 */
function plantOwedVf(state: string, migrateStatus: 'failed' | 'started'): {vm: string; vf: string; detachId: number} {
  return withStore(state, (store) => {
    const cluster = readSimCluster(store)
    const victim = cluster.vms.find((vm) => vm.host === 'host1' && vm.vf !== null)
    assert.ok(victim)
    const vf = victim.vf as string
    victim.vf = null
    victim.path = 'pv'
    store.writeSim(JSON.stringify(cluster))
    return store.transaction(() => {
      const journal = (kind: string, status: 'done' | 'failed' | 'started', reason: string, extra: {vf?: string; toHost?: string} = {}) => {
        const id = store.journalPlanned({runId: CRASHED_RUN, kind, vm: victim.name, host: 'host1', reason, ...extra})
        store.journalUpdate(id, status, status === 'failed' ? 'host1 did not answer' : undefined)
        return id
      }
      const detachId = journal('detach-vf', 'done', 'detach before migrating to host2', {vf})
      journal('migrate', migrateStatus, 'host1 predicted hot', {toHost: 'host2'})
      if (migrateStatus === 'failed') journal('attach-vf', 'failed', 'give VF back after failed migration to host2', {vf})
      for (let i = 0; i < FILLER_ROWS; i++) {
        const id = store.journalPlanned({runId: LATER_RUN, kind: 'attach-vf', vm: `other${i % 50}`, host: 'host3', vf: '0000:00:00.0', reason: 'filler'})
        store.journalUpdate(id, 'skipped', 'filler')
      }
      return {vm: victim.name, vf, detachId}
    })
  })
}

describe('journal rows older than any window', () => {
  for (const migrateStatus of ['failed', 'started'] as const) {
    it(`an owed VF (migrate ${migrateStatus}) behind ${FILLER_ROWS} rows: check reports it, the next acting run gives it back`, async () => {
      const state = freshStateDir()
      const {vm, vf, detachId} = plantOwedVf(state, migrateStatus)
      assert.ok(withStore(state, (store) => store.journalCount()) > 10_000)

      const check = await sova(['check', '--format', 'json'], {state})
      assert.equal(check.exitCode, 1, String(check.stderr))
      const expected = migrateStatus === 'failed' ? 'vf-given-back' : 'journal-unfinished'
      assert.deepEqual(documents(check.stdout).map((record: any) => [record.invariant, record.vm]), [[expected, vm]])

      const run = await sova(['switch-vf', vm, '--to', 'vf', '--format', 'json'], {state})
      assert.match(String(run.stderr), new RegExp(`give VF back: ${vm}'s migration from host1 did not happen.*: attach ${vf.replaceAll('.', '\\.')} to ${vm} on host1 done`))
      const detach = withStore(state, (store) => store.journalQuery({vm, limit: 100}).find((row) => row.id === detachId))
      assert.equal(detach?.status, 'rolled-back')
      assert.equal(withStore(state, (store) => readSimCluster(store).vms.find((other) => other.name === vm)?.vf), vf)

      const clean = await sova(['check', '--format', 'json'], {state})
      assert.equal(clean.exitCode, 0, String(clean.stderr))
    })
  }
})
