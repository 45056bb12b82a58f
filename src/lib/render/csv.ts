// CSV for spreadsheets (RFC 4180, docs/output.md): one kind of row per output (--rows), a header
// of the same column names as the table's, raw figures, ISO times.
import {stringify} from 'csv-stringify/sync'
import type {SovaDocument} from '../document/schema.js'
import {compareCells} from './grid.js'
import {columnsOf, csvRows, type RowKind} from './rows.js'

export interface CsvOptions {
  columns?: string[]
  sort?: string
  noHeaders?: boolean
}

/** Records as CSV: the chosen columns (default all) in order, sorted if asked; the header unless left out. */
export function csvOf(names: readonly string[], records: readonly Record<string, unknown>[], options: CsvOptions, withHeader: boolean): string {
  const lower = new Map(names.map((name) => [name.toLowerCase(), name]))
  const chosen = options.columns?.length ? options.columns.map((name) => lower.get(name.toLowerCase())).filter((name): name is string => name !== undefined) : [...names]
  const cell = (value: unknown) => (value === undefined || value === null ? '' : String(value))
  let ordered = [...records]
  const key = options.sort === undefined ? undefined : lower.get(options.sort.toLowerCase())
  if (key !== undefined) ordered = ordered.sort((a, b) => compareCells(cell(a[key]), cell(b[key])))
  const rows = ordered.map((record) => chosen.map((name) => cell(record[name])))
  const header = withHeader && !options.noHeaders
  // RFC 4180: CRLF would be the letter of it; csv-stringify quotes fields with commas, quotes or line breaks.
  return rows.length === 0 && !header ? '' : stringify(header ? [chosen, ...rows] : rows)
}

/** One document's rows of `kind` as CSV; the header only with the first document of a stream. */
export function renderCsv(doc: SovaDocument, kind: RowKind, options: CsvOptions, withHeader: boolean): string {
  return csvOf(columnsOf(kind).map((column) => column.name), csvRows(doc, kind), options, withHeader)
}
