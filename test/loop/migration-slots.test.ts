// The per-host cap of migrations at once (migration.maxParallel) and the cluster's
// (migration.maxParallelInCluster), enforced by the executor: how many moves leave or enter each
// host at the same time, measured on a fake backend whose moves take a fixed number of event-loop
// turns (no clock), and that VFs given on arrival to moves running side by side are never the same VF.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setImmediate as nextTurn} from 'node:timers/promises'
import {after, describe, it} from 'node:test'
import type {Backend, RawHost, RawVm, StepResult, VmRef} from '../../src/lib/backends/types.js'
import {actionBoundsOf} from '../../src/lib/config-bounds.js'
import {migrationCapOf} from '../../src/lib/config-migration.js'
import {type ActionBounds, DEFAULT_MIGRATIONS_PER_HOST} from '../../src/lib/loop/action-bounds.js'
import type {PlannedMigration} from '../../src/lib/document/schema.js'
import {Executor} from '../../src/lib/loop/apply.js'
import {runWithinCaps} from '../../src/lib/loop/migration-slots.js'
import {Store} from '../../src/lib/store/store.js'
import {RawClusterBackend, rawHost, rawVm} from '../helpers/raw-cluster.js'

const TURNS = 40


/** A cluster whose moves take TURNS event-loop turns; it counts the moves under way per host and cluster-wide. */
class TimedBackend extends RawClusterBackend {
  readonly busy = new Map<string, number>()
  readonly most = new Map<string, number>()
  mostAtOnce = 0
  private underWay = 0
  readonly attached: string[] = []

  constructor(hosts: RawHost[]) {
    super('timed', hosts)
  }

  async migrate(ref: VmRef, from: string, to: string): Promise<StepResult> {
    this.underWay++
    this.mostAtOnce = Math.max(this.mostAtOnce, this.underWay)
    for (const host of [from, to]) {
      this.busy.set(host, (this.busy.get(host) ?? 0) + 1)
      this.most.set(host, Math.max(this.most.get(host) ?? 0, this.busy.get(host) as number))
    }
    for (let turn = 0; turn < TURNS; turn++) await nextTurn()
    const source = this.hosts.find((host) => host.name === from) as RawHost
    const vm = source.vms.find((candidate) => candidate.uuid === ref.uuid) as RawVm
    source.vms = source.vms.filter((candidate) => candidate !== vm)
    this.hosts.find((host) => host.name === to)?.vms.push(vm)
    for (const host of [from, to]) this.busy.set(host, (this.busy.get(host) as number) - 1)
    this.underWay--
    return {ok: true, durationMs: 1}
  }
  async attachVf(host: string, ref: VmRef, vf: string): Promise<StepResult> {
    const target = this.hosts.find((candidate) => candidate.name === host) as RawHost
    await nextTurn()
    if (!target.vfs.free.includes(vf)) return {ok: false, durationMs: 1, error: `${vf} is not free on ${host}`}
    target.vfs.free = target.vfs.free.filter((free) => free !== vf)
    const vm = target.vms.find((candidate) => candidate.uuid === ref.uuid) as RawVm
    vm.vf = vf
    vm.path = 'vf'
    this.attached.push(`${ref.name} ${vf}`)
    return {ok: true, durationMs: 1}
  }
  async detachVf(): Promise<StepResult> {
    return {ok: false, durationMs: 1, error: 'not in this test'}
  }
}

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})
function executorFor(backend: Backend, bounds?: ActionBounds): Executor {
  const dir = mkdtempSync(join(tmpdir(), 'sova-slots-'))
  dirs.push(dir)
  return new Executor(backend, Store.open(dir), 'run-1', undefined, {bounds})
}
/** The bounds of a configuration with these migration settings, VF changes left at their default. */
const boundsOf = (config: Parameters<typeof actionBoundsOf>[0]) => actionBoundsOf(config)
const move = (vm: string, from: string, to: string, giveVfOnArrival = false): PlannedMigration => ({vm, from, to, migrationFactor: 1, giveVfOnArrival, reason: 'test'})

