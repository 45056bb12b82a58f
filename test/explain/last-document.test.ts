// The state store keeps the last document of each cluster for `sova explain`.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {Store} from '../../src/lib/store/store.js'
import {documents, freshStateDir, pipeline, sova} from '../cli/helpers.js'

describe('store: last document', () => {
  it('keeps one document per cluster; without a cluster, the most recently saved wins', () => {
    const store = Store.openInMemory()
    assert.equal(store.lastDocument(), undefined)
    store.saveLastDocument('rack7', '{"n":1}')
    store.saveLastDocument('sim:paper:1', '{"n":2}')
    assert.equal(store.lastDocument()?.json, '{"n":2}')
    assert.equal(store.lastDocument()?.cluster, 'sim:paper:1')
    assert.equal(store.lastDocument('rack7')?.json, '{"n":1}')
    store.saveLastDocument('rack7', '{"n":3}')
    assert.equal(store.lastDocument()?.json, '{"n":3}', 'a newer save of an older cluster is the newest')
    assert.equal(store.lastDocument('rack7')?.json, '{"n":3}', 'replaced, not added')
    assert.equal(store.lastDocument('sim:paper:1')?.json, '{"n":2}')
    assert.equal(store.lastDocument('nowhere'), undefined)
    assert.ok(!Number.isNaN(Date.parse(store.lastDocument()?.savedAt ?? '')), 'savedAt is an ISO time')
    store.close()
  })

  it('lasts across processes: the migration runs once, the document stays', () => {
    const dir = freshStateDir()
    const first = Store.open(dir)
    first.saveLastDocument('sim:paper:1', '{"sova":1}')
    first.close()
    const again = Store.open(dir)
    assert.deepEqual({cluster: again.lastDocument()?.cluster, json: again.lastDocument()?.json}, {cluster: 'sim:paper:1', json: '{"sova":1}'})
    again.close()
  })
})

/** What `sova explain` (nothing piped in) says of `vm`: the explanation of the document it found. */
async function explained(state: string, vm: string): Promise<any> {
  const result = await sova(['explain', '--vm', vm, '--format', 'json'], {state})
  assert.equal(result.exitCode, 0, String(result.stderr))
  return documents(result.stdout)[0]
}

describe('sova explain with nothing piped in: the last document any command wrote', () => {
  it('after a dry run, one-offs, a collect and a pipeline, each time the document just written', async () => {
    const state = freshStateDir()
    const dryRun = documents((await sova(['run', '--once', '--dry-run'], {state})).stdout)[0]
    assert.equal((await explained(state, 'web1')).at, dryRun.at)

    // A one-off migration replaces the dry run's document: explain tells of the move.
    const moved = await sova(['migrate', 'web1', '--to', 'host3'], {state})
    assert.equal(moved.exitCode, 0, String(moved.stderr))
    const migration = documents(moved.stdout)[0]
    assert.ok(migration.at > dryRun.at)
    const afterMove = await explained(state, 'web1')
    assert.equal(afterMove.at, migration.at)
    assert.deepEqual(afterMove.actions.map((action: any) => `${action.kind} ${action.status}`), migration.actions.map((action: any) => `${action.kind} ${action.status}`))
    assert.ok(afterMove.actions.some((action: any) => action.kind === 'migrate' && action.status === 'done'), JSON.stringify(afterMove.actions))

    const switched = await sova(['switch-vf', 'idle1', '--to', 'vf'], {state})
    assert.equal(switched.exitCode, 0, String(switched.stderr))
    const vf = documents(switched.stdout)[0]
    const afterSwitch = await explained(state, 'idle1')
    assert.equal(afterSwitch.at, vf.at)
    assert.deepEqual(afterSwitch.actions.map((action: any) => `${action.kind} ${action.status}`), ['attach-vf done'])

    const sample = documents((await sova(['collect'], {state})).stdout)[0]
    assert.ok(sample.at > vf.at)
    const afterCollect = await explained(state, 'idle1')
    assert.equal(afterCollect.at, sample.at)
    assert.deepEqual(afterCollect.actions, [])

    // In a pipeline every stage keeps its document before the next one reads it: balance's is kept last.
    const piped = await pipeline(['collect', 'score', 'balance'], {state})
    assert.equal(piped.exitCode, 0, String(piped.stderr))
    const planned = documents(piped.stdout)[0]
    const afterPipeline = await explained(state, 'web1')
    assert.equal(afterPipeline.at, planned.at)
    assert.equal(afterPipeline.policy, planned.plan.policy, 'the scored and planned document, not the bare sample')
    assert.ok(planned.scores && planned.plan)
    const store = Store.open(state)
    assert.deepEqual(JSON.parse(store.lastDocument(planned.source.cluster)?.json ?? 'null'), planned)
    store.close()
  })
})
