// Time integration of the simulated cluster, in place on a copy the caller owns. Segments never
// cross a whole second, so demand (a function of the tick) is constant within each: whole-second
// steps from a whole second give bit-identical counters and metrics however grouped
// (10 × 1 s = 1 × 10 s); other slicings agree up to float rounding.
//
// Each host runs on its own clock (SimHost.clockMs): an action integrates only the hosts it
// touches (integrateHostsInPlace), from their clock on; integrateInPlace first brings every host
// that lags to the latest clock, each on its own, then integrates all of them together.
//
// Per host and segment (allocateHost, a pure function): each VM's offered rx/tx is cut by its
// path's cap (VF ≈ line rate, PV ≈ 1/3.8 of it), then the PV VMs share the host's backend CPU
// max-min fairly (PV traffic costs pvBackendCoresPerGbps cores per Gbit/s rx+tx, VF traffic none),
// then every VM gets its max-min fair share of each port direction after the migration streams
// took theirs. One pass in that order: backend capacity a port cut leaves unused is not handed on.
import {type SimCluster, type SimHost, type SimVm, hostClockMs, latestClockMs, vmsByHost, vmsOn} from './cluster.js'
import {type Offered, fairShare, offeredDemand} from './demand.js'
import {UNSERVED_BELOW, responseBucket} from './metrics.js'
import {ownValue} from '../../named.js'

/** A migration stream in flight: loads the source port's tx and the target port's rx. */
export interface MigrationFlow {
  from: string
  to: string
  mbps: number
}

/** What else happens while time passes: migration streams and paused VMs. */
export interface StepOptions {
  flows?: readonly MigrationFlow[]
  /** VMs stopped for a migration's stop-and-copy: no CPU, no traffic; their requests wait. */
  paused?: ReadonlySet<string>
  /** How long the pause lasts, ms: added to the response time of a paused VM's requests. */
  pauseMs?: number
}

/** What a running VM asks of the port during one tick, already capped by its path and the backend. */
export interface VmWant {
  vm: SimVm
  offered: Offered
  rxMbps: number
  txMbps: number
}

/** One VM's outcome in one tick of a host. */
export interface VmFlow {
  vm: SimVm
  offered: Offered
  paused: boolean
  /** Delivered Mbit/s per direction. */
  rxMbps: number
  txMbps: number
  /** Host backend cores this VM's PV traffic uses (0 on a VF). */
  backendCores: number
  /** Utilisation of the VM's bottleneck (path, port direction, backend for PV), capped. */
  rho: number
  /** Mean response time of its requests, ms (see responseTimeMs). */
  responseMs: number
  /** Requests per second: offered bits / request size. */
  requestsPerS: number
}

/** What a host's port and backend carry during one tick, and what each VM on it gets. */
export interface HostAllocation {
  host: SimHost
  flows: VmFlow[]
  /** Port load per direction incl. migration streams, Mbit/s. */
  portRxMbps: number
  portTxMbps: number
  /** Busier direction / line rate (the hot measure). */
  utilisation: number
  /** Backend cores busy with PV traffic. */
  backendCores: number
}

const BYTES_PER_MBIT = 125_000
/** Bits in a KiB over 1e6 (Mbit) × 1000 (ms): requestKiB × this / Mbit/s = ms. */
const KIB_MS_PER_MBPS = 8.192

/** Usable payload rate of a host's port per direction, Mbit/s. */
export function portUsableMbps(cluster: SimCluster, host: SimHost): number {
  return host.speedMbps * cluster.physics.portEfficiency
}

/** The most a VM's current path carries per direction, Mbit/s. */
export function pathCapMbps(cluster: SimCluster, host: SimHost, vm: SimVm): number {
  return vm.path === 'vf' ? portUsableMbps(cluster, host) : cluster.physics.pvCapMbps
}

/** PV traffic (rx+tx, Mbit/s) the host's backend CPU can carry: backendCores / pvBackendCoresPerGbps. */
export function backendCapacityMbps(cluster: SimCluster, host: SimHost): number {
  const perGbps = cluster.physics.pvBackendCoresPerGbps
  return perGbps > 0 ? (host.backendCores / perGbps) * 1000 : Number.POSITIVE_INFINITY
}

