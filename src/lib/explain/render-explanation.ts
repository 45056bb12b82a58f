// Explanations as people and spreadsheets read them: a table (one row per VM), CSV, and a prose
// block per VM (`--vm`, `--format text`). Pure: records in, text out.
import {csvOf, type CsvOptions} from '../render/csv.js'
import {fitLine, renderGrid, type TableOptions} from '../render/grid.js'
import type {Field} from '../render/rows.js'
import {formatMbps as mbps} from '../policy/format-figure.js'
import {describeAction, distinctThresholds, type VmExplanation} from './explain-vm.js'
import {describeHostStatus} from './host-status.js'
import {formatThreshold} from './thresholds.js'

/** Whose explanations these are: the document's cluster, time and policy. */
export interface ExplainedDocument {
  cluster: string
  at: string
  policy: string
  tick?: number
}

function heading(doc: ExplainedDocument): string {
  const tick = doc.tick === undefined ? '' : ` · tick ${doc.tick}`
  return `${doc.cluster} · ${doc.at}${tick} · policy ${doc.policy}`
}

const pathOf = (explanation: VmExplanation) => (explanation.vf ? `vf ${explanation.vf}` : explanation.path)

/** The columns of an explanation, in tables and CSV alike (docs/output.md). */
const EXPLAIN_FIELDS: Field<VmExplanation>[] = [
  {name: 'at', priority: 9, wideOnly: true, table: (e) => e.at, csv: (e) => e.at},
  {name: 'cluster', priority: 9, wideOnly: true, table: (e) => e.cluster, csv: (e) => e.cluster},
  {name: 'policy', priority: 9, wideOnly: true, table: (e) => e.policy, csv: (e) => e.policy},
  {name: 'vm', priority: 1, flexible: true, minWidth: 6, table: (e) => e.vm, csv: (e) => e.vm},
  {name: 'host', priority: 2, flexible: true, minWidth: 6, table: (e) => e.host, csv: (e) => e.host},
  {name: 'from_host', priority: 5, flexible: true, minWidth: 6, table: (e) => e.fromHost ?? '', csv: (e) => e.fromHost ?? ''},
  {name: 'path', priority: 1, table: (e) => e.path, csv: (e) => e.path},
  {name: 'vf', priority: 7, table: (e) => e.vf ?? '', csv: (e) => e.vf ?? ''},
  {name: 'tier', priority: 9, wideOnly: true, table: (e) => e.figures.tier ?? '', csv: (e) => e.figures.tier ?? ''},
  {name: 'rate_mbps', priority: 9, wideOnly: true, table: (e) => figure(e.figures.rateMbps), csv: (e) => e.figures.rateMbps ?? ''},
  {name: 'demand_mbps', priority: 9, wideOnly: true, table: (e) => figure(e.figures.demandMbps), csv: (e) => e.figures.demandMbps ?? ''},
  {name: 'vf_value_mbps', priority: 9, wideOnly: true, table: (e) => figure(e.figures.vfValueMbps), csv: (e) => e.figures.vfValueMbps ?? ''},
  {name: 'vf_value_rank', priority: 9, wideOnly: true, table: (e) => e.figures.vfValueRank ?? '', csv: (e) => e.figures.vfValueRank ?? ''},
  {name: 'decided_by', priority: 4, flexible: true, minWidth: 12, table: (e) => e.decidedBy, csv: (e) => e.decidedBy},
  {name: 'placement', priority: 9, wideOnly: true, table: (e) => e.placement, csv: (e) => e.placement},
  {name: 'path_reason', priority: 9, wideOnly: true, table: (e) => e.pathReason, csv: (e) => e.pathReason},
  {name: 'outcome', priority: 3, flexible: true, minWidth: 12, table: (e) => e.outcome, csv: (e) => e.outcome},
  {name: 'thresholds', priority: 9, wideOnly: true, table: thresholdsOf, csv: thresholdsOf},
  {name: 'rejected', priority: 9, wideOnly: true, table: (e) => e.rejected.join('; '), csv: (e) => e.rejected.join('; ')},
  {name: 'rules', priority: 6, table: (e) => e.rules.join('; '), csv: (e) => e.rules.join('; ')},
]

function figure(value: number | undefined): string {
  return value === undefined ? '' : String(Math.round(value))
}

function thresholdsOf(explanation: VmExplanation): string {
  return explanation.thresholds.map(formatThreshold).join('; ')
}

/** The names of the explanation columns, for --columns and --sort. */
export const EXPLAIN_COLUMNS: readonly string[] = EXPLAIN_FIELDS.map((field) => field.name)

