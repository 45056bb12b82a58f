// Time integration of the simulated cluster, in place on a copy the caller owns. Segments never
// cross a whole second, so demand (a function of the tick) is constant within each: whole-second
// steps from a whole second give bit-identical counters however grouped (10 × 1 s = 1 × 10 s);
// other slicings agree up to float rounding.
import {type SimCluster, type SimHost, type SimVm, vmsOn} from './cluster.js'
import {type Offered, fairShare, offeredDemand} from './demand.js'

/** A migration stream in flight: loads the source port's tx and the target port's rx. */
export interface MigrationFlow {
  from: string
  to: string
  mbps: number
}

/** What else happens while time passes: migration streams and paused VMs. */
export interface StepOptions {
  flows?: readonly MigrationFlow[]
  /** VMs stopped for a migration's stop-and-copy: no CPU, no traffic. */
  paused?: ReadonlySet<string>
}

/** What a running VM asks of the port during one tick, already capped by its path. */
export interface VmWant {
  vm: SimVm
  offered: Offered
  rxMbps: number
  txMbps: number
}

const BYTES_PER_MBIT = 125_000

/** Usable payload rate of a host's port per direction, Mbit/s. */
export function portUsableMbps(cluster: SimCluster, host: SimHost): number {
  return host.speedMbps * cluster.physics.portEfficiency
}

/** The most a VM's current path carries per direction, Mbit/s. */
export function pathCapMbps(cluster: SimCluster, host: SimHost, vm: SimVm): number {
  return vm.path === 'vf' ? portUsableMbps(cluster, host) : cluster.physics.pvCapMbps
}

/** What each running VM on the host offers during `tick`, already limited by its path. */
export function hostWants(cluster: SimCluster, host: SimHost, tick: number, paused?: ReadonlySet<string>): VmWant[] {
  return vmsOn(cluster, host.name)
    .filter((vm) => !paused?.has(vm.name))
    .map((vm) => {
      const offered = offeredDemand(cluster.seed, vm, tick)
      const cap = pathCapMbps(cluster, host, vm)
      return {vm, offered, rxMbps: Math.min(offered.rxMbps, cap), txMbps: Math.min(offered.txMbps, cap)}
    })
}

function flowSum(flows: readonly MigrationFlow[], pick: (flow: MigrationFlow) => boolean): number {
  return flows.filter(pick).reduce((sum, flow) => sum + flow.mbps, 0)
}

function stepHost(cluster: SimCluster, host: SimHost, tick: number, dt: number, options: StepOptions): void {
  const physics = cluster.physics
  const flows = options.flows ?? []
  const usable = portUsableMbps(cluster, host)
  const inbound = flowSum(flows, (flow) => flow.to === host.name)
  const outbound = flowSum(flows, (flow) => flow.from === host.name)
  const wants = hostWants(cluster, host, tick, options.paused)
  const rx = fairShare(wants.map((w) => w.rxMbps), Math.max(0, usable - inbound))
  const tx = fairShare(wants.map((w) => w.txMbps), Math.max(0, usable - outbound))

  const cpuWant = wants.map((w, i) => {
    const perGbps = w.vm.path === 'vf' ? physics.vfCpuPerGbps : physics.pvCpuPerGbps
    return Math.min(w.vm.vcpus, w.offered.cpuCores + ((rx[i] + tx[i]) / 1000) * perGbps)
  })
  const cpuTotal = cpuWant.reduce((sum, c) => sum + c, 0)
  const cpuScale = cpuTotal > host.cpus ? host.cpus / cpuTotal : 1

  let portRx = inbound
  let portTx = outbound
  for (const [i, w] of wants.entries()) {
    const offeredNet = w.offered.rxMbps + w.offered.txMbps
    const served = offeredNet > 0 ? (rx[i] + tx[i]) / offeredNet : 1
    const wait = w.vm.demand.ioWait * (w.vm.path === 'pv' ? physics.pvBlockedFactor : 1)
    const blocked = Math.min(1, Math.max(0, wait + (1 - served) * physics.shortfallBlocked))
    const counters = w.vm.counters
    counters.cpuSeconds += cpuWant[i] * cpuScale * dt
    counters.blockedSeconds += blocked * dt
    counters.rxBytes += rx[i] * BYTES_PER_MBIT * dt
    counters.txBytes += tx[i] * BYTES_PER_MBIT * dt
    const threshold = physics.activeThresholdBytes
    if (rx[i] * BYTES_PER_MBIT > threshold && tx[i] * BYTES_PER_MBIT > threshold) counters.activeSeconds += dt
    portRx += rx[i]
    portTx += tx[i]
  }
  host.port.rxBytes += portRx * BYTES_PER_MBIT * dt
  host.port.txBytes += portTx * BYTES_PER_MBIT * dt
}

/** Advances `cluster` (mutated: pass a copy) by `ms` whole milliseconds, in segments of ≤ 1 s. */
export function integrateInPlace(cluster: SimCluster, ms: number, options: StepOptions = {}): void {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`simulated time step must be whole ms >= 0, got ${ms}`)
  let left = ms
  while (left > 0) {
    const segment = Math.min(left, 1000 - (cluster.timeMs % 1000))
    const tick = Math.floor(cluster.timeMs / 1000)
    for (const host of cluster.hosts) stepHost(cluster, host, tick, segment / 1000, options)
    cluster.timeMs += segment
    left -= segment
  }
}

/**
 * The rate a new migration stream would get now: its max-min fair share of the source port's tx
 * and of the target port's rx (the smaller), never below the configured floor.
 */
export function migrationShareMbps(cluster: SimCluster, from: SimHost, to: SimHost): number {
  const physics = cluster.physics
  const tick = Math.floor(cluster.timeMs / 1000)
  const want = physics.migrationMaxMbps
  const txWants = hostWants(cluster, from, tick).map((w) => w.txMbps)
  const rxWants = hostWants(cluster, to, tick).map((w) => w.rxMbps)
  const onSource = fairShare([...txWants, want], portUsableMbps(cluster, from)).at(-1) ?? want
  const onTarget = fairShare([...rxWants, want], portUsableMbps(cluster, to)).at(-1) ?? want
  return Math.max(physics.migrationMinMbps, Math.min(onSource, onTarget))
}
