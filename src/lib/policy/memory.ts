// What the loop remembers of each VM, derived from the recent samples: when it last changed host
// or path, how often it moved, and the rate it reached on a VF. Pure: samples in, facts out.
// A change is dated by the first sample that shows it, so a cooldown counted from that date is
// never shorter than the one intended (the change happened during the window before).
import type {VmMemory} from '../document/schema.js'
import type {HistoryEntry} from '../history.js'

/**
 * Per VM of the latest entry: its memory over `entries` (oldest first, the current sample last).
 * `sustainedSamples`: how many of the latest samples on its current host its sustained rate (the
 * lowest of them) looks at, so a burst does not pass for lasting load.
 */
export function memoryOf(entries: readonly HistoryEntry[], sustainedSamples = 5): Map<string, VmMemory> {
  const known = entries.filter((entry) => entry.knowledge)
  const facts = new Map<string, {moves: number[]; pathChangedAt?: number; vfRateMbps?: number}>()
  let previous: HistoryEntry | undefined
  for (const entry of known) {
    for (const [vm, [host, path, rate]] of Object.entries(entry.knowledge?.vms ?? {})) {
      const fact = facts.get(vm) ?? {moves: []}
      const before = previous?.knowledge?.vms[vm]
      if (before && before[0] !== host) fact.moves.push(entry.at)
      if (before && before[1] !== path) fact.pathChangedAt = entry.at
      if (path === 'vf') fact.vfRateMbps = Math.max(fact.vfRateMbps ?? 0, rate)
      facts.set(vm, fact)
    }
    previous = entry
  }
  const memory = new Map<string, VmMemory>()
  const current = known.at(-1)?.knowledge?.vms ?? {}
  for (const vm of Object.keys(current)) {
    const fact = facts.get(vm)
    const item: VmMemory = {recentMoves: fact?.moves.length ?? 0}
    const lastMove = fact?.moves.at(-1)
    if (lastMove !== undefined) item.lastMoveAt = new Date(lastMove).toISOString()
    if (fact?.pathChangedAt !== undefined) item.lastPathChangeAt = new Date(fact.pathChangedAt).toISOString()
    if (fact?.vfRateMbps !== undefined) item.vfRateMbps = fact.vfRateMbps
    const here = current[vm][0]
    const rates: number[] = []
    for (const entry of known.slice(-sustainedSamples)) {
      const seen = entry.knowledge?.vms[vm]
      if (seen && seen[0] === here) rates.push(seen[2])
    }
    item.sustainedMbps = Math.min(...rates)
    memory.set(vm, item)
  }
  return memory
}

/** Per host: the first sample that showed one of its VMs gone to another host (its last shed). */
export function shedTimes(entries: readonly HistoryEntry[]): Map<string, string> {
  const shed = new Map<string, string>()
  let previous: HistoryEntry | undefined
  for (const entry of entries) {
    if (!entry.knowledge) continue
    for (const [vm, [host]] of Object.entries(entry.knowledge.vms)) {
      const before = previous?.knowledge?.vms[vm]
      if (before && before[0] !== host) shed.set(before[0], new Date(entry.at).toISOString())
    }
    previous = entry
  }
  return shed
}

/** Seconds between an ISO time of the memory and the document's time (Infinity when never). */
export function secondsSince(iso: string | undefined, nowIso: string): number {
  return iso === undefined ? Number.POSITIVE_INFINITY : (Date.parse(nowIso) - Date.parse(iso)) / 1000
}
