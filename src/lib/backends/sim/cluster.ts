// The simulated cluster as plain, JSON-serialisable data, and the physics constants it runs on.
// Everything the model needs lives in this value, so the state store can hold it as one JSON row.
import type {NetPath} from '../../document/schema.js'
import type {FaultRates, SimFaults} from './faults.js'
import {type SimMetrics, emptyMetrics} from './metrics.js'
import type {TraceSource} from './trace-scenario.js'

/** The format of a stored SimCluster; another value is refused (reset the simulator). */
export const SIM_FORMAT = 2

/**
 * Physics defaults (ALGORITHM.md §4). Copied into every cluster as `physics`, so a scenario may
 * override any of them and a stored cluster keeps the figures it was built with.
 */
export const SIM_CONSTANTS = {
  /** Usable payload share of the link per direction (9.4 of 10 Gb/s); a VF reaches it, so it is also
   *  the VF path's cap (SR-IOV on Xen: 9.48 Gb/s, Dong et al., HPCA 2010). */
  portEfficiency: 0.94,
  /** PV path cap per direction: 1/3.8 of a 10 GbE VF (82599 VF +282.66% over PV; CompSC, VEE 2012). */
  pvCapMbps: 9400 / 3.8,
  /** Host backend (netback / vhost) cores a host has for PV traffic unless its scenario says otherwise
   *  (a driver domain / dom0 with a few vCPUs). Assumption. */
  backendCores: 4,
  /** Host backend cores per Gbit/s (rx+tx) of PV traffic; VF traffic bypasses the backend (≈ 0).
   *  Order of magnitude from the Xen driver-domain cost measured by Santos et al., USENIX ATC 2008;
   *  chosen so that ~7.3 Gbit/s of PV traffic saturates 4 backend cores. Assumption. */
  pvBackendCoresPerGbps: 0.55,
  /** Base (unloaded) latency of a request on the VF path, ms: the NIC's own path, tens of µs. Assumption
   *  (order of published SR-IOV round-trip figures). */
  vfBaseLatencyMs: 0.05,
  /** Base latency on the PV path, ms: netfront → netback → bridge adds a hop and notifications. Assumption. */
  pvBaseLatencyMs: 0.15,
  /** Utilisation at which the queueing factor 1/(1−ρ) is capped (keeps response times finite). Assumption. */
  maxQueueUtilisation: 0.98,
  /** The most an unmet demand multiplies a response time by (offered / delivered). Assumption. */
  maxOverloadFactor: 100,
  /** Port utilisation (busier direction / line rate) above which a host-second counts as hot (ALGORITHM.md §4). */
  hotUtilisation: 0.9,
  /** Guest CPU cores per Gbit/s (rx+tx) on the VF path: near zero (Dong et al.: +1.76% CPU per VM). Assumption. */
  vfCpuPerGbps: 0.05,
  /** Guest CPU cores per Gbit/s on the PV path (netfront copies and notifications). Assumption. */
  pvCpuPerGbps: 0.2,
  /** PV's higher base latency lengthens the time a request/response VM waits (multiplier). Assumption. */
  pvBlockedFactor: 1.1,
  /** Extra blocked share when the path or port delivers less than offered (per unit of shortfall). Assumption. */
  shortfallBlocked: 0.5,
  /** Bytes per second in both directions above which a 1 s tick counts as active (ALGORITHM.md §1). */
  activeThresholdBytes: 128,
  /** VF hot-plug + bond failover (ALGORITHM.md §4: about 1–2 s; assumption). */
  attachMs: 1500,
  /** VF unplug after the bond failed over to the PV NIC. Assumption. */
  detachMs: 500,
  /** Pre-copy dirty-rate factor: base + per unit of the VM's CPU load (Clark et al., NSDI 2005, shape only). */
  dirtyBase: 0.1,
  dirtyPerCpu: 0.4,
  /** Stop-and-copy downtime range (Clark et al., NSDI 2005: 60–210 ms). */
  downtimeMinMs: 60,
  downtimeMaxMs: 210,
  /** Migration stream: the most it asks for, and the least it gets however loaded the ports are. */
  migrationMaxMbps: 9400,
  migrationMinMbps: 500,
  /** Memory the host keeps for itself (dom0 / host OS), MiB. Assumption. */
  hostReserveMiB: 4096,
  /** How long the hypervisor takes to refuse an action whose precondition fails. Assumption. */
  refusalMs: 50,
  /** How long an action waits on an unreachable host before giving up. Assumption. */
  unreachableTimeoutMs: 2000,
} as const

