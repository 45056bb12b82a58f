// The simulator's model as pure functions over a plain-data SimCluster: time, reachability and
// the raw snapshot a backend reports. Inputs are never mutated; each call returns a new cluster.
import type {RawHost, RawSnapshot} from '../types.js'
import {type SimCluster, findHost, freeMemoryMiB, freeVfs, vmsOn} from './cluster.js'
import {integrateInPlace} from './step.js'

import {simUuid} from './actions.js'
export {attachVf, detachVf, identityRefusal, migrate, migrationPlan, refuse, simUuid, type Transition} from './actions.js'

/** Simulated time zero: the scenario starts at this instant, so `at` is reproducible. */
export const SIM_EPOCH_MS = Date.parse('2026-01-01T00:00:00.000Z')

/** Lets `seconds` of simulated time pass (rounded to whole ms), integrating in steps of ≤ 1 s. */
export function advance(cluster: SimCluster, seconds: number): SimCluster {
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new RangeError(`simulated time can only move forward: expected seconds >= 0, got ${seconds}`)
  }
  const next = structuredClone(cluster)
  integrateInPlace(next, Math.round(seconds * 1000))
  return next
}

/** Cuts a host off (an outage) or restores it; its VMs keep running either way. */
export function setReachable(cluster: SimCluster, host: string, reachable: boolean): SimCluster {
  if (!findHost(cluster, host)) {
    throw new RangeError(`unknown host ${host}; expected one of ${cluster.hosts.map((h) => h.name).join(', ')}`)
  }
  const next = structuredClone(cluster)
  ;(findHost(next, host) as NonNullable<ReturnType<typeof findHost>>).reachable = reachable
  return next
}

/** The identity under which samples of this simulated cluster are kept apart from others. */
export function clusterId(cluster: SimCluster): string {
  return `sim:${cluster.scenario}:${cluster.seed}`
}

/** What the sim backend reports: counters (whole bytes), hosts in order, VMs by name per host. */
export function toSnapshot(cluster: SimCluster): RawSnapshot {
  const hosts: RawHost[] = cluster.hosts.map((host) => ({
    name: host.name,
    nic: {
      device: host.device,
      speedMbps: host.speedMbps,
      rxBytes: Math.floor(host.port.rxBytes),
      txBytes: Math.floor(host.port.txBytes),
    },
    vfs: {total: host.vfPool.length, free: freeVfs(cluster, host)},
    cpus: host.cpus,
    memoryMiB: {total: host.memoryMiB, free: freeMemoryMiB(cluster, host)},
    vms: vmsOn(cluster, host.name)
      .slice()
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((vm) => ({
        name: vm.name,
        id: String(vm.index),
        uuid: simUuid(vm.index),
        vcpus: vm.vcpus,
        memoryMiB: vm.memoryMiB,
        path: vm.path,
        vf: vm.vf,
        counters: {
          cpuSeconds: vm.counters.cpuSeconds,
          blockedSeconds: vm.counters.blockedSeconds,
          rxBytes: Math.floor(vm.counters.rxBytes),
          txBytes: Math.floor(vm.counters.txBytes),
          activeSeconds: vm.counters.activeSeconds,
        },
        ...(vm.tags?.length ? {tags: [...vm.tags]} : {}),
      })),
  }))
  return {
    at: new Date(SIM_EPOCH_MS + cluster.timeMs).toISOString(),
    source: {
      backend: 'sim',
      cluster: clusterId(cluster),
      scenario: cluster.scenario,
      seed: cluster.seed,
      tick: Math.floor(cluster.timeMs / 1000),
    },
    hosts,
  }
}
