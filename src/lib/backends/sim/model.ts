// The simulator's model as pure functions over a plain-data SimCluster: time, reachability and
// the raw snapshot a backend reports. Inputs are never mutated; each call returns a new cluster.
// Hosts run on their own clocks (actions.ts); advance brings them all to one instant.
import {ownValue} from '../../named.js'
import type {RawHost, RawPort, RawSnapshot} from '../types.js'
import {type SimCluster, type SimHost, cloneCluster, cloneForHosts, freeMemoryMiB, freeVfs, hostClockMs, hostPosition, latestClockMs, vmsByHost, vmsOfHost} from './cluster.js'
import {integrateInPlace} from './step.js'

import {simUuid} from './actions.js'
export {attachVf, detachVf, identityRefusal, migrate, migrationPlan, refuse, simUuid, type Transition} from './actions.js'

/** Simulated time zero: the scenario starts at this instant, so `at` is reproducible. */
export const SIM_EPOCH_MS = Date.parse('2026-01-01T00:00:00.000Z')

/**
 * Lets `seconds` of simulated time pass (rounded to whole ms) after the latest host clock,
 * integrating in steps of ≤ 1 s: every host ends at that one instant, the cluster's new common
 * time (a loop waits for its slowest host's actions, then its period). 0 s only brings the hosts
 * that lag to the latest clock.
 */
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
  if (hostPosition(cluster, host) === undefined) {
    throw new RangeError(`unknown host ${host}; expected one of ${cluster.hosts.map((h) => h.name).join(', ')}`)
  }
  const {cluster: next, touched} = cloneForHosts(cluster, [host])
  touched[0].host.reachable = reachable
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

/** Simulated ms as an ISO instant. */
function instantOf(ms: number): string {
  return new Date(SIM_EPOCH_MS + ms).toISOString()
}

/** The simulated clock now: the latest host clock, by when every action so far has ended. */
export function simTimeOf(cluster: SimCluster): string {
  return instantOf(latestClockMs(cluster))
}

/** Whether some host's clock is ahead of the others (an action ran since the last advance). */
export function clocksApart(cluster: SimCluster): boolean {
  return latestClockMs(cluster) > cluster.timeMs
}

/**
 * What the sim backend reports: counters (whole bytes), hosts in order, VMs by name per host; of
 * the hosts named in `only`, when given (found without a pass over the hosts or VMs). Each host is
 * read at its own clock; `at` (and the tick) is the latest clock among the hosts read: for a
 * snapshot of every host after advance (the backend's full snapshot reads advance(cluster, 0) when
 * clocks differ), the one instant they all are at; for a few hosts read between actions (the
 * executor's checks), the instant by when every reading shown had been made.
 */
export function toSnapshot(cluster: SimCluster, only?: ReadonlySet<string>): RawSnapshot {
  const positions = only ? [...only].map((name) => hostPosition(cluster, name)).filter((p): p is number => p !== undefined).sort((a, b) => a - b) : undefined
  const shown = positions ? positions.map((p) => cluster.hosts[p]) : cluster.hosts
  const byHost = only ? new Map(shown.map((host) => [host.name, vmsOfHost(cluster, host.name)])) : vmsByHost(cluster)
  const atMs = shown.reduce((latest, host) => Math.max(latest, hostClockMs(cluster, host)), cluster.timeMs)
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
    }
  })
  return {
    at: instantOf(atMs),
    source: {
      backend: 'sim',
      cluster: clusterId(cluster),
      scenario: cluster.scenario,
      seed: cluster.seed,
      tick: Math.floor(atMs / 1000),
    },
    hosts,
  }
}
