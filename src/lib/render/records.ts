// Flat records (scenario lists, command summaries) in the three output formats.
import {stringify} from 'csv-stringify/sync'
import Table from 'cli-table3'
import type {Format} from './view.js'

export type FlatRecord = Record<string, string | number | boolean>

/** Records as NDJSON, a table, or CSV with a header. */
export function renderRecords(records: FlatRecord[], format: Format): string {
  if (format === 'json') return records.map((record) => JSON.stringify(record) + '\n').join('')
  const columns = [...new Set(records.flatMap((record) => Object.keys(record)))]
  const rows = records.map((record) => columns.map((column) => String(record[column] ?? '')))
  if (format === 'csv') return stringify([columns, ...rows])
  const table = new Table({head: columns, style: {head: [], border: []}})
  table.push(...rows)
  return table.toString() + '\n'
}
