// Flat records (journal entries, checks, scenario lists, command summaries) in the three output
// formats; tables through the one renderer, CSV with the same column names.
import {checkColumnNames, type Column, renderGrid, type TableOptions} from './grid.js'
import {csvOf} from './csv.js'
import type {Format} from './view.js'

export type FlatRecord = Record<string, string | number | boolean>

/** Columns for records nobody described: left ones first, long text may be cut. */
function derivedColumns(names: readonly string[], records: readonly FlatRecord[]): Column[] {
  return names.map((name, index) => ({
    name,
    priority: index + 1,
    flexible: records.some((record) => typeof record[name] === 'string' && String(record[name]).length > 16),
    minWidth: 10,
  }))
}

/** Records as NDJSON, a table, or CSV with a header; `columns` (optional) says how the table shows them. */
export function renderRecords(records: FlatRecord[], format: Format, options: TableOptions = {}, columns?: Column[]): string {
  const names = columns?.map((column) => column.name) ?? [...new Set(records.flatMap((record) => Object.keys(record)))]
  const known = names.length > 0
  if (known && options.columns) checkColumnNames(options.columns, names, '--columns')
  if (known && options.sort !== undefined) checkColumnNames([options.sort], names, '--sort')
  if (format === 'json') return records.map((record) => JSON.stringify(record) + '\n').join('')
  if (format === 'csv') return csvOf(names, records, options, true)
  return renderGrid(columns ?? derivedColumns(names, records), records.map((record) => Object.fromEntries(names.map((name) => [name, String(record[name] ?? '')]))), options)
}
