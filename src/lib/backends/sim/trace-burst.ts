// The within-bin burst model of trace demand. A trace value is a mean over its step (5 minutes for
// Bitbrains); the simulator ticks per second, so each step is cut into slots of `slotS` seconds whose
// weights are log-normal, exp(sigma·z) with z a standard normal drawn from the hash of (seed, VM,
// step, slot), then divided by their mean over the step: the step's mean is exactly the trace's value
// (before the per-VM cap), and sigma sets how bursty the seconds inside it are (0: flat). A pure
// function of (seed, VM, tick), so any slicing of time gives the same demand.
import {hashUnit} from './demand.js'

/** Within-bin variation of a trace: slot length (s) and log-normal sigma of the slot weights. */
export interface TraceBurst {
  slotS: number
  sigma: number
}

/** Documented defaults: 10 s slots (one loop period), sigma 0.8 (slot weights' coefficient of variation ≈ 0.95). */
export const DEFAULT_TRACE_BURST: TraceBurst = {slotS: 10, sigma: 0.8}

/** Hash channel of the slot weights (distinct from demand.ts's NET, CPU, BURST). */
const SLOT = 7

/** A standard normal from two hash draws (Box–Muller). */
function normal(seed: number, vm: number, step: number, slot: number): number {
  const u1 = 1 - hashUnit(seed, vm, step, slot, SLOT)
  const u2 = hashUnit(seed, vm, step, slot, SLOT + 1)
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2)
}

// The weights of a VM's current step, so a tick costs one lookup, not a step's worth of draws.
interface CachedStep {
  seed: number
  step: number
  stepS: number
  slotS: number
  sigma: number
  weights: Float64Array
}
const cache = new Map<number, CachedStep>()

function stepWeights(seed: number, vm: number, step: number, stepS: number, burst: TraceBurst): Float64Array {
  const hit = cache.get(vm)
  if (hit && hit.seed === seed && hit.step === step && hit.stepS === stepS && hit.slotS === burst.slotS && hit.sigma === burst.sigma) return hit.weights
  const slots = Math.max(1, Math.ceil(stepS / burst.slotS))
  const weights = new Float64Array(slots)
  let total = 0
  for (let k = 0; k < slots; k++) {
    weights[k] = Math.exp(burst.sigma * normal(seed, vm, step, k))
    // The last slot may be shorter than slotS: weigh by its length, so the step's time mean is 1.
    total += weights[k] * Math.min(burst.slotS, stepS - k * burst.slotS)
  }
  for (let k = 0; k < slots; k++) weights[k] *= stepS / total
  if (cache.size > 100_000) cache.clear()
  cache.set(vm, {seed, step, stepS, slotS: burst.slotS, sigma: burst.sigma, weights})
  return weights
}

/** The multiplier of the trace's step mean during second `tick` (its mean over the step is exactly 1). */
export function burstWeight(seed: number, vm: number, tick: number, stepS: number, burst: TraceBurst | undefined): number {
  if (!burst || burst.sigma <= 0 || burst.slotS <= 0 || burst.slotS >= stepS) return 1
  const step = Math.floor(tick / stepS)
  const slot = Math.floor((tick - step * stepS) / burst.slotS)
  return stepWeights(seed, vm, step, stepS, burst)[slot]
}
