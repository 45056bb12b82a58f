// A run lock's holder is known by its start time and boot, not only its pid: a reused pid or a
// killed holder is taken over (and the takeover reported); a live holder still refuses.
import {after, describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {LockedError} from '../../src/lib/errors.js'
import {identityDiffers, parseStartTicks, processIdentity, readBootId} from '../../src/lib/store/process-identity.js'
import {describeTakeover, lockHolderState, Store, type LockOwner} from '../../src/lib/store/store.js'
import {freshStateDir, sova} from '../cli/helpers.js'

const hasProc = existsSync('/proc/self/stat')
const linuxOnly = hasProc ? {} : {skip: 'no /proc here: the pid check alone decides'}
const STORE_MODULE = join(import.meta.dirname, '..', '..', 'src', 'lib', 'store', 'store.ts')

const dirs: string[] = []
const children: ChildProcess[] = []
/** A store in a fresh directory, removed after the tests. */
function openStore(): {store: Store; dir: string} {
  const dir = mkdtempSync(join(tmpdir(), 'sova-lock-id-'))
  dirs.push(dir)
  return {store: Store.open(dir), dir}
}
after(() => {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

/** A live process that is not this one (a `sleep`), so its pid passes the pid check. */
function spawnSleeper(): ChildProcess {
  const child = spawn('sleep', ['60'], {stdio: 'ignore'})
  children.push(child)
  return child
}

/** A child process that takes the lock in `dir` with its real identity and prints "locked". */
async function spawnLockHolder(dir: string): Promise<ChildProcess> {
  const script = `const {Store} = await import(${JSON.stringify(STORE_MODULE)});
    const {lockHolderState} = await import(${JSON.stringify(STORE_MODULE)});
    Store.open(${JSON.stringify(dir)}).acquireRunLock('run', lockHolderState);
    console.log('locked'); setInterval(() => {}, 1000);`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'inherit']})
  children.push(child)
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`lock holder exited early (${code})`)))
  })
  return child
}

/** Resolves once `child` has exited (after kill -9). */
function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()))
}

/** `pid` as a holder with no pipes and the given recorded start time (this boot). */
function holderWithStart(pid: number, startTicks: number | null): LockOwner {
  return {pid, stdinPipe: null, stdoutPipe: null, identity: {startTicks, bootId: readBootId()}}
}

describe('parseStartTicks (/proc/<pid>/stat field 22)', () => {
  // Fields 3..21 are filler, field 22 (starttime) is 987654, then more fields follow.
  const tail = (comm: string) => `4242 ${comm} S ${Array.from({length: 18}, (_, i) => i + 1).join(' ')} 987654 3133440 393`
  const cases: {why: string; line: string; ticks: number | null}[] = [
    {why: 'a plain comm', line: tail('(sova)'), ticks: 987654},
    {why: "a comm with spaces and ')' inside", line: tail('(sova (x) run)'), ticks: 987654},
    {why: 'a comm that looks like fields', line: tail('(a) 1 2 3 b)'), ticks: 987654},
    {why: 'zeros around the start time', line: `${process.pid} (node) R ${'0 '.repeat(18)}555 1 2`, ticks: 555},
    {why: 'no parentheses at all', line: '4242 sova S 1 2 3', ticks: null},
    {why: 'too few fields', line: '4242 (sova) S 1 2 3', ticks: null},
    {why: 'a non-number where the start time is', line: tail('(sova)').replace('987654', 'x'), ticks: null},
  ]
  for (const {why, line, ticks} of cases) {
    it(`${why} -> ${ticks}`, () => assert.equal(parseStartTicks(line), ticks))
  }
})

describe('identityDiffers', () => {
  const cases: {why: string; recorded: [number | null, string | null]; current: [number | null, string | null]; differs: boolean}[] = [
    {why: 'same start, same boot', recorded: [10, 'b1'], current: [10, 'b1'], differs: false},
    {why: 'another start (pid reuse)', recorded: [10, 'b1'], current: [11, 'b1'], differs: true},
    {why: 'another boot, same ticks (reboot)', recorded: [10, 'b1'], current: [10, 'b2'], differs: true},
    {why: 'an old row without identity', recorded: [null, null], current: [10, 'b1'], differs: false},
    {why: 'no /proc now', recorded: [10, 'b1'], current: [null, null], differs: false},
  ]
  for (const {why, recorded, current, differs} of cases) {
    it(`${why} -> ${differs}`, () => {
      const identity = ([startTicks, bootId]: [number | null, string | null]) => ({startTicks, bootId})
      assert.equal(identityDiffers(identity(recorded), identity(current)), differs)
    })
  }
})

