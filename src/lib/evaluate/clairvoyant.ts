// The clairvoyant heuristic for `sova evaluate`: NOT an upper bound and not a policy the loop could
// run. (It was called the oracle; it is no bound: it hands out VFs by gain above the PV cap and
// ignores the backend CPU, and loop policies beat it. The bound is bound.ts.)
//
// What it assumes (so its figures read as an idealised comparator, never as a target or a limit):
// - Perfect knowledge of the present: every simulated second it sees each VM's true offered demand
//   for that very second (offeredDemand, the simulator's own trace), with no measurement, no
//   sampling window and no prediction error.
// - Free, instant changes: VF hot-plug/unplug and live migrations take no time, carry no traffic,
//   cost no CPU and no downtime (VMs are teleported). They are counted, so the table shows how much
//   churn it relies on, but they never cost anything.
// - Greedy: per second it applies two greedy heuristics (placement, then per-host VF allocation),
//   which ignore the backend CPU limit, so a loop policy can do better. It never breaks the
//   simulator's rules: a VM runs on one host, within host memory; a host hands out at most its
//   pool of VFs, each to one VM.
// It does not run the loop (no collect/score/balance); it rearranges a clone of the cluster each
// second and lets the simulator's physics (step.ts) deliver what the arrangement allows.
import {type SimCluster, type SimHost, type SimVm, freeMemoryMiB, vmsOn} from '../backends/sim/cluster.js'
import {type Offered, offeredDemand} from '../backends/sim/demand.js'
import {integrateInPlace, portUsableMbps} from '../backends/sim/step.js'
import type {ScoreboardPoint} from './summary.js'

/** A VM's demand this second and the load it would put on a port if fully served on a VF. */
interface Want {
  vm: SimVm
  offered: Offered
  rx: number
  tx: number
}

/** Per-direction load on each host's port if every VM were served up to the VF path's cap. */
type Loads = Map<string, {rx: number; tx: number}>

const EPSILON = 1e-6

function wantsNow(cluster: SimCluster, tick: number): Map<string, Want> {
  const wants = new Map<string, Want>()
  for (const vm of cluster.vms) {
    const host = cluster.hosts.find((h) => h.name === vm.host) as SimHost
    const offered = offeredDemand(cluster.seed, vm, tick)
    const cap = portUsableMbps(cluster, host)
    wants.set(vm.name, {vm, offered, rx: Math.min(offered.rxMbps, cap), tx: Math.min(offered.txMbps, cap)})
  }
  return wants
}

function loadsOf(cluster: SimCluster, wants: Map<string, Want>): Loads {
  const loads: Loads = new Map(cluster.hosts.map((host) => [host.name, {rx: 0, tx: 0}]))
  for (const vm of cluster.vms) {
    const load = loads.get(vm.host) as {rx: number; tx: number}
    const want = wants.get(vm.name) as Want
    load.rx += want.rx
    load.tx += want.tx
  }
  return loads
}

/**
 * The per-direction rate a port should stay under: its usable rate, or less when the scoreboard's
 * "hot" line (hotUtilisation of line rate) is lower, since moves are free.
 */
function portLimitMbps(cluster: SimCluster, host: SimHost): number {
  return Math.min(portUsableMbps(cluster, host), cluster.physics.hotUtilisation * host.speedMbps)
}

/** How far a port is over its limit, both directions summed (0 when it is comfortable). */
function overload(limit: number, load: {rx: number; tx: number}): number {
  return Math.max(0, load.rx - limit) + Math.max(0, load.tx - limit)
}

/** The least headroom of the two directions: what one more VM's traffic may use. */
function headroom(limit: number, load: {rx: number; tx: number}): number {
  return limit - Math.max(load.rx, load.tx)
}

interface Move {
  vm: SimVm
  to: SimHost
  relief: number
}

/** The move off `from` that relieves the overload most, each VM going to the roomiest host with memory. */
function bestMove(cluster: SimCluster, from: SimHost, wants: Map<string, Want>, loads: Loads): Move | undefined {
  const usableFrom = portLimitMbps(cluster, from)
  const fromLoad = loads.get(from.name) as {rx: number; tx: number}
  let best: Move | undefined
  for (const vm of vmsOn(cluster, from.name)) {
    const want = wants.get(vm.name) as Want
    if (want.rx + want.tx <= EPSILON) continue
    let target: SimHost | undefined
    let targetRoom = Number.NEGATIVE_INFINITY
    for (const host of cluster.hosts) {
      if (host.name === from.name || !host.reachable || freeMemoryMiB(cluster, host) < vm.memoryMiB) continue
      const room = headroom(portLimitMbps(cluster, host), loads.get(host.name) as {rx: number; tx: number})
      if (room > targetRoom) {
        target = host
        targetRoom = room
      }
    }
    if (!target) continue
    const usableTo = portLimitMbps(cluster, target)
    const toLoad = loads.get(target.name) as {rx: number; tx: number}
    const before = overload(usableFrom, fromLoad) + overload(usableTo, toLoad)
    const after =
      overload(usableFrom, {rx: fromLoad.rx - want.rx, tx: fromLoad.tx - want.tx}) +
      overload(usableTo, {rx: toLoad.rx + want.rx, tx: toLoad.tx + want.tx})
    const relief = before - after
    if (relief > EPSILON && (!best || relief > best.relief + EPSILON)) best = {vm, to: target, relief}
  }
  return best
}