describe('migration caps (migration.maxParallel, migration.maxParallelInCluster)', () => {
  it('unset everywhere: 2 per host (KubeVirt\'s default), so moves side by side by default', async () => {
    // Protects "concurrency on by default" with the documented default.
    assert.equal(migrationCapOf({hosts: [{name: 'h1'}], migration: {bandwidthMiBs: 10}})('h1'), DEFAULT_MIGRATIONS_PER_HOST)
    const backend = new TimedBackend([rawHost('h1', [rawVm('a'), rawVm('b'), rawVm('d')]), rawHost('h2', []), rawHost('h3', [rawVm('c')]), rawHost('h4', [])])
    const actions = await executorFor(backend).migrateAll([move('a', 'h1', 'h2'), move('c', 'h3', 'h4'), move('b', 'h1', 'h2'), move('d', 'h1', 'h2')])
    assert.deepEqual(actions.map((action) => `${action.vm} ${action.status}`), ['a done', 'c done', 'b done', 'd done'])
    assert.equal(backend.most.get('h1'), 2)
    assert.equal(backend.mostAtOnce, 3)
  })

  it('maxParallelInCluster 1: one migration at a time in the whole cluster, as before', async () => {
    // Protects the setting that turns concurrency off.
    const backend = new TimedBackend([rawHost('h1', [rawVm('a'), rawVm('b')]), rawHost('h2', []), rawHost('h3', [rawVm('c')]), rawHost('h4', [])])
    const actions = await executorFor(backend, boundsOf({migration: {maxParallelInCluster: 1}})).migrateAll([move('a', 'h1', 'h2'), move('c', 'h3', 'h4'), move('b', 'h1', 'h2')])
    assert.deepEqual(actions.map((action) => `${action.vm} ${action.status}`), ['a done', 'c done', 'b done'])
    assert.equal(backend.mostAtOnce, 1)
  })

  it('a cap of 2 on h1 (1 elsewhere): at most 2 leave h1 at once, at most 1 enters each other host; actions in plan order', async () => {
    // Protects the cap itself, both directions, and the order of the document's actions.
    const config = {migration: {maxParallel: 1}, hosts: [{name: 'h1', migration: {maxParallel: 2}}, {name: 'h2'}, {name: 'h3'}, {name: 'h4'}]}
    assert.deepEqual(['h1', 'h2'].map(migrationCapOf(config)), [2, 1])
    const backend = new TimedBackend([rawHost('h1', ['a', 'b', 'c', 'd'].map((name) => rawVm(name))), rawHost('h2', []), rawHost('h3', []), rawHost('h4', [])])
    const plan = [move('a', 'h1', 'h2'), move('b', 'h1', 'h3'), move('c', 'h1', 'h4'), move('d', 'h1', 'h2')]
    const actions = await executorFor(backend, boundsOf(config)).migrateAll(plan)
    assert.deepEqual(actions.map((action) => `${action.vm} ${action.to} ${action.status}`), ['a h2 done', 'b h3 done', 'c h4 done', 'd h2 done'])
    assert.equal(backend.most.get('h1'), 2)
    for (const host of ['h2', 'h3', 'h4']) assert.equal(backend.most.get(host), 1, host)
    assert.equal(backend.mostAtOnce, 2)
  })

  it('a top-level cap of 3: moves between disjoint hosts run side by side', async () => {
    // Protects the top-level maxParallel as every host's cap.
    const backend = new TimedBackend([rawHost('h1', [rawVm('a'), rawVm('b'), rawVm('e')]), rawHost('h2', []), rawHost('h3', [rawVm('c')]), rawHost('h4', [])])
    await executorFor(backend, boundsOf({migration: {maxParallel: 3}})).migrateAll([move('a', 'h1', 'h2'), move('c', 'h3', 'h4'), move('b', 'h1', 'h2'), move('e', 'h1', 'h2')])
    assert.equal(backend.most.get('h1'), 3)
    assert.equal(backend.mostAtOnce, 4)
  })

  it('a cluster cap of 2 holds across disjoint hosts', async () => {
    // Protects maxParallelInCluster against the per-host caps that alone would allow more.
    const backend = new TimedBackend([rawHost('h1', [rawVm('a')]), rawHost('h2', []), rawHost('h3', [rawVm('c')]), rawHost('h4', []), rawHost('h5', [rawVm('e')]), rawHost('h6', [])])
    const actions = await executorFor(backend, boundsOf({migration: {maxParallel: 4, maxParallelInCluster: 2}})).migrateAll([move('a', 'h1', 'h2'), move('c', 'h3', 'h4'), move('e', 'h5', 'h6')])
    assert.deepEqual(actions.map((action) => `${action.vm} ${action.status}`), ['a done', 'c done', 'e done'])
    assert.equal(backend.mostAtOnce, 2)
  })

  it('two moves arriving side by side on one host get two different free VFs', async () => {
    // Protects against a race: both arrivals planned on one snapshot would pick the same lowest VF.
    const backend = new TimedBackend([rawHost('h1', [rawVm('a'), rawVm('b')]), rawHost('h2', [], ['0000:03:10.1', '0000:03:10.0'])])
    const actions = await executorFor(backend).migrateAll([move('a', 'h1', 'h2', true), move('b', 'h1', 'h2', true)])
    assert.equal(backend.mostAtOnce, 2)
    assert.deepEqual(actions.filter((action) => action.kind === 'attach-vf').map((action) => `${action.vm} ${action.vf} ${action.status}`), ['a 0000:03:10.0 done', 'b 0000:03:10.1 done'])
    assert.deepEqual(backend.attached.sort(), ['a 0000:03:10.0', 'b 0000:03:10.1'])
  })

  it('side by side with one free VF for two arrivals: one gets it, the other runs on PV with the reason in its note', async () => {
    // Protects the note that says why a VF wanted on arrival was not given.
    const backend = new TimedBackend([rawHost('h1', [rawVm('a'), rawVm('b')]), rawHost('h2', [], ['0000:03:10.0'])])
    const actions = await executorFor(backend).migrateAll([move('a', 'h1', 'h2', true), move('b', 'h1', 'h2', true)])
    assert.deepEqual(actions.map((action) => `${action.kind} ${action.vm} ${action.status}${action.note ? ` (${action.note})` : ''}`), [
      'migrate a done',
      'attach-vf a done',
      'migrate b done (h2 had no free VF on arrival: b runs on its para-virtual NIC until a VF is free)',
    ])
  })

  it('runWithinCaps: a run that throws stops new starts, lets the others finish, then throws', async () => {
    // Protects a backend failure (a host unreachable) from being swallowed by the scheduler.
    const started: string[] = []
    const items = [{from: 'h1', to: 'h2', name: 'a'}, {from: 'h1', to: 'h3', name: 'b'}, {from: 'h1', to: 'h4', name: 'c'}]
    await assert.rejects(
      runWithinCaps(items, {perHost: () => 2, total: 5}, async (item) => {
        started.push(item.name)
        await nextTurn()
        if (item.name === 'a') throw new Error('h2 unreachable')
        return item.name
      }),
      /h2 unreachable/,
    )
    assert.deepEqual(started, ['a', 'b'])
  })
})
