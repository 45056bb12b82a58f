// A document for people: a heading, then one table per kind of row (hosts, VMs, planned moves, VF
// changes, actions) through the one renderer (grid.ts), then what was not done and why.
import {Chalk, type ChalkInstance} from 'chalk'
import type {SovaDocument, Unmanaged} from '../document/schema.js'
import {fixed} from './figures.js'
import {fitLine, renderGrid, type TableOptions} from './grid.js'
import {columnsOf, tableRows, type RowKind} from './rows.js'

export interface DocumentTableOptions extends TableOptions {
  /** The kinds of row shown, in order; a kind with no rows is left out. */
  rows: readonly RowKind[]
}

function heading(doc: SovaDocument): string {
  const tick = doc.source.tick === undefined ? '' : ` · tick ${doc.source.tick}`
  return `${doc.source.cluster} · ${doc.at}${tick} · window ${fixed(doc.source.windowSeconds, 1)} s`
}

/** What the UTIL column measures under the policy that scored the document. */
function utilLegend(doc: SovaDocument): string | undefined {
  const measure = Object.values(doc.scores?.hosts ?? {})[0]?.measure
  if (measure === undefined) return undefined
  const what = measure === 'peak' ? 'busier direction / line rate' : '(rx + tx) / line rate'
  return `UTIL: ${what} (the hotspot test's figure) / threshold`
}

/** VF alternatives are many on big hosts: a terminal shows the first few. */
const REJECTED_VF_SHOWN = 5

type Note = {text: string; style?: 'yellow' | 'dim'}

function planNotes(doc: SovaDocument, shown: ReadonlySet<RowKind>): Note[] {
  const notes: Note[] = []
  for (const entry of doc.missing ?? []) notes.push({text: `missing: ${entry.host}: ${entry.reason}`, style: 'yellow'})
  for (const entry of doc.unmanaged ?? []) notes.push({text: unmanagedLine(entry), style: 'yellow'})
  if (!shown.has('migrations')) for (const move of doc.plan?.migrations ?? []) notes.push({text: `planned: migrate ${move.vm} ${move.from} -> ${move.to}: ${move.reason}`})
  if (doc.plan?.noop?.migrations) notes.push({text: `migrations: ${doc.plan.noop.migrations}`, style: 'dim'})
  if (doc.plan?.noop?.vf) notes.push({text: `VF changes: ${doc.plan.noop.vf}`, style: 'dim'})
  for (const why of doc.plan?.rejected?.migrations ?? []) notes.push({text: `not migrated: ${why}`, style: 'dim'})
  const vf = doc.plan?.rejected?.vf ?? []
  for (const why of vf.slice(0, REJECTED_VF_SHOWN)) notes.push({text: `no VF change: ${why}`, style: 'dim'})
  if (vf.length > REJECTED_VF_SHOWN) notes.push({text: `… ${vf.length - REJECTED_VF_SHOWN} more in plan.rejected.vf (--format json)`, style: 'dim'})
  return notes
}

/** Lines of prose fitted to the width (never wrapped), coloured after fitting. */
export function noteLines(notes: readonly Note[], options: TableOptions, chalk: ChalkInstance): string {
  const width = options.wide ? undefined : options.width
  return notes.map((note) => {
    const text = fitLine(note.text, width)
    return (note.style ? chalk[note.style](text) : text) + '\n'
  }).join('')
}

/** The table of one kind of row, with only the --columns it has; empty when it has none of them or no rows. */
export function kindTable(doc: SovaDocument, kind: RowKind, options: TableOptions): string {
  const columns = columnsOf(kind)
  let wanted = options.columns
  if (wanted?.length) {
    const names = new Set(columns.map((column) => column.name))
    wanted = wanted.filter((name) => names.has(name.toLowerCase()))
    if (wanted.length === 0) return ''
  }
  const rows = tableRows(doc, kind)
  if (rows.length === 0) return ''
  const sort = options.sort !== undefined && columns.some((column) => column.name === options.sort?.toLowerCase()) ? options.sort : undefined
  return renderGrid(columns, rows, {...options, columns: wanted, sort})
}

/** One document as text for a terminal. */
export function renderTable(doc: SovaDocument, options: DocumentTableOptions): string {
  const chalk = new Chalk({level: options.colour ? 1 : 0})
  const width = options.wide ? undefined : options.width
  // The UTIL legend right under the hosts table, when it shows UTIL.
  const legend = utilLegend(doc)
  const tables = options.rows.map((kind) => {
    const table = kindTable(doc, kind, options)
    const withLegend = kind === 'hosts' && legend && !options.noHeaders && /^\S*.*\bUTIL\b/.test(table)
    return withLegend ? table + noteLines([{text: legend, style: 'dim'}], options, chalk) : table
  }).filter((table) => table !== '')
  // --no-headers: the rows only (no heading, no notes), for scripts.
  if (options.noHeaders) return tables.join('')
  return chalk.bold(fitLine(heading(doc), width)) + '\n' + tables.join('\n') + noteLines(planNotes(doc, new Set(options.rows)), options, chalk)
}

/** The VM as the actions done left it: its host after a move, its path and VF after a switch. */
function vmAfter(doc: SovaDocument, name: string): SovaDocument['hosts'] {
  const host = doc.hosts.find((one) => one.vms.some((vm) => vm.name === name))
  const vm = host?.vms.find((one) => one.name === name)
  if (!host || !vm) return []
  let where = host
  let now = {...vm}
  for (const action of doc.actions ?? []) {
    if (action.vm !== name || action.status !== 'done') continue
    if (action.kind === 'detach-vf') now = {...now, path: 'pv', vf: null}
    if (action.kind === 'attach-vf') now = {...now, path: 'vf', vf: action.vf ?? null}
    if (action.kind === 'migrate') where = doc.hosts.find((one) => one.name === action.to) ?? {...host, name: action.to ?? host.name}
  }
  return [{...where, vms: [now]}]
}

/** A one-off (switch-vf VM, migrate VM) for people: its actions, then the VM as they left it. */
export function renderOneOff(doc: SovaDocument, vm: string, options: TableOptions): string {
  const chalk = new Chalk({level: options.colour ? 1 : 0})
  const width = options.wide ? undefined : options.width
  const after: SovaDocument = {...doc, hosts: vmAfter(doc, vm), plan: undefined}
  const columns = options.columns?.length ? options.columns : ['vm', 'host', 'path', 'vf']
  const tables = [kindTable(doc, 'actions', options), kindTable(after, 'vms', {...options, columns})].filter((table) => table !== '')
  return chalk.bold(fitLine(heading(doc), width)) + '\n' + tables.join('\n') + noteLines(planNotes(after, new Set()), options, chalk)
}

/**
 * A domain Sova does not manage, for people: its name quoted as JSON (it may hold spaces or control
 * characters, which is often why it is refused), what it holds, and why.
 */
export function unmanagedLine(entry: Unmanaged): string {
  const vf = entry.vf ? `, holds VF ${entry.vf}` : ''
  const uuid = entry.uuid ? ` (UUID ${entry.uuid}${vf})` : vf ? ` (${vf.slice(2)})` : ''
  return `unmanaged: ${entry.host}: ${JSON.stringify(entry.name)}${uuid}: ${entry.why}; never acted on, its VF and traffic count for ${entry.host}`
}
