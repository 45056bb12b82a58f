// What the loop remembers of each VM and host, derived from the recent samples: when a VM last
// changed host or path, how often it moved, the rate it reached on a VF and the rate it sustains;
// when a host last shed a VM. Pure: samples in, facts out. One pass over the samples with maps,
// so 400,000 VMs × a few samples stay cheap. A change is dated by the first sample that shows it,
// so a cooldown counted from that date is never shorter than the one intended.
import type {NetPath, VmMemory} from '../document/schema.js'
import type {HistoryEntry} from '../loop/history.js'
import {EPISODES_KEPT, medianSeconds} from './episodes.js'

/** What the samples tell about VMs and hosts (when each last shed a VM). */
export interface Remembered {
  /** One per VM of the latest sample, in its order (`names`): callers walking the same order index it. */
  vms: VmMemory[]
  names: string[]
  lastShedAt: Map<string, string>
  /** Median length of the finished bursts of the latest sample's VMs (s): what a burst of a VM never seen to end one is expected to last. */
  clusterBurstSeconds?: number
}

/** A VM's memory: by position when the order matches, else by name (a map built once). */
export function memoryLookup(remembered: Remembered): (vm: string, position: number) => VmMemory | undefined {
  let byName: Map<string, VmMemory> | undefined
  return (vm, position) => {
    if (remembered.names[position] === vm) return remembered.vms[position]
    byName ??= new Map(remembered.names.map((name, index) => [name, remembered.vms[index]]))
    return byName.get(vm)
  }
}

// One shape for every trace, with no arrays of its own: V8 keeps 400,000 of them in fast mode,
// and the garbage collector traces three small objects per VM (the trace and its two episode
// trackers), with no arrays.
interface Trace {
  host: string
  path: NetPath
  moves: number
  /** NaN when it never moved within the samples. */
  lastMove: number
  /** NaN when the path never changed within the samples. */
  pathChangedAt: number
  /** -1 when never seen on a VF. */
  vfRateMbps: number
  /** Its rates on the current host live in `rates` at [slot * k, slot * k + k), a ring of `seen` values. */
  slot: number
  seen: number
  /** Index of the last entry that listed the VM. */
  lastEntry: number
  /** When the first sample showed it on its current host (ms). */
  hostSince: number
  /** Its need episodes (rate at or above what its PV path carries), when needs are timed. */
  need: EpisodeTrack | undefined
  /** The rate it falls back to between bursts (Mbit/s): NaN before its first sample. */
  floorMbps: number
  /** When the sample that set `floorMbps` was taken (ms). */
  floorAt: number
  /** Its bursts: samples at BURST_FACTOR × its floor or more. */
  burst: EpisodeTrack
}

/**
 * Episodes of one condition of one VM: its latest samples' flags (newest in bit 0; an episode is
 * smoothed as the hotspot test smooths spells), the current episode's start, and the lengths of
 * its latest finished ones.
 */
class EpisodeTrack {
  bits = 0
  /** When the current episode began (ms), NaN when the condition does not hold. */
  start = Number.NaN
  /** Whether a sample showed the condition clear: only an episode that began after one has a known length. */
  clear = false
  /** Lengths (s) of the latest finished episodes, a ring of EPISODES_KEPT; NaN where none. */
  length0 = Number.NaN
  length1 = Number.NaN
  length2 = Number.NaN
  finished = 0

  /** Seconds the current episode has lasted at `latestAt` (ms), undefined when none is under way. */
  ageAt(latestAt: number): number | undefined {
    return Number.isNaN(this.start) ? undefined : (latestAt - this.start) / 1000
  }

  /** Median length of the latest finished episodes (s), undefined when none finished. */
  typicalSeconds(): number | undefined {
    return this.finished > 0 ? medianSeconds([this.length0, this.length1, this.length2].slice(0, Math.min(this.finished, EPISODES_KEPT))) : undefined
  }
}

/** The rate (busier direction, Mbit/s) at or above which a VM on `host` needs more than its PV path: its need episodes are timed. */
export type NeedThreshold = (host: string) => number

/** A VM is in an episode (of need, of a burst) while 2 of its latest 3 samples show it: one sample either way neither starts nor ends one. */
const EPISODE_RECENT_MASK = 0b111
const EPISODE_SAMPLES = 2

/** Follows a VM's episodes of one condition: one sample at `at` (ms) that shows it or not. */
function track(episodes: EpisodeTrack, holds: boolean, at: number): void {
  episodes.bits = ((episodes.bits << 1) | (holds ? 1 : 0)) & EPISODE_RECENT_MASK
  let shown = 0
  for (let bits = episodes.bits; bits > 0; bits >>= 1) shown += bits & 1
  if (shown >= EPISODE_SAMPLES) {
    if (Number.isNaN(episodes.start)) episodes.start = at
    return
  }
  if (!Number.isNaN(episodes.start) && episodes.clear) {
    const length = (at - episodes.start) / 1000
    const slot = episodes.finished % EPISODES_KEPT
    if (slot === 0) episodes.length0 = length
    else if (slot === 1) episodes.length1 = length
    else episodes.length2 = length
    episodes.finished++
  }
  episodes.start = Number.NaN
  episodes.clear = true
}

