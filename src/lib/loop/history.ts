// What the loop remembers between samples: each host's utilisation (for prediction) and each VM's
// placement, path and rate (for cooldowns, hysteresis and demand estimates). From the stream itself
// first, else from the state store.
import type {NetPath, SovaDocument} from '../document/schema.js'
import {knowledgeOf, utilisationOf} from './collect.js'
import type {Store, StoredSample} from '../store/store.js'
import {ownValue} from '../named.js'

/** The compact part of a sample the policy remembers. */
export interface SampleKnowledge {
  /** Busier direction of each host's port / line rate (0..1 per direction). */
  peak: Record<string, number>
  /** One [VM, host, path, busier-direction rate in Mbit/s] per VM: tuples stay fast at 400,000 VMs. */
  vms: [string, string, NetPath, number][]
  /**
   * Per host, its PV traffic (rx + tx of its PV VMs, Mbit/s) and the PV backend's busy cores (null
   * when not reported): what the backend-capacity estimate looks back on. Absent in older samples.
   */
  pv?: Record<string, [number, number | null]>
}

/** One remembered sample; `knowledge` is absent for samples written by older versions. */
export interface HistoryEntry {
  at: number
  utilisation: Record<string, number>
  knowledge?: SampleKnowledge
}

/** Which utilisation a series follows: the seed's (rx + tx) / speed, or the busier direction / speed. */
export type UtilisationMeasure = 'sum' | 'peak'

type SampleSource = Pick<Store, 'samplesBefore' | 'samplesSince'> & Partial<Pick<Store, 'failuresSince'>>

const iso = (ms: number) => new Date(ms).toISOString()

function entryOf(sample: StoredSample): HistoryEntry {
  const entry: HistoryEntry = {at: Date.parse(sample.at), utilisation: sample.utilisation}
  if (sample.knowledge) entry.knowledge = sample.knowledge
  return entry
}

/** From index `from`, or one earlier: the sample before a span shows what changed at its start. */
function withOneBefore(entries: readonly HistoryEntry[], since: number): number {
  const first = entries.findIndex((entry) => entry.at >= since)
  return first === -1 ? entries.length : Math.max(0, first - 1)
}

export class SampleHistory {
  private readonly seen = new Map<string, HistoryEntry[]>()

  /** `store` may be absent (no state store): history then comes from the stream only. */
  constructor(private readonly store: SampleSource | undefined) {}

  /**
   * The samples of `doc`'s cluster that the policy looks back on, oldest first, ending with
   * `doc`'s own: at least the last `count`, and every one of the last `spanSeconds` with the one
   * before them. Records `doc` so that later documents of the stream see it.
   */
  window(doc: SovaDocument, count: number, spanSeconds = 0): HistoryEntry[] {
    const cluster = doc.source.cluster
    const at = Date.parse(doc.at)
    const since = at - spanSeconds * 1000
    const stream = (this.seen.get(cluster) ?? []).filter((entry) => entry.at < at)
    const start = Math.min(count > 1 ? Math.max(0, stream.length - (count - 1)) : stream.length, spanSeconds > 0 ? withOneBefore(stream, since) : stream.length)
    let entries = stream.slice(start)
    const missing = count - 1 - entries.length
    // The store fills in what the stream has not seen yet (earlier processes of a pipeline or cron).
    const spanOpen = spanSeconds > 0 && (entries[0]?.at ?? at) >= since
    if ((missing > 0 || spanOpen) && this.store) {
      const before = entries[0] ? iso(entries[0].at) : doc.at
      const inSpan = spanOpen ? this.store.samplesSince(cluster, iso(since), before).map(entryOf) : []
      const older = Math.max(missing - inSpan.length, spanOpen ? 1 : 0)
      const earlier = older > 0 ? this.store.samplesBefore(cluster, inSpan[0] ? iso(inSpan[0].at) : before, older).map(entryOf) : []
      entries = [...earlier, ...inSpan, ...entries]
    }
    const current: HistoryEntry = {at, utilisation: utilisationOf(doc), knowledge: knowledgeOf(doc)}
    this.remember(cluster, current, count, spanSeconds)
    entries.push(current)
    return entries
  }

  /**
   * Per VM, the actions on `doc`'s cluster that failed within the last `spanSeconds` before it
   * (from the journal; none known without a store).
   */
  failures(doc: SovaDocument, spanSeconds: number): Map<string, {count: number; lastMs: number}> {
    if (!this.store?.failuresSince || spanSeconds <= 0) return new Map()
    return this.store.failuresSince(doc.source.cluster, Date.parse(doc.at) - spanSeconds * 1000)
  }

  /** Keeps what the next document may need: the last `count`, and the last `spanSeconds` with the one before. */
  private remember(cluster: string, entry: HistoryEntry, count: number, spanSeconds: number): void {
    const list = this.seen.get(cluster) ?? []
    list.push(entry)
    const byCount = Math.max(0, list.length - count)
    const bySpan = spanSeconds > 0 ? withOneBefore(list, entry.at - spanSeconds * 1000) : list.length
    list.splice(0, Math.min(byCount, bySpan))
    this.seen.set(cluster, list)
  }
}

/** Each host of `doc`: its utilisation over the last `length` entries (of the measure asked), oldest first. */
export function seriesOf(
  entries: readonly HistoryEntry[],
  doc: SovaDocument,
  measure: UtilisationMeasure,
  length = entries.length,
): Map<string, number[]> {
  const recent = entries.slice(-length)
  const series = new Map<string, number[]>()
  for (const host of doc.hosts) {
    const values =
      measure === 'sum'
        ? recent.map((entry) => ownValue(entry.utilisation, host.name))
        : recent.map((entry) => ownValue(entry.knowledge?.peak, host.name))
    series.set(host.name, values.filter((u): u is number => u !== undefined))
  }
  return series
}
