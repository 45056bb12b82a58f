import {after, describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {EXIT, LockedError} from '../../src/lib/errors.js'
import {isProcessAlive, Store, type LockOwner} from '../../src/lib/store/store.js'

const dirs: string[] = []
function openStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'sova-lock-'))
  dirs.push(dir)
  return Store.open(dir)
}
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

// A probe that finds every recorded holder still running.
const alive = () => 'alive' as const
const owner = (pid: number, stdinPipe: number | null, stdoutPipe: number | null, stage: LockOwner['stage'] = null): LockOwner => ({pid, stdinPipe, stdoutPipe, stage})

/** The exact refusal a second run sees: holder's command and pid, the time it took the lock. */
function assertLockedBy(run: () => void, command: string, pid: number): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof LockedError, `expected a LockedError, got ${String(error)}`)
    assert.equal(error.exit, EXIT.locked)
    assert.equal(error.exit, 75)
    assert.match(
      error.message,
      new RegExp(`^another run holds the lock: "sova ${command}" \\(pid ${pid}, since \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\)$`),
    )
    assert.equal(error.remedy, 'try again later; cron wrappers may treat exit 75 as "skipped"')
    return true
  })
}

describe('run lock', () => {
  // The holder is the stage `sova migrate` with stdin from pipe 500 and stdout to pipe 501.
  const holder = owner(101, 500, 501, 'migrate')
  const cases: {why: string; second: LockOwner; shares: boolean}[] = [
    {why: 'unrelated pipes', second: owner(202, 700, 701, 'switch-vf'), shares: false},
    {why: 'no pipes at all (two cron runs)', second: owner(202, null, null), shares: false},
    {why: 'both stdin from one pipe (tee), not neighbours', second: owner(202, 500, null, 'switch-vf'), shares: false},
    {why: 'the next stage, switch-vf reading migrate', second: owner(202, 501, 900, 'switch-vf'), shares: true},
    {why: 'a run reading migrate (run never shares)', second: owner(202, 501, 900), shares: false},
    {why: 'a second migrate reading migrate', second: owner(202, 501, 900, 'migrate'), shares: false},
    {why: 'switch-vf feeding migrate (against the loop order)', second: owner(202, 300, 500, 'switch-vf'), shares: false},
    {why: 'a run feeding migrate', second: owner(202, 300, 500), shares: false},
  ]
  for (const {why, second, shares} of cases) {
    it(`${shares ? 'shares' : 'refuses'}: ${why}`, () => {
      const store = openStore()
      store.acquireRunLock('migrate', alive, holder)
      const take = () => store.acquireRunLock(second.stage ?? 'run', alive, second)
      if (shares) assert.doesNotThrow(take)
      else assertLockedBy(take, 'migrate', 101)
      store.close()
    })
  }

  it('switch-vf holding first shares with the migrate that feeds it', () => {
    const store = openStore()
    store.acquireRunLock('switch-vf', alive, owner(101, 501, null, 'switch-vf'))
    assert.doesNotThrow(() => store.acquireRunLock('migrate', alive, owner(202, 500, 501, 'migrate')))
    store.close()
  })

  it('null pipes on both sides never make neighbours', () => {
    const store = openStore()
    store.acquireRunLock('run', alive, owner(101, null, null))
    assertLockedBy(() => store.acquireRunLock('migrate', alive, owner(202, null, null)), 'run', 101)
    store.close()
  })

  it('a dead holder is removed and the lock taken; the next run is refused by the new holder', () => {
    const store = openStore()
    store.acquireRunLock('run', alive, owner(101, null, null))
    const probed: number[] = []
    const takeovers = store.acquireRunLock('migrate', (pid) => (probed.push(pid), pid === 101 ? 'gone' : 'alive'), owner(202, null, null))
    assert.deepEqual(probed, [101])
    assert.deepEqual(takeovers.map(({pid, command, state}) => ({pid, command, state})), [{pid: 101, command: 'run', state: 'gone'}])
    assertLockedBy(() => store.acquireRunLock('switch-vf', alive, owner(303, null, null)), 'migrate', 202)
    store.close()
  })

  it('the same process may take it again', () => {
    const store = openStore()
    store.acquireRunLock('run', alive, owner(101, null, null))
    assert.doesNotThrow(() => store.acquireRunLock('run', alive, owner(101, null, null)))
    store.close()
  })

  it('releaseRunLock(pid) frees it', () => {
    const store = openStore()
    store.acquireRunLock('run', alive, owner(101, null, null))
    assertLockedBy(() => store.acquireRunLock('migrate', alive, owner(202, null, null)), 'run', 101)
    store.releaseRunLock(101)
    assert.doesNotThrow(() => store.acquireRunLock('migrate', alive, owner(202, null, null)))
    store.close()
  })

  it('releasing another pid leaves the holder in place', () => {
    const store = openStore()
    store.acquireRunLock('run', alive, owner(101, null, null))
    store.releaseRunLock(999)
    assertLockedBy(() => store.acquireRunLock('migrate', alive, owner(202, null, null)), 'run', 101)
    store.close()
  })

  it('a three-stage pipeline shares; an outsider is refused naming the first holder', () => {
    const store = openStore()
    store.acquireRunLock('migrate', alive, owner(101, 400, 401, 'migrate'))
    store.acquireRunLock('switch-vf', alive, owner(102, 401, null, 'switch-vf'))
    assertLockedBy(() => store.acquireRunLock('run', alive, owner(103, null, null)), 'migrate', 101)
    store.close()
  })

  it('the lock is held across store handles (another process opening the same directory)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sova-lock-'))
    dirs.push(dir)
    const first = Store.open(dir)
    const second = Store.open(dir)
    first.acquireRunLock('run', alive, owner(101, null, null))
    assertLockedBy(() => second.acquireRunLock('migrate', alive, owner(202, null, null)), 'run', 101)
    first.close()
    second.close()
  })

  it('isProcessAlive: this process is, a pid beyond pid_max is not', () => {
    assert.equal(isProcessAlive(process.pid), true)
    assert.equal(isProcessAlive(2 ** 30), false)
  })
})

