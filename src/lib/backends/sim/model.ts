// The simulator's model as pure functions over a plain-data SimCluster: time, reachability and
// the raw snapshot a backend reports. Inputs are never mutated; each call returns a new cluster.
import {ownValue} from '../../named.js'
import type {RawHost, RawPort, RawSnapshot} from '../types.js'
import {type SimCluster, type SimHost, cloneCluster, findHost, freeMemoryMiB, freeVfs, vmsByHost, vmsOn} from './cluster.js'
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
  const next = cloneCluster(cluster)
  integrateInPlace(next, Math.round(seconds * 1000))
  return next
}

/** Cuts a host off (an outage) or restores it; its VMs keep running either way. */
export function setReachable(cluster: SimCluster, host: string, reachable: boolean): SimCluster {
  if (!findHost(cluster, host)) {
    throw new RangeError(`unknown host ${host}; expected one of ${cluster.hosts.map((h) => h.name).join(', ')}`)
  }
  const next = cloneCluster(cluster)
  ;(findHost(next, host) as NonNullable<ReturnType<typeof findHost>>).reachable = reachable
  return next
}

/** The identity under which samples of this simulated cluster are kept apart from others. */
export function clusterId(cluster: SimCluster): string {
  return `sim:${cluster.scenario}:${cluster.seed}`
}

const ZERO = {rxBytes: 0, txBytes: 0}

/** A VF's own counters so far (0 before any traffic). */
const vfStatsOf = (host: SimHost, vf: string) => ownValue(host.vfStats, vf) ?? ZERO

/**
 * The port as a real NIC of this kind shows it (docs/port-counters.md): its port counters, else the
 * PF's plus its VFs', else the PF's alone, which leaves the VFs' traffic out.
 */
export function simPort(host: SimHost): RawPort {
  const basis = host.nicCounters ?? 'port-counters'
  const pf = host.pf ?? ZERO
  const vfs = host.vfPool.map((vf) => vfStatsOf(host, vf))
  const counters =
    basis === 'port-counters'
      ? host.port
      : basis === 'pf+vfs'
        ? {rxBytes: vfs.reduce((sum, vf) => sum + vf.rxBytes, pf.rxBytes), txBytes: vfs.reduce((sum, vf) => sum + vf.txBytes, pf.txBytes)}
        : pf
  const why = {
    'port-counters': 'the simulated NIC\'s port counters (PV, VF and migration traffic)',
    'pf+vfs': `the simulated NIC has no port counters (scenario nicCounters: pf+vfs); PF plus ${vfs.length} VF(s)`,
    'pf-only': 'the simulated NIC has neither port nor VF counters (scenario nicCounters: pf-only); PF counters only (VF traffic missing)',
  }[basis]
  return {device: host.device, speedMbps: host.speedMbps, rxBytes: Math.floor(counters.rxBytes), txBytes: Math.floor(counters.txBytes), basis, basisWhy: why, driver: 'sim'}
}

/** Every VF's own counters, unless the simulated NIC does not report them (pf-only). */
function simVfCounters(host: SimHost): Pick<RawHost, 'vfCounters'> {
  if (host.nicCounters === 'pf-only') return {}
  return {vfCounters: host.vfPool.map((vf) => ({vf, rxBytes: Math.floor(vfStatsOf(host, vf).rxBytes), txBytes: Math.floor(vfStatsOf(host, vf).txBytes)}))}
}

/** What the simulator's backend CPU figure counts: its PV traffic alone (a real dom0 counts more). */
const SIM_BACKEND_INCLUDES = 'the simulated PV backend\'s CPU for PV traffic alone'

/** The simulated clock as a snapshot's `at`. */
export function simTimeOf(cluster: SimCluster): string {
  return new Date(SIM_EPOCH_MS + cluster.timeMs).toISOString()
}

/**
 * What the sim backend reports: counters (whole bytes), hosts in order, VMs by name per host; of
 * the hosts named in `only`, when given (their VMs found without a pass over every VM).
 */
export function toSnapshot(cluster: SimCluster, only?: ReadonlySet<string>): RawSnapshot {
  const shown = only ? cluster.hosts.filter((host) => only.has(host.name)) : cluster.hosts
  const byHost = only ? new Map(shown.map((host) => [host.name, vmsOn(cluster, host.name)])) : vmsByHost(cluster)
  const hosts: RawHost[] = shown.map((host) => {
    const onHost = byHost.get(host.name) ?? []
    return {
    name: host.name,
    nic: simPort(host),
    ...simVfCounters(host),
    vfs: {total: host.vfPool.length, free: freeVfs(cluster, host, onHost)},
    cpus: host.cpus,
    memoryMiB: {total: host.memoryMiB, free: freeMemoryMiB(cluster, host, onHost)},
    vms: onHost
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
    backend: {cpuSeconds: host.backendCpuSeconds ?? 0, cores: host.backendCores, includes: SIM_BACKEND_INCLUDES},
    }
  })
  return {
    at: simTimeOf(cluster),
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
