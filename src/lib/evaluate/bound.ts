// The bound: per simulated second, the most traffic ANY policy could deliver under the simulator's
// rules, and the least response time and unserved share it could reach. Not a policy: nothing is
// placed or switched; it reads each second's true demand and solves a relaxation of the
// simulator's constraints. docs/bound.md gives the proof; in short:
//
// In one second (step.ts), whatever a policy did, VM v on host h on path p delivers rx_v, tx_v with
//   (1) rx_v ≤ R_v, tx_v ≤ T_v                       (its offered demand; paused VMs deliver 0)
//   (2) rx_v, tx_v ≤ U_h on a VF, ≤ P on PV          (the path's cap: usable port rate, pvCapMbps)
//   (3) Σ_{PV VMs on h} (rx_v + tx_v) ≤ B_h           (the backend CPU, backendCapacityMbps)
//   (4) Σ_{VMs on h} rx_v ≤ U_h, Σ tx_v ≤ U_h         (the port; migration streams only take more)
//   (5) #{VF VMs on h} ≤ K_h                          (the VF pool: a VF is held by one VM)
// Summing (3)–(5) over hosts and using U = max U_h in (2) gives a relaxation that forgets where a VM
// runs (any placement, as free migrations would give): one pooled backend B = Σ B_h, pooled port
// C = Σ U_h per direction, K = Σ K_h VFs. Its Lagrangian with prices λ (backend), μr, μt (port) ≥ 0,
//   L(λ, μr, μt) = λB + (μr + μt)C + max_{|S| ≤ K} [ Σ_{v∈S} vf_v + Σ_{v∉S} pv_v ],
//   vf_v = (1−μr)⁺ min(R_v, U) + (1−μt)⁺ min(T_v, U),   pv_v = (1−μr−λ)⁺ min(R_v, P) + (1−μt−λ)⁺ min(T_v, P),
// is an upper bound for EVERY choice of prices (weak duality: the added terms λ(B − ΣPV) etc. are
// ≥ 0 at any feasible point). The bound is the least of L over μr, μt ∈ {0, 1} (a port's price is 0
// when it has room, 1 when full) with λ minimised per pair by bisection on L's subgradient. A
// looser price only loosens the bound, never breaks it.
//
// Costs a policy pays (hot-plug time, migration streams and pauses, the loop's sampling) are all
// dropped: they only lower what a policy delivers.
import type {SimCluster, SimVm} from '../backends/sim/cluster.js'
import {offeredDemand} from '../backends/sim/demand.js'
import {type SimMetrics, UNSERVED_BELOW, emptyMetrics, responseBucket} from '../backends/sim/metrics.js'
import {backendCapacityMbps, portUsableMbps, requestsPerSecond, responseTimeMs} from '../backends/sim/step.js'
import type {ScoreboardPoint} from './summary.js'

/** The cluster's pooled limits, constant over a run (they depend on hosts and physics only). */
export interface PooledLimits {
  /** Best VF path cap per direction, Mbit/s (max usable port rate). */
  vfCapMbps: number
  /** PV path cap per direction, Mbit/s. */
  pvCapMbps: number
  /** Σ backend capacity, Mbit/s rx+tx of PV traffic (Infinity when PV costs no backend CPU). */
  backendMbps: number
  /** Σ usable port rate per direction, Mbit/s. */
  portMbps: number
  /** Σ VFs. */
  vfs: number
}

export function pooledLimits(cluster: SimCluster): PooledLimits {
  let vfCapMbps = 0
  let backendMbps = 0
  let portMbps = 0
  let vfs = 0
  for (const host of cluster.hosts) {
    const usable = portUsableMbps(cluster, host)
    vfCapMbps = Math.max(vfCapMbps, usable)
    backendMbps += backendCapacityMbps(cluster, host)
    portMbps += usable
    vfs += host.vfPool.length
  }
  return {vfCapMbps, pvCapMbps: cluster.physics.pvCapMbps, backendMbps, portMbps, vfs}
}

/** One VM's demand in one second, per direction. */
export interface Demand {
  rxMbps: number
  txMbps: number
}

/**
 * min over λ in [0, 1] of g(λ) = λB + max_{|S|≤K} [Σ_S a_v + Σ_{v∉S} (1−λ) b_v], for a_v, b_v ≥ 0
 * (a: what v carries on a VF, b: on PV, both at the ports' prices). g is convex and piecewise
 * linear; its right slope at λ is B − Σ_{v∉S} b_v, S the K best by key a_v − (1−λ) b_v (ties: the
 * larger b, whose key rises faster), so bisection on the slope's sign finds the minimum to 2^-iterations
 * in λ (16: the bound is then within 2^-16 Σ b of the relaxation's minimum over λ, and still valid).
 * λ > 1 never helps (g grows with slope B). Every λ tried gives an upper bound: the least is returned.
 */