/** The physics figures one cluster runs on (SIM_CONSTANTS, possibly overridden by its scenario). */
export type SimPhysics = {-readonly [K in keyof typeof SIM_CONSTANTS]: number}

/** The four workload kinds of the scenarios: request/response, bulk transfer, CPU-bound, idle. */
export type VmKind = 'web' | 'bulk' | 'cpu' | 'idle'

/** A change of network demand over time: ramp up over rampS, hold, ramp back down over rampS. */
export interface Surge {
  startS: number
  rampS: number
  holdS: number
  /** Multiplier of the network demand while held. */
  factor: number
}

/** What a VM offers to do, before the path, the port and the host CPU limit it. */
export interface DemandProfile {
  rxMbps: number
  txMbps: number
  /** CPU cores of work besides networking. */
  cpuCores: number
  /** Share of time the VM waits on the network when served at once (request/response ≈ high). */
  ioWait: number
  /** Relative amplitude of the per-second noise (hash of seed, VM, tick). */
  jitter: number
  /** Slow variation of the network demand: 1 + amplitude · sin(2π (t + phaseS) / periodS). */
  wave: {amplitude: number; periodS: number; phaseS: number}
  surges: Surge[]
  /** Request/response size, KiB: the unit of work whose response time is measured (web 16–64, bulk large, idle tiny). */
  requestKiB: number
  /** Bursts: in every slot of `slotS` seconds the VM is "on" with probability `onShare` (a hash of seed,
   *  VM and slot) and then offers `factor` × its network demand. */
  onOff?: OnOff
  /** A recorded trace replacing rxMbps/txMbps/cpuCores: value i holds for `stepS` seconds; the trace repeats. */
  trace?: DemandTrace
}

/** On/off bursts at seeded random times. */
export interface OnOff {
  slotS: number
  onShare: number
  factor: number
}

/** Offered demand as a series (from a scenario file). */
export interface DemandTrace {
  stepS: number
  rxMbps: number[]
  txMbps: number[]
  cpuCores?: number[]
  /** Variation inside each step (trace-burst.ts); absent: the step's value every second. */
  burst?: {slotS: number; sigma: number}
  /** Per-VM cap of each direction's offered rate, Mbit/s, after the burst model. */
  capMbps?: number
}

/** Cumulative counters of one VM since the scenario started (what a hypervisor reports). */
export interface SimCounters {
  cpuSeconds: number
  blockedSeconds: number
  rxBytes: number
  txBytes: number
  activeSeconds: number
}

/** One simulated VM: size, placement, network path and VF, demand and counters. */
export interface SimVm {
  name: string
  /** Stable identity for the PRNG and the snapshot's id. */
  index: number
  kind: VmKind
  host: string
  vcpus: number
  memoryMiB: number
  path: NetPath
  vf: string | null
  demand: DemandProfile
  counters: SimCounters
  /** Tags, as a hypervisor's metadata of a domain would carry them (rules select VMs by them). */
  tags?: string[]
}

/** One simulated host: port, CPUs, memory, VF pool, reachability and port counters. */
export interface SimHost {
  name: string
  device: string
  speedMbps: number
  cpus: number
  memoryMiB: number
  /** Every VF of the port, in PCI order. Free = not held by a VM on this host. */
  vfPool: string[]
  /** Host cores the PV backend (netback / vhost) may use; PV traffic beyond them is cut. */
  backendCores: number
  reachable: boolean
  /**
   * The whole port's counters, as a NIC's port-level statistics (ethtool -S) count them: every
   * VM's traffic, PV and VF, and the migration streams.
   */
  port: {rxBytes: number; txBytes: number}
  /**
   * The PF's own counters (its PCIe function, /proc/net/dev): PV traffic bridged through it and the
   * migration streams. VF traffic is switched inside the NIC and never shows here. Absent in
   * clusters stored before it existed: counted from 0 from their next step on.
   */
  pf?: {rxBytes: number; txBytes: number}
  /** Each VF's own counters (ip -s link), by address: they run on from one holder to the next. */
  vfStats?: Record<string, {rxBytes: number; txBytes: number}>
  /**
   * What the simulated NIC lets Sova read (the document's nic.basis): its port counters (absent:
   * the default), no port counters but VF counters (`pf+vfs`), or neither (`pf-only`).
   */
  nicCounters?: SimNicCounters
  /**
   * This host's own clock, simulated ms since the scenario started: an action integrates only the
   * hosts it touches, so a host that acted runs ahead of the cluster's common time (timeMs) until
   * the next advance brings every host to one instant. Absent: at timeMs.
   */
  clockMs?: number
}

