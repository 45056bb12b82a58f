import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {lostAfterMigration, unfinishedActions, vfBeforeMigration, vfNotGivenBack} from '../../src/lib/check/journal-invariants.js'
import {isRunLive, runPid} from '../../src/lib/store/run-liveness.js'
import {DEAD_RUN, LIVE_RUN, cleanSnapshot, isLive, row} from './fixtures.js'

const VF = '0000:03:10.1'

describe('unfinishedActions', () => {
  it('passes finished rows and rows of a live run', () => {
    const journal = [row('attach-vf', 'b', {vf: VF}), row('migrate', 'c', {status: 'started', runId: LIVE_RUN})]
    assert.deepEqual(unfinishedActions(journal, isLive), [])
  })

  it('reports a row left started or planned by a dead run', () => {
    const started = row('migrate', 'c', {status: 'started', toHost: 'host2'})
    const planned = row('attach-vf', 'b', {status: 'planned', vf: VF})
    const found = unfinishedActions([started, planned], isLive)
    assert.deepEqual(found.map((v) => [v.invariant, v.vm]), [['journal-unfinished', 'c'], ['journal-unfinished', 'b']])
    assert.equal(found[0].detail, `unfinished action #${started.id} (migrate c) of run ${DEAD_RUN}: left started, the run is no longer running`)
    assert.equal(found[1].vf, VF)
  })
})

describe('vfNotGivenBack', () => {
  it('passes a rolled-back detach and a detach followed by an attach done', () => {
    const rolledBack = [
      row('detach-vf', 'a', {vf: VF, status: 'rolled-back'}),
      row('migrate', 'a', {toHost: 'host2', status: 'failed'}),
      row('attach-vf', 'a', {vf: VF}),
    ]
    const reattached = [
      row('detach-vf', 'a', {vf: VF}),
      row('migrate', 'a', {toHost: 'host2', status: 'failed'}),
      row('attach-vf', 'a', {vf: VF, status: 'failed'}),
      row('attach-vf', 'a', {vf: VF, runId: '2026-01-01T00:10:00.000Z/333'}),
    ]
    assert.deepEqual(vfNotGivenBack(rolledBack, isLive), [])
    assert.deepEqual(vfNotGivenBack(reattached, isLive), [])
  })

  it('reports a VF detached before a failed migration and never given back', () => {
    const detach = row('detach-vf', 'a', {vf: VF, reason: 'detach before migrating to host2'})
    const migrate = row('migrate', 'a', {toHost: 'host2', status: 'failed'})
    const found = vfNotGivenBack([detach, migrate, row('attach-vf', 'a', {vf: VF, status: 'failed'})], isLive)
    assert.equal(found.length, 1)
    assert.deepEqual({...found[0], detail: ''}, {invariant: 'vf-given-back', host: 'host1', vm: 'a', vf: VF, detail: ''})
    assert.match(found[0].detail, new RegExp(`by #${detach.id} was not given back after migrate #${migrate.id} to host2 failed`))
  })

  it('a VF change of an earlier cycle that took the VM\'s VF is owed nothing when a later move of it fails', () => {
    // Protects against a false violation: the policy's own detach is no migration's.
    const journal = [row('detach-vf', 'a', {vf: VF, reason: 'list3: I/O ratio 1.05 ranks 8 of 10'}), row('attach-vf', 'b', {vf: VF}), row('migrate', 'a', {toHost: 'host2', status: 'failed'})]
    assert.deepEqual(vfNotGivenBack(journal, isLive), [])
  })

  it('leaves a live run that may still be giving the VF back', () => {
    const journal = [row('detach-vf', 'a', {vf: VF, runId: LIVE_RUN}), row('migrate', 'a', {toHost: 'host2', status: 'failed', runId: LIVE_RUN})]
    assert.deepEqual(vfNotGivenBack(journal, isLive), [])
  })
})

describe('vfBeforeMigration', () => {
  it('passes attach, detach, migrate, attach on arrival', () => {
    const journal = [
      row('attach-vf', 'b', {vf: VF}),
      row('detach-vf', 'b', {vf: VF}),
      row('migrate', 'b', {toHost: 'host2'}),
      row('attach-vf', 'b', {host: 'host2', vf: VF}),
    ]
    assert.deepEqual(vfBeforeMigration(journal), [])
  })

  it('reports a migrate done right after an attach done of the same run', () => {
    const attach = row('attach-vf', 'b', {vf: VF})
    const migrate = row('migrate', 'b', {toHost: 'host2'})
    const found = vfBeforeMigration([attach, row('detach-vf', 'b', {vf: VF, status: 'failed'}), migrate])
    assert.equal(found.length, 1)
    assert.equal(found[0].invariant, 'vf-before-migration')
    assert.equal(found[0].vf, VF)
    assert.match(found[0].detail, new RegExp(`migrate #${migrate.id} of b to host2 .* held VF ${VF} attached by #${attach.id}`))
  })

  it('does not carry an attach of one run into another', () => {
    assert.deepEqual(vfBeforeMigration([row('attach-vf', 'b', {vf: VF}), row('migrate', 'b', {toHost: 'host2', runId: LIVE_RUN})]), [])
  })
})

describe('lostAfterMigration', () => {
  it('passes a migrated VM that is on some host, and a migration to a host of another cluster', () => {
    const journal = [row('migrate', 'c', {toHost: 'host2'}), row('migrate', 'zed', {toHost: 'elsewhere'})]
    assert.deepEqual(lostAfterMigration(journal, cleanSnapshot()), [])
  })

  it('reports a VM last migrated to a host of this cluster that is on no host', () => {
    const snapshot = cleanSnapshot()
    snapshot.hosts[1].vms = []
    const migrate = row('migrate', 'c', {toHost: 'host2'})
    const found = lostAfterMigration([row('migrate', 'c', {toHost: 'host1', status: 'failed'}), migrate], snapshot)
    assert.deepEqual(found, [{invariant: 'vm-lost', host: 'host2', vm: 'c', vf: '', detail: `VM c last migrated to host2 (#${migrate.id}, run ${DEAD_RUN}) is in no host`}])
  })
})

describe('run liveness', () => {
  it('reads the pid of a run id and asks whether it lives', () => {
    assert.equal(runPid('2026-01-01T00:00:00.000Z/4242'), 4242)
    assert.equal(runPid('not-a-run'), undefined)
    assert.equal(isRunLive('x/4242', (pid) => pid === 4242), true)
    assert.equal(isRunLive('x/4243', (pid) => pid === 4242), false)
    assert.equal(isRunLive(`x/${process.pid}`), true)
    assert.equal(isRunLive('not-a-run', () => true), false)
  })
})
