// What the loop remembers of each VM and host, derived from the recent samples: when a VM last
// changed host or path, how often it moved, the rate it reached on a VF and the rate it sustains;
// when a host last shed a VM. Pure: samples in, facts out. One pass over the samples with maps,
// so 400,000 VMs × a few samples stay cheap. A change is dated by the first sample that shows it,
// so a cooldown counted from that date is never shorter than the one intended.
import type {NetPath, VmMemory} from '../document/schema.js'
import type {HistoryEntry} from '../history.js'

/** What the samples tell about VMs (by name) and hosts (when each last shed a VM). */
export interface Remembered {
  vms: Map<string, VmMemory>
  lastShedAt: Map<string, string>
}

// One shape for every trace (no optional fields): V8 keeps 400,000 of them in fast mode.
interface Trace {
  host: string
  path: NetPath
  moves: number[]
  /** NaN when the path never changed within the samples. */
  pathChangedAt: number
  /** -1 when never seen on a VF. */
  vfRateMbps: number
  /** Rates seen on the current host, newest last (at most `sustainedSamples`). */
  rates: number[]
}

/**
 * The memory of the VMs of the latest entry and the hosts' last sheds, over `entries` (oldest
 * first, the current sample last). `sustainedSamples`: how many of the latest samples on its
 * current host a VM's sustained rate (the lowest of them) looks at, so a burst does not pass for
 * lasting load.
 */
export function remember(entries: readonly HistoryEntry[], sustainedSamples = 5): Remembered {
  const traces = new Map<string, Trace>()
  const lastShed = new Map<string, number>()
  let latest: HistoryEntry['knowledge']
  for (const entry of entries) {
    const knowledge = entry.knowledge
    if (!knowledge) continue
    latest = knowledge
    for (const [vm, host, path, rate] of knowledge.vms) {
      const trace = traces.get(vm)
      if (!trace) {
        traces.set(vm, {host, path, moves: [], pathChangedAt: Number.NaN, vfRateMbps: path === 'vf' ? rate : -1, rates: [rate]})
        continue
      }
      if (trace.host !== host) {
        trace.moves.push(entry.at)
        lastShed.set(trace.host, entry.at)
        trace.host = host
        trace.rates = []
      }
      if (trace.path !== path) {
        trace.pathChangedAt = entry.at
        trace.path = path
      }
      if (path === 'vf') trace.vfRateMbps = Math.max(trace.vfRateMbps, rate)
      trace.rates.push(rate)
      if (trace.rates.length > sustainedSamples) trace.rates.shift()
    }
  }
  const vms = new Map<string, VmMemory>()
  for (const [vm] of latest?.vms ?? []) {
    const trace = traces.get(vm) as Trace
    const item: VmMemory = {recentMoves: trace.moves.length}
    const lastMove = trace.moves.at(-1)
    if (lastMove !== undefined) item.lastMoveAt = new Date(lastMove).toISOString()
    if (!Number.isNaN(trace.pathChangedAt)) item.lastPathChangeAt = new Date(trace.pathChangedAt).toISOString()
    if (trace.vfRateMbps >= 0) item.vfRateMbps = trace.vfRateMbps
    item.sustainedMbps = Math.min(...trace.rates)
    vms.set(vm, item)
  }
  const lastShedAt = new Map([...lastShed].map(([host, at]) => [host, new Date(at).toISOString()]))
  return {vms, lastShedAt}
}

/** Seconds between an ISO time of the memory and the document's time (Infinity when never). */
export function secondsSince(iso: string | undefined, nowIso: string): number {
  return iso === undefined ? Number.POSITIVE_INFINITY : (Date.parse(nowIso) - Date.parse(iso)) / 1000
}
