// The simulator's scoreboard: cumulative, plain-data figures the evaluation compares between
// policies. integrateInPlace adds to them every segment; the actions count their successes.
// Differences of two scoreboards of one cluster (after − before) say what happened in between.

/** Cumulative figures of one simulated cluster since its scenario started. */
export interface SimMetrics {
  /** Σ over VMs of offered rx+tx, Mbit (offered = before any cap; paused VMs still offer). */
  offeredMbit: number
  /** Σ delivered rx+tx, Mbit. */
  deliveredMbit: number
  /** Σ requests (offered bits / request size): the weight of response times. */
  requests: number
  /** Σ requests × response time, ms. */
  responseMsSum: number
  /** Requests per logarithmic response-time bucket (RESPONSE_BUCKET_EDGES_MS). */
  responseHistogram: number[]
  /** Σ over hosts of seconds whose port utilisation (busier direction incl. migration streams, / line rate) > 0.9. */
  hostSecondsHot: number
  /** Σ host backend CPU used by PV traffic, core-seconds. */
  backendCoreSeconds: number
  /** Successful migrations. */
  migrations: number
  /** Successful VF attaches + detaches. */
  vfSwitches: number
  /** Σ over running and paused VMs of seconds simulated (the denominator of the unserved share). */
  vmSeconds: number
  /** Σ over VMs of seconds in which a VM got less than its demand (delivered < offered × UNSERVED_BELOW). */
  unservedVmSeconds: number
}

/**
 * A VM-second is unserved when the VM delivered less than this share of what it offered: any cut by
 * its path, the backend, the port or a pause counts; the margin only absorbs float rounding.
 */
export const UNSERVED_BELOW = 1 - 1e-6

/**
 * Response-time buckets: bucket 0 is [0, 0.01 ms), bucket k (1..350) is
 * [0.01·10^((k−1)/50), 0.01·10^(k/50)) ms, 50 a decade up to 100 s, and the last bucket is
 * [100 000 ms, ∞). Each bucket spans 4.7 %, so a percentile read log-linearly inside its bucket is
 * within ~2.3 % of the true value.
 */
export const RESPONSE_LOWEST_MS = 0.01
export const RESPONSE_BUCKETS_PER_DECADE = 50
export const RESPONSE_DECADES = 7
export const RESPONSE_HIGHEST_MS = RESPONSE_LOWEST_MS * 10 ** RESPONSE_DECADES
/** Number of histogram buckets (underflow + 350 logarithmic + overflow). */
export const RESPONSE_BUCKETS = RESPONSE_BUCKETS_PER_DECADE * RESPONSE_DECADES + 2
/** Lower edge of bucket k+1, ms, for k = 0..350 (edge 0 = 0.01 ms, edge 350 = 100 000 ms). */
export const RESPONSE_BUCKET_EDGES_MS: readonly number[] = Array.from(
  {length: RESPONSE_BUCKETS - 1},
  (_, k) => RESPONSE_LOWEST_MS * 10 ** (k / RESPONSE_BUCKETS_PER_DECADE),
)

/** The histogram bucket of a response time in ms. */
export function responseBucket(ms: number): number {
  if (!(ms >= RESPONSE_LOWEST_MS)) return 0
  if (ms >= RESPONSE_HIGHEST_MS) return RESPONSE_BUCKETS - 1
  let k = Math.floor(Math.log10(ms / RESPONSE_LOWEST_MS) * RESPONSE_BUCKETS_PER_DECADE)
  // Float rounding of the log may land one bucket off at an edge: settle it against the edges.
  if (k > 0 && ms < RESPONSE_BUCKET_EDGES_MS[k]) k--
  else if (k + 1 < RESPONSE_BUCKET_EDGES_MS.length && ms >= RESPONSE_BUCKET_EDGES_MS[k + 1]) k++
  return Math.min(RESPONSE_BUCKETS - 2, k + 1)
}

