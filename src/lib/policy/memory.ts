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
// and the garbage collector has a few objects per VM to trace, not four.
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
  /** Its latest samples' need flags, newest in bit 0: an episode is smoothed as the hotspot test smooths spells. */
  needBits: number
  /** When its current need episode began (ms), NaN when it is not in need (or needs are not tracked). */
  needStart: number
  /** Whether a sample showed it out of need: only an episode that began after one has a known length. */
  needClear: boolean
  /** Lengths (s) of its latest finished need episodes, a ring of EPISODES_KEPT; NaN where none. */
  episode0: number
  episode1: number
  episode2: number
  episodes: number
}

/** The rate (busier direction, Mbit/s) at or above which a VM on `host` needs more than its PV path: its need episodes are timed. */
export type NeedThreshold = (host: string) => number

/** A VM is in a need episode while 2 of its latest 3 samples show need: one sample either way neither starts nor ends one. */
const NEED_RECENT_MASK = 0b111
const NEED_SAMPLES = 2

/** Follows a VM's need episodes: one sample at `at` (ms) that shows it in need or not. */
function trackNeed(trace: Trace, needs: boolean, at: number): void {
  trace.needBits = ((trace.needBits << 1) | (needs ? 1 : 0)) & NEED_RECENT_MASK
  let shown = 0
  for (let bits = trace.needBits; bits > 0; bits >>= 1) shown += bits & 1
  const inNeed = shown >= NEED_SAMPLES
  if (inNeed) {
    if (Number.isNaN(trace.needStart)) trace.needStart = at
    return
  }
  if (!Number.isNaN(trace.needStart) && trace.needClear) {
    const length = (at - trace.needStart) / 1000
    const slot = trace.episodes % EPISODES_KEPT
    if (slot === 0) trace.episode0 = length
    else if (slot === 1) trace.episode1 = length
    else trace.episode2 = length
    trace.episodes++
  }
  trace.needStart = Number.NaN
  trace.needClear = true
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
          needBits: 0, needStart: Number.NaN, needClear: false, episode0: Number.NaN, episode1: Number.NaN, episode2: Number.NaN, episodes: 0,
        }
        record(trace, rate)
        if (needAt) trackNeed(trace, rate >= needAt(host), entry.at)
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
      }
      if (trace.path !== path) {
        trace.pathChangedAt = entry.at
        trace.path = path
      }
      if (path === 'vf' && rate > trace.vfRateMbps) trace.vfRateMbps = rate
      record(trace, rate)
      if (needAt) trackNeed(trace, rate >= needAt(host), entry.at)
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
  const names: string[] = new Array(current.length)
  for (let i = 0; i < current.length; i++) {
    const trace = aligned[i]
    let sustained = Number.POSITIVE_INFINITY
    for (let j = 0, n = Math.min(trace.seen, k); j < n; j++) sustained = Math.min(sustained, rates[trace.slot * k + j])
    const item: VmMemory = {recentMoves: trace.moves, sustainedMbps: sustained, samplesOnHost: trace.seen, secondsOnHost: (latestAt - trace.hostSince) / 1000}
    if (!Number.isNaN(trace.lastMove)) item.lastMoveAt = new Date(trace.lastMove).toISOString()
    if (!Number.isNaN(trace.pathChangedAt)) item.lastPathChangeAt = new Date(trace.pathChangedAt).toISOString()
    if (trace.vfRateMbps >= 0) item.vfRateMbps = trace.vfRateMbps
    if (needAt) {
      if (!Number.isNaN(trace.needStart)) item.needForSeconds = (latestAt - trace.needStart) / 1000
      const typical = trace.episodes > 0 ? medianSeconds([trace.episode0, trace.episode1, trace.episode2].slice(0, Math.min(trace.episodes, EPISODES_KEPT))) : undefined
      if (typical !== undefined) item.needEpisodeSeconds = typical
    }
    vms[i] = item
    names[i] = current[i][0]
  }
  const lastShedAt = new Map([...lastShed].map(([host, at]) => [host, new Date(at).toISOString()]))
  return {vms, names, lastShedAt}
}

/** Seconds between an ISO time of the memory and the document's time (Infinity when never). */
export function secondsSince(iso: string | undefined, nowIso: string): number {
  return iso === undefined ? Number.POSITIVE_INFINITY : (Date.parse(nowIso) - Date.parse(iso)) / 1000
}
