// `sova check` end to end on the simulator: clean after a run, one record for each planted violation.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {readSimCluster} from '../../src/lib/backends/sim/backend.js'
import {documents, freshStateDir, sova, withStore} from '../cli/helpers.js'

/** A run id whose pid cannot exist: the run that wrote it is over. */
const DEAD_RUN = '2026-01-01T00:00:00.000Z/999999999'

describe('sova check', () => {
  it('passes after a run, then reports an action a dead run left started', async () => {
    const state = freshStateDir()
    const run = await sova(['run', '--cycles', '5', '--interval', '0s', '--format', 'json'], {state})
    assert.equal(run.exitCode, 0, String(run.stderr))

    const clean = await sova(['check', '--format', 'json'], {state})
    assert.equal(clean.exitCode, 0, String(clean.stderr))
    assert.equal(String(clean.stdout), '')
    const entries = withStore(state, (store) => store.journalCount())
    assert.match(String(clean.stderr), new RegExp(`^check: no violation \\(3 hosts, 36 VMs, ${entries} journal entries checked\\); pv-path: .*by construction\\n$`))

    const id = withStore(state, (store) => {
      const planted = store.journalPlanned({runId: DEAD_RUN, kind: 'migrate', vm: 'web1', host: 'host1', toHost: 'host2', reason: 'planted'})
      store.journalUpdate(planted, 'started')
      return planted
    })
    const broken = await sova(['check', '--format', 'json'], {state})
    assert.equal(broken.exitCode, 1, String(broken.stderr))
    assert.deepEqual(documents(broken.stdout), [
      {invariant: 'journal-unfinished', host: 'host1', vm: 'web1', vf: '', detail: `unfinished action #${id} (migrate web1) of run ${DEAD_RUN}: left started, the run is no longer running`},
    ])
    assert.match(String(broken.stderr), /sova check: 1 violation of the safety invariants/)
  })

  it('reports a VF the simulated cluster gives to two VMs', async () => {
    const state = freshStateDir()
    const vf = withStore(state, (store) => {
      const cluster = readSimCluster(store)
      const [holder, other] = cluster.vms.filter((vm) => vm.host === 'host1' && vm.vf !== null)
      other.vf = holder.vf
      store.writeSim(JSON.stringify(cluster))
      return holder.vf
    })
    const result = await sova(['check', '--format', 'json'], {state})
    assert.equal(result.exitCode, 1, String(result.stderr))
    const records = documents(result.stdout)
    assert.deepEqual(records.map((r: any) => [r.invariant, r.host, r.vf]), [['vf-single-owner', 'host1', vf]])
  })
})
