// Offered demand as a pure function of (seed, VM, tick): no RNG state to persist, so any way of
// slicing time gives the same cluster. The hash is a 32-bit integer mixer (murmur3's finaliser).
import type {DemandProfile, SimVm, Surge} from './cluster.js'
import {burstWeight} from './trace-burst.js'

function mix32(value: number): number {
  let h = value | 0
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Uniform in [0, 1), a pure function of its integer arguments: seeded variation without state. */
export function hashUnit(seed: number, ...keys: number[]): number {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9)
  h = mix32(h ^ Math.floor(seed / 0x100000000))
  for (const key of keys) h = mix32(h ^ Math.imul((key | 0) + 0x632be5ab, 0x27d4eb2f))
  return h / 0x100000000
}

/** A whole number in [min, max], drawn from the hash: seeded choice at scenario build time. */
export function hashInt(min: number, max: number, seed: number, ...keys: number[]): number {
  return min + Math.floor(hashUnit(seed, ...keys) * (max - min + 1))
}

/** Trapezoid multiplier of one surge at time t (seconds). */
function surgeFactor(surge: Surge, t: number): number {
  const {startS, rampS, holdS, factor} = surge
  const upEnd = startS + rampS
  const downStart = upEnd + holdS
  if (t < startS || t >= downStart + rampS) return 1
  if (t < upEnd) return 1 + ((factor - 1) * (t - startS)) / Math.max(rampS, 1e-9)
  if (t < downStart) return factor
  return factor - ((factor - 1) * (t - downStart)) / Math.max(rampS, 1e-9)
}

/** The multiplier of a profile's network demand at time t, before noise. */
export function envelope(profile: DemandProfile, t: number): number {
  const {amplitude, periodS, phaseS} = profile.wave
  let value = periodS > 0 ? 1 + amplitude * Math.sin((2 * Math.PI * (t + phaseS)) / periodS) : 1
  for (const surge of profile.surges) value *= surgeFactor(surge, t)
  return Math.max(0, value)
}

/** A VM's offered load for one second: per-direction Mbit/s and CPU cores. */
export interface Offered {
  rxMbps: number
  txMbps: number
  cpuCores: number
}

/** Noise channels, so rx/tx noise, CPU noise and on/off draws are independent. */
const NET = 1
const CPU = 2
const BURST = 3

/** The on/off multiplier at `tick`: `factor` in the slots drawn "on" (hash of seed, VM, slot), else 1. */
export function burstFactor(seed: number, vm: SimVm, tick: number): number {
  const onOff = vm.demand.onOff
  if (!onOff || onOff.slotS <= 0) return 1
  const slot = Math.floor(tick / onOff.slotS)
  return hashUnit(seed, vm.index, slot, BURST) < onOff.onShare ? onOff.factor : 1
}

/**
 * Base rates at `tick`: the profile's, or the trace's value for that step (the trace repeats), shaped
 * inside the step by its burst model (trace-burst.ts) and clipped at its per-VM cap.
 */
function baseRates(profile: DemandProfile, tick: number, seed: number, vmIndex: number): Offered {
  const trace = profile.trace
  if (!trace || trace.rxMbps.length === 0) return {rxMbps: profile.rxMbps, txMbps: profile.txMbps, cpuCores: profile.cpuCores}
  const i = Math.floor(tick / Math.max(trace.stepS, 1e-9)) % trace.rxMbps.length
  const weight = burstWeight(seed, vmIndex, tick, trace.stepS, trace.burst)
  const cap = trace.capMbps ?? Number.POSITIVE_INFINITY
  return {rxMbps: Math.min(cap, trace.rxMbps[i] * weight), txMbps: Math.min(cap, (trace.txMbps[i] ?? 0) * weight), cpuCores: trace.cpuCores?.[i] ?? profile.cpuCores}
}

/** What the VM offers during the whole second `tick`: its profile (or trace), the time envelope, bursts and noise. */
export function offeredDemand(seed: number, vm: SimVm, tick: number): Offered {
  const profile = vm.demand
  const base = baseRates(profile, tick, seed, vm.index)
  const netNoise = 2 * hashUnit(seed, vm.index, tick, NET) - 1
  const cpuNoise = 2 * hashUnit(seed, vm.index, tick, CPU) - 1
  const net = envelope(profile, tick) * burstFactor(seed, vm, tick) * Math.max(0, 1 + profile.jitter * netNoise)
  const cpu = Math.max(0, 1 + profile.jitter * cpuNoise)
  return {
    rxMbps: base.rxMbps * net,
    txMbps: base.txMbps * net,
    cpuCores: Math.min(vm.vcpus, base.cpuCores * cpu),
  }
}

/**
 * Max-min fair shares of `capacity` among `demands` (water-filling): small demands are met in full,
 * the rest split what remains equally. Returns one allocation per demand, in the same order.
 */
export function fairShare(demands: readonly number[], capacity: number): number[] {
  const total = demands.reduce((sum, d) => sum + d, 0)
  if (total <= capacity) return demands.slice()
  const order = demands.map((d, i) => i).sort((a, b) => demands[a] - demands[b] || a - b)
  const out = new Array<number>(demands.length).fill(0)
  let left = Math.max(0, capacity)
  for (const [position, i] of order.entries()) {
    const share = left / (order.length - position)
    out[i] = Math.min(demands[i], share)
    left -= out[i]
  }
  return out
}
