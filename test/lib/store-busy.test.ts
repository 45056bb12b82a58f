// A busy state store (another sova writing) never kills a command: every call waits and retries
// until its budget is spent, and only then exits 75 ("try later"), never 70.
import assert from 'node:assert/strict'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {EXIT} from '../../src/lib/errors.js'
import {BUSY_TIMEOUT_MS, retryBusy} from '../../src/lib/store/sqlite.js'
import {StoreBusyError} from '../../src/lib/store/store-errors.js'
import {freshStateDir, sova} from '../cli/helpers.js'

const HOLD = join(import.meta.dirname, '..', 'fixtures', 'bin', 'lock', 'hold-write-lock.mjs')
const busy = () => Object.assign(new Error('database is locked'), {code: 'SQLITE_BUSY'})

/** A clock that advances only when slept on. */
function fakeTime() {
  let now = 0
  const slept: number[] = []
  return {slept, policy: {budgetMs: 1000, now: () => now, sleep: (ms: number) => (slept.push(ms), (now += ms))}}
}

describe('retryBusy', () => {
  it('retries a busy call until it succeeds, pausing longer each time', () => {
    const {slept, policy} = fakeTime()
    let calls = 0
    assert.equal(retryBusy(() => (++calls < 4 ? (() => { throw busy() })() : 'ok'), 'f', policy), 'ok')
    assert.equal(calls, 4)
    assert.equal(slept.length, 3)
    assert.ok(slept[2] > slept[0], String(slept))
  })

  it('gives up once the budget is spent: exit 75 naming the file, not an internal error', () => {
    const {policy} = fakeTime()
    assert.throws(() => retryBusy(() => { throw Object.assign(new Error('x'), {code: 'SQLITE_BUSY_SNAPSHOT'}) }, '/s/state.db', policy), (error: unknown) => {
      assert.ok(error instanceof StoreBusyError)
      assert.equal(error.exit, EXIT.locked)
      assert.match(error.message, /^state store \/s\/state\.db stayed busy for 1 s/)
      return true
    })
  })

  it('retries a read refused while another process rewrites the WAL index (SQLITE_PROTOCOL), as a busy one', () => {
    const {slept, policy} = fakeTime()
    let calls = 0
    const protocol = () => Object.assign(new Error('locking protocol'), {code: 'SQLITE_PROTOCOL'})
    assert.equal(retryBusy(() => (++calls < 3 ? (() => { throw protocol() })() : 'ok'), 'f', policy), 'ok')
    assert.equal(slept.length, 2)
  })

  it('any other error goes through at once', () => {
    const {slept, policy} = fakeTime()
    assert.throws(() => retryBusy(() => { throw Object.assign(new Error('no such table'), {code: 'SQLITE_ERROR'}) }, 'f', policy), /no such table/)
    assert.deepEqual(slept, [])
  })
})

describe('a busy store through the CLI', () => {
  it(`a write lock held ${(2 * BUSY_TIMEOUT_MS + 2000) / 1000} s (past SQLite's own timeout, and the 10 s it had before): collect and run wait and succeed`, async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'reset'], {state})).exitCode, 0)
    const holder = execa(process.execPath, [HOLD, state, String(2 * BUSY_TIMEOUT_MS + 2000)])
    await new Promise<void>((resolve) => holder.stdout?.once('data', () => resolve()))
    const [collect, run] = await Promise.all([sova(['collect', '--format', 'json'], {state}), sova(['run', '--once', '--format', 'json'], {state})])
    await holder
    assert.equal(collect.exitCode, 0, String(collect.stderr))
    assert.equal(run.exitCode, 0, String(run.stderr))
  })

  it('16 collects beside a run of 5 cycles: none dies (no exit 70 anywhere)', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'reset'], {state})).exitCode, 0)
    const results = await Promise.all([
      sova(['run', '--cycles', '5', '--interval', '0s', '--format', 'json'], {state}),
      ...Array.from({length: 16}, () => sova(['collect', '--format', 'json'], {state})),
    ])
    for (const result of results) assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal((await sova(['check'], {state})).exitCode, 0)
  })
})