/** A scoreboard with nothing on it. */
export function emptyMetrics(): SimMetrics {
  return {
    offeredMbit: 0,
    deliveredMbit: 0,
    requests: 0,
    responseMsSum: 0,
    responseHistogram: new Array<number>(RESPONSE_BUCKETS).fill(0),
    hostSecondsHot: 0,
    backendCoreSeconds: 0,
    migrations: 0,
    vfSwitches: 0,
    vmSeconds: 0,
    unservedVmSeconds: 0,
  }
}

/** What the evaluation reports for one policy run. */
export interface MetricsSummary {
  seconds: number
  offeredMbit: number
  deliveredMbit: number
  /** delivered / offered; 1 when nothing was offered. */
  deliveredRatio: number
  meanResponseMs: number
  p99ResponseMs: number
  hostSecondsHot: number
  migrations: number
  vfSwitches: number
  /** Mean backend cores busy with PV traffic, summed over hosts. */
  backendCoresMean: number
  /** Share of VM-seconds in which a VM got less than its demand (0 when no VM ran). */
  unservedShare: number
}

/**
 * The response time below which `p` percent of the histogram's requests fall (p in [0, 100], e.g.
 * 99 for the p99), read log-linearly inside its bucket. 0 for an empty histogram.
 */
export function percentileMs(histogram: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be from 0 to 100, got ${p}`)
  const total = histogram.reduce((sum, n) => sum + Math.max(0, n), 0)
  if (total <= 0) return 0
  const target = (p / 100) * total
  let below = 0
  for (const [bucket, raw] of histogram.entries()) {
    const count = Math.max(0, raw)
    if (count <= 0) continue
    if (below + count >= target || bucket === histogram.length - 1) {
      const fraction = Math.min(1, Math.max(0, (target - below) / count))
      if (bucket === 0) return fraction * RESPONSE_LOWEST_MS
      if (bucket >= RESPONSE_BUCKETS - 1) return RESPONSE_HIGHEST_MS
      const low = RESPONSE_BUCKET_EDGES_MS[bucket - 1]
      const high = RESPONSE_BUCKET_EDGES_MS[bucket]
      return low * (high / low) ** fraction
    }
    below += count
  }
  return RESPONSE_HIGHEST_MS
}

/** Unserved VM-seconds / VM-seconds between two scoreboards (scoreboards stored before they were counted: 0). */
function unservedShareOf(before: SimMetrics, after: SimMetrics): number {
  const vmSeconds = (after.vmSeconds ?? 0) - (before.vmSeconds ?? 0)
  return vmSeconds > 0 ? ((after.unservedVmSeconds ?? 0) - (before.unservedVmSeconds ?? 0)) / vmSeconds : 0
}

/** What happened between two scoreboards of one cluster (after − before), over `seconds`. */
export function summariseMetrics(before: SimMetrics, after: SimMetrics, seconds: number): MetricsSummary {
  const offeredMbit = after.offeredMbit - before.offeredMbit
  const deliveredMbit = after.deliveredMbit - before.deliveredMbit
  const requests = after.requests - before.requests
  const histogram = after.responseHistogram.map((n, i) => n - (before.responseHistogram[i] ?? 0))
  return {
    seconds,
    offeredMbit,
    deliveredMbit,
    deliveredRatio: offeredMbit > 0 ? deliveredMbit / offeredMbit : 1,
    meanResponseMs: requests > 0 ? (after.responseMsSum - before.responseMsSum) / requests : 0,
    p99ResponseMs: percentileMs(histogram, 99),
    hostSecondsHot: after.hostSecondsHot - before.hostSecondsHot,
    migrations: after.migrations - before.migrations,
    vfSwitches: after.vfSwitches - before.vfSwitches,
    backendCoresMean: seconds > 0 ? (after.backendCoreSeconds - before.backendCoreSeconds) / seconds : 0,
    unservedShare: unservedShareOf(before, after),
  }
}
