// Explanations as people and spreadsheets read them: a table (one row per VM), CSV, and a prose
// block per VM (`--vm`, `--format text`). Pure: records in, text out.
import {stringify} from 'csv-stringify/sync'
import Table from 'cli-table3'
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

/** One document's explanations as a table: VM, host, path, what decided it, the action or why none. */
export function renderExplanationTable(doc: ExplainedDocument, explanations: readonly VmExplanation[]): string {
  // No rule between rows, as in the stages' tables: the VMs read as one list.
  const table = new Table({
    head: ['VM', 'Host', 'Path', 'Decided by', 'Action, or why none'],
    style: {head: [], border: []},
    chars: {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''},
  })
  table.push(...explanations.map((explanation) => [
    explanation.vm,
    explanation.fromHost ? `${explanation.host} (from ${explanation.fromHost})` : explanation.host,
    pathOf(explanation),
    explanation.decidedBy,
    explanation.outcome,
  ]))
  const thresholds = distinctThresholds(explanations.flatMap((explanation) => explanation.thresholds)).map(formatThreshold)
  const footer = thresholds.length > 0 ? `Thresholds: ${thresholds.join('; ')}\n` : ''
  return `${heading(doc)}\n${table.toString()}\n${footer}`
}

const CSV_COLUMNS = [
  'at', 'cluster', 'policy', 'vm', 'host', 'from_host', 'path', 'vf', 'tier', 'rate_mbps', 'demand_mbps', 'vf_value_mbps',
  'vf_value_rank', 'decided_by', 'placement', 'path_reason', 'outcome', 'thresholds', 'rejected', 'rules',
]

/** Explanations as CSV rows; the header only with the first document of a stream. */
export function renderExplanationCsv(explanations: readonly VmExplanation[], withHeader: boolean): string {
  const rows = explanations.map((explanation) => {
    const {figures} = explanation
    return [
      explanation.at, explanation.cluster, explanation.policy, explanation.vm, explanation.host, explanation.fromHost ?? '',
      explanation.path, explanation.vf ?? '', figures.tier ?? '', figures.rateMbps ?? '', figures.demandMbps ?? '',
      figures.vfValueMbps ?? '', figures.vfValueRank ?? '', explanation.decidedBy, explanation.placement, explanation.pathReason,
      explanation.outcome, explanation.thresholds.map(formatThreshold).join('; '), explanation.rejected.join('; '), explanation.rules.join('; '),
    ]
  })
  return stringify(withHeader ? [CSV_COLUMNS, ...rows] : rows)
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

// "  Label:      first\n              second": a labelled section, one item a line.
function section(label: string, items: readonly string[]): string[] {
  const pad = ' '.repeat(LABEL_WIDTH + 2)
  return items.map((item, index) => (index === 0 ? `  ${`${label}:`.padEnd(LABEL_WIDTH)}${item}` : `${pad}${item}`))
}

/** One VM explained in full, as a block of labelled lines. */
export function renderExplanationText(explanation: VmExplanation): string {
  const title = `${explanation.vm} on ${explanation.host}, path ${pathOf(explanation)} ` +
    `(${explanation.cluster} at ${explanation.at}, policy ${explanation.policy})`
  // A migration's reason is the placement's already: said once.
  const actions = explanation.actions.map((action) => {
    const reason = explanation.placement.includes(action.reason) ? '' : `: ${action.reason}`
    return `${describeAction(action)}${reason}${action.note ? ` (note: ${action.note})` : ''}`
  })
  const lines = [
    title,
    ...section('Figures', [figuresLine(explanation)]),
    ...section('Decided by', [explanation.decidedBy]),
    ...section('Rules', explanation.rules.length > 0 ? explanation.rules : ['none: Sova decides']),
    ...section('Host', [explanation.placement]),
    ...section('Path', [explanation.pathReason]),
    ...section('Hotspot', explanation.hosts.length > 0 ? explanation.hosts.map(describeHostStatus) : ['no hotspot figures in the document']),
    ...section('Thresholds', explanation.thresholds.length > 0 ? explanation.thresholds.map(formatThreshold) : ['none apply']),
    ...section('Rejected', explanation.rejected.length > 0 ? explanation.rejected : ['no alternative that names it was rejected']),
    ...section('Actions', actions.length > 0 ? actions : ['none']),
  ]
  return lines.join('\n') + '\n'
}