export function backendPricedBound(a: Float64Array, b: Float64Array, backendMbps: number, vfs: number, iterations = 16): number {
  const n = a.length
  const k = Math.max(0, Math.min(vfs, n))
  let sumB = 0
  for (let i = 0; i < n; i++) sumB += b[i]
  const keys = new Float64Array(n)
  const sorted = new Float64Array(n)
  /** g(λ) and its right slope, from one sort of the keys. */
  const at = (lambda: number): {value: number; slope: number} => {
    // A VM better off on PV (a key below 0) takes no VF: max over |S| ≤ K, not = K.
    for (let i = 0; i < n; i++) keys[i] = Math.max(0, a[i] - (1 - lambda) * b[i])
    sorted.set(keys)
    sorted.sort()
    const threshold = k > 0 ? sorted[n - k] : Number.POSITIVE_INFINITY
    let top = 0
    let inS = 0
    let bInS = 0
    const tiedB: number[] = []
    for (let i = 0; i < n; i++) {
      if (keys[i] > threshold) {
        top += keys[i]
        inS++
        bInS += b[i]
      } else if (keys[i] === threshold) tiedB.push(b[i])
    }
    // The places left in S go to tied VMs (equal keys: equal value), the larger b first.
    const left = k - inS
    if (left > 0) {
      tiedB.sort((x, y) => y - x)
      for (let i = 0; i < left; i++) bInS += tiedB[i]
      top += left * threshold
    }
    return {value: (lambda > 0 ? lambda * backendMbps : 0) + (1 - lambda) * sumB + top, slope: backendMbps - (sumB - bInS)}
  }
  // No backend limit (PV costs no backend CPU): only λ = 0 is finite.
  if (!Number.isFinite(backendMbps)) return at(0).value
  const atZero = at(0)
  if (atZero.slope >= 0) return atZero.value // the backend has room at price 0: the minimum
  let best = Math.min(atZero.value, at(1).value)
  let low = 0
  let high = 1
  for (let step = 0; step < iterations; step++) {
    const middle = (low + high) / 2
    const here = at(middle)
    best = Math.min(best, here.value)
    if (here.slope >= 0) high = middle
    else low = middle
  }
  return best
}

/**
 * The most the cluster could deliver (Mbit/s, rx+tx) this second given each VM's demand: the least of
 * the Lagrangian bounds above (μr, μt ∈ {0, 1}, λ minimised). Valid for any placement, path choice
 * and share, whatever a policy does.
 */
export function deliverableBoundMbps(demands: readonly Demand[], limits: PooledLimits): number {
  const n = demands.length
  const U = limits.vfCapMbps
  const P = limits.pvCapMbps
  const C = limits.portMbps
  let best = 2 * C // both ports priced at 1
  const a = new Float64Array(n)
  const b = new Float64Array(n)
  // [rx priced 0?, tx priced 0?]: the directions that still count at the VMs.
  const corners: Array<[boolean, boolean]> = [
    [true, true],
    [true, false],
    [false, true],
  ]
  for (const [rx, tx] of corners) {
    for (let i = 0; i < n; i++) {
      const {rxMbps, txMbps} = demands[i]
      a[i] = (rx ? Math.min(rxMbps, U) : 0) + (tx ? Math.min(txMbps, U) : 0)
      b[i] = (rx ? Math.min(rxMbps, P) : 0) + (tx ? Math.min(txMbps, P) : 0)
    }
    const pricedPorts = (rx ? 0 : C) + (tx ? 0 : C)
    best = Math.min(best, pricedPorts + backendPricedBound(a, b, limits.backendMbps, limits.vfs))
  }
  return best
}

/** The paths a VM could be on and their caps per direction: PV always, a VF if the cluster has any. */
function pathsOf(limits: PooledLimits): Array<readonly ['vf' | 'pv', number]> {
  return limits.vfs > 0 ? [['vf', limits.vfCapMbps], ['pv', limits.pvCapMbps]] : [['pv', limits.pvCapMbps]]
}

/**
 * The least response time (ms) any request of `vm` can have this second, whatever the policy: on its
 * best path with an empty queue, its demand met as far as that path could carry it; or, paused by a
 * migration, base + service + the shortest stop-and-copy. responseTimeMs is monotone in every load
 * figure, so each argument here is the most favourable the simulator allows.
 */
