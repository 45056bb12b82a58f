// `sova drain HOST` / `sova undrain HOST` on the simulator: a host emptied through the one executor
// (VF detached first, VF on arrival), a refusal naming every blocker with nothing done, a dry run
// that changes nothing, idempotence, a drain killed midway finished by the next, and undrain.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import Database from 'better-sqlite3'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, it} from 'node:test'
import {SimBackend} from '../../src/lib/backends/sim/backend.js'
import {type JournalEntry, Store} from '../../src/lib/store/store.js'
import {isBusy} from '../../src/lib/store/store-errors.js'
import {BIN, documents, freshStateDir, sova, withStore} from './helpers.js'

const CLUSTER = 'sim:paper:1'

/** Where each VM is, by the simulator's own account (no sample taken, the clock not advanced). */
async function placement(state: string): Promise<Record<string, string[]>> {
  const snapshot = await withStore(state, (store) => new SimBackend(store).snapshot())
  const where: Record<string, string[]> = {}
  for (const host of snapshot.hosts) for (const vm of host.vms) (where[vm.name] ??= []).push(host.name)
  return where
}

const vmsOn = async (state: string, host: string) => Object.entries(await placement(state)).filter(([, hosts]) => hosts.includes(host)).map(([vm]) => vm)
const marks = (state: string) => withStore(state, (store) => store.hostMarks(CLUSTER))

async function journal(state: string): Promise<any[]> {
  return documents((await sova(['history', '--format', 'json', '--limit', '100000'], {state})).stdout)
}

/** Waits until `pid` is stopped (SIGSTOP delivered), reading its state in /proc. */
/** `sova drain HOST` started in the background on `state`, for a test to kill: the child, when it has exited, and whether it has. */
function drainInBackground(state: string, host: string) {
  const child = spawn(process.execPath, [BIN, 'drain', host, '--quiet'], {env: {...process.env, SOVA_STATE_DIR: state}, stdio: 'ignore'})
  let closed = false
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve())).then(() => {
    closed = true
  })
  return {child, exited, closed: () => closed}
}

async function frozen(pid: number): Promise<void> {
  for (let polls = 0; polls < 1000; polls++) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (/^\d+ \(.*\) [Tt] /.test(stat)) return
    } catch {
      return // gone
    }
    await sleep(1)
  }
}

/**
 * The journal as committed, read without taking any lock: a process frozen (SIGSTOP) while it
 * holds the store's write lock would keep Store.open waiting.
 */
function journalRead(state: string): Pick<JournalEntry, 'id' | 'kind' | 'vm' | 'status' | 'reason'>[] {
  const db = new Database(join(state, 'state.db'), {readonly: true, fileMustExist: true, timeout: 50})
  try {
    return db.prepare('SELECT id, kind, vm, status, reason FROM journal ORDER BY id').all() as Pick<JournalEntry, 'id' | 'kind' | 'vm' | 'status' | 'reason'>[]
  } finally {
    db.close()
  }
}

/**
 * `read()`, or undefined when the store cannot be read at this instant (isBusy, as sova's own store
 * judges it): busy, or a writer frozen (SIGSTOP) in the middle of updating the WAL index.
 */
function readable<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch (error) {
    if (isBusy(error)) return undefined
    throw error
  }
}

/**
 * The VMs a run's journal shows in the middle of their move: a step planned or started, a VF
 * detached for a move not yet journalled, a move done whose promised VF on arrival is not yet
 * journalled, a move failed whose VF is not given back yet.
 */
function movesUnderWay(rows: readonly Pick<JournalEntry, 'id' | 'kind' | 'vm' | 'status' | 'reason'>[]): string[] {
  const last = new Map<string, (typeof rows)[number]>()
  for (const row of rows) last.set(row.vm, row)
  return [...last.values()]
    .filter((row) => {
      if (row.status === 'planned' || row.status === 'started') return true
      if (row.kind === 'detach-vf' && row.status === 'done') return /^detach before migrating/.test(row.reason)
      if (row.kind === 'migrate' && row.status === 'done') return row.reason.includes(', a VF on arrival')
      return row.kind === 'migrate' && row.status === 'failed' && rows.some((other) => other.vm === row.vm && other.kind === 'detach-vf' && other.status === 'done' && other.id < row.id)
    })
    .map((row) => row.vm)
    .sort()
}

