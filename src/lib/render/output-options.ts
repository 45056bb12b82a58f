// The output flags resolved: the format, the kinds of row, the width and the table options; bad
// column or row names are usage errors (exit 2) raised before anything runs.
import type {OutputFlagValues} from '../cli/table-flags.js'
import {checkColumnNames, type TableOptions} from './grid.js'
import {columnsOf} from './rows.js'
import {type Format, outputWidth, resolveFormat, type RowKind, rowKinds, type View, wantsColour} from './view.js'

type Stdout = {isTTY?: boolean; columns?: number}

const names = (list: string | undefined) => (list === undefined ? undefined : list.split(',').map((name) => name.trim()).filter((name) => name !== ''))

/** Table options from the flags (no column check: see the callers). */
export function recordTableOptions(flags: OutputFlagValues, stdout: Stdout, env: NodeJS.ProcessEnv): TableOptions {
  return {
    width: outputWidth(stdout, env),
    columns: names(flags.columns),
    noHeaders: flags['no-headers'],
    sort: flags.sort,
    wide: flags.wide,
    colour: wantsColour(flags.color, Boolean(stdout.isTTY), env),
  }
}

/** --columns and --sort checked against `valid` column names. */
export function checkRecordFlags(flags: OutputFlagValues, valid: readonly string[]): void {
  const columns = names(flags.columns)
  if (columns) checkColumnNames(columns, valid, '--columns')
  if (flags.sort !== undefined) checkColumnNames([flags.sort], valid, '--sort')
}

export interface ResolvedOutput {
  format: Format
  kinds: RowKind[]
  table: TableOptions
}

/** The format, kinds of row and table options of a document command; bad names exit 2. */
export function resolveOutput(flags: OutputFlagValues, view: View, stdout: Stdout, env: NodeJS.ProcessEnv): ResolvedOutput {
  const format = resolveFormat(flags.format === 'text' ? 'table' : flags.format, Boolean(stdout.isTTY))
  const kinds = rowKinds(view, format === 'csv' ? 'csv' : 'table', flags.rows)
  const table = recordTableOptions(flags, stdout, env)
  const valid = kinds.flatMap((kind) => columnsOf(kind).map((column) => column.name))
  if (table.columns) checkColumnNames(table.columns, valid, '--columns')
  if (table.sort !== undefined) checkColumnNames([table.sort], valid, '--sort')
  return {format, kinds, table}
}