/** The counters a simulated NIC offers, by the basis Sova reads them on. */
export const SIM_NIC_COUNTERS = ['port-counters', 'pf+vfs', 'pf-only'] as const
export type SimNicCounters = (typeof SIM_NIC_COUNTERS)[number]

/** The whole simulated cluster: one JSON value in the state store. */
export interface SimCluster {
  format: typeof SIM_FORMAT
  scenario: string
  seed: number
  /**
   * The cluster's common time, simulated ms since the scenario started (whole numbers): every host's
   * clock is at it or ahead of it (SimHost.clockMs). advance() sets it, and every host's clock, to
   * one instant; actions move only their hosts' clocks.
   */
  timeMs: number
  /** The latest of the hosts' clocks (absent: timeMs), so finding it costs no pass over the hosts. */
  latestMs?: number
  physics: SimPhysics
  hosts: SimHost[]
  /** VMs in index order; `host` is the placement. */
  vms: SimVm[]
  /** The scoreboard: cumulative since the scenario started (metrics.ts). */
  metrics: SimMetrics
  /** Injected faults (faults.ts); absent in clusters stored before faults existed = none. */
  faults?: SimFaults
  /** How a trace scenario was made (trace-scenario.ts); absent for other scenarios. */
  traceSource?: TraceSource
  /**
   * End of the scoring window, simulated ms: the scoreboard (metrics) counts nothing from this
   * instant on (each host by its own clock), although time, counters and actions go on. Set by `sova evaluate` so every policy is
   * scored over exactly --duration; absent = always scored.
   */
  scoreUntilMs?: number
}

/** A VF's PCI address on a host's port: bus per host, VFs from slot 0x10 upwards (8 functions a slot). */
export function pciAddress(hostIndex: number, vf: number): string {
  const bus = ((4 + hostIndex) % 256).toString(16).padStart(2, '0')
  const slot = (0x10 + Math.floor(vf / 8)).toString(16).padStart(2, '0')
  return `0000:${bus}:${slot}.${vf % 8}`
}

/** Counters of a VM that has not run yet. */
export function emptyCounters(): SimCounters {
  return {cpuSeconds: 0, blockedSeconds: 0, rxBytes: 0, txBytes: 0, activeSeconds: 0}
}

/** A cluster at time 0 from hosts and VMs (placement and boot VFs already set). */
export function newCluster(scenario: string, seed: number, hosts: SimHost[], vms: SimVm[], physics: SimPhysics = {...SIM_CONSTANTS}): SimCluster {
  return {format: SIM_FORMAT, scenario, seed, timeMs: 0, physics, hosts, vms, metrics: emptyMetrics()}
}

/** The cluster with these fault rates and a fresh draw counter (no rates: the field goes). */
export function withFaults(cluster: SimCluster, rates: FaultRates): SimCluster {
  const {faults: _old, ...rest} = cluster
  return Object.values(rates).some((rate) => (rate ?? 0) > 0) ? {...rest, faults: {rates: {...rates}, draws: 0}} : rest
}

/**
 * A copy of `cluster` that the model may change (integrateInPlace, the actions): what time and
 * actions change is copied (counters, port, PF and VF counters, placement, path, reachability,
 * the scoreboard, the fault draws); what they never change is shared (demand profiles, tags, VF
 * pools, physics). As structuredClone would give, for a fraction of its cost.
 */
export function cloneCluster(cluster: SimCluster): SimCluster {
  const metrics = cluster.metrics
  const copy: SimCluster = {
    ...cluster,
    hosts: cluster.hosts.map((host) => {
      const next: SimHost = {...host, port: {...host.port}}
      if (host.pf) next.pf = {...host.pf}
      if (host.vfStats) next.vfStats = Object.fromEntries(Object.entries(host.vfStats).map(([vf, stats]) => [vf, {...stats}]))
      return next
    }),
    vms: cluster.vms.map((vm) => ({...vm, counters: {...vm.counters}})),
    metrics: {...metrics, responseHistogram: [...metrics.responseHistogram]},
  }
  if (cluster.faults) copy.faults = {rates: {...cluster.faults.rates}, draws: cluster.faults.draws}
  return copy
}

/** Looks up a host by name (undefined when unknown). */
export function findHost(cluster: SimCluster, name: string): SimHost | undefined {
  return cluster.hosts.find((host) => host.name === name)
}