export function responseFloorMs(cluster: SimCluster, vm: SimVm, demand: Demand, limits: PooledLimits): number {
  const offered = demand.rxMbps + demand.txMbps
  const physics = cluster.physics
  const shortestPause = Math.max(1e-9, Math.floor(Math.min(physics.downtimeMinMs, physics.downtimeMaxMs)))
  let floor = Number.POSITIVE_INFINITY
  for (const [path, cap] of pathsOf(limits)) {
    const onPath = {...vm, path}
    const carried = Math.min(demand.rxMbps, cap) + Math.min(demand.txMbps, cap)
    floor = Math.min(floor, responseTimeMs(cluster, onPath, cap, 0, offered, carried), responseTimeMs(cluster, onPath, cap, 0, offered, offered, shortestPause))
  }
  return floor
}

/** What the bound adds to its scoreboard for one second of the given share (1 = a whole second). */
export function boundSecond(cluster: SimCluster, tick: number, limits: PooledLimits, metrics: SimMetrics, dt = 1): void {
  const demands: Demand[] = []
  let offeredNet = 0
  let unservable = 0
  let needVf = 0
  const vfOk = limits.vfs > 0
  for (const vm of cluster.vms) {
    const offered = offeredDemand(cluster.seed, vm, tick)
    const demand = {rxMbps: offered.rxMbps, txMbps: offered.txMbps}
    demands.push(demand)
    const net = demand.rxMbps + demand.txMbps
    offeredNet += net
    // A VM whose demand neither path it could be on carries is below demand under every policy; one
    // that only a VF serves is, unless it is among the (at most K) VMs holding one.
    const onPv = Math.min(demand.rxMbps, limits.pvCapMbps) + Math.min(demand.txMbps, limits.pvCapMbps) >= net * UNSERVED_BELOW
    const onVf = vfOk && Math.min(demand.rxMbps, limits.vfCapMbps) + Math.min(demand.txMbps, limits.vfCapMbps) >= net * UNSERVED_BELOW
    if (!onPv && !onVf) unservable++
    else if (!onPv) needVf++
    const requests = requestsPerSecond(vm, net) * dt
    if (requests > 0) {
      const floor = responseFloorMs(cluster, vm, demand, limits)
      metrics.requests += requests
      metrics.responseMsSum += requests * floor
      metrics.responseHistogram[responseBucket(floor)] += requests
    }
  }
  const deliverable = Math.min(offeredNet, deliverableBoundMbps(demands, limits))
  // If every VM were served, the cluster would deliver its whole demand: when the bound says it
  // cannot, at least one VM is below demand.
  const counted = unservable + Math.max(0, needVf - limits.vfs)
  const unserved = counted > 0 ? counted : deliverable < offeredNet * UNSERVED_BELOW ? 1 : 0
  metrics.offeredMbit += offeredNet * dt
  metrics.deliveredMbit += deliverable * dt
  metrics.vmSeconds += cluster.vms.length * dt
  metrics.unservedVmSeconds += unserved * dt
}

/**
 * The bound's scoreboard over `durationSeconds` from the cluster's present instant: the start, then
 * a point every `periodSeconds` and at the end, as a loop policy's run gives them. Cumulative like
 * the simulator's; figures it does not bound (hot host-seconds, backend CPU, actions) stay 0.
 */
export function runBound(
  cluster: SimCluster,
  durationSeconds: number,
  periodSeconds: number,
  onPeriod: (elapsedSeconds: number) => void = () => {},
): ScoreboardPoint[] {
  const limits = pooledLimits(cluster)
  const metrics = emptyMetrics()
  const startMs = cluster.timeMs
  const endMs = startMs + Math.round(durationSeconds * 1000)
  const points: ScoreboardPoint[] = [{timeMs: startMs, metrics: structuredClone(metrics)}]
  let nowMs = startMs
  let nextPointMs = startMs + periodSeconds * 1000
  while (nowMs < endMs) {
    const tick = Math.floor(nowMs / 1000)
    const untilMs = Math.min(endMs, (tick + 1) * 1000, nextPointMs)
    boundSecond(cluster, tick, limits, metrics, (untilMs - nowMs) / 1000)
    nowMs = untilMs
    if (nowMs === nextPointMs || nowMs === endMs) {
      points.push({timeMs: nowMs, metrics: structuredClone(metrics)})
      onPeriod((nowMs - startMs) / 1000)
      if (nowMs === nextPointMs) nextPointMs += periodSeconds * 1000
    }
  }
  return points
}
