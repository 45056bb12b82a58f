// The state store keeps the last document of each cluster for `sova explain`.
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import Database from 'better-sqlite3'
import {MIGRATIONS} from '../../src/lib/store/schema-sql.js'
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

  it('in files beside the store: the newest by save order even within one clock tick, private to the owner', () => {
    const dir = freshStateDir()
    const store = Store.open(dir)
    // Saves far closer together than a file system's timestamps resolve.
    for (let n = 1; n <= 20; n++) store.saveLastDocument(n % 2 ? 'rack7' : 'sim:paper:1', `{"n":${n}}`)
    assert.equal(store.lastDocument()?.json, '{"n":20}')
    assert.equal(store.lastDocument('rack7')?.json, '{"n":19}')
    const savedAt = Date.parse(store.lastDocument()?.savedAt ?? '')
    assert.ok(Math.abs(savedAt - Date.now()) < 60_000, `saved just now, by the file's time (${store.lastDocument()?.savedAt})`)
    store.close()
    const files = join(dir, 'last-documents')
    assert.equal(statSync(files).mode & 0o777, 0o700)
    assert.deepEqual(readdirSync(files).sort(), [`${Buffer.from('rack7').toString('hex')}.json`, `${Buffer.from('sim:paper:1').toString('hex')}.json`, 'latest'].sort(), 'one file per cluster and the latest one\'s name, no temporary left')
    for (const name of readdirSync(files)) assert.equal(statSync(join(files, name)).mode & 0o777, 0o600)
  })

  it('a store of the version before last (documents in a table) is brought up to date, its old tables gone', () => {
    const dir = freshStateDir()
    Store.open(dir).close()
    // Back to two versions before this one, with a document in the old table.
    const db = new Database(join(dir, 'state.db'))
    db.exec(`CREATE TABLE last_document (cluster TEXT PRIMARY KEY, saved INTEGER NOT NULL, saved_at TEXT NOT NULL, json TEXT NOT NULL);
      INSERT INTO last_document VALUES ('rack7', 1, '2026-01-01T00:00:00.000Z', '{"n":1}')`)
    db.pragma(`user_version = ${MIGRATIONS.findIndex((step) => step.includes('CREATE TABLE last_document_saved'))}`)
    db.close()
    const store = Store.open(dir)
    assert.equal(store.lastDocument(), undefined, 'the next command to write a document keeps it anew')
    store.saveLastDocument('rack7', '{"n":2}')
    assert.equal(store.lastDocument()?.json, '{"n":2}')
    store.close()
    const after = new Database(join(dir, 'state.db'), {readonly: true})
    assert.deepEqual(after.prepare("SELECT name FROM sqlite_master WHERE name LIKE 'last_document%'").all(), [], 'nothing of the last documents is in SQLite')
    after.close()
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
    const kept = store.lastDocument(planned.source.cluster)?.json ?? ''
    // pipeline() drops the final newline of what it read.
    assert.ok(kept === `${String(piped.stdout)}\n`, `the bytes written to stdout, kept as they were (kept ${kept.length} chars ending ${JSON.stringify(kept.slice(-20))}, stdout ${String(piped.stdout).length} ending ${JSON.stringify(String(piped.stdout).slice(-20))})`)
    store.close()
  })
})
