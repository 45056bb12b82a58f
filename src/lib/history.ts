// Utilisation history for prediction: from the stream itself first, else from the state store.
import type {SovaDocument} from './document/schema.js'
import {utilisationOf} from './collect.js'
import type {Store} from './store/store.js'

interface Entry {
  at: number
  utilisation: Record<string, number>
}

export class UtilisationHistory {
  private readonly seen = new Map<string, Entry[]>()

  /** `store` may be absent (no state store): history then comes from the stream only. */
  constructor(private readonly store: Pick<Store, 'samplesBefore'> | undefined) {}

  /**
   * Each host's utilisation series ending with `doc`'s sample, at most `length` long, oldest first.
   * Records `doc` so that later documents of the stream see it.
   */
  seriesFor(doc: SovaDocument, length: number): Map<string, number[]> {
    const cluster = doc.source.cluster
    const at = Date.parse(doc.at)
    const stream = (this.seen.get(cluster) ?? []).filter((entry) => entry.at < at)
    // slice(-0) would be the whole stream: length 1 takes none of it.
    let entries = length > 1 ? stream.slice(-(length - 1)) : []
    const missing = length - 1 - entries.length
    if (missing > 0 && this.store) {
      const before = entries[0] ? new Date(entries[0].at).toISOString() : doc.at
      const stored = this.store
        .samplesBefore(cluster, before, missing)
        .map((sample) => ({at: Date.parse(sample.at), utilisation: sample.utilisation}))
      entries = [...stored, ...entries]
    }
    const current: Entry = {at, utilisation: utilisationOf(doc)}
    this.remember(cluster, current, length)
    entries.push(current)
    const series = new Map<string, number[]>()
    for (const host of doc.hosts) {
      series.set(host.name, entries.map((entry) => entry.utilisation[host.name]).filter((u) => u !== undefined))
    }
    return series
  }

  private remember(cluster: string, entry: Entry, length: number): void {
    const list = this.seen.get(cluster) ?? []
    list.push(entry)
    // Constant memory on long streams: only the window is kept.
    if (list.length > length) list.splice(0, list.length - length)
    this.seen.set(cluster, list)
  }
}