describe('sova drain / undrain', () => {
  it('empties host1: VFs detached first, each VM migrated, a VF on arrival where one is free; then host1 is in maintenance, in every document', async () => {
    const state = freshStateDir()
    const before = await vmsOn(state, 'host1')
    assert.equal(before.length, 12)
    const drain = await sova(['drain', 'host1'], {state})
    assert.equal(drain.exitCode, 0, String(drain.stderr))
    const [doc] = documents(drain.stdout)
    const actions = doc.actions as any[]
    assert.ok(actions.every((action) => action.status === 'done'), JSON.stringify(actions.filter((action) => action.status !== 'done')))
    assert.deepEqual(actions.filter((action) => action.kind === 'migrate').map((action) => action.vm).sort(), [...before].sort())
    // web1 held a VF: detach, migrate, then attach on its target, in that order.
    const cpu3 = actions.filter((action) => action.vm === 'cpu3').map((action) => action.kind)
    assert.deepEqual(cpu3, ['detach-vf', 'migrate', 'attach-vf'])
    assert.ok(actions.every((action) => action.kind !== 'migrate' || action.to !== 'host1'))
    assert.deepEqual(await vmsOn(state, 'host1'), [])
    assert.ok(Object.values(await placement(state)).every((hosts) => hosts.length === 1), 'each VM on one host')
    assert.match(String(drain.stderr), /^drain: host1 holds no VM: in maintenance since \S+Z$/m)
    assert.deepEqual((await marks(state)).map((mark) => [mark.host, mark.state]), [['host1', 'maintenance']])
    // The loop's documents carry it: no VM moves in, no VF is handed out there.
    const run = await sova(['run', '--once', '--dry-run'], {state})
    const host1 = documents(run.stdout)[0].hosts.find((host: any) => host.name === 'host1')
    assert.equal(host1.rules.maintenance, true)
    assert.match(host1.rules.by.maintenance, /^sova drain host1, \d{4}-\d\d-\d\dT\d\d:\d\dZ$/)

    // Again: nothing to do, exit 0, said why.
    const again = await sova(['drain', 'host1'], {state})
    assert.equal(again.exitCode, 0, String(again.stderr))
    assert.match(String(again.stderr), /^drain: nothing to do: host1 is in maintenance since \S+Z and holds no VM$/m)
    assert.deepEqual(documents(again.stdout)[0].actions ?? [], [])

    // undrain: back in service; again: says it was not drained; both exit 0.
    const undrain = await sova(['undrain', 'host1', '--format', 'json'], {state})
    assert.equal(undrain.exitCode, 0, String(undrain.stderr))
    assert.match(String(undrain.stderr), /^undrain: host1 is back in service \(was in maintenance since \S+Z\)$/m)
    assert.deepEqual(await marks(state), [])
    const collect = documents((await sova(['collect'], {state})).stdout)[0]
    assert.equal(collect.hosts.find((host: any) => host.name === 'host1').rules, undefined)
    const twice = await sova(['undrain', 'host1'], {state})
    assert.equal(twice.exitCode, 0)
    assert.match(String(twice.stderr), /^undrain: host1 was not drained: nothing to do$/m)

    // The simulator started over: every host in service again.
    assert.equal((await sova(['drain', 'host3'], {state})).exitCode, 0)
    assert.equal((await marks(state)).length, 1)
    assert.equal((await sova(['sim', 'reset'], {state})).exitCode, 0)
    assert.deepEqual(await marks(state), [])
  })

  it('--dry-run prints the plan and changes nothing: no move, no journal row, no mark', async () => {
    const state = freshStateDir()
    const before = await placement(state)
    const dry = await sova(['drain', 'host2', '--dry-run'], {state})
    assert.equal(dry.exitCode, 0, String(dry.stderr))
    const [doc] = documents(dry.stdout)
    assert.equal(doc.plan.migrations.length, 12)
    assert.ok(doc.actions.every((action: any) => action.status === 'dry-run'))
    assert.deepEqual(await placement(state), before)
    assert.deepEqual(await journal(state), [])
    assert.deepEqual(await marks(state), [])
  })

  it('refuses when a VM cannot leave: every blocker named on stderr and in plan.rejected, exit 1, nothing moved, no mark', async () => {
    const state = freshStateDir()
    const file = join(state, 'tight.json')
    const demand = {rxMbps: 10, txMbps: 10}
    writeFileSync(file, JSON.stringify({
      hosts: [{name: 'a', vfs: 2, memoryMiB: 65536}, {name: 'b', vfs: 2, memoryMiB: 65536}],
      vms: [
        {name: 'big', host: 'a', vcpus: 2, memoryMiB: 40000, demand},
        {name: 'small', host: 'a', vcpus: 1, memoryMiB: 1024, demand},
        {name: 'resident', host: 'b', vcpus: 2, memoryMiB: 40000, demand},
      ],
    }))
    assert.equal((await sova(['sim', 'reset', '--scenario', file], {state})).exitCode, 0)
    const before = await placement(state)
    const drain = await sova(['drain', 'a'], {state})
    assert.equal(drain.exitCode, 1, String(drain.stderr))
    const stderr = String(drain.stderr)
    assert.match(stderr, /^drain: a: blocked: big: no host can take it \(b has \d+ MiB free, needs 40000\)$/m)
    assert.match(stderr, /^sova drain: drain a refused: 1 VM cannot leave it; nothing done/m)
    const [doc] = documents(drain.stdout)
    assert.deepEqual(doc.plan.migrations, [])
    assert.match(doc.plan.rejected.migrations[0], /^big: no host can take it/)
    assert.match(doc.plan.noop.migrations, /refused/)
    assert.deepEqual(doc.actions ?? [], [])
    assert.deepEqual(await placement(state), before)
    assert.deepEqual(await journal(state), [])
    assert.deepEqual(withStore(state, (store) => store.hostMarks('sim:tight:1')), [])
  })

  it('names: an unknown host exits 2 with the hosts and the nearest name; a bad name exits 2; nothing happens', async () => {
    const state = freshStateDir()
    const typo = await sova(['drain', 'hots2'], {state})
    assert.equal(typo.exitCode, 2)
    assert.equal(String(typo.stderr), 'sova drain: hots2 is not a host of the cluster: did you mean host2? (hosts: host1, host2, host3)\n')
    const bad = await sova(['drain', '--', '-rf'], {state})
    assert.equal(bad.exitCode, 2)
    assert.match(String(bad.stderr), /host "-rf" is not a valid name/)
    assert.equal((await sova(['undrain', 'nohost'], {state})).exitCode, 2)
    assert.deepEqual(await journal(state), [])
  })

  it('a drain that died midway (VF detached, migration started) is settled and finished by the next drain', async () => {
    const state = freshStateDir()
    // What a kill -9 during web1's migration leaves: host1 draining, web1's VF detached (done),
    // its migration started and never finished, by a run that is gone.
    const store = Store.open(state)
    try {
      const backend = new SimBackend(store)
      const live = await backend.snapshot()
      const web1 = live.hosts[0].vms.find((vm) => vm.name === 'web1')!
      store.setHostMark(CLUSTER, {host: 'host1', state: 'draining', since: live.at})
      const run = '2026-01-01T00:00:00.000Z/999999999'
      const detach = store.journalPlanned({runId: run, kind: 'detach-vf', vm: 'web1', uuid: web1.uuid, host: 'host1', vf: web1.vf!, reason: 'detach before migrating to host2'})
      assert.ok((await backend.detachVf('host1', {name: 'web1', uuid: web1.uuid!}, web1.vf!)).ok)
      store.journalUpdate(detach, 'done')
      const migrate = store.journalPlanned({runId: run, kind: 'migrate', vm: 'web1', uuid: web1.uuid, host: 'host1', toHost: 'host2', reason: 'drain host1: to host2'})
      store.journalUpdate(migrate, 'started')
    } finally {
      store.close()
    }
    const drain = await sova(['drain', 'host1'], {state})
    assert.equal(drain.exitCode, 0, String(drain.stderr))
    const stderr = String(drain.stderr)
    assert.match(stderr, /^drain: journal #2 failed: reconciled after the run died: web1 is on host1 without a VF$/m)
    assert.match(stderr, /^drain: give VF back: web1's migration from host1 did not happen .*: attach 0000:04:10.0 to web1 on host1 done$/m)
    // Then the evacuation: web1 had its VF back, so it is detached again, moved, and given one on arrival if free.
    const web1 = documents(drain.stdout)[0].actions.filter((action: any) => action.vm === 'web1').map((action: any) => action.kind)
    assert.deepEqual(web1.slice(0, 2), ['detach-vf', 'migrate'])
    assert.deepEqual(await vmsOn(state, 'host1'), [])
    assert.ok(Object.values(await placement(state)).every((hosts) => hosts.length === 1))
    assert.ok((await journal(state)).every((row) => ['done', 'failed', 'rolled-back', 'skipped'].includes(row.status)))
    assert.deepEqual((await marks(state)).map((mark) => mark.state), ['maintenance'])
    assert.equal((await sova(['check'], {state})).exitCode, 0)
  })

  it('a drain that died after the move but before the VF on arrival: the next drain gives the VF it promised, then finishes', async () => {
    const state = freshStateDir()
    const store = Store.open(state)
    try {
      const backend = new SimBackend(store)
      const live = await backend.snapshot()
      const web1 = live.hosts[0].vms.find((vm) => vm.name === 'web1')!
      const ref = {name: 'web1', uuid: web1.uuid!}
      store.setHostMark(CLUSTER, {host: 'host1', state: 'draining', since: live.at})
      const run = '2026-01-01T00:00:00.000Z/999999999'
      const detach = store.journalPlanned({runId: run, kind: 'detach-vf', vm: 'web1', uuid: web1.uuid, host: 'host1', vf: web1.vf!, reason: 'detach before migrating to host2'})
      assert.ok((await backend.detachVf('host1', ref, web1.vf!)).ok)
      store.journalUpdate(detach, 'done')
      const reason = 'drain host1: to host2, the most headroom (port 0.40 < 0.70 after the move), a VF on arrival'
      const migrate = store.journalPlanned({runId: run, kind: 'migrate', vm: 'web1', uuid: web1.uuid, host: 'host1', toHost: 'host2', reason})
      store.journalUpdate(migrate, 'started')
      // The move went through; the run died before it was journalled done and before the hot-plug.
      assert.ok((await backend.migrate(ref, 'host1', 'host2')).ok)
    } finally {
      store.close()
    }
    const drain = await sova(['drain', 'host1'], {state})
    assert.equal(drain.exitCode, 0, String(drain.stderr))
    assert.match(String(drain.stderr), /^drain: journal #2 done: reconciled after the run died: web1 is on host2 without a VF$/m)
    const [doc] = documents(drain.stdout)
    const [kept] = doc.actions
    assert.deepEqual([kept.kind, kept.vm, kept.host, kept.status], ['attach-vf', 'web1', 'host2', 'done'])
    assert.match(kept.reason, /^arrived from host1 by a drain that died before its VF on arrival/)
    assert.deepEqual(doc.plan.vf.map((change: any) => [change.vm, change.host, change.op]), [['web1', 'host2', 'attach']])
    assert.ok(doc.actions.every((action: any) => action.vm !== 'web1' || action === kept), 'web1 is not moved again')
    assert.deepEqual(await vmsOn(state, 'host1'), [])
    const web1 = (await withStore(state, (s) => new SimBackend(s).snapshot())).hosts.find((host) => host.name === 'host2')!.vms.find((vm) => vm.name === 'web1')!
    assert.equal(web1.vf, kept.vf)
    // Kept once: a later drain owes nothing more.
    const again = await sova(['drain', 'host1'], {state})
    assert.deepEqual(documents(again.stdout)[0].actions ?? [], [])
  })

  it('kill -9 at whatever point of a drain: the next drain finishes it, each VM on exactly one host', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'reset', '--scenario', 'large', '--hosts', '8', '--vms-per-host', '20'], {state})).exitCode, 0)
    const {child, exited, closed} = drainInBackground(state, 'host1')
    // Killed once the journal shows its first step (or when it ended first on a fast machine).
    while (!closed() && withStore(state, (store) => store.journalCount()) === 0) await sleep(5)
    child.kill('SIGKILL')
    await exited
    const drain = await sova(['drain', 'host1'], {state})
    assert.equal(drain.exitCode, 0, String(drain.stderr))
    const where = await placement(state)
    assert.ok(Object.values(where).every((hosts) => hosts.length === 1), JSON.stringify(where))
    assert.deepEqual(Object.entries(where).filter(([, hosts]) => hosts[0] === 'host1'), [])
    assert.ok((await journal(state)).every((row) => ['done', 'failed', 'rolled-back', 'skipped'].includes(row.status)))
    assert.deepEqual(withStore(state, (store) => store.hostMarks('sim:large:1')).map((mark) => mark.state), ['maintenance'])
  })

  it('kill -9 while several moves of a drain are under way side by side: the next acting run settles every row, each VM on one host, sova check clean', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'reset', '--scenario', 'large', '--hosts', '8', '--vms-per-host', '20'], {state})).exitCode, 0)
    const {child, exited, closed} = drainInBackground(state, 'host1')
    // The drain is frozen (SIGSTOP) now and then and its journal read: once two or more moves are
    // under way at that instant it is killed right there, so the journal read is what it leaves.
    let underWayAtKill: string[] = []
    try {
      for (let looks = 0; !closed() && looks < 20_000; looks++) {
        await sleep(2)
        if (closed() || !child.kill('SIGSTOP')) break
        await frozen(child.pid as number)
        // Frozen in the middle of a commit, its journal cannot be read this time: look again later.
        const open = readable(() => movesUnderWay(journalRead(state)))
        if (open && open.length >= 2) {
          child.kill('SIGKILL')
          underWayAtKill = open
          break
        }
        child.kill('SIGCONT')
      }
    } finally {
      if (!closed()) child.kill('SIGKILL')
    }
    await exited
    assert.ok(underWayAtKill.length >= 2, `the drain ended before two moves were seen under way at once (${underWayAtKill.join(', ')})`)
    assert.deepEqual(movesUnderWay(journalRead(state)), underWayAtKill, 'the journal is what the killed run left')

    const drain = await sova(['drain', 'host1'], {state})
    assert.equal(drain.exitCode, 0, String(drain.stderr))
    const rows = await journal(state)
    assert.deepEqual(rows.filter((row) => !['done', 'failed', 'rolled-back', 'skipped'].includes(row.status)), [])
    assert.deepEqual(movesUnderWay(journalRead(state)), [])
    const where = await placement(state)
    assert.ok(Object.values(where).every((hosts) => hosts.length === 1), JSON.stringify(where))
    assert.deepEqual(await vmsOn(state, 'host1'), [])
    const check = await sova(['check'], {state})
    assert.equal(check.exitCode, 0, `${check.stdout}${check.stderr}`)
  })

  it('undrain is refused (exit 75) while an acting run holds the lock, and the mark stays', async () => {
    const state = freshStateDir()
    withStore(state, (store) => store.setHostMark(CLUSTER, {host: 'host3', state: 'draining', since: '2026-01-01T00:00:00.000Z'}))
    // A live process holding the lock, as a drain under way would: this test's own process.
    const holder = Store.open(state)
    holder.acquireRunLock('drain', () => 'alive', {pid: process.pid, stdinPipe: null, stdoutPipe: null})
    const refused = await sova(['undrain', 'host3'], {state}).finally(() => holder.close())
    assert.equal(refused.exitCode, 75, String(refused.stderr))
    assert.deepEqual((await marks(state)).map((mark) => mark.state), ['draining'])
  })
})