/** One document's explanations as a table (one row per VM), the thresholds under it; never wider than the width. */
export function renderExplanationTable(doc: ExplainedDocument, explanations: readonly VmExplanation[], options: TableOptions = {}): string {
  const rows = explanations.map((explanation) => Object.fromEntries(EXPLAIN_FIELDS.map((field) => [field.name, field.table(explanation)])))
  const thresholds = distinctThresholds(explanations.flatMap((explanation) => explanation.thresholds)).map(formatThreshold)
  const width = options.wide ? undefined : options.width
  const footer = thresholds.length > 0 ? `${fitLine(`Thresholds: ${thresholds.join('; ')}`, width)}\n` : ''
  return `${fitLine(heading(doc), width)}\n${renderGrid(EXPLAIN_FIELDS, rows, options)}${footer}`
}

/** Explanations as CSV rows; the header only with the first document of a stream. */
export function renderExplanationCsv(explanations: readonly VmExplanation[], withHeader: boolean, options: CsvOptions = {}): string {
  const records = explanations.map((explanation) => Object.fromEntries(EXPLAIN_FIELDS.map((field) => [field.name, field.csv(explanation)])))
  return csvOf(EXPLAIN_COLUMNS, records, options, withHeader)
}

/** The figures sentence: rate, demand and VF value with its rank (sova), tier (seed), I/O ratio and net score. */
function figuresLine(explanation: VmExplanation): string {
  const {figures} = explanation
  const parts: string[] = []
  if (figures.tier) parts.push(`tier ${figures.tier}`)
  if (figures.rateMbps !== undefined) parts.push(`rate ${mbps(figures.rateMbps)}`)
  if (figures.demandMbps !== undefined) parts.push(`demand ${mbps(figures.demandMbps)}`)
  if (figures.vfValueMbps !== undefined) {
    const rank = figures.vfValueRank
      ? ` (ranks ${figures.vfValueRank} on ${explanation.fromHost ?? explanation.host}, which has ${figures.hostVfs} VFs)`
      : ''
    parts.push(`VF worth ${mbps(figures.vfValueMbps)}${rank}`)
  }
  if (figures.ioRatio !== undefined) parts.push(`I/O ratio ${figures.ioRatio.toFixed(2)}`)
  if (figures.netScore !== undefined) parts.push(`net score ${figures.netScore}`)
  return parts.length > 0 ? parts.join(', ') : 'none: the document has no scores'
}

const LABEL_WIDTH = 12

/** `text` in lines of at most `width` columns, broken at spaces (a longer word keeps its own line). */
export function wrapWords(text: string, width: number | undefined): string[] {
  if (width === undefined || [...text].length <= width) return [text]
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && [...line].length + 1 + [...word].length > width) {
      lines.push(line)
      line = word
    } else {
      line = line === '' ? word : `${line} ${word}`
    }
  }
  return [...lines, line]
}

// "  Label:      first\n              second": a labelled section, one item a line (wrapped to the width under the item).
function section(label: string, items: readonly string[], width: number | undefined): string[] {
  const pad = ' '.repeat(LABEL_WIDTH + 2)
  const room = width === undefined ? undefined : Math.max(20, width - pad.length)
  return items.flatMap((item, index) => wrapWords(item, room).map((part, line) =>
    index === 0 && line === 0 ? `  ${`${label}:`.padEnd(LABEL_WIDTH)}${part}` : `${pad}${part}`))
}

/** One VM explained in full, as a block of labelled lines, wrapped to `width` (no limit when undefined). */
export function renderExplanationText(explanation: VmExplanation, width?: number): string {
  const title = `${explanation.vm} on ${explanation.host}, path ${pathOf(explanation)} ` +
    `(${explanation.cluster} at ${explanation.at}, policy ${explanation.policy})`
  // A migration's reason is the placement's already: said once.
  const actions = explanation.actions.map((action) => {
    const reason = explanation.placement.includes(action.reason) ? '' : `: ${action.reason}`
    return `${describeAction(action)}${reason}${action.note ? ` (note: ${action.note})` : ''}`
  })
  const lines = [
    ...wrapWords(title, width),
    ...section('Figures', [figuresLine(explanation)], width),
    ...section('Decided by', [explanation.decidedBy], width),
    ...section('Rules', explanation.rules.length > 0 ? explanation.rules : ['none: Sova decides'], width),
    ...section('Host', [explanation.placement], width),
    ...section('Path', [explanation.pathReason], width),
    ...section('Hotspot', explanation.hosts.length > 0 ? explanation.hosts.map(describeHostStatus) : ['no hotspot figures in the document'], width),
    ...section('Thresholds', explanation.thresholds.length > 0 ? explanation.thresholds.map(formatThreshold) : ['none apply'], width),
    ...section('Rejected', explanation.rejected.length > 0 ? explanation.rejected : ['no alternative that names it was rejected'], width),
    ...section('Actions', actions.length > 0 ? actions : ['none'], width),
  ]
  return lines.join('\n') + '\n'
}