describe('lockHolderState', () => {
  it('this process with its own identity is alive; with a forged start time it is replaced', linuxOnly, () => {
    const own = processIdentity(process.pid)
    assert.equal(typeof own.startTicks, 'number')
    assert.equal(lockHolderState(process.pid, own), 'alive')
    assert.equal(lockHolderState(process.pid, {...own, startTicks: own.startTicks! + 1}), 'replaced')
    assert.equal(lockHolderState(process.pid, {...own, bootId: 'another-boot'}), 'replaced')
  })

  it('an unknown identity falls back to the pid check; a pid beyond pid_max is gone', () => {
    assert.equal(lockHolderState(process.pid, {startTicks: null, bootId: null}), 'alive')
    assert.equal(lockHolderState(2 ** 30, {startTicks: null, bootId: null}), 'gone')
  })
})

describe('run lock with process identity', () => {
  it('a live pid with another recorded start time is taken over, and the takeover is returned', linuxOnly, () => {
    const {store} = openStore()
    const sleeper = spawnSleeper()
    const real = processIdentity(sleeper.pid!).startTicks!
    store.acquireRunLock('run', () => 'alive', holderWithStart(sleeper.pid!, real + 1))
    const takeovers = store.acquireRunLock('migrate', lockHolderState, holderWithStart(process.pid, processIdentity(process.pid).startTicks))
    assert.deepEqual(takeovers.map(({pid, command, state}) => ({pid, command, state})), [{pid: sleeper.pid, command: 'run', state: 'replaced'}])
    assert.match(
      describeTakeover(takeovers[0]),
      new RegExp(`^took over a stale run lock from "sova run" \\(pid ${sleeper.pid}, since \\S+Z\\): its pid now belongs to another process$`),
    )
    store.close()
  })

  it('a live pid with its real start time, or an old row without one, still refuses', () => {
    const sleeper = spawnSleeper()
    const real = processIdentity(sleeper.pid!).startTicks
    for (const startTicks of [real, null]) {
      const {store} = openStore()
      store.acquireRunLock('run', () => 'alive', holderWithStart(sleeper.pid!, startTicks))
      assert.throws(() => store.acquireRunLock('migrate', lockHolderState), LockedError)
      store.close()
    }
  })

  it('a holder killed with -9 refuses while alive and is taken over after', async () => {
    const {store, dir} = openStore()
    const holder = await spawnLockHolder(dir)
    assert.throws(() => store.acquireRunLock('migrate', lockHolderState), LockedError)
    holder.kill('SIGKILL')
    await exited(holder)
    const takeovers = store.acquireRunLock('migrate', lockHolderState)
    assert.deepEqual(takeovers.map(({pid, state}) => ({pid, state})), [{pid: holder.pid, state: 'gone'}])
    assert.match(describeTakeover(takeovers[0]), /: that process is gone$/)
    store.close()
  })

  it('the CLI takes over a lock of a reused pid and says so in one line on stderr', linuxOnly, async () => {
    const state = freshStateDir()
    dirs.push(state)
    const sleeper = spawnSleeper()
    const store = Store.open(state)
    store.acquireRunLock('run', () => 'alive', holderWithStart(sleeper.pid!, processIdentity(sleeper.pid!).startTicks! + 1))
    // The row stays behind as a crashed holder's would: the handle closes without this process holding it.
    store.close()
    const result = await sova(['run', '--once'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const notes = String(result.stderr).split('\n').filter((line) => line.includes('stale run lock'))
    assert.equal(notes.length, 1, String(result.stderr))
    assert.match(notes[0], new RegExp(`^run: took over a stale run lock from "sova run" \\(pid ${sleeper.pid}, since .*\\): its pid now belongs to another process$`))
  })
})