/**
 * A burst: a rate at least BURST_FACTOR times the VM's floor, and BURST_MIN_MBPS above it (an
 * idle VM's noise is no burst), that falls back within LEVEL_SECONDS. The floor is the rate the VM
 * falls back to: it drops at once to a lower rate and, outside bursts, rises towards a higher one
 * with a time constant of FLOOR_RISE_SECONDS. A "burst" that has not fallen back within
 * LEVEL_SECONDS is a new level: it becomes the floor and is not counted as a burst, so a lasting
 * change of load never passes for a burst that will end.
 */
export const BURST_FACTOR = 2
export const BURST_MIN_MBPS = 10
export const FLOOR_RISE_SECONDS = 120
export const LEVEL_SECONDS = 120

/**
 * A VM that changed host or path starts its floor afresh (from its next rate, or `floorMbps`), and
 * a burst under way is dropped unmeasured: its rate on another path or port says nothing of its
 * bursts (a VF lifts a rate the PV path capped). The lengths of its finished bursts stay: they are
 * the VM's own. A level (a burst that did not fall back) starts the floor at its rate.
 */
function restartFloor(trace: Trace, floorMbps = Number.NaN): void {
  trace.floorMbps = floorMbps
  trace.burst.bits = 0
  trace.burst.start = Number.NaN
  trace.burst.clear = false
}

/** Follows a VM's floor and bursts: its busier-direction `rate` at `at` (ms). */
function trackBurst(trace: Trace, rate: number, at: number): void {
  if (Number.isNaN(trace.floorMbps)) trace.floorMbps = rate
  const burstSample = rate >= BURST_FACTOR * trace.floorMbps && rate - trace.floorMbps >= BURST_MIN_MBPS
  if (rate <= trace.floorMbps) {
    trace.floorMbps = rate
  } else if (!burstSample && Number.isNaN(trace.burst.start)) {
    const seconds = Math.max(0, (at - trace.floorAt) / 1000)
    trace.floorMbps += (rate - trace.floorMbps) * (1 - Math.exp(-seconds / FLOOR_RISE_SECONDS))
  }
  trace.floorAt = at
  track(trace.burst, burstSample, at)
  if (!Number.isNaN(trace.burst.start) && at - trace.burst.start > LEVEL_SECONDS * 1000) {
    // Not fallen back: a new level, not a burst.
    restartFloor(trace, rate)
  }
}

/**
 * The memory of the VMs of the latest entry and the hosts' last sheds, over `entries` (oldest
 * first, the current sample last). `sustainedSamples`: how many of the latest samples on its
 * current host a VM's sustained rate (the lowest of them) looks at, so a burst does not pass for
 * lasting load. `needAt`, when given, times each VM's need episodes (samples at or above its
 * host's threshold), so a VF swap can be weighed against how long such a need lasted before.
 */
