// Actions at the same time (issue 15 item 5), on a fake cluster whose every acting call waits until
// the test resolves it by hand: no timer, no clock, so what is in flight at each moment is exactly
// what the executor started. It counts the calls in flight per host and in all, and keeps the
// order calls started in.
import assert from 'node:assert/strict'
import {setImmediate as nextTurn} from 'node:timers/promises'
import {describe, it} from 'node:test'
import type {Backend, RawHost, RawVm, StepResult, VmRef} from '../../src/lib/backends/types.js'
import {SimBackend, resetSim} from '../../src/lib/backends/sim/backend.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {policyParams} from '../../src/lib/cli/flags.js'
import type {PlannedMigration, PlannedVfChange} from '../../src/lib/document/schema.js'
import {type ActionBounds, DEFAULT_ACTION_BOUNDS} from '../../src/lib/loop/action-bounds.js'
import {Executor} from '../../src/lib/loop/apply.js'
import {SampleHistory} from '../../src/lib/loop/history.js'
import {collectStage, runCycle} from '../../src/lib/loop/stages.js'
import {Store} from '../../src/lib/store/store.js'
import {RawClusterBackend, rawHost, rawVm} from '../helpers/raw-cluster.js'

const VF0 = '0000:03:10.0'
const VF1 = '0000:03:10.1'
const VF2 = '0000:03:10.2'


/** One acting call the executor made and the test has not answered yet. */
interface Call {
  /** `detach h1 a VF1`, `attach h2 c VF2`, `migrate a h1 h2`. */
  text: string
  hosts: string[]
  /** Answers the call: its effect takes place on success. */
  finish: (ok?: boolean) => void
}

/** A cluster whose acting calls wait for the test; snapshots answer at once, as the cluster is then. */
class HandBackend extends RawClusterBackend {
  readonly pending: Call[] = []
  /** Every call in the order it reached the backend. */
  readonly started: string[] = []
  readonly mostOnHost = new Map<string, number>()
  mostAtOnce = 0
  private readonly onHost = new Map<string, number>()

  constructor(hosts: RawHost[]) {
    super('by-hand', hosts)
  }

  attachVf(host: string, ref: VmRef, vf: string): Promise<StepResult> {
    return this.call(`attach ${host} ${ref.name} ${vf}`, [host], () => {
      const target = this.host(host)
      if (!target.vfs.free.includes(vf)) return `${vf} is not free on ${host}`
      const vm = this.vm(host, ref)
      target.vfs.free = target.vfs.free.filter((free) => free !== vf)
      vm.vf = vf
      vm.path = 'vf'
    })
  }
  detachVf(host: string, ref: VmRef, vf: string): Promise<StepResult> {
    return this.call(`detach ${host} ${ref.name} ${vf}`, [host], () => {
      const vm = this.vm(host, ref)
      if (vm.vf !== vf) return `${ref.name} does not hold ${vf}`
      this.host(host).vfs.free.push(vf)
      vm.vf = null
      vm.path = 'pv'
    })
  }
  migrate(ref: VmRef, from: string, to: string): Promise<StepResult> {
    return this.call(`migrate ${ref.name} ${from} ${to}`, [from, to], () => {
      const source = this.host(from)
      const vm = this.vm(from, ref)
      source.vms = source.vms.filter((other) => other !== vm)
      source.memoryMiB.free += vm.memoryMiB
      const target = this.host(to)
      target.vms.push(vm)
      target.memoryMiB.free -= vm.memoryMiB
    })
  }

  /** The pending call whose text starts with `prefix`. */
  take(prefix: string): Call {
    const call = this.pending.find((candidate) => candidate.text.startsWith(prefix))
    assert.ok(call, `no call "${prefix}..." in flight (in flight: ${this.pending.map((c) => c.text).join('; ') || 'none'})`)
    return call
  }

  placement(): Record<string, string[]> {
    return Object.fromEntries(this.hosts.map((host) => [host.name, host.vms.map((vm) => `${vm.name}${vm.vf ? ` ${vm.vf}` : ''}`).sort()]))
  }

  private host(name: string): RawHost {
    return this.hosts.find((host) => host.name === name) as RawHost
  }
  private vm(host: string, ref: VmRef): RawVm {
    return this.host(host).vms.find((vm) => vm.uuid === ref.uuid) as RawVm
  }

  private call(text: string, hosts: string[], effect: () => string | void): Promise<StepResult> {
    this.started.push(text)
    for (const host of hosts) {
      this.onHost.set(host, (this.onHost.get(host) ?? 0) + 1)
      this.mostOnHost.set(host, Math.max(this.mostOnHost.get(host) ?? 0, this.onHost.get(host) as number))
    }
    this.mostAtOnce = Math.max(this.mostAtOnce, this.pending.length + 1)
    return new Promise((resolve) => {
      const call: Call = {
        text,
        hosts,
        finish: (ok = true) => {
          this.pending.splice(this.pending.indexOf(call), 1)
          for (const host of hosts) this.onHost.set(host, (this.onHost.get(host) as number) - 1)
          const refused = ok ? effect() : 'failed by the test'
          resolve(refused ? {ok: false, durationMs: 1, error: refused} : {ok: true, durationMs: 1})
        },
      }
      this.pending.push(call)
    })
  }
}

