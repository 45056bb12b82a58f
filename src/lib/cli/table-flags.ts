// The flags of every table (and CSV): --columns, --no-headers, --sort, --wide, and --rows for the
// commands that write documents; defined once. Resolved (lazily: not at start-up) in render/output-options.ts.
import * as Flags from '@oclif/core/flags'
import {type Format, ROW_KINDS} from '../render/view.js'

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
