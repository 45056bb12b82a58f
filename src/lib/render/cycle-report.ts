// `sova run --format table` over many cycles: the first cycle's cluster in full, then per cycle
// only what changed (actions, hosts turning hot or cooling, hosts missing), one line when nothing
// did, and a summary at the end. Pure: documents in, text out.
import {Chalk} from 'chalk'
import type {SovaDocument} from '../document/schema.js'
import {ownValue} from '../named.js'
import {fitLine, type TableOptions} from './grid.js'
import {kindTable} from './table.js'

const hotHosts = (doc: SovaDocument): string[] => Object.keys(doc.scores?.hosts ?? {}).filter((host) => ownValue(doc.scores?.hosts, host)?.hot)
const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`

export class CycleReport {
  private cycles = 0
  private moves = 0
  private vfSwitches = 0
  private failures = 0
  private readonly hotCycles = new Map<string, number>()
  private previousHot = new Set<string>()
  private previousMissing = new Set<string>()

  constructor(private readonly options: TableOptions) {}

  /** The changes of one cycle (after the first, which the caller shows in full), and counts them. */
  changes(doc: SovaDocument, cycle: number): string {
    const chalk = new Chalk({level: this.options.colour ? 1 : 0})
    const width = this.options.wide ? undefined : this.options.width
    const hot = new Set(hotHosts(doc))
    const missing = new Set((doc.missing ?? []).map((entry) => entry.host))
    const events: string[] = []
    for (const host of hot) if (!this.previousHot.has(host)) events.push(`${host} HOT ${utilOf(doc, host)}`.trimEnd())
    for (const host of this.previousHot) if (!hot.has(host) && !missing.has(host)) events.push(`${host} no longer hot`)
    for (const host of missing) if (!this.previousMissing.has(host)) events.push(`${host} missing`)
    for (const host of this.previousMissing) if (!missing.has(host)) events.push(`${host} answers again`)
    const actions = doc.actions ?? []
    const done = actions.filter((action) => action.status === 'done').length
    const failed = actions.filter((action) => action.status === 'failed').length
    const counted = actions.length === 0 ? 'no action' : `${plural(actions.length, 'action')} (${done} done${failed > 0 ? `, ${failed} failed` : ''})`
    const tick = doc.source.tick === undefined ? '' : ` · tick ${doc.source.tick}`
    const what = events.length === 0 && actions.length === 0 ? 'no change' : [counted, ...events].join('; ')
    const line = fitLine(`cycle ${cycle} · ${doc.at}${tick}: ${what}`, width)
    this.count(doc)
    const table = actions.length > 0 ? kindTable(doc, 'actions', this.options) : ''
    return (failed > 0 ? chalk.red(line) : line) + '\n' + table
  }

  /** Counts a cycle shown in full. */
  count(doc: SovaDocument): void {
    this.cycles++
    for (const action of doc.actions ?? []) {
      if (action.status === 'failed') this.failures++
      if (action.status !== 'done') continue
      if (action.kind === 'migrate') this.moves++
      else this.vfSwitches++
    }
    const hot = hotHosts(doc)
    for (const host of hot) this.hotCycles.set(host, (this.hotCycles.get(host) ?? 0) + 1)
    this.previousHot = new Set(hot)
    this.previousMissing = new Set((doc.missing ?? []).map((entry) => entry.host))
  }

  /** "summary: 20 cycles, 2 moves, 9 VF switches, 0 failures; hotspots seen: host2 (3 cycles)". */
  summary(): string {
    const width = this.options.wide ? undefined : this.options.width
    const hotspots = this.hotCycles.size === 0 ? 'none' : [...this.hotCycles].map(([host, cycles]) => `${host} (${plural(cycles, 'cycle')})`).join(', ')
    const line = `summary: ${plural(this.cycles, 'cycle')}, ${plural(this.moves, 'move')}, ${plural(this.vfSwitches, 'VF switch')}`.replace(/switchs/, 'switches') +
      `, ${plural(this.failures, 'failure')}; hotspots seen: ${hotspots}`
    return fitLine(line, width) + '\n'
  }
}

function utilOf(doc: SovaDocument, host: string): string {
  const score = ownValue(doc.scores?.hosts, host)
  if (!score) return ''
  return `${score.utilisation.toFixed(2)}${score.threshold === undefined ? '' : `/${score.threshold.toFixed(2)}`}`
}