/** Backend cores that `pvMbps` of PV traffic (rx+tx) costs. */
export function backendCoresFor(cluster: SimCluster, pvMbps: number): number {
  return (pvMbps / 1000) * cluster.physics.pvBackendCoresPerGbps
}

/**
 * Response time of one request, ms (monotone in every load figure):
 *   R = (base + S / (1 − ρ)) × max(1, offered / delivered) + pause
 * base = the path's base latency (vfBaseLatencyMs | pvBaseLatencyMs); S = request bits / path cap
 * (the service time); ρ = utilisation of the VM's bottleneck = max(its busier direction / path
 * cap, the port's busier direction / usable rate, for PV the backend's use / capacity), capped at
 * maxQueueUtilisation; offered / delivered (capped at maxOverloadFactor) when demand is not met,
 * since the unmet part queues; pause = a stop-and-copy's downtime for a paused VM (which is
 * neither served nor counted as overloaded meanwhile).
 */
export function responseTimeMs(
  cluster: SimCluster,
  vm: SimVm,
  capMbps: number,
  rho: number,
  offeredMbps: number,
  deliveredMbps: number,
  pauseMs = 0,
): number {
  const physics = cluster.physics
  const base = vm.path === 'vf' ? physics.vfBaseLatencyMs : physics.pvBaseLatencyMs
  const service = (Math.max(0, vm.demand.requestKiB) * KIB_MS_PER_MBPS) / Math.max(capMbps, 1e-9)
  const busy = Math.min(physics.maxQueueUtilisation, Math.max(0, rho))
  const queued = base + service / (1 - busy)
  if (pauseMs > 0) return queued + pauseMs
  const overload =
    offeredMbps > deliveredMbps + 1e-9
      ? Math.min(physics.maxOverloadFactor, deliveredMbps > 0 ? offeredMbps / deliveredMbps : physics.maxOverloadFactor)
      : 1
  return queued * overload
}

/** Requests per second a VM offering `offeredNetMbps` (rx+tx) issues: offered bits / request size. */
export function requestsPerSecond(vm: SimVm, offeredNetMbps: number): number {
  return (offeredNetMbps * 1e6) / (Math.max(vm.demand.requestKiB, 1e-3) * 8192)
}

function flowSum(flows: readonly MigrationFlow[], pick: (flow: MigrationFlow) => boolean): number {
  return flows.filter(pick).reduce((sum, flow) => sum + flow.mbps, 0)
}

/**
 * What each running VM on the host offers during `tick`, limited by its path and (PV) the backend
 * CPU (`vms`: the host's VMs in index order, when known).
 */
export function hostWants(cluster: SimCluster, host: SimHost, tick: number, paused?: ReadonlySet<string>, vms: readonly SimVm[] = vmsOn(cluster, host.name)): VmWant[] {
  const wants = vms
    .filter((vm) => !paused?.has(vm.name))
    .map((vm) => {
      const offered = offeredDemand(cluster.seed, vm, tick)
      const cap = pathCapMbps(cluster, host, vm)
      return {vm, offered, rxMbps: Math.min(offered.rxMbps, cap), txMbps: Math.min(offered.txMbps, cap)}
    })
  const pv = wants.filter((w) => w.vm.path !== 'vf')
  const granted = fairShare(pv.map((w) => w.rxMbps + w.txMbps), backendCapacityMbps(cluster, host))
  for (const [i, w] of pv.entries()) {
    const want = w.rxMbps + w.txMbps
    if (granted[i] < want) {
      const scale = want > 0 ? granted[i] / want : 0
      w.rxMbps *= scale
      w.txMbps *= scale
    }
  }
  return wants
}