/** Placement: while a port would be overloaded (or hot), teleport the VM whose move relieves it most. */
function placeVms(cluster: SimCluster, wants: Map<string, Want>): number {
  const loads = loadsOf(cluster, wants)
  let moves = 0
  // Each move strictly lowers the total overload; the bound only guards against float dithering.
  for (let guard = 0; guard < cluster.vms.length; guard++) {
    const hot = cluster.hosts
      .filter((host) => host.reachable)
      .map((host) => ({host, over: overload(portLimitMbps(cluster, host), loads.get(host.name) as {rx: number; tx: number})}))
      .filter((entry) => entry.over > EPSILON)
      .sort((a, b) => b.over - a.over)
    let moved: Move | undefined
    for (const {host} of hot) {
      moved = bestMove(cluster, host, wants, loads)
      if (moved) {
        const want = wants.get(moved.vm.name) as Want
        const fromLoad = loads.get(host.name) as {rx: number; tx: number}
        const toLoad = loads.get(moved.to.name) as {rx: number; tx: number}
        fromLoad.rx -= want.rx
        fromLoad.tx -= want.tx
        toLoad.rx += want.rx
        toLoad.tx += want.tx
        // A VF belongs to its host's port: it stays behind (the VF allocation below may give a new one).
        moved.vm.vf = null
        moved.vm.path = 'pv'
        moved.vm.host = moved.to.name
        moves++
        break
      }
    }
    if (!moved) break
  }
  return moves
}

/** What a VF gains a VM this second: traffic the VF path carries that the PV path would not. */
function vfGain(cluster: SimCluster, host: SimHost, want: Want): number {
  const vfCap = portUsableMbps(cluster, host)
  const pvCap = cluster.physics.pvCapMbps
  const {rxMbps, txMbps} = want.offered
  return Math.min(rxMbps, vfCap) - Math.min(rxMbps, pvCap) + (Math.min(txMbps, vfCap) - Math.min(txMbps, pvCap))
}

/** Per host, the VFs go to the VMs that gain most (ties: the more latency-sensitive, then holders). */
function allocateVfs(cluster: SimCluster, wants: Map<string, Want>): number {
  let switches = 0
  for (const host of cluster.hosts) {
    if (!host.reachable) continue
    const ranked = vmsOn(cluster, host.name)
      .map((vm) => ({vm, gain: vfGain(cluster, host, wants.get(vm.name) as Want)}))
      .sort(
        (a, b) =>
          b.gain - a.gain ||
          b.vm.demand.ioWait - a.vm.demand.ioWait ||
          Number(b.vm.vf !== null) - Number(a.vm.vf !== null) ||
          a.vm.index - b.vm.index,
      )
    const chosen = new Set(ranked.slice(0, host.vfPool.length).map((entry) => entry.vm.name))
    for (const {vm} of ranked) {
      if (vm.vf !== null && !chosen.has(vm.name)) {
        vm.vf = null
        vm.path = 'pv'
        switches++
      }
    }
    const held = new Set(vmsOn(cluster, host.name).map((vm) => vm.vf))
    const free = host.vfPool.filter((vf) => !held.has(vf))
    for (const {vm} of ranked) {
      if (vm.vf === null && chosen.has(vm.name)) {
        vm.vf = free.shift() as string
        vm.path = 'vf'
        switches++
      }
    }
  }
  return switches
}

/** Rearranges `cluster` (mutated) for the coming second with perfect knowledge of its demand. */
export function rearrangeForSecond(cluster: SimCluster): {migrations: number; vfSwitches: number} {
  const tick = Math.floor(cluster.timeMs / 1000)
  const wants = wantsNow(cluster, tick)
  const migrations = placeVms(cluster, wants)
  const vfSwitches = allocateVfs(cluster, wants)
  cluster.metrics.migrations += migrations
  cluster.metrics.vfSwitches += vfSwitches
  return {migrations, vfSwitches}
}

/**
 * Runs the clairvoyant heuristic on a copy of `cluster` for `durationSeconds`, rearranging before every simulated
 * second, and returns the scoreboard at the start and after every `periodSeconds`.
 */
export function runClairvoyant(
  cluster: SimCluster,
  durationSeconds: number,
  periodSeconds: number,
  onPeriod: (elapsedSeconds: number) => void = () => {},
): {points: ScoreboardPoint[]; cluster: SimCluster} {
  const working = structuredClone(cluster)
  const startMs = working.timeMs
  const endMs = startMs + Math.round(durationSeconds * 1000)
  const points: ScoreboardPoint[] = [{timeMs: startMs, metrics: structuredClone(working.metrics)}]
  const seconds = Math.ceil((endMs - startMs) / 1000)
  for (let s = 1; s <= seconds; s++) {
    rearrangeForSecond(working)
    // The last second may be a part of one: the window is exactly durationSeconds.
    integrateInPlace(working, Math.min(1000, endMs - working.timeMs))
    if (s % periodSeconds === 0 || s === seconds) {
      points.push({timeMs: working.timeMs, metrics: structuredClone(working.metrics)})
      onPeriod((working.timeMs - startMs) / 1000)
    }
  }
  return {points, cluster: working}
}
