import {after, describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {dryRunActions, Executor} from '../../src/lib/loop/apply.js'
import type {Backend, RawHost, RawSnapshot, RawVm, StepResult, VfDevice, VmRef} from '../../src/lib/backends/types.js'
import {placementOf} from '../../src/lib/loop/rates.js'
import type {Action, Host, PlannedMigration, PlannedVfChange} from '../../src/lib/document/schema.js'
import {applyActions, arrivedVms, expandMigration, firstFreeVf, vfChangeStep} from '../../src/lib/loop/plan-steps.js'
import {Store, type JournalEntry} from '../../src/lib/store/store.js'
import {host, vm} from '../helpers/build.js'
import type {RuleSet} from '../../src/lib/policy/rules.js'

const VF0 = '0000:03:10.0'
const VF1 = '0000:03:10.1'
const VF2 = '0000:03:10.2'
const VF3 = '0000:03:10.3'

// ---------------------------------------------------------------------------------------------
// A fake in-memory cluster behind the Backend interface. It refuses impossible steps the way a
// hypervisor would (so a wrong order shows up as a failure), logs every acting call, and can be
// told to fail or throw on a kind of step.

type Op = 'attach' | 'detach' | 'migrate'
const DURATION: Record<Op, number> = {detach: 100, migrate: 2000, attach: 150}

function rawVm(name: string, vf: string | null = null): RawVm {
  return {name, id: name, uuid: `uuid-${name}`, vcpus: 1, memoryMiB: 1024, path: vf ? 'vf' : 'pv', vf, counters: {cpuSeconds: 0, blockedSeconds: 0, rxBytes: 0, txBytes: 0}}
}

function rawHost(name: string, vms: RawVm[], free: string[]): RawHost {
  return {name, nic: {device: 'eth0', speedMbps: 10_000, rxBytes: 0, txBytes: 0}, vfs: {total: 4, free}, cpus: 16, memoryMiB: {total: 65_536, free: 32_768}, vms}
}

class FakeBackend implements Backend {
  readonly name = 'fake'
  readonly capabilities = {canMigrate: true, canSwitchVf: true}
  readonly calls: string[] = []
  snapshots = 0
  fail: Partial<Record<Op, string>> = {}
  throws: Partial<Record<Op, string>> = {}
  /** The devices given back as they were (attachVf's `restore`). */
  readonly restored: VfDevice[] = []

  constructor(public hosts: RawHost[]) {}

  /** Hosts that do not answer: left out of snapshots, listed missing. */
  down = new Set<string>()

  async snapshot(): Promise<RawSnapshot> {
    this.snapshots++
    const snapshot: RawSnapshot = {at: '2024-01-01T00:00:10.000Z', source: {backend: 'fake', cluster: 'fake'}, hosts: structuredClone(this.hosts.filter((h) => !this.down.has(h.name)))}
    if (this.down.size > 0) snapshot.missing = [...this.down].map((host) => ({host, reason: 'did not answer: ssh: connection timed out'}))
    return snapshot
  }
  async now(): Promise<string> {
    return '2024-01-01T00:00:10.000Z'
  }
  async clusterName(): Promise<string> {
    return 'fake'
  }
  async nextSample(): Promise<void> {}
  async wait(): Promise<void> {}
  close(): void {}

  async attachVf(hostName: string, ref: VmRef, vf: string, restore?: VfDevice): Promise<StepResult> {
    const vmName = ref.name
    if (restore) this.restored.push(restore)
    return this.act('attach', `attach ${hostName} ${vmName} ${vf}`, () => {
      const {host: h, vm: v} = this.find(hostName, vmName, ref.uuid)
      if (v.vf) throw new Error(`${vmName} already holds ${v.vf}`)
      if (!h.vfs.free.includes(vf)) throw new Error(`${vf} is not free on ${hostName}`)
      h.vfs.free = h.vfs.free.filter((free) => free !== vf)
      v.vf = vf
      v.path = 'vf'
    })
  }

  async detachVf(hostName: string, ref: VmRef, vf: string): Promise<StepResult> {
    const vmName = ref.name
    const result = await this.act('detach', `detach ${hostName} ${vmName} ${vf}`, () => {
      const {host: h, vm: v} = this.find(hostName, vmName, ref.uuid)
      if (v.vf !== vf) throw new Error(`${vmName} does not hold ${vf}`)
      h.vfs.free.push(vf)
      v.vf = null
      v.path = 'pv'
    })
    // The device as the hypervisor had it: what a give-back must restore.
    return result.ok ? {...result, device: {vf, definition: `<hostdev ${vf} vlan=42 of ${vmName}>`}} : result
  }

  async migrate(ref: VmRef, from: string, to: string): Promise<StepResult> {
    const vmName = ref.name
    return this.act('migrate', `migrate ${vmName} ${from} ${to}`, () => {
      const {host: source, vm: v} = this.find(from, vmName, ref.uuid)
      if (v.vf) throw new Error(`${vmName} still holds VF ${v.vf}: cannot migrate`)
      const target = this.hosts.find((h) => h.name === to)
      if (!target) throw new Error(`no host ${to}`)
      source.vms = source.vms.filter((other) => other !== v)
      target.vms.push(v)
    })
  }

  /** Where each VM is and which VF it holds, and each host's free VFs: what a test asserts on. */
  placement(): Record<string, {vms: Record<string, string | null>; free: string[]}> {
    return Object.fromEntries(
      this.hosts.map((h) => [h.name, {vms: Object.fromEntries(h.vms.map((v) => [v.name, v.vf])), free: [...h.vfs.free].sort()}]),
    )
  }

  /** The VM a call addresses: by its identity, as a hypervisor would, refused when it bears another name. */
  private find(hostName: string, vmName: string, uuid: string): {host: RawHost; vm: RawVm} {
    const h = this.hosts.find((candidate) => candidate.name === hostName)
    const v = h?.vms.find((candidate) => candidate.uuid === uuid)
    if (!h || !v) throw new Error(`no domain ${uuid} on ${hostName}`)
    if (v.name !== vmName) throw new Error(`domain ${uuid} is named ${v.name}, not ${vmName}`)
    return {host: h, vm: v}
  }

  private async act(op: Op, call: string, change: () => void): Promise<StepResult> {
    this.calls.push(call)
    if (this.throws[op]) throw new Error(this.throws[op])
    if (this.fail[op]) return {ok: false, durationMs: 7, error: this.fail[op] as string}
    try {
      change()
    } catch (error) {
      return {ok: false, durationMs: 1, error: (error as Error).message}
    }
    return {ok: true, durationMs: DURATION[op]}
  }
}

// web1 on h1 holds VF1 (h1 has VF0 free); db1 on h1 has none. h2 has VF3 and VF2 free (listed
// out of order: the lowest, VF2, is the one to give).
function twoHosts(): FakeBackend {
  return new FakeBackend([
    rawHost('h1', [rawVm('web1', VF1), rawVm('db1')], [VF0]),
    rawHost('h2', [rawVm('cache1', VF0)], [VF3, VF2]),
  ])
}

const dirs: string[] = []
function openStore(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'sova-lib-'))
  dirs.push(dir)
  return Store.open(dir)
}
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