/** Throughput, backend use and response times of every VM on `host` (`vms`, when known) during `tick` (pure). */
export function allocateHost(cluster: SimCluster, host: SimHost, tick: number, options: StepOptions = {}, vms: readonly SimVm[] = vmsOn(cluster, host.name)): HostAllocation {
  const physics = cluster.physics
  const migrations = options.flows ?? []
  const usable = portUsableMbps(cluster, host)
  const inbound = flowSum(migrations, (flow) => flow.to === host.name)
  const outbound = flowSum(migrations, (flow) => flow.from === host.name)
  const wants = hostWants(cluster, host, tick, options.paused, vms)
  const rx = fairShare(wants.map((w) => w.rxMbps), Math.max(0, usable - inbound))
  const tx = fairShare(wants.map((w) => w.txMbps), Math.max(0, usable - outbound))
  const portRxMbps = inbound + rx.reduce((sum, r) => sum + r, 0)
  const portTxMbps = outbound + tx.reduce((sum, t) => sum + t, 0)
  const pvMbps = wants.reduce((sum, w, i) => sum + (w.vm.path === 'vf' ? 0 : rx[i] + tx[i]), 0)
  const backendCores = backendCoresFor(cluster, pvMbps)
  const rhoPort = Math.max(portRxMbps, portTxMbps) / Math.max(usable, 1e-9)
  const backendCapacity = backendCapacityMbps(cluster, host)
  const rhoBackend = Number.isFinite(backendCapacity) ? pvMbps / Math.max(backendCapacity, 1e-9) : 0

  const byName = new Map(wants.map((w, i) => [w.vm.name, i]))
  const flows: VmFlow[] = vms.map((vm) => {
    const cap = pathCapMbps(cluster, host, vm)
    const pv = vm.path !== 'vf'
    const i = byName.get(vm.name)
    const offered = i === undefined ? offeredDemand(cluster.seed, vm, tick) : wants[i].offered
    const offeredNet = offered.rxMbps + offered.txMbps
    const requestsPerS = requestsPerSecond(vm, offeredNet)
    const vmRx = i === undefined ? 0 : rx[i]
    const vmTx = i === undefined ? 0 : tx[i]
    const rho = Math.min(physics.maxQueueUtilisation, Math.max(Math.max(vmRx, vmTx) / cap, rhoPort, pv ? rhoBackend : 0))
    const paused = i === undefined
    const responseMs = responseTimeMs(cluster, vm, cap, rho, offeredNet, vmRx + vmTx, paused ? Math.max(options.pauseMs ?? 0, 1e-9) : 0)
    return {
      vm,
      offered,
      paused,
      rxMbps: vmRx,
      txMbps: vmTx,
      backendCores: pv ? backendCoresFor(cluster, vmRx + vmTx) : 0,
      rho,
      responseMs,
      requestsPerS,
    }
  })
  return {host, flows, portRxMbps, portTxMbps, utilisation: Math.max(portRxMbps, portTxMbps) / host.speedMbps, backendCores}
}

/**
 * The PF/VF split of the port's traffic, as a real SR-IOV NIC counts it: a VF's traffic on the
 * VF's own counters only (switched inside the NIC), the rest (PV traffic bridged through the PF,
 * migration streams) on the PF's. The port counters (stepHost) count both.
 */
function countPfAndVfs(host: SimHost, allocation: HostAllocation, dt: number): void {
  const pf = (host.pf ??= {rxBytes: 0, txBytes: 0})
  // A plain object, as every copy of the cluster (structuredClone, JSON) makes it: keys are PCI
  // addresses (the scenario's, checked), read through ownValue all the same.
  const vfStats = (host.vfStats ??= {})
  let vfRxMbps = 0
  let vfTxMbps = 0
  for (const flow of allocation.flows) {
    if (flow.vm.path !== 'vf' || flow.vm.vf === null || flow.paused) continue
    const stats = ownValue(vfStats, flow.vm.vf) ?? (vfStats[flow.vm.vf] = {rxBytes: 0, txBytes: 0})
    stats.rxBytes += flow.rxMbps * BYTES_PER_MBIT * dt
    stats.txBytes += flow.txMbps * BYTES_PER_MBIT * dt
    vfRxMbps += flow.rxMbps
    vfTxMbps += flow.txMbps
  }
  pf.rxBytes += Math.max(0, allocation.portRxMbps - vfRxMbps) * BYTES_PER_MBIT * dt
  pf.txBytes += Math.max(0, allocation.portTxMbps - vfTxMbps) * BYTES_PER_MBIT * dt
}

