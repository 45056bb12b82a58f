// A run that died mid-action leaves journal rows planned or started; the next acting run settles
// them against the backend and gives back a VF a migration that never happened took away.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {planReconciliation} from '../../src/lib/loop/reconcile.js'
import type {JournalEntry} from '../../src/lib/store/store.js'
import {host, vm} from '../helpers/build.js'

const RUN = '2026-11-25T08:00:00.000Z/999999'
let nextId = 1
function row(kind: string, status: JournalEntry['status'], tweak: Partial<JournalEntry> = {}): JournalEntry {
  return {
    id: nextId++, runId: RUN, createdAt: '2026-11-25T08:00:00.000Z', updatedAt: '2026-11-25T08:00:00.000Z',
    kind, vm: 'web1', host: 'h1', toHost: null, vf: null, status, reason: 'h1 predicted hot', error: null, uuid: null, device: null, ...tweak,
  }
}
const detach = (status: JournalEntry['status']) => row('detach-vf', status, {vf: '0000:03:10.1', reason: 'detach before migrating to h2'})
const migrate = (status: JournalEntry['status']) => row('migrate', status, {toHost: 'h2'})
const dead = new Set([RUN])

describe('reconciliation after a run died', () => {
  it('died during the migration, the VM still on the source without its VF: migrate failed, the same VF given back', () => {
    const entries = [detach('done'), migrate('started')]
    const fixes = planReconciliation(entries, dead, [host('h1', [vm('web1')]), host('h2')])
    assert.deepEqual(fixes, [
      {kind: 'settle', id: entries[1].id, status: 'failed', note: 'reconciled after the run died: web1 is on h1 without a VF'},
      {kind: 'give-vf', undo: entries[0].id, step: {kind: 'attach-vf', vm: 'web1', host: 'h1', vf: '0000:03:10.1', reason: "give VF back: web1's migration from h1 did not happen (the run that detached it died, or the give-back failed)"}},
    ])
  })

  it('died during the migration that went through anyway: migrate done; a VF on arrival is left to the next VF plan', () => {
    const entries = [detach('done'), migrate('started')]
    const fixes = planReconciliation(entries, dead, [host('h1'), host('h2', [vm('web1')])])
    assert.deepEqual(fixes, [{kind: 'settle', id: entries[1].id, status: 'done', note: 'reconciled after the run died: web1 is on h2 without a VF'}])
  })

  it('a give-back that failed too (the host was out) is still owed, and given once the host answers', () => {
    const entries = [detach('done'), migrate('failed'), row('attach-vf', 'failed', {vf: '0000:03:10.1', reason: 'give VF back after failed migration to h2'})]
    const fixes = planReconciliation(entries, dead, [host('h1', [vm('web1')]), host('h2')])
    assert.deepEqual(fixes.map((fix) => fix.kind === 'give-vf' && [fix.step.vm, fix.step.host, fix.step.vf, fix.undo]), [['web1', 'h1', '0000:03:10.1', entries[0].id]])
  })

  it('died between the detach and the migration: the VF goes back', () => {
    const entries = [detach('done')]
    const fixes = planReconciliation(entries, dead, [host('h1', [vm('web1')]), host('h2')])
    assert.deepEqual(fixes.map((fix) => fix.kind), ['give-vf'])
  })

  it('a hot-plug that did land is done, one that did not is failed; nothing else is touched', () => {
    const landed = row('attach-vf', 'started', {vf: '0000:03:10.2', reason: 'worth a VF'})
    const lost = row('attach-vf', 'planned', {vm: 'db1', vf: '0000:03:10.3', reason: 'worth a VF'})
    const fixes = planReconciliation([landed, lost], dead, [host('h1', [vm('web1', {vf: '0000:03:10.2'}), vm('db1')])])
    assert.deepEqual(fixes.map((fix) => fix.kind === 'settle' && [fix.id, fix.status]), [[landed.id, 'done'], [lost.id, 'failed']])
  })

  it('runs still alive (a pipeline neighbour at work) are left alone, and a VF is never given twice', () => {
    assert.deepEqual(planReconciliation([detach('done'), migrate('started')], new Set(), [host('h1', [vm('web1')])]), [])
    const other = '2026-11-25T08:00:01.000Z/999998'
    const entries = [detach('done'), row('detach-vf', 'done', {runId: other, vm: 'db1', vf: '0000:03:10.2', reason: 'detach before migrating to h2'})]
    // Only one VF is free on h1: the first VM gets its own back, the second finds none left.
    const h1 = host('h1', [vm('web1'), vm('db1')], (h) => {
      h.vfs.free = ['0000:03:10.1']
    })
    const fixes = planReconciliation(entries, new Set([RUN, other]), [h1])
    assert.deepEqual(fixes.map((fix) => fix.kind === 'give-vf' && [fix.step.vm, fix.step.vf]), [['web1', '0000:03:10.1']])
  })
})