/** Looks up a VM by name (undefined when unknown). */
export function findVm(cluster: SimCluster, name: string): SimVm | undefined {
  return cluster.vms.find((vm) => vm.name === name)
}

/** VMs placed on a host, in index order (one pass over every VM: for one host, not for each). */
export function vmsOn(cluster: SimCluster, host: string): SimVm[] {
  return cluster.vms.filter((vm) => vm.host === host)
}

/**
 * Every host's VMs in index order, as vmsOn gives them, in one pass over the VMs: what a step of
 * every host reads, so that it costs hosts + VMs rather than hosts × VMs. A placement that
 * changes afterwards (a migration) needs a new one.
 */
export function vmsByHost(cluster: SimCluster): Map<string, SimVm[]> {
  const byHost = new Map<string, SimVm[]>(cluster.hosts.map((host) => [host.name, []]))
  for (const vm of cluster.vms) {
    const list = byHost.get(vm.host)
    if (list) list.push(vm)
    else byHost.set(vm.host, [vm])
  }
  return byHost
}

/** Where a host's clock stands (its own when it ran ahead, else the common time). */
export function hostClockMs(cluster: SimCluster, host: SimHost): number {
  return host.clockMs ?? cluster.timeMs
}

/** The latest clock of any host: the instant by which every action so far has ended. */
export function latestClockMs(cluster: SimCluster): number {
  return Math.max(cluster.timeMs, cluster.latestMs ?? cluster.timeMs)
}

// Indexes for the model's lookups of one host and its VMs, so that an action costs the VMs of the
// hosts it touches rather than a pass over the cluster. Kept per array (arrays of a cluster are
// never changed once made: the model copies what it changes), by position: a copy that replaces
// entries keeps the positions and so shares the index. A cluster edited in place by hand (tests,
// the clairvoyant's working copy) goes through vmsOn / vmsByHost, which never read these.
const hostPositions = new WeakMap<readonly SimHost[], Map<string, number>>()
const vmPositions = new WeakMap<readonly SimVm[], Map<string, number[]>>()

function hostIndexOf(hosts: readonly SimHost[]): Map<string, number> {
  let index = hostPositions.get(hosts)
  if (!index) {
    index = new Map(hosts.map((host, i) => [host.name, i]))
    hostPositions.set(hosts, index)
  }
  return index
}

function vmIndexOf(vms: readonly SimVm[]): Map<string, number[]> {
  let index = vmPositions.get(vms)
  if (!index) {
    index = new Map()
    for (const [i, vm] of vms.entries()) {
      const list = index.get(vm.host)
      if (list) list.push(i)
      else index.set(vm.host, [i])
    }
    vmPositions.set(vms, index)
  }
  return index
}

/** The position of a host in cluster.hosts (undefined when unknown), without a pass over the hosts. */
export function hostPosition(cluster: SimCluster, name: string): number | undefined {
  const position = hostIndexOf(cluster.hosts).get(name)
  if (position !== undefined && cluster.hosts[position]?.name === name) return position
  // A stale index (an array changed in place): built again once.
  hostPositions.delete(cluster.hosts)
  const again = hostIndexOf(cluster.hosts).get(name)
  return again !== undefined && cluster.hosts[again]?.name === name ? again : undefined
}

/** A host by name as findHost finds it, from the index. */
export function hostNamed(cluster: SimCluster, name: string): SimHost | undefined {
  const position = hostPosition(cluster, name)
  return position === undefined ? undefined : cluster.hosts[position]
}

/** Positions in cluster.vms of a host's VMs, ascending (index order), from the index. */
function vmPositionsOn(cluster: SimCluster, host: string): number[] {
  const positions = vmIndexOf(cluster.vms).get(host) ?? []
  if (positions.every((i) => cluster.vms[i]?.host === host)) return positions
  vmPositions.delete(cluster.vms)
  return vmIndexOf(cluster.vms).get(host) ?? []
}

/** A host's VMs as vmsOn gives them, from the index: costs that host's VMs only. */
export function vmsOfHost(cluster: SimCluster, host: string): SimVm[] {
  return vmPositionsOn(cluster, host).map((i) => cluster.vms[i])
}

/** A VM by name, looked for on `host` first (its VMs only), then in the whole cluster. */
export function findVmNear(cluster: SimCluster, name: string, host: string | undefined): SimVm | undefined {
  return (host === undefined ? undefined : vmsOfHost(cluster, host).find((vm) => vm.name === name)) ?? findVm(cluster, name)
}