function stepHost(cluster: SimCluster, host: SimHost, vms: readonly SimVm[], tick: number, dt: number, options: StepOptions, scored: boolean): void {
  const physics = cluster.physics
  const metrics = cluster.metrics
  const allocation = allocateHost(cluster, host, tick, options, vms)
  const running = allocation.flows.filter((flow) => !flow.paused)

  const cpuWant = running.map((flow) => {
    const perGbps = flow.vm.path === 'vf' ? physics.vfCpuPerGbps : physics.pvCpuPerGbps
    return Math.min(flow.vm.vcpus, flow.offered.cpuCores + ((flow.rxMbps + flow.txMbps) / 1000) * perGbps)
  })
  const cpuTotal = cpuWant.reduce((sum, c) => sum + c, 0)
  const cpuScale = cpuTotal > host.cpus ? host.cpus / cpuTotal : 1

  for (const [i, flow] of running.entries()) {
    const offeredNet = flow.offered.rxMbps + flow.offered.txMbps
    const served = offeredNet > 0 ? (flow.rxMbps + flow.txMbps) / offeredNet : 1
    const wait = flow.vm.demand.ioWait * (flow.vm.path === 'pv' ? physics.pvBlockedFactor : 1)
    const blocked = Math.min(1, Math.max(0, wait + (1 - served) * physics.shortfallBlocked))
    const counters = flow.vm.counters
    counters.cpuSeconds += cpuWant[i] * cpuScale * dt
    counters.blockedSeconds += blocked * dt
    counters.rxBytes += flow.rxMbps * BYTES_PER_MBIT * dt
    counters.txBytes += flow.txMbps * BYTES_PER_MBIT * dt
    const threshold = physics.activeThresholdBytes
    if (flow.rxMbps * BYTES_PER_MBIT > threshold && flow.txMbps * BYTES_PER_MBIT > threshold) counters.activeSeconds += dt
  }
  host.port.rxBytes += allocation.portRxMbps * BYTES_PER_MBIT * dt
  host.port.txBytes += allocation.portTxMbps * BYTES_PER_MBIT * dt
  countPfAndVfs(host, allocation, dt)

  if (!scored) return
  for (const flow of allocation.flows) {
    const offeredNet = flow.offered.rxMbps + flow.offered.txMbps
    const deliveredNet = flow.rxMbps + flow.txMbps
    metrics.offeredMbit += offeredNet * dt
    metrics.deliveredMbit += deliveredNet * dt
    metrics.vmSeconds = (metrics.vmSeconds ?? 0) + dt
    if (deliveredNet < offeredNet * UNSERVED_BELOW) metrics.unservedVmSeconds = (metrics.unservedVmSeconds ?? 0) + dt
    const requests = flow.requestsPerS * dt
    if (requests > 0) {
      metrics.requests += requests
      metrics.responseMsSum += requests * flow.responseMs
      metrics.responseHistogram[responseBucket(flow.responseMs)] += requests
    }
  }
  if (allocation.utilisation > physics.hotUtilisation) metrics.hostSecondsHot += dt
  metrics.backendCoreSeconds += allocation.backendCores * dt
}

/** A host to integrate and its VMs (index order). */
export interface HostVms {
  host: SimHost
  vms: readonly SimVm[]
}

/**
 * Integrates `group` (hosts of `cluster`, mutated, all at clock `fromMs`) by `ms`, in segments of
 * ≤ 1 s that also end at the scoring window's end, if any, so the scoreboard stops exactly there
 * for each host whatever its clock. Returns the clock reached; sets no clock itself.
 */
function integrateGroup(cluster: SimCluster, group: readonly HostVms[], fromMs: number, ms: number, options: StepOptions): number {
  let nowMs = fromMs
  let left = ms
  const windowEnd = cluster.scoreUntilMs
  while (left > 0) {
    const scored = windowEnd === undefined || nowMs < windowEnd
    const untilWindowEnd = scored && windowEnd !== undefined ? windowEnd - nowMs : left
    const segment = Math.min(left, 1000 - (nowMs % 1000), untilWindowEnd)
    const tick = Math.floor(nowMs / 1000)
    for (const {host, vms} of group) stepHost(cluster, host, vms, tick, segment / 1000, options, scored)
    nowMs += segment
    left -= segment
  }
  return nowMs
}

