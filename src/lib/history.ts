// What the loop remembers between samples: each host's utilisation (for prediction) and each VM's
// placement, path and rate (for cooldowns, hysteresis and demand estimates). From the stream itself
// first, else from the state store.
import type {NetPath, SovaDocument} from './document/schema.js'
import {knowledgeOf, utilisationOf} from './collect.js'
import type {Store} from './store/store.js'

/** The compact part of a sample the policy remembers. */
export interface SampleKnowledge {
  /** Busier direction of each host's port / line rate (0..1 per direction). */
  peak: Record<string, number>
  /** One [VM, host, path, busier-direction rate in Mbit/s] per VM: tuples stay fast at 400,000 VMs. */
  vms: [string, string, NetPath, number][]
}

/** One remembered sample; `knowledge` is absent for samples written by older versions. */
export interface HistoryEntry {
  at: number
  utilisation: Record<string, number>
  knowledge?: SampleKnowledge
}

/** Which utilisation a series follows: the seed's (rx + tx) / speed, or the busier direction / speed. */
export type UtilisationMeasure = 'sum' | 'peak'

export class SampleHistory {
  private readonly seen = new Map<string, HistoryEntry[]>()

  /** `store` may be absent (no state store): history then comes from the stream only. */
  constructor(private readonly store: Pick<Store, 'samplesBefore'> | undefined) {}

  /**
   * The last `count` samples of `doc`'s cluster, oldest first, ending with `doc`'s own. Records
   * `doc` so that later documents of the stream see it.
   */
  window(doc: SovaDocument, count: number): HistoryEntry[] {
    const cluster = doc.source.cluster
    const at = Date.parse(doc.at)
    const stream = (this.seen.get(cluster) ?? []).filter((entry) => entry.at < at)
    // slice(-0) would be the whole stream: count 1 takes none of it.
    let entries = count > 1 ? stream.slice(-(count - 1)) : []
    const missing = count - 1 - entries.length
    if (missing > 0 && this.store) {
      const before = entries[0] ? new Date(entries[0].at).toISOString() : doc.at
      const stored = this.store.samplesBefore(cluster, before, missing).map((sample) => {
        const entry: HistoryEntry = {at: Date.parse(sample.at), utilisation: sample.utilisation}
        if (sample.knowledge) entry.knowledge = sample.knowledge
        return entry
      })
      entries = [...stored, ...entries]
    }
    const current: HistoryEntry = {at, utilisation: utilisationOf(doc), knowledge: knowledgeOf(doc)}
    this.remember(cluster, current, count)
    entries.push(current)
    return entries
  }

  /** Each host's seed-measure utilisation series ending with `doc`'s sample, at most `length` long. */
  seriesFor(doc: SovaDocument, length: number): Map<string, number[]> {
    return seriesOf(this.window(doc, length), doc, 'sum')
  }

  private remember(cluster: string, entry: HistoryEntry, count: number): void {
    const list = this.seen.get(cluster) ?? []
    list.push(entry)
    // Constant memory on long streams: only the window is kept.
    if (list.length > count) list.splice(0, list.length - count)
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
        ? recent.map((entry) => entry.utilisation[host.name])
        : recent.map((entry) => entry.knowledge?.peak[host.name])
    series.set(host.name, values.filter((u): u is number => u !== undefined))
  }
  return series
}
