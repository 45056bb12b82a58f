// The flags of every table (and CSV): --columns, --no-headers, --sort, --wide, and --rows for the
// commands that write documents; defined once, resolved once, checked before anything runs.
import * as Flags from '@oclif/core/flags'
import {checkColumnNames, type TableOptions} from '../render/grid.js'
import {columnsOf, ROW_KINDS, type RowKind} from '../render/rows.js'
import {type Format, outputWidth, resolveFormat, rowKinds, type View, wantsColour} from '../render/view.js'

export const tableFlags = {
  columns: Flags.string({
    description: 'Only these columns, in this order (tables and CSV); an unknown name exits 2 and lists the valid ones.',
    helpValue: 'a,b,c',
    helpGroup: 'OUTPUT',
  }),
  'no-headers': Flags.boolean({description: 'No header row (tables and CSV).', helpGroup: 'OUTPUT'}),
  sort: Flags.string({description: 'Sort rows by this column, ascending (numbers as numbers; ties keep their order).', helpValue: 'COLUMN', helpGroup: 'OUTPUT'}),
  wide: Flags.boolean({description: 'Tables: every column, nothing cut, whatever the width (default: fit the terminal or $COLUMNS; piped, no limit).', helpGroup: 'OUTPUT'}),
}

/** --rows: which kinds of row a document command writes (docs/output.md). */
export const rowsFlag = {
  rows: Flags.string({
    description: `Kinds of row to write: ${ROW_KINDS.join(', ')} (comma-separated for tables; one for CSV). Default: the command's (docs/output.md).`,
    helpValue: 'KIND',
    helpGroup: 'OUTPUT',
  }),
}

export interface OutputFlagValues {
  format?: Format | 'text'
  color?: boolean
  columns?: string
  'no-headers'?: boolean
  sort?: string
  wide?: boolean
  rows?: string
}

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