describe('samples', () => {
  const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString()

  it('addSample keeps only the newest `keep` samples of each cluster', () => {
    const store = openStore()
    // Cluster a: 5 samples added out of time order; keep 3 -> the three latest by time (30, 40, 50).
    for (const s of [30, 10, 50, 20, 40]) store.addSample('a', at(s), `raw-a-${s}`, {h1: s / 100}, {keep: 3})
    // Cluster b: 2 samples, untouched by a's pruning.
    for (const s of [5, 15]) store.addSample('b', at(s), `raw-b-${s}`, {h9: s / 100}, {keep: 3})
    // Raw counters stay on the newest two only (retention).
    assert.deepEqual(store.samplesBefore('a', at(59), 10), [
      {at: at(30), raw: '', utilisation: {h1: 0.3}},
      {at: at(40), raw: 'raw-a-40', utilisation: {h1: 0.4}},
      {at: at(50), raw: 'raw-a-50', utilisation: {h1: 0.5}},
    ])
    assert.deepEqual(store.samplesBefore('b', at(59), 10).map((sample) => sample.raw), ['raw-b-5', 'raw-b-15'])
    assert.deepEqual(store.lastSample('a'), {at: at(50), raw: 'raw-a-50', utilisation: {h1: 0.5}})
    assert.equal(store.lastSample('c'), undefined)
    store.close()
  })

  const cases: {why: string; cluster: string; before: number; limit: number; times: number[]}[] = [
    {why: 'strictly before the time (20 itself excluded)', cluster: 'a', before: 20, limit: 10, times: [0, 10]},
    {why: 'the newest `limit` of them, oldest first', cluster: 'a', before: 45, limit: 2, times: [30, 40]},
    {why: 'only that cluster', cluster: 'b', before: 45, limit: 10, times: [25]},
    {why: 'none before the first', cluster: 'a', before: 0, limit: 10, times: []},
    {why: 'an unknown cluster', cluster: 'zzz', before: 45, limit: 10, times: []},
  ]
  for (const {why, cluster, before, limit, times} of cases) {
    it(`samplesBefore: ${why}`, () => {
      const store = openStore()
      for (const s of [0, 10, 20, 30, 40]) store.addSample('a', at(s), `a${s}`, {h1: s})
      store.addSample('b', at(25), 'b25', {h1: 25})
      assert.deepEqual(store.samplesBefore(cluster, at(before), limit).map((sample) => sample.utilisation.h1), times)
      store.close()
    })
  }

  it('samplesBefore compares times, not strings (an offset time zone)', () => {
    const store = openStore()
    // 01:00:00+01:00 is 00:00:00Z: before 00:00:30Z, although the string sorts after it.
    store.addSample('a', '2024-01-01T01:00:00+01:00', 'offset', {h1: 0})
    assert.deepEqual(store.samplesBefore('a', '2024-01-01T00:00:30Z', 10).map((sample) => sample.raw), ['offset'])
    store.close()
  })
})
