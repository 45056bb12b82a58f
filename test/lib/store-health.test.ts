// A state store this sova cannot trust is refused with exit 65, naming the file and what to do:
// one a newer sova wrote, a damaged one, an empty file where the store was. Never used silently,
// never an internal error, never started over; `sova check` never calls such a store clean.
import assert from 'node:assert/strict'
import {closeSync, existsSync, openSync, readdirSync, statSync, truncateSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import Database from 'better-sqlite3'
import {MIGRATIONS} from '../../src/lib/store/schema-sql.js'
import {Store} from '../../src/lib/store/store.js'
import {freshStateDir, sova} from '../cli/helpers.js'

/** A store with a run's samples and journal in it, closed (its WAL folded back in). */
async function usedStore(): Promise<{state: string; file: string}> {
  const state = freshStateDir()
  const run = await sova(['run', '--cycles', '3', '--interval', '0s', '--format', 'json'], {state})
  assert.equal(run.exitCode, 0, String(run.stderr))
  return {state, file: join(state, 'state.db')}
}

/** Overwrites the first page of `name` (a table or an index) with 0xff bytes. */
function smashPage(file: string, name: string): void {
  const db = new Database(file)
  const pageSize = db.pragma('page_size', {simple: true}) as number
  const {rootpage} = db.prepare('SELECT rootpage FROM sqlite_master WHERE name = ?').get(name) as {rootpage: number}
  db.pragma('wal_checkpoint(TRUNCATE)')
  db.close()
  const fd = openSync(file, 'r+')
  writeSync(fd, Buffer.alloc(pageSize, 0xff), 0, pageSize, (rootpage - 1) * pageSize)
  closeSync(fd)
}

describe('a state store sova cannot use', () => {
  it('written by a newer sova: every command refuses it with 65, naming the versions, the file and the remedy', async () => {
    const {state, file} = await usedStore()
    const db = new Database(file)
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`)
    db.close()
    for (const args of [['collect'], ['run', '--once'], ['check'], ['history']]) {
      const result = await sova([...args, '--format', 'json'], {state})
      assert.equal(result.exitCode, 65, `${args.join(' ')}: ${result.stderr}`)
      assert.equal(String(result.stdout), '')
      assert.equal(
        String(result.stderr),
        `sova ${args[0]}: state store ${file} has schema version ${MIGRATIONS.length + 1}, but this sova knows versions up to ${MIGRATIONS.length}: a newer sova wrote it (upgrade sova, or point --state / SOVA_STATE_DIR at another directory)\n`,
      )
    }
  })

  it('an index damaged: run and check refuse it with 65 and how to move it aside (check never says all is well)', async () => {
    const {state, file} = await usedStore()
    smashPage(file, 'samples_cluster_at_size')
    for (const args of [['check'], ['run', '--once']]) {
      const result = await sova([...args, '--format', 'json'], {state})
      assert.equal(result.exitCode, 65, `${args.join(' ')}: ${result.stderr}`)
      assert.match(String(result.stderr), new RegExp(`^sova ${args[0]}: state store ${file} is damaged \\(.+\\) \\(move it aside \\(mv ${file} ${file}\\.damaged, with its -wal and -shm files if any\\) and run sova again`))
    }
  })

  it('a table damaged: a command that reads it (no check first) refuses with 65, not an internal error', async () => {
    const {state, file} = await usedStore()
    smashPage(file, 'journal')
    const result = await sova(['history', '--format', 'json'], {state})
    assert.equal(result.exitCode, 65, String(result.stderr))
    assert.match(String(result.stderr), /is damaged \(database disk image is malformed\) \(move it aside/)
  })

  it('not a database at all: 65 with the remedy', async () => {
    const state = freshStateDir()
    const fd = openSync(join(state, 'state.db'), 'w')
    writeSync(fd, Buffer.alloc(8192, 0x41))
    closeSync(fd)
    const result = await sova(['collect', '--format', 'json'], {state})
    assert.equal(result.exitCode, 65, String(result.stderr))
    assert.match(String(result.stderr), /state store .*state\.db is damaged \(file is not a database\) \(move it aside/)
  })

  it('truncated to 0 bytes: refused, left as it is, not started over', async () => {
    const {state, file} = await usedStore()
    truncateSync(file, 0)
    for (const args of [['run', '--once'], ['collect'], ['check']]) {
      const result = await sova([...args, '--format', 'json'], {state})
      assert.equal(result.exitCode, 65, `${args.join(' ')}: ${result.stderr}`)
      assert.equal(
        String(result.stderr),
        `sova ${args[0]}: state store ${file} is an empty file: it was truncated, and the journal and samples it held are gone (restore it from a backup, or remove it (rm ${file}) and run sova again to start a new store)\n`,
      )
    }
    assert.equal(statSync(file).size, 0)
  })

  it('a new directory gets a complete store, and no file of its making is left behind', () => {
    const state = freshStateDir()
    const store = Store.open(state)
    assert.equal(store.journalCount(), 0)
    store.close()
    assert.ok(existsSync(join(state, 'state.db')))
    assert.deepEqual(readdirSync(state).filter((name) => name.includes('.new-')), [])
    const db = new Database(join(state, 'state.db'), {readonly: true})
    assert.equal(db.pragma('user_version', {simple: true}), MIGRATIONS.length)
    assert.equal(db.pragma('journal_mode', {simple: true}), 'wal')
    db.close()
  })
})
