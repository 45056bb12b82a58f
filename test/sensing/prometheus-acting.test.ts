// Sensing through Prometheus, acting through the hosts' tools: the executor's checks before and
// after an action read the hosts it touches with their tools (Prometheus lags by a scrape and a
// textfile period: right after a migration it still shows the VM on its source).
import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import type {Backend, RawHost, RawSnapshot, StepResult, VmRef} from '../../src/lib/backends/types.js'
import {Executor} from '../../src/lib/loop/apply.js'
import {PrometheusSensing} from '../../src/lib/sensing/prometheus.js'
import {Store} from '../../src/lib/store/store.js'
import {type FakeHost, fleetAnswer, startFakePrometheus} from '../support/fake-prometheus.js'

const UUID = '11111111-1111-4111-8111-111111111111'

/** The hosts' tools: a live cluster that migrations change at once, and which hosts each reading asked for. */
class ActingHosts implements Backend {
  readonly name = 'libvirt'
  readonly capabilities = {canMigrate: true, canSwitchVf: true}
  readonly reads: string[][] = []
  constructor(public hosts: RawHost[]) {}
  async snapshot(only?: readonly string[]): Promise<RawSnapshot> {
    this.reads.push([...(only ?? ['*'])])
    return {at: new Date().toISOString(), source: {backend: 'libvirt', cluster: 'fleet'}, hosts: structuredClone(this.hosts.filter((host) => !only || only.includes(host.name)))}
  }
  async migrate(vm: VmRef, from: string, to: string): Promise<StepResult> {
    const source = this.hosts.find((host) => host.name === from)!
    const moving = source.vms.find((candidate) => candidate.uuid === vm.uuid)!
    source.vms = source.vms.filter((candidate) => candidate !== moving)
    this.hosts.find((host) => host.name === to)!.vms.push(moving)
    return {ok: true, durationMs: 1}
  }
  async attachVf(): Promise<StepResult> {
    return {ok: false, durationMs: 1, error: 'not in this test'}
  }
  async detachVf(): Promise<StepResult> {
    return {ok: false, durationMs: 1, error: 'not in this test'}
  }
  async clusterName() {
    return 'fleet'
  }
  async now() {
    return new Date().toISOString()
  }
  async nextSample() {}
  async wait() {}
  close() {}
}

const rawHost = (name: string, vms: RawHost['vms']): RawHost => ({name, nic: {device: 'eth0', speedMbps: 10_000, rxBytes: 0, txBytes: 0}, vfs: {total: 0, free: []}, cpus: 16, memoryMiB: {total: 65_536, free: 60_000}, vms})

const closers: (() => Promise<void>)[] = []
after(() => Promise.all(closers.map((close) => close())))

describe('acting with Prometheus sensing', () => {
  it('a migration is confirmed by the hosts\' tools on its two hosts, not by Prometheus, which still has the VM on its source', async () => {
    // Prometheus's view: vm1 on h1, and it stays so (the textfiles have not been rewritten yet).
    const stale: FakeHost[] = [
      {name: 'h1', vfs: [], vms: [{name: 'vm1', uuid: UUID, tapBps: 1000, cpu: 0.1}]},
      {name: 'h2', vfs: [], vms: []},
      {name: 'h3', vfs: [], vms: []},
    ]
    const server = await startFakePrometheus((request) => fleetAnswer(stale, request))
    closers.push(server.close)
    const vm1 = {name: 'vm1', id: UUID, uuid: UUID, vcpus: 2, memoryMiB: 2048, path: 'pv' as const, vf: null, counters: {cpuSeconds: 1, blockedSeconds: 0, rxBytes: 0, txBytes: 0}}
    const acting = new ActingHosts([rawHost('h1', [vm1]), rawHost('h2', []), rawHost('h3', [])])
    const sensing = new PrometheusSensing(acting, [{name: 'h1'}, {name: 'h2'}, {name: 'h3'}], {url: server.url, hostLabel: 'sova_host'})
    const store = Store.open(mkdtempSync(join(tmpdir(), 'sova-prom-act-')))
    try {
      const executor = new Executor(sensing, store, 'run-1')
      const actions = await executor.migrateAll([{vm: 'vm1', uuid: UUID, from: 'h1', to: 'h2', reason: 'test', giveVfOnArrival: false}])
      assert.deepEqual(actions.map((action) => [action.kind, action.status, action.error]), [['migrate', 'done', undefined]])
      assert.ok(acting.reads.length > 0, 'the tools were read')
      assert.ok(acting.reads.every((hosts) => hosts.every((host) => host === 'h1' || host === 'h2')), `only the hosts the migration touches: ${JSON.stringify(acting.reads)}`)
      assert.equal(server.requests.length, 0, 'no check asked Prometheus')
    } finally {
      store.close()
    }
  })
})