function checkStep(ms: number): void {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`simulated time step must be whole ms >= 0, got ${ms}`)
}

/**
 * Advances the hosts of `group` (of `cluster`, mutated: pass a copy whose touched hosts and VMs
 * are its own) by `ms` whole milliseconds from their common clock: what an action on them does.
 * Every other host stays where its clock is. The hosts must be at one clock (a migration brings
 * its two there first: syncHostsInPlace).
 */
export function integrateHostsInPlace(cluster: SimCluster, group: readonly HostVms[], ms: number, options: StepOptions = {}): void {
  checkStep(ms)
  if (group.length === 0) return
  const fromMs = hostClockMs(cluster, group[0].host)
  if (group.some(({host}) => hostClockMs(cluster, host) !== fromMs)) {
    throw new RangeError(`hosts ${group.map(({host}) => host.name).join(', ')} are at different clocks: bring them to one first`)
  }
  const untilMs = integrateGroup(cluster, group, fromMs, ms, options)
  for (const {host} of group) host.clockMs = untilMs
  if (untilMs > latestClockMs(cluster)) cluster.latestMs = untilMs
}

/** Brings the hosts of `group` to the latest of their clocks, each lagging one on its own (mutated). */
export function syncHostsInPlace(cluster: SimCluster, group: readonly HostVms[]): void {
  const untilMs = Math.max(...group.map(({host}) => hostClockMs(cluster, host)))
  for (const member of group) integrateHostsInPlace(cluster, [member], untilMs - hostClockMs(cluster, member.host))
}

/**
 * Advances the whole `cluster` (mutated: pass a copy) to `ms` whole milliseconds after its latest
 * host clock: each host that lags (its actions ended earlier, or it had none) first runs on its
 * own up to that clock, then every host runs together, and the common time is that instant.
 */
export function integrateInPlace(cluster: SimCluster, ms: number, options: StepOptions = {}): void {
  checkStep(ms)
  const latestMs = latestClockMs(cluster)
  // Placement does not change while time passes: each host's VMs are found once, not per segment.
  const byHost = ms > 0 || latestMs > cluster.timeMs ? vmsByHost(cluster) : new Map<string, SimVm[]>()
  const group = cluster.hosts.map((host) => ({host, vms: byHost.get(host.name) ?? []}))
  for (const member of group) {
    const lagMs = latestMs - hostClockMs(cluster, member.host)
    if (lagMs > 0) integrateGroup(cluster, [member], hostClockMs(cluster, member.host), lagMs, {})
  }
  cluster.timeMs = integrateGroup(cluster, group, latestMs, ms, options)
  for (const host of cluster.hosts) delete host.clockMs
  delete cluster.latestMs
}

/**
 * The rate a new migration stream would get now: its max-min fair share of the source port's tx
 * and of the target port's rx (the smaller), never below the configured floor.
 */
export function migrationShareMbps(
  cluster: SimCluster,
  from: SimHost,
  to: SimHost,
  vms: {from: readonly SimVm[]; to: readonly SimVm[]} = {from: vmsOn(cluster, from.name), to: vmsOn(cluster, to.name)},
): number {
  const physics = cluster.physics
  // The stream starts once both hosts are free: at the later of their clocks.
  const tick = Math.floor(Math.max(hostClockMs(cluster, from), hostClockMs(cluster, to)) / 1000)
  const want = physics.migrationMaxMbps
  const txWants = hostWants(cluster, from, tick, undefined, vms.from).map((w) => w.txMbps)
  const rxWants = hostWants(cluster, to, tick, undefined, vms.to).map((w) => w.rxMbps)
  const onSource = fairShare([...txWants, want], portUsableMbps(cluster, from)).at(-1) ?? want
  const onTarget = fairShare([...rxWants, want], portUsableMbps(cluster, to)).at(-1) ?? want
  return Math.max(physics.migrationMinMbps, Math.min(onSource, onTarget))
}