/** The journal rows a user would read in `sova history`. */
function journalRows(store: Store): Pick<JournalEntry, 'id' | 'runId' | 'kind' | 'vm' | 'host' | 'toHost' | 'vf' | 'status' | 'error'>[] {
  return store.journal().map(({id, runId, kind, vm: v, host: h, toHost, vf, status, error}) => ({id, runId, kind, vm: v, host: h, toHost, vf, status, error}))
}

const move = (tweak: Partial<PlannedMigration> = {}): PlannedMigration => ({
  vm: 'web1', from: 'h1', to: 'h2', migrationFactor: 2, giveVfOnArrival: true, reason: 'h1 predicted hot', ...tweak,
})

describe('Executor.migrate', () => {
  it('detaches the VF, migrates, then attaches the lowest free VF of the target', async () => {
    const backend = twoHosts()
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-1').migrate(move())
    assert.deepEqual(actions, [
      {kind: 'detach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF1, reason: 'detach before migrating to h2', status: 'done', journalId: 1, durationMs: 100},
      {kind: 'migrate', vm: 'web1', uuid: 'uuid-web1', host: 'h1', to: 'h2', reason: 'h1 predicted hot', status: 'done', journalId: 2, durationMs: 2000},
      {kind: 'attach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h2', vf: VF2, reason: 'arrived from h1: gets a free VF', status: 'done', journalId: 3, durationMs: 150},
    ])
    assert.deepEqual(backend.calls, [`detach h1 web1 ${VF1}`, 'migrate web1 h1 h2', `attach h2 web1 ${VF2}`])
    assert.deepEqual(backend.placement(), {
      h1: {vms: {db1: null}, free: [VF0, VF1]},
      h2: {vms: {cache1: VF0, web1: VF2}, free: [VF3]},
    })
    assert.deepEqual(journalRows(store), [
      {id: 1, runId: 'run-1', kind: 'detach-vf', vm: 'web1', host: 'h1', toHost: null, vf: VF1, status: 'done', error: null},
      {id: 2, runId: 'run-1', kind: 'migrate', vm: 'web1', host: 'h1', toHost: 'h2', vf: null, status: 'done', error: null},
      {id: 3, runId: 'run-1', kind: 'attach-vf', vm: 'web1', host: 'h2', toHost: null, vf: VF2, status: 'done', error: null},
    ])
    store.close()
  })

  it('a VM without a VF, no VF wanted on arrival: one migrate step', async () => {
    const backend = twoHosts()
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-1').migrate(move({vm: 'db1', giveVfOnArrival: false}))
    assert.deepEqual(actions.map((a) => [a.kind, a.status]), [['migrate', 'done']])
    assert.deepEqual(backend.calls, ['migrate db1 h1 h2'])
    store.close()
  })

  it('a failed migration gives the same VF back on the source and marks the detach rolled back', async () => {
    const backend = twoHosts()
    backend.fail.migrate = 'migration aborted: target refused (no memory)'
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-2').migrate(move())
    assert.deepEqual(actions, [
      {kind: 'detach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF1, reason: 'detach before migrating to h2', status: 'done', journalId: 1, durationMs: 100},
      {
        kind: 'migrate', vm: 'web1', uuid: 'uuid-web1', host: 'h1', to: 'h2', reason: 'h1 predicted hot', status: 'failed', journalId: 2, durationMs: 7,
        error: 'migration aborted: target refused (no memory)',
      },
      {kind: 'attach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF1, reason: 'give VF back after failed migration to h2', status: 'done', journalId: 3, durationMs: 150},
    ])
    assert.deepEqual(backend.calls, [`detach h1 web1 ${VF1}`, 'migrate web1 h1 h2', `attach h1 web1 ${VF1}`])
    // Exactly as before: web1 on h1 with VF1.
    assert.deepEqual(backend.placement(), twoHosts().placement())
    assert.deepEqual(journalRows(store), [
      {id: 1, runId: 'run-2', kind: 'detach-vf', vm: 'web1', host: 'h1', toHost: null, vf: VF1, status: 'rolled-back', error: 'VF given back after the migration failed'},
      {id: 2, runId: 'run-2', kind: 'migrate', vm: 'web1', host: 'h1', toHost: 'h2', vf: null, status: 'failed', error: 'migration aborted: target refused (no memory)'},
      {id: 3, runId: 'run-2', kind: 'attach-vf', vm: 'web1', host: 'h1', toHost: null, vf: VF1, status: 'done', error: null},
    ])
    store.close()
  })

  it('a migration whose tool fails after the VM has moved (a timeout, a lost session) counts as done: no VF given back on the source', async () => {
    const backend = twoHosts()
    const store = openStore()
    const migrate = backend.migrate.bind(backend)
    backend.migrate = async (...args) => {
      await migrate(...args)
      return {ok: false, durationMs: 300_000, error: 'virsh migrate: timed out after 300 s'}
    }
    const actions = await new Executor(backend, store, 'run-9').migrate(move())
    assert.deepEqual(actions.map((a) => [a.kind, a.host, a.status, a.error, a.note]), [
      ['detach-vf', 'h1', 'done', undefined, undefined],
      ['migrate', 'h1', 'done', undefined, 'the tool reported a failure (virsh migrate: timed out after 300 s), but web1 is running on h2'],
      ['attach-vf', 'h2', 'done', undefined, undefined],
    ])
    assert.deepEqual(backend.calls, [`detach h1 web1 ${VF1}`, 'migrate web1 h1 h2', `attach h2 web1 ${VF2}`])
    assert.deepEqual(journalRows(store).map((row) => [row.kind, row.status]), [['detach-vf', 'done'], ['migrate', 'done'], ['attach-vf', 'done']])
    store.close()
  })

  it('after a stop request no new action starts: each is journalled as skipped, nothing touched', async () => {
    const backend = twoHosts()
    const store = openStore()
    const executor = new Executor(backend, store, 'run-s', () => true)
    const moved = await executor.migrate(move())
    const switched = await executor.switchVf({host: 'h1', vm: 'db1', op: 'attach', vf: VF0, reason: 'list1'})
    assert.deepEqual([...moved, switched].map((a) => [a.kind, a.status]), [['migrate', 'skipped'], ['attach-vf', 'skipped']])
    assert.match(switched.error ?? '', /^not started: a stop was requested/)
    assert.deepEqual(backend.calls, [])
    assert.equal(backend.snapshots, 0)
    store.close()
  })

  it('a migration that throws is failed with the message, and the VF is given back', async () => {
    const backend = twoHosts()
    backend.throws.migrate = 'ssh: connect to host h2 port 22: Connection refused'
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-3').migrate(move())
    assert.deepEqual(actions.map((a) => [a.kind, a.host, a.status, a.error]), [
      ['detach-vf', 'h1', 'done', undefined],
      ['migrate', 'h1', 'failed', 'ssh: connect to host h2 port 22: Connection refused'],
      ['attach-vf', 'h1', 'done', undefined],
    ])
    assert.equal(actions[1].durationMs, 0)
    assert.deepEqual(backend.placement(), twoHosts().placement())
    assert.deepEqual(journalRows(store).map((row) => row.status), ['rolled-back', 'failed', 'done'])
    store.close()
  })

  it('a failed detach skips the migration, which is never called', async () => {
    const backend = twoHosts()
    backend.fail.detach = 'device busy'
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-4').migrate(move())
    assert.deepEqual(actions, [
      {kind: 'detach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF1, reason: 'detach before migrating to h2', status: 'failed', journalId: 1, durationMs: 7, error: 'device busy'},
      {kind: 'migrate', vm: 'web1', uuid: 'uuid-web1', host: 'h1', to: 'h2', reason: 'h1 predicted hot', status: 'skipped', journalId: 2, error: `VF ${VF1} could not be detached`},
    ])
    assert.deepEqual(backend.calls, [`detach h1 web1 ${VF1}`])
    assert.deepEqual(backend.placement(), twoHosts().placement())
    assert.deepEqual(journalRows(store).map((row) => [row.kind, row.status, row.error]), [
      ['detach-vf', 'failed', 'device busy'],
      ['migrate', 'skipped', `VF ${VF1} could not be detached`],
    ])
    store.close()
  })

  it('a detach that throws is failed with the message; no migration', async () => {
    const backend = twoHosts()
    backend.throws.detach = 'xl: command not found'
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-5').migrate(move())
    assert.deepEqual(actions.map((a) => [a.kind, a.status, a.error]), [
      ['detach-vf', 'failed', 'xl: command not found'],
      ['migrate', 'skipped', `VF ${VF1} could not be detached`],
    ])
    assert.deepEqual(backend.calls, [`detach h1 web1 ${VF1}`])
    store.close()
  })

  it('a failed attach on arrival leaves the VM migrated on PV', async () => {
    const backend = twoHosts()
    backend.fail.attach = 'hot-plug timed out'
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-6').migrate(move())
    assert.deepEqual(actions.map((a) => [a.kind, a.host, a.status, a.error]), [
      ['detach-vf', 'h1', 'done', undefined],
      ['migrate', 'h1', 'done', undefined],
      ['attach-vf', 'h2', 'failed', 'hot-plug timed out'],
    ])
    assert.deepEqual(backend.placement(), {h1: {vms: {db1: null}, free: [VF0, VF1]}, h2: {vms: {cache1: VF0, web1: null}, free: [VF2, VF3]}})
    store.close()
  })

  const stale: {why: string; item: PlannedMigration; error: string}[] = [
    {why: 'the VM is already on another host', item: move({vm: 'cache1'}), error: 'cache1 is no longer on h1 (now on h2)'},
    {why: 'the VM is gone', item: move({vm: 'ghost'}), error: 'ghost is no longer in the cluster'},
  ]
  for (const {why, item, error} of stale) {
    it(`a stale plan is skipped, backend untouched: ${why}`, async () => {
      const backend = twoHosts()
      const store = openStore()
      const actions = await new Executor(backend, store, 'run-7').migrate(item)
      assert.deepEqual(actions, [
        {kind: 'migrate', vm: item.vm, host: 'h1', to: 'h2', reason: 'h1 predicted hot', status: 'skipped', error, journalId: 1},
      ])
      assert.deepEqual(backend.calls, [])
      assert.deepEqual(backend.placement(), twoHosts().placement())
      assert.deepEqual(journalRows(store), [
        {id: 1, runId: 'run-7', kind: 'migrate', vm: item.vm, host: 'h1', toHost: 'h2', vf: null, status: 'skipped', error},
      ])
      store.close()
    })
  }
})

describe('Executor.switchVf', () => {
  const change = (tweak: Partial<PlannedVfChange>): PlannedVfChange => ({host: 'h1', vm: 'db1', op: 'attach', vf: VF0, reason: 'list1', ...tweak})

  it('a host that gave no readings just before: nothing is tried, the step is journalled skipped with why', async () => {
    const backend = twoHosts()
    backend.down.add('h1')
    const store = openStore()
    const executor = new Executor(backend, store, 'r')
    const action = await executor.switchVf(change({}))
    const why = 'not started: h1 gave no readings just before it (did not answer: ssh: connection timed out)'
    assert.deepEqual([action.status, action.error], ['skipped', why])
    // Nor is a migration off it.
    const moved = await executor.migrate(move())
    assert.deepEqual(moved.map((a) => [a.kind, a.status, a.error]), [['migrate', 'skipped', why]])
    assert.deepEqual(backend.calls, [])
    assert.deepEqual(journalRows(store).map((row) => [row.kind, row.status]), [['attach-vf', 'skipped'], ['migrate', 'skipped']])
    store.close()
  })

  it('attaches a free VF', async () => {
    const backend = twoHosts()
    const store = openStore()
    const action = await new Executor(backend, store, 'r').switchVf(change({}))
    assert.deepEqual(action, {kind: 'attach-vf', vm: 'db1', uuid: 'uuid-db1', host: 'h1', vf: VF0, reason: 'list1', status: 'done', journalId: 1, durationMs: 150})
    assert.deepEqual(backend.placement().h1, {vms: {web1: VF1, db1: VF0}, free: []})
    assert.deepEqual(journalRows(store).map((row) => row.status), ['done'])
    store.close()
  })

  it('records the VF the host actually gave when its pool chose another', async () => {
    const backend = twoHosts()
    backend.attachVf = async () => ({ok: true, durationMs: 80, vf: VF2})
    const store = openStore()
    const action = await new Executor(backend, store, 'r').switchVf(change({}))
    assert.deepEqual([action.vf, action.note], [VF2, `asked for VF ${VF0}; the host's pool gave ${VF2}`])
    store.close()
  })

  it('detaches a held VF', async () => {
    const backend = twoHosts()
    const store = openStore()
    const action = await new Executor(backend, store, 'r').switchVf(change({vm: 'web1', op: 'detach', vf: VF1, reason: 'list2'}))
    assert.deepEqual(action, {kind: 'detach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF1, reason: 'list2', status: 'done', journalId: 1, durationMs: 100})
    assert.deepEqual(backend.placement().h1, {vms: {web1: null, db1: null}, free: [VF0, VF1]})
    store.close()
  })

  const skipped: {why: string; change: PlannedVfChange; error: string}[] = [
    {why: 'the VF was taken meanwhile', change: change({vf: VF1}), error: `VF ${VF1} is no longer free on h1`},
    {why: 'the VM already holds a VF', change: change({vm: 'web1'}), error: `web1 already holds VF ${VF1}`},
    {why: 'the VM moved', change: change({vm: 'cache1', vf: VF0}), error: 'cache1 is no longer on h1 (now on h2)'},
    {why: 'the VM is gone', change: change({vm: 'ghost'}), error: 'ghost is no longer in the cluster'},
    {why: 'detach of a VF the VM no longer holds', change: change({vm: 'web1', op: 'detach', vf: VF0}), error: `web1 no longer holds VF ${VF0}`},
  ]
  for (const {why, change: planned, error} of skipped) {
    it(`skipped, backend untouched: ${why}`, async () => {
      const backend = twoHosts()
      const store = openStore()
      const action = await new Executor(backend, store, 'r').switchVf(planned)
      assert.deepEqual(action, {...vfChangeStep(planned), status: 'skipped', error, journalId: 1})
      assert.deepEqual(backend.calls, [])
      assert.deepEqual(journalRows(store).map((row) => [row.status, row.error]), [['skipped', error]])
      store.close()
    })
  }

  it('a backend that throws gives a failed action with its message', async () => {
    const backend = twoHosts()
    backend.throws.attach = 'virsh: error: failed to connect to the hypervisor'
    const store = openStore()
    const action = await new Executor(backend, store, 'r').switchVf(change({}))
    assert.deepEqual(action, {
      kind: 'attach-vf', vm: 'db1', uuid: 'uuid-db1', host: 'h1', vf: VF0, reason: 'list1', status: 'failed', journalId: 1, durationMs: 0,
      error: 'virsh: error: failed to connect to the hypervisor',
    })
    assert.deepEqual(journalRows(store).map((row) => [row.status, row.error]), [['failed', 'virsh: error: failed to connect to the hypervisor']])
    store.close()
  })

  it('refused() journals a failed action without calling the backend', async () => {
    const backend = twoHosts()
    const store = openStore()
    const action = new Executor(backend, store, 'r').refused({kind: 'attach-vf', vm: 'db1', uuid: 'uuid-db1', host: 'h2', status: 'failed', reason: 'list1', error: 'no free VF on h2'})
    assert.deepEqual(action, {kind: 'attach-vf', vm: 'db1', uuid: 'uuid-db1', host: 'h2', status: 'failed', reason: 'list1', error: 'no free VF on h2', journalId: 1})
    assert.equal(backend.calls.length + backend.snapshots, 0)
    store.close()
  })
})

describe('dryRunActions', () => {
  it('marks every step dry-run; the backend is never asked to act', async () => {
    const backend = twoHosts()
    const hosts = placementOf(await backend.snapshot())
    const steps = expandMigration(move(), hosts)
    const actions = dryRunActions(steps)
    assert.deepEqual(actions, [
      {kind: 'detach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF1, reason: 'detach before migrating to h2', status: 'dry-run'},
      {kind: 'migrate', vm: 'web1', uuid: 'uuid-web1', host: 'h1', to: 'h2', reason: 'h1 predicted hot', status: 'dry-run'},
      {kind: 'attach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h2', vf: VF2, reason: 'arrived from h1: gets a free VF', status: 'dry-run'},
    ])
    assert.deepEqual(backend.calls, [])
    assert.deepEqual(backend.placement(), twoHosts().placement())
  })

  it('a dry run and a real run leave the same placement', async () => {
    const dry = twoHosts()
    const before = placementOf(await dry.snapshot())
    const predicted = applyActions(before, dryRunActions(expandMigration(move(), before)))
    const real = twoHosts()
    const store = openStore()
    await new Executor(real, store, 'r').migrate(move())
    const after = placementOf(await real.snapshot())
    const shape = (hosts: Host[]) => hosts.map((h) => ({name: h.name, vms: h.vms.map((v) => [v.name, v.path, v.vf]), free: [...h.vfs.free].sort()}))
    assert.deepEqual(shape(predicted), shape(after))
    store.close()
  })
})

describe('plan-steps', () => {
  // h1: web1 holds VF0, db1 PV; free VF1..VF3; 32768 MiB free. h2: empty, free VF0..VF3.
  const cluster = (): Host[] => [host('h1', [vm('web1', {vf: VF0}), vm('db1')]), host('h2')]

  const done = (action: Omit<Action, 'status' | 'reason'>, status: Action['status'] = 'done'): Action => ({...action, status, reason: 'test'})
  const moveWeb1 = (status: Action['status'] = 'done'): Action[] => [
    done({kind: 'detach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF0}, status),
    done({kind: 'migrate', vm: 'web1', uuid: 'uuid-web1', host: 'h1', to: 'h2'}, status),
    done({kind: 'attach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h2', vf: VF0}, status),
  ]

  it('expandMigration: detach, migrate, attach of the lowest free target VF', () => {
    assert.deepEqual(expandMigration(move({vm: 'web1'}), cluster()), [
      {kind: 'detach-vf', vm: 'web1', host: 'h1', vf: VF0, reason: 'detach before migrating to h2'},
      {kind: 'migrate', vm: 'web1', host: 'h1', to: 'h2', reason: 'h1 predicted hot'},
      {kind: 'attach-vf', vm: 'web1', host: 'h2', vf: VF0, reason: 'arrived from h1: gets a free VF'},
    ])
  })

  it('expandMigration: no detach for a PV VM, no attach when the target has no free VF', () => {
    const hosts = cluster()
    hosts[1].vfs.free = []
    assert.deepEqual(expandMigration(move({vm: 'db1'}), hosts), [
      {kind: 'migrate', vm: 'db1', host: 'h1', to: 'h2', reason: 'h1 predicted hot'},
    ])
  })

  it('firstFreeVf sorts by address', () => {
    assert.equal(firstFreeVf(host('h', [], {vfs: {total: 3, free: [VF3, VF1, VF2]}})), VF1)
    assert.equal(firstFreeVf(host('h', [], {vfs: {total: 0, free: []}})), undefined)
  })

  it('applyActions: detach -> migrate -> attach moves the VM and its VF bookkeeping exactly', () => {
    const hosts = cluster()
    const result = applyActions(hosts, moveWeb1())
    assert.deepEqual(result, [
      // web1 left: VF0 back in the pool (appended), its 1024 MiB freed (32768 + 1024).
      host('h1', [vm('db1')], {vfs: {total: 4, free: [VF1, VF2, VF3, VF0]}, memoryMiB: {total: 65_536, free: 33_792}}),
      // web1 arrived and took VF0; 32768 - 1024 = 31744 MiB free.
      host('h2', [vm('web1', {vf: VF0})], {vfs: {total: 4, free: [VF1, VF2, VF3]}, memoryMiB: {total: 65_536, free: 31_744}}),
    ])
  })

  it('applyActions: dry-run actions count like done ones', () => {
    assert.deepEqual(applyActions(cluster(), moveWeb1('dry-run')), applyActions(cluster(), moveWeb1('done')))
  })

  for (const status of ['failed', 'skipped'] as const) {
    it(`applyActions: ${status} actions change nothing`, () => {
      assert.deepEqual(applyActions(cluster(), moveWeb1(status)), cluster())
    })
  }

  it('applyActions: a failed migration between a done detach and its give-back restores the VF', () => {
    const actions = [
      done({kind: 'detach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF0}),
      done({kind: 'migrate', vm: 'web1', uuid: 'uuid-web1', host: 'h1', to: 'h2'}, 'failed'),
      done({kind: 'attach-vf', vm: 'web1', uuid: 'uuid-web1', host: 'h1', vf: VF0}),
    ]
    const result = applyActions(cluster(), actions)
    assert.deepEqual(result[0].vms[0], vm('web1', {vf: VF0}))
    assert.deepEqual([...result[0].vfs.free].sort(), [VF1, VF2, VF3])
    assert.deepEqual(result[1], cluster()[1])
  })

  it('applyActions does not mutate its input', () => {
    const hosts = cluster()
    const before = structuredClone(hosts)
    const actions = moveWeb1()
    const actionsBefore = structuredClone(actions)
    applyActions(hosts, actions)
    assert.deepEqual(hosts, before)
    assert.deepEqual(actions, actionsBefore)
  })

  it('arrivedVms: VMs of migrations done or dry-run, not failed or skipped', () => {
    const actions: Action[] = [
      done({kind: 'migrate', vm: 'a', uuid: 'uuid-a', host: 'h1', to: 'h2'}),
      done({kind: 'migrate', vm: 'b', uuid: 'uuid-b', host: 'h1', to: 'h2'}, 'dry-run'),
      done({kind: 'migrate', vm: 'c', uuid: 'uuid-c', host: 'h1', to: 'h2'}, 'failed'),
      done({kind: 'migrate', vm: 'd', uuid: 'uuid-d', host: 'h1', to: 'h2'}, 'skipped'),
      done({kind: 'attach-vf', vm: 'e', uuid: 'uuid-e', host: 'h2', vf: VF0}),
    ]
    assert.deepEqual([...arrivedVms(actions)].sort(), ['a', 'b'])
  })
})

describe('Executor.reconcile', () => {
  it('settles what a run killed mid-migration left, against the backend, and gives the VF back; journalled', async () => {
    const backend = twoHosts()
    // The dead run detached web1's VF1, then was killed while migrating: web1 is on h1 without a VF.
    backend.hosts[0].vms[0].vf = null
    backend.hosts[0].vms[0].path = 'pv'
    backend.hosts[0].vfs.free = [VF0, VF1]
    const store = openStore()
    const dead = '2026-11-25T08:00:00.000Z/999999'
    const detached = store.journalPlanned({runId: dead, kind: 'detach-vf', vm: 'web1', host: 'h1', vf: VF1, reason: 'detach before migrating to h2'})
    store.journalUpdate(detached, 'done')
    const migrating = store.journalPlanned({runId: dead, kind: 'migrate', vm: 'web1', host: 'h1', toHost: 'h2', reason: 'h1 predicted hot'})
    store.journalUpdate(migrating, 'started')
    const executor = new Executor(backend, store, 'run-r')
    const said = await executor.reconcile((runId) => runId !== dead)
    assert.equal(said.length, 2)
    assert.deepEqual(backend.calls, [`attach h1 web1 ${VF1}`])
    assert.deepEqual(backend.placement().h1.vms, {web1: VF1, db1: null})
    assert.deepEqual(journalRows(store).map((row) => [row.kind, row.status]), [['detach-vf', 'rolled-back'], ['migrate', 'failed'], ['attach-vf', 'done']])
    // Settled once: a second run finds nothing left to do.
    assert.deepEqual(await new Executor(backend, store, 'run-r2').reconcile(() => false), [])
    store.close()
  })
})

describe('Executor.migrate: only the move meant, confirmed on both ends', () => {
  it('a plan whose target is not a host of the cluster is skipped before any step: the VM keeps its VF', async () => {
    const backend = twoHosts()
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-t1').migrate(move({to: 'h9'}))
    assert.deepEqual(actions.map((a) => [a.kind, a.status, a.error]), [['migrate', 'skipped', 'refused: the target h9 is not a host of the cluster (hosts: h1, h2)']])
    assert.deepEqual(backend.calls, [])
    assert.deepEqual(backend.placement(), twoHosts().placement())
    store.close()
  })

  it("a plan whose target is the VM's own host is skipped, never journalled done", async () => {
    const backend = twoHosts()
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-t2').migrate(move({to: 'h1'}))
    assert.deepEqual(actions.map((a) => [a.kind, a.status, a.error]), [['migrate', 'skipped', "refused: the target h1 is web1's own host"]])
    assert.deepEqual(backend.calls, [])
    assert.deepEqual(journalRows(store).map((row) => [row.kind, row.status]), [['migrate', 'skipped']])
    store.close()
  })

  it('a target without the memory the VM needs is refused before the VF is detached', async () => {
    const backend = twoHosts()
    backend.hosts[1].memoryMiB.free = 512
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-t3').migrate(move())
    assert.deepEqual(actions.map((a) => [a.status, a.error]), [['skipped', 'refused: h2 has 512 MiB free, web1 needs 1024 MiB']])
    assert.deepEqual(backend.calls, [])
    store.close()
  })

  it('a plan made for another domain of the same name (another UUID) is skipped', async () => {
    const backend = twoHosts()
    const store = openStore()
    const actions = await new Executor(backend, store, 'run-t4').migrate(move({uuid: 'uuid-of-the-old-web1'}))
    assert.deepEqual(actions.map((a) => [a.status, a.error]), [['skipped', 'web1 is no longer the domain the plan meant: UUID uuid-web1 now, uuid-of-the-old-web1 planned']])
    assert.deepEqual(backend.calls, [])
    store.close()
  })

  it('a tool that reports success while the guest died on arrival: failed, with what is true', async () => {
    const backend = twoHosts()
    const store = openStore()
    const migrate = backend.migrate.bind(backend)
    backend.migrate = async (...args) => {
      const result = await migrate(...args)
      backend.hosts[1].vms = backend.hosts[1].vms.filter((v) => v.name !== 'web1')
      return result
    }
    const actions = await new Executor(backend, store, 'run-t5').migrate(move())
    assert.deepEqual(actions.map((a) => [a.kind, a.status]), [['detach-vf', 'done'], ['migrate', 'failed'], ['attach-vf', 'failed']])
    assert.equal(actions[1].error, 'the tool reported success, but web1 runs on no host that answered: it did not survive the move')
    assert.deepEqual(journalRows(store).map((row) => [row.kind, row.status]), [['detach-vf', 'done'], ['migrate', 'failed'], ['attach-vf', 'failed']])
    store.close()
  })

  it('a tool that reports success while the VM still runs on the source: failed, and its own VF given back as it was', async () => {
    const backend = twoHosts()
    const store = openStore()
    backend.migrate = async (ref) => (backend.calls.push(`migrate ${ref.name} (no-op)`), {ok: true, durationMs: 5})
    const actions = await new Executor(backend, store, 'run-t6').migrate(move())
    assert.deepEqual(actions.map((a) => [a.kind, a.host, a.status]), [['detach-vf', 'h1', 'done'], ['migrate', 'h1', 'failed'], ['attach-vf', 'h1', 'done']])
    assert.equal(actions[1].error, 'the tool reported success, but web1 still runs on h1 and not on h2')
    assert.deepEqual(backend.restored, [{vf: VF1, definition: `<hostdev ${VF1} vlan=42 of web1>`}])
    assert.deepEqual(backend.placement(), twoHosts().placement())
    store.close()
  })

  it('the detached device is kept in the journal, and a failed migration gives that very device back', async () => {
    const backend = twoHosts()
    backend.fail.migrate = 'migration aborted'
    const store = openStore()
    await new Executor(backend, store, 'run-t7').migrate(move())
    const detach = store.journal().find((row) => row.kind === 'detach-vf')
    assert.deepEqual(JSON.parse(detach?.device ?? 'null'), {vf: VF1, definition: `<hostdev ${VF1} vlan=42 of web1>`})
    assert.equal(detach?.uuid, 'uuid-web1')
    assert.deepEqual(backend.restored, [{vf: VF1, definition: `<hostdev ${VF1} vlan=42 of web1>`}])
    store.close()
  })

  it('a VF change planned for another domain of the same name is skipped; the backend is asked by UUID', async () => {
    const backend = twoHosts()
    const store = openStore()
    const stale = await new Executor(backend, store, 'run-t8').switchVf({host: 'h1', vm: 'web1', op: 'detach', vf: VF1, uuid: 'uuid-other', reason: 'test'})
    assert.equal(stale.status, 'skipped')
    assert.match(stale.error ?? '', /no longer the domain the plan meant/)
    const done = await new Executor(backend, store, 'run-t8').switchVf({host: 'h1', vm: 'web1', op: 'detach', vf: VF1, reason: 'test'})
    assert.deepEqual([done.status, done.uuid], ['done', 'uuid-web1'])
    store.close()
  })
})

describe('Executor: the rules in force now', () => {
  const ruled = (rules: Partial<RuleSet>) => ({rules: () => ({vms: [], hosts: [], ...rules})})
  const change = (tweak: Partial<PlannedVfChange>): PlannedVfChange => ({host: 'h1', vm: 'db1', op: 'attach', vf: VF0, reason: 'list1', ...tweak})

  it('a pin set after the plan was made: the migration is skipped naming the rule, nothing touched', async () => {
    const backend = twoHosts()
    const store = openStore()
    const pinned = ruled({vms: [{match: {name: 'web1'}, migrate: 'never', origin: 'sova rule set'}]})
    const actions = await new Executor(backend, store, 'r', () => false, pinned).migrate(move())
    assert.deepEqual(actions.map((a) => [a.kind, a.status, a.error]), [['migrate', 'skipped', 'refused by the rules in force now: web1 is pinned to h1 by never-migrate (sova rule set)']])
    assert.deepEqual(backend.calls, [])
    assert.deepEqual(journalRows(store).map((row) => [row.kind, row.status, row.error]), [['migrate', 'skipped', 'refused by the rules in force now: web1 is pinned to h1 by never-migrate (sova rule set)']])
    store.close()
  })

  it('a target in maintenance, excluded, or holding a VM of the same anti-affinity group: skipped naming the rule', async () => {
    const cases: [Partial<RuleSet>, RegExp][] = [
      [{hosts: [{host: 'h2', maintenance: true, origin: 'sova drain h2'}]}, /h2 is in maintenance \(sova drain h2\)$/],
      [{hosts: [{host: 'h2', exclude: true, origin: 'configuration rules.hosts.h2'}]}, /h2 is excluded \(configuration rules.hosts.h2\)$/],
      [{vms: [{match: {name: '*1'}, group: 'replicas', antiAffinity: true, origin: 'configuration rules.groups[0] "replicas"'}]}, /anti-affinity group replicas: cache1 is already on h2/],
    ]
    for (const [rules, why] of cases) {
      const backend = twoHosts()
      const store = openStore()
      const [action] = await new Executor(backend, store, 'r', () => false, ruled(rules)).migrate(move())
      assert.equal(action.status, 'skipped')
      assert.match(action.error ?? '', why)
      assert.deepEqual(backend.calls, [])
      store.close()
    }
  })

  it('a VM whose rule became vf: never migrates but gets no VF on arrival', async () => {
    const backend = twoHosts()
    const store = openStore()
    const never = ruled({vms: [{match: {name: 'web1'}, vf: 'never', origin: 'sova rule set'}]})
    const actions = await new Executor(backend, store, 'r', () => false, never).migrate(move())
    assert.deepEqual(actions.map((a) => [a.kind, a.status]), [['detach-vf', 'done'], ['migrate', 'done']])
    assert.deepEqual(backend.placement().h2.vms, {cache1: VF0, web1: null})
    store.close()
  })

  it('VF changes the rules forbid now are skipped naming the rule; without a rule set nothing is refused', async () => {
    const rules = ruled({
      vms: [
        {match: {name: 'db1'}, vf: 'never', origin: 'sova rule set'},
        {match: {name: 'web1'}, vf: 'always', origin: 'configuration rules.vms.web1'},
        {match: {name: 'cache1'}, exclude: true, origin: 'configuration rules.vms.cache1'},
      ],
    })
    const refusals: [PlannedVfChange, string][] = [
      [change({}), 'db1 has vf: never (sova rule set)'],
      [change({vm: 'web1', op: 'detach', vf: VF1}), 'web1 has vf: always (configuration rules.vms.web1): its VF is not taken back'],
      [change({host: 'h2', vm: 'cache1', op: 'detach'}), 'cache1 is excluded (configuration rules.vms.cache1)'],
    ]
    for (const [planned, why] of refusals) {
      const backend = twoHosts()
      const store = openStore()
      const action = await new Executor(backend, store, 'r', () => false, rules).switchVf(planned)
      assert.deepEqual([action.status, action.error], ['skipped', `refused by the rules in force now: ${why}`])
      assert.deepEqual(backend.calls, [])
      assert.equal((await new Executor(backend, store, 'r').switchVf(planned)).status, 'done', 'the same change without rules is done')
      store.close()
    }
    const backend = twoHosts()
    const store = openStore()
    const maintenance = ruled({hosts: [{host: 'h1', maintenance: true, origin: 'sova drain h1'}]})
    const executor = new Executor(backend, store, 'r', () => false, maintenance)
    assert.equal((await executor.switchVf(change({}))).error, 'refused by the rules in force now: h1 is in maintenance (sova drain h1)')
    assert.equal((await executor.switchVf(change({vm: 'web1', op: 'detach', vf: VF1}))).status, 'done', 'a detach is still allowed in maintenance')
    store.close()
  })
})