/** Lets the event loop turn until `done` holds (a bounded number of turns, no clock). */
async function until(what: string, done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 2000; turn++) {
    if (done()) return
    await nextTurn()
  }
  assert.fail(`never: ${what}`)
}

/** Lets the event loop turn enough for anything the executor would start to have started. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 200; turn++) await nextTurn()
}

const bounds = (tweak: Partial<ActionBounds>): ActionBounds => ({...DEFAULT_ACTION_BOUNDS, ...tweak})
const change = (host: string, vm: string, op: 'attach' | 'detach', vf: string): PlannedVfChange => ({host, vm, op, vf, uuid: `uuid-${vm}`, reason: 'test'})
const move = (vm: string, from: string, to: string, giveVfOnArrival = false): PlannedMigration => ({vm, from, to, uuid: `uuid-${vm}`, migrationFactor: 1, giveVfOnArrival, reason: 'test'})
const said = (action: {kind: string; vm: string; host: string; vf?: string; status: string}) => `${action.kind} ${action.vm} ${action.host}${action.vf ? ` ${action.vf}` : ''} ${action.status}`

function executorOn(backend: Backend, store: Store, options: {bounds?: ActionBounds; stop?: () => boolean} = {}): Executor {
  return new Executor(backend, store, 'run-1', options.stop, {bounds: options.bounds})
}

describe('actions at the same time', () => {
  it('VF changes: two hosts in flight at once; on one host one at a time in plan order (the detach that frees a VF before the attach that takes it); actions in plan order', async () => {
    const backend = new HandBackend([rawHost('h1', [rawVm('a', VF1), rawVm('b')]), rawHost('h2', [rawVm('c')], [VF2])])
    const store = Store.openInMemory()
    const plan = [change('h1', 'a', 'detach', VF1), change('h2', 'c', 'attach', VF2), change('h1', 'b', 'attach', VF1)]
    const running = executorOn(backend, store).switchVfAll(plan)
    await until('both hosts have a change in flight', () => backend.pending.length === 2)
    await settle()
    assert.deepEqual(backend.pending.map((call) => call.text).sort(), [`attach h2 c ${VF2}`, `detach h1 a ${VF1}`])
    // h2's change ends first; h1's second change still waits for its first.
    backend.take('attach h2').finish()
    await settle()
    assert.deepEqual(backend.pending.map((call) => call.text), [`detach h1 a ${VF1}`])
    backend.take('detach h1').finish()
    await until('h1\'s attach started', () => backend.pending.length === 1 && backend.pending[0].text.startsWith('attach h1'))
    backend.take('attach h1').finish()
    const actions = await running
    assert.deepEqual(actions.map(said), [`detach-vf a h1 ${VF1} done`, `attach-vf c h2 ${VF2} done`, `attach-vf b h1 ${VF1} done`])
    assert.deepEqual(backend.started, [`detach h1 a ${VF1}`, `attach h2 c ${VF2}`, `attach h1 b ${VF1}`])
    assert.equal(backend.mostOnHost.get('h1'), 1)
    assert.equal(backend.mostAtOnce, 2)
    assert.deepEqual(backend.placement(), {h1: ['a', `b ${VF1}`], h2: [`c ${VF2}`]})
    store.close()
  })

  it('VF changes: never more hosts at once than vfChanges.maxParallelHosts', async () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5'].map((name) => rawHost(name, [rawVm(`${name}a`, VF0), rawVm(`${name}b`, VF1)]))
    const backend = new HandBackend(hosts)
    const store = Store.openInMemory()
    const plan = hosts.flatMap((host) => [change(host.name, `${host.name}a`, 'detach', VF0), change(host.name, `${host.name}b`, 'detach', VF1)])
    const running = executorOn(backend, store, {bounds: bounds({vfHostsAtOnce: 3})}).switchVfAll(plan)
    // Answered newest first, so a host that ends lets the next one start while others still run.
    for (let answered = 0; answered < plan.length; answered++) {
      await until('a call in flight', () => backend.pending.length > 0)
      await settle()
      assert.ok(backend.pending.length <= 3, `${backend.pending.length} hosts at once`)
      ;(backend.pending.at(-1) as Call).finish()
    }
    const actions = await running
    assert.ok(actions.every((action) => action.status === 'done'))
    assert.equal(backend.mostAtOnce, 3)
    for (const host of hosts) assert.equal(backend.mostOnHost.get(host.name), 1, host.name)
    store.close()
  })

  it('migrations: never more than the per-host cap on a host nor the cluster cap in all, and both are reached', async () => {
    const backend = new HandBackend([
      rawHost('h1', ['a', 'b', 'c', 'd'].map((name) => rawVm(name))),
      rawHost('h2', []),
      rawHost('h3', ['e', 'f'].map((name) => rawVm(name))),
      rawHost('h4', []),
      rawHost('h5', ['g'].map((name) => rawVm(name))),
      rawHost('h6', []),
    ])
    const store = Store.openInMemory()
    const plan = [move('a', 'h1', 'h2'), move('b', 'h1', 'h4'), move('c', 'h1', 'h6'), move('e', 'h3', 'h4'), move('f', 'h3', 'h2'), move('g', 'h5', 'h6'), move('d', 'h1', 'h2')]
    const running = executorOn(backend, store, {bounds: bounds({migrationsPerHost: () => 2, migrationsInCluster: 3})}).migrateAll(plan)
    for (let answered = 0; answered < plan.length; answered++) {
      await until('a move in flight', () => backend.pending.length > 0)
      await settle()
      ;(backend.pending.at(-1) as Call).finish()
    }
    const actions = await running
    assert.deepEqual(actions.map((action) => `${action.vm} ${action.status}`), ['a done', 'b done', 'c done', 'e done', 'f done', 'g done', 'd done'])
    assert.equal(backend.mostAtOnce, 3)
    assert.equal(Math.max(...backend.mostOnHost.values()), 2)
    store.close()
  })

  it('a move into a host an earlier move is still leaving waits for it (the plan counted on what it frees), and the moves behind wait too', async () => {
    const backend = new HandBackend([rawHost('h1', [rawVm('b')]), rawHost('h2', [rawVm('a')]), rawHost('h3', []), rawHost('h4', [rawVm('c')]), rawHost('h5', [])])
    const store = Store.openInMemory()
    const running = executorOn(backend, store).migrateAll([move('a', 'h2', 'h3'), move('b', 'h1', 'h2'), move('c', 'h4', 'h5')])
    await until('a\'s move in flight', () => backend.pending.length === 1)
    await settle()
    assert.deepEqual(backend.pending.map((call) => call.text), ['migrate a h2 h3'])
    backend.take('migrate a').finish()
    await until('b and c in flight', () => backend.pending.length === 2)
    backend.take('migrate b').finish()
    backend.take('migrate c').finish()
    const actions = await running
    assert.deepEqual(actions.map((action) => `${action.vm} ${action.status}`), ['a done', 'b done', 'c done'])
    assert.deepEqual(backend.started, ['migrate a h2 h3', 'migrate b h1 h2', 'migrate c h4 h5'])
    store.close()
  })

  it('a migration that fails on one pair of hosts gives its VF back while the move beside it completes', async () => {
    const backend = new HandBackend([rawHost('h1', [rawVm('a', VF0)]), rawHost('h2', [], [VF1]), rawHost('h3', [rawVm('b', VF0)]), rawHost('h4', [], [VF2])])
    const store = Store.openInMemory()
    const running = executorOn(backend, store).migrateAll([move('a', 'h1', 'h2', true), move('b', 'h3', 'h4', true)])
    await until('both detaches in flight', () => backend.pending.length === 2)
    backend.take('detach h1').finish()
    backend.take('detach h3').finish()
    await until('both moves in flight', () => backend.pending.filter((call) => call.text.startsWith('migrate')).length === 2)
    backend.take('migrate a').finish(false)
    await until('a\'s VF given back', () => backend.pending.some((call) => call.text === `attach h1 a ${VF0}`))
    assert.ok(backend.pending.some((call) => call.text.startsWith('migrate b')), 'b\'s move is still under way')
    backend.take('attach h1').finish()
    backend.take('migrate b').finish()
    await until('b\'s VF on arrival', () => backend.pending.some((call) => call.text.startsWith('attach h4')))
    backend.take('attach h4').finish()
    const actions = await running
    assert.deepEqual(actions.map(said), [`detach-vf a h1 ${VF0} done`, 'migrate a h1 failed', `attach-vf a h1 ${VF0} done`, `detach-vf b h3 ${VF0} done`, 'migrate b h3 done', `attach-vf b h4 ${VF2} done`])
    assert.deepEqual(store.journal().map((row) => `${row.kind} ${row.vm} ${row.status}`).sort(), [
      'attach-vf a done', 'attach-vf b done', 'detach-vf a rolled-back', 'detach-vf b done', 'migrate a failed', 'migrate b done',
    ])
    assert.deepEqual(backend.placement(), {h1: [`a ${VF0}`], h2: [], h3: [], h4: [`b ${VF2}`]})
    store.close()
  })

  it('two moves into one host that fit one at a time but not together: the second is refused, counting the first under way', async () => {
    const backend = new HandBackend([rawHost('h1', [rawVm('a', null, 6000), rawVm('b', null, 6000)]), rawHost('h2', [], [], 10_000)])
    const store = Store.openInMemory()
    const running = executorOn(backend, store).migrateAll([move('a', 'h1', 'h2'), move('b', 'h1', 'h2')])
    await until('a\'s move in flight', () => backend.pending.length === 1)
    await settle()
    backend.take('migrate a').finish()
    const actions = await running
    assert.deepEqual(actions.map((action) => `${action.vm} ${action.status}`), ['a done', 'b skipped'])
    assert.match(actions[1].error as string, /^refused: h2 has 10000 MiB free \(6000 MiB of it promised to moves under way into it\), b needs 6000 MiB$/)
    assert.deepEqual(backend.started, ['migrate a h1 h2'])
    store.close()
  })

  it('a stop while actions are in flight: they finish, nothing new starts, the rest is journalled not started after them', async () => {
    let stop = false
    const backend = new HandBackend(['h1', 'h2', 'h3'].map((name) => rawHost(name, [rawVm(`${name}a`, VF0), rawVm(`${name}b`, VF1)])))
    const store = Store.openInMemory()
    const plan = ['h1', 'h2', 'h3'].flatMap((host) => [change(host, `${host}a`, 'detach', VF0), change(host, `${host}b`, 'detach', VF1)])
    const running = executorOn(backend, store, {bounds: bounds({vfHostsAtOnce: 2}), stop: () => stop}).switchVfAll(plan)
    await until('two hosts in flight', () => backend.pending.length === 2)
    stop = true
    for (const call of [...backend.pending]) call.finish()
    const actions = await running
    assert.deepEqual(backend.started, [`detach h1 h1a ${VF0}`, `detach h2 h2a ${VF0}`])
    assert.deepEqual(actions.map((action) => `${action.vm} ${action.status}`), ['h1a done', 'h1b skipped', 'h2a done', 'h2b skipped', 'h3a skipped', 'h3b skipped'])
    const rows = store.journal()
    const firstStopped = rows.findIndex((row) => row.status === 'skipped')
    assert.ok(rows.slice(firstStopped).every((row) => row.status === 'skipped' && /^not started: a stop was requested/.test(row.error ?? '')), JSON.stringify(rows))
    assert.equal(rows.slice(0, firstStopped).length, 2)
    store.close()
  })

  it('a stop while moves are in flight: they finish with their VF steps, the moves not started come after in the journal', async () => {
    let stop = false
    const backend = new HandBackend([rawHost('h1', ['a', 'b', 'c'].map((name) => rawVm(name, null))), rawHost('h2', [], [VF0, VF1])])
    const store = Store.openInMemory()
    const running = executorOn(backend, store, {stop: () => stop}).migrateAll([move('a', 'h1', 'h2', true), move('b', 'h1', 'h2', true), move('c', 'h1', 'h2', true)])
    await until('two moves in flight', () => backend.pending.length === 2)
    stop = true
    backend.take('migrate a').finish()
    backend.take('migrate b').finish()
    await until('both arrivals', () => backend.pending.length === 1)
    backend.take(`attach h2 a`).finish()
    await until('the second arrival', () => backend.pending.length === 1)
    backend.take(`attach h2 b`).finish()
    const actions = await running
    assert.deepEqual(actions.map(said), ['migrate a h1 done', `attach-vf a h2 ${VF0} done`, 'migrate b h1 done', `attach-vf b h2 ${VF1} done`, 'migrate c h1 skipped'])
    assert.deepEqual(store.journal().map((row) => `${row.kind} ${row.vm} ${row.status}`), ['migrate a done', 'migrate b done', 'attach-vf a done', 'attach-vf b done', 'migrate c skipped'])
    store.close()
  })

  it('on the simulator the same plans reach the backend in the same order: two runs of the loop journal the same rows', async () => {
    const rowsOfARun = async () => {
      const store = Store.openInMemory()
      resetSim(store, buildScenario('two-hotspots', 3))
      const backend = new SimBackend(store)
      const executor = new Executor(backend, store, 'same')
      const history = new SampleHistory(store)
      for (let cycle = 0; cycle < 12; cycle++) await runCycle(await collectStage(backend, store, {log: () => {}}), history, policyParams({policy: 'sova'}), executor)
      const rows = store.journal(100_000).map((row) => [row.id, row.kind, row.vm, row.host, row.toHost, row.vf, row.status, row.error].join(' '))
      store.close()
      return rows
    }
    const first = await rowsOfARun()
    assert.ok(first.length > 2, `the loop acted: ${first.length} rows`)
    assert.deepEqual(await rowsOfARun(), first)
  })
})