export function remember(entries: readonly HistoryEntry[], sustainedSamples = 5, needAt?: NeedThreshold): Remembered {
  const lastShed = new Map<string, number>()
  const k = Math.max(1, sustainedSamples)
  // Every trace's latest k rates, in one typed array: no per-VM arrays to allocate.
  let rates = new Float64Array(1024 * k)
  let slots = 0
  // Samples list VMs in the same order as a rule: a trace is found by position, and by name (a
  // map built only when needed) when the order changed. 400,000 map lookups per sample cost 0.2 s.
  let aligned: Trace[] = []
  let alignedNames: readonly (readonly [string, ...unknown[]])[] = []
  let byName: Map<string, Trace> | undefined
  // VMs a sample did not list (their host did not answer): their memory waits for them, so a VM
  // that reappears on the same host has not moved, and keeps its cooldowns.
  const absent = new Map<string, Trace>()
  const find = (vm: string, i: number): Trace | undefined => {
    if (alignedNames[i]?.[0] === vm) return aligned[i]
    byName ??= new Map(aligned.map((trace, index) => [alignedNames[index][0], trace]))
    const trace = byName.get(vm) ?? absent.get(vm)
    if (trace !== undefined) absent.delete(vm)
    return trace
  }
  const record = (trace: Trace, rate: number) => {
    rates[trace.slot * k + (trace.seen % k)] = rate
    trace.seen++
  }
  let latest: HistoryEntry['knowledge']
  let previous = -1 // index of the last entry with knowledge: the one `aligned` comes from
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e]
    const knowledge = entry.knowledge
    if (!knowledge) continue
    latest = knowledge
    const seen = knowledge.vms
    const next: Trace[] = new Array(seen.length)
    let found = 0
    // Index loops, no destructuring: this runs for every VM of every remembered sample.
    for (let i = 0; i < seen.length; i++) {
      const tuple = seen[i]
      const vm = tuple[0]
      const host = tuple[1]
      const path = tuple[2]
      const rate = tuple[3]
      let trace = find(vm, i)
      if (trace === undefined) {
        if ((slots + 1) * k > rates.length) {
          const grown = new Float64Array(rates.length * 2)
          grown.set(rates)
          rates = grown
        }
        trace = {
          host, path, moves: 0, lastMove: Number.NaN, pathChangedAt: Number.NaN, vfRateMbps: path === 'vf' ? rate : -1, slot: slots++, seen: 0, lastEntry: e, hostSince: entry.at,
          need: needAt ? new EpisodeTrack() : undefined, floorMbps: Number.NaN, floorAt: entry.at, burst: new EpisodeTrack(),
        }
        record(trace, rate)
        if (trace.need && needAt) track(trace.need, rate >= needAt(host), entry.at)
        trackBurst(trace, rate, entry.at)
        next[i] = trace
        continue
      }
      if (trace.lastEntry === previous) found++
      trace.lastEntry = e
      next[i] = trace
      if (trace.host !== host) {
        trace.moves++
        trace.lastMove = entry.at
        lastShed.set(trace.host, entry.at)
        trace.host = host
        trace.seen = 0
        trace.hostSince = entry.at
        restartFloor(trace)
      }
      if (trace.path !== path) {
        trace.pathChangedAt = entry.at
        trace.path = path
        restartFloor(trace)
      }
      if (path === 'vf' && rate > trace.vfRateMbps) trace.vfRateMbps = rate
      record(trace, rate)
      if (trace.need && needAt) track(trace.need, rate >= needAt(host), entry.at)
      trackBurst(trace, rate, entry.at)
    }
    // Fewer of the previous VMs found than there were: the ones this entry did not list wait.
    if (found < aligned.length) {
      for (let i = 0; i < aligned.length; i++) if (aligned[i].lastEntry !== e) absent.set(alignedNames[i][0], aligned[i])
    }
    aligned = next
    alignedNames = seen
    byName = undefined
    previous = e
  }
  const current = latest?.vms ?? []
  const latestAt = previous >= 0 ? entries[previous].at : Number.NaN
  const vms: VmMemory[] = new Array(current.length)
  const burstLengths: number[] = []
  const names: string[] = new Array(current.length)
  for (let i = 0; i < current.length; i++) {
    const trace = aligned[i]
    let sustained = Number.POSITIVE_INFINITY
    for (let j = 0, n = Math.min(trace.seen, k); j < n; j++) sustained = Math.min(sustained, rates[trace.slot * k + j])
    const item: VmMemory = {recentMoves: trace.moves, sustainedMbps: sustained, samplesOnHost: trace.seen, secondsOnHost: (latestAt - trace.hostSince) / 1000}
    if (!Number.isNaN(trace.lastMove)) item.lastMoveAt = new Date(trace.lastMove).toISOString()
    if (!Number.isNaN(trace.pathChangedAt)) item.lastPathChangeAt = new Date(trace.pathChangedAt).toISOString()
    if (trace.vfRateMbps >= 0) item.vfRateMbps = trace.vfRateMbps
    if (trace.need) {
      const age = trace.need.ageAt(latestAt)
      if (age !== undefined) item.needForSeconds = age
      const typical = trace.need.typicalSeconds()
      if (typical !== undefined) item.needEpisodeSeconds = typical
    }
    // The floor says how much of a burst's rate is the burst: given while it bursts.
    const burstAge = trace.burst.ageAt(latestAt)
    if (burstAge !== undefined) {
      item.burstForSeconds = burstAge
      item.floorMbps = trace.floorMbps
    }
    const burstTypical = trace.burst.typicalSeconds()
    if (burstTypical !== undefined) {
      item.burstEpisodeSeconds = burstTypical
      burstLengths.push(burstTypical)
    }
    vms[i] = item
    names[i] = current[i][0]
  }
  const lastShedAt = new Map([...lastShed].map(([host, at]) => [host, new Date(at).toISOString()]))
  const clusterBurstSeconds = medianSeconds(burstLengths)
  return clusterBurstSeconds === undefined ? {vms, names, lastShedAt} : {vms, names, lastShedAt, clusterBurstSeconds}
}

/** Seconds between an ISO time of the memory and the document's time (Infinity when never). */
export function secondsSince(iso: string | undefined, nowIso: string): number {
  return iso === undefined ? Number.POSITIVE_INFINITY : (Date.parse(nowIso) - Date.parse(iso)) / 1000
}