/** A copy of one host that the model may change (its counters and clock); the rest is shared. */
function cloneHost(host: SimHost): SimHost {
  const next: SimHost = {...host, port: {...host.port}}
  if (host.pf) next.pf = {...host.pf}
  if (host.vfStats) next.vfStats = Object.fromEntries(Object.entries(host.vfStats).map(([vf, stats]) => [vf, {...stats}]))
  return next
}

const cloneVm = (vm: SimVm): SimVm => ({...vm, counters: {...vm.counters}})

/**
 * A copy of `cluster` in which the named hosts (known ones), their VMs, the scoreboard and the fault
 * draws may change, and every other host and VM is the very object of `cluster` (structural
 * sharing): it costs the touched hosts' VMs, plus one copy of the two arrays' references. Returns
 * the copy and each touched host with its VMs (index order), as the copy holds them.
 */
export function cloneForHosts(cluster: SimCluster, names: readonly string[]): {cluster: SimCluster; touched: Array<{host: SimHost; vms: SimVm[]}>} {
  const hosts = cluster.hosts.slice()
  const vms = cluster.vms.slice()
  const touched: Array<{host: SimHost; vms: SimVm[]}> = []
  for (const name of new Set(names)) {
    const position = hostPosition(cluster, name)
    if (position === undefined) continue
    const host = (hosts[position] = cloneHost(hosts[position]))
    touched.push({host, vms: vmPositionsOn(cluster, name).map((i) => (vms[i] = cloneVm(vms[i])))})
  }
  // Same positions: the copy's arrays share the indexes.
  hostPositions.set(hosts, hostIndexOf(cluster.hosts))
  vmPositions.set(vms, vmIndexOf(cluster.vms))
  const metrics = cluster.metrics
  const copy: SimCluster = {...cluster, hosts, vms, metrics: {...metrics, responseHistogram: [...metrics.responseHistogram]}}
  if (cluster.faults) copy.faults = {rates: {...cluster.faults.rates}, draws: cluster.faults.draws}
  return {cluster: copy, touched}
}

/**
 * Records in the index of `cluster` (a copy from cloneForHosts) that the VM `vm` now runs on
 * `to` rather than on `from`: the copy gets an index of its own (a copy of the per-host lists'
 * references, with the two hosts' lists changed).
 */
export function reindexMove(cluster: SimCluster, vm: SimVm, from: string, to: string): void {
  const old = vmIndexOf(cluster.vms)
  const position = (old.get(from) ?? []).find((i) => cluster.vms[i] === vm)
  if (position === undefined) {
    vmPositions.delete(cluster.vms)
    return
  }
  const index = new Map(old)
  index.set(from, (old.get(from) ?? []).filter((i) => i !== position))
  index.set(to, [...(old.get(to) ?? []), position].sort((a, b) => a - b))
  vmPositions.set(cluster.vms, index)
}

/** The host's VFs no VM on it holds, in pool order (`vms`: the host's VMs, when known). */
export function freeVfs(cluster: SimCluster, host: SimHost, vms: readonly SimVm[] = vmsOn(cluster, host.name)): string[] {
  const held = new Set(vms.map((vm) => vm.vf))
  return host.vfPool.filter((vf) => !held.has(vf))
}

/** Memory a new VM could still get on the host: total − reserve − Σ VM memory (never below 0). */
export function freeMemoryMiB(cluster: SimCluster, host: SimHost, vms: readonly SimVm[] = vmsOn(cluster, host.name)): number {
  const used = vms.reduce((sum, vm) => sum + vm.memoryMiB, 0)
  return Math.max(0, host.memoryMiB - cluster.physics.hostReserveMiB - used)
}

/** Parses a stored cluster, refusing another format (the caller maps the error to a remedy). */
export function parseSimCluster(json: string): SimCluster {
  const value = JSON.parse(json) as Partial<SimCluster>
  if (value === null || typeof value !== 'object' || value.format !== SIM_FORMAT) {
    throw new Error(`stored simulator state has format ${String(value?.format)}, expected ${SIM_FORMAT}`)
  }
  if (!Array.isArray(value.hosts) || !Array.isArray(value.vms) || typeof value.timeMs !== 'number' || typeof value.metrics !== 'object') {
    throw new Error('stored simulator state lacks hosts, vms, timeMs or metrics')
  }
  const faults = value.faults
  if (faults !== undefined && (faults === null || typeof faults.rates !== 'object' || faults.rates === null || !Number.isSafeInteger(faults.draws))) {
    throw new Error('stored simulator state has malformed faults')
  }
  return value as SimCluster
}
