// Hand-built raw snapshots and journal rows for the `sova check` tests.
import type {RawHost, RawSnapshot, RawVm} from '../../src/lib/backends/types.js'
import type {JournalEntry} from '../../src/lib/store/store.js'

/** A VM on the PV path, or on the VF path when given a VF. */
export function rawVm(name: string, vf: string | null = null): RawVm {
  return {name, id: name, uuid: `uuid-${name}`, vcpus: 1, memoryMiB: 1024, path: vf ? 'vf' : 'pv', vf, counters: {cpuSeconds: 0, blockedSeconds: 0, rxBytes: 0, txBytes: 0}}
}

/** A host whose pool is `pool`; the VFs its VMs do not hold are free. */
export function rawHost(name: string, vms: RawVm[], pool = ['0000:03:10.0', '0000:03:10.1']): RawHost {
  const held = new Set(vms.map((vm) => vm.vf))
  return {
    name, nic: {device: 'eth0', speedMbps: 10_000, rxBytes: 0, txBytes: 0},
    vfs: {total: pool.length, free: pool.filter((vf) => !held.has(vf))},
    cpus: 16, memoryMiB: {total: 65_536, free: 32_768}, vms,
  }
}

/** Two hosts: a holds a VF on host1, b is on PV on host1, c is on host2. */
export function cleanSnapshot(): RawSnapshot {
  return {
    at: '2026-01-01T00:00:00.000Z',
    source: {backend: 'sim', cluster: 'test'},
    hosts: [rawHost('host1', [rawVm('a', '0000:03:10.0'), rawVm('b')]), rawHost('host2', [rawVm('c')])],
  }
}

export const DEAD_RUN = '2026-01-01T00:00:00.000Z/111'
export const LIVE_RUN = '2026-01-01T00:00:00.000Z/222'
/** The liveness the tests use: only LIVE_RUN is running. */
export const isLive = (runId: string): boolean => runId === LIVE_RUN

let nextId = 1
/** A journal row (done, of DEAD_RUN, on host1 unless tweaked); ids increase in creation order. */
export function row(kind: string, vm: string, tweak: Partial<JournalEntry> = {}): JournalEntry {
  return {
    id: nextId++, runId: DEAD_RUN, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z',
    kind, vm, host: 'host1', toHost: null, vf: null, status: 'done', reason: 'test', error: null, uuid: null, device: null, ...tweak,
  }
}
