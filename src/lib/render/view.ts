// What a command shows people: which kinds of row (render/rows.ts), in which format, how wide.
import {UsageError} from '../errors.js'

/** The kinds of row a document holds (render/rows.ts gives each its columns). */
export const ROW_KINDS = ['hosts', 'vms', 'migrations', 'vf-changes', 'actions'] as const
export type RowKind = (typeof ROW_KINDS)[number]

/**
 * The rows a command writes by default: `vms` (observing stages: hosts and VMs, with any plan),
 * `plan` (balance: the planned migrations), `actions` (acting stages). CSV takes one kind.
 */
export type View = 'vms' | 'plan' | 'actions'
export type Format = 'json' | 'table' | 'csv'

const TABLE_ROWS: Record<View, RowKind[]> = {
  vms: ['hosts', 'vms', 'migrations', 'vf-changes'],
  plan: ['hosts', 'vms', 'migrations'],
  actions: ['hosts', 'vms', 'actions'],
}
const CSV_ROWS: Record<View, RowKind> = {vms: 'vms', plan: 'migrations', actions: 'actions'}

/** --rows as kinds (checked), else the view's: the tables shown, or the one kind a CSV holds. */
export function rowKinds(view: View, format: 'table' | 'csv', flag: string | undefined): RowKind[] {
  if (flag === undefined) return format === 'csv' ? [CSV_ROWS[view]] : TABLE_ROWS[view]
  const kinds = flag.split(',').map((kind) => kind.trim()).filter((kind) => kind !== '')
  const unknown = kinds.filter((kind) => !(ROW_KINDS as readonly string[]).includes(kind))
  if (unknown.length > 0 || kinds.length === 0) throw new UsageError(`--rows: no kind of row "${unknown.join(', ') || flag}"; the kinds are ${ROW_KINDS.join(', ')}`)
  if (format === 'csv' && kinds.length > 1) throw new UsageError(`--rows: a CSV holds one kind of row (one header), got ${kinds.join(', ')}`)
  return kinds as RowKind[]
}

/** Table on a terminal, NDJSON when piped, unless asked. */
export function resolveFormat(flag: Format | undefined, stdoutIsTty: boolean): Format {
  return flag ?? (stdoutIsTty ? 'table' : 'json')
}

/**
 * Colour only for people: by default on a terminal unless NO_COLOR is set (no-color.org: it
 * changes the default); an explicit --color or --no-color is the user's choice and wins.
 */
export function wantsColour(flag: boolean | undefined, stdoutIsTty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag
  return stdoutIsTty && !env.NO_COLOR
}

/**
 * The width a table line may take: $COLUMNS when set (as ps reads it), else the terminal's; piped
 * with no $COLUMNS, no limit (nothing is cut for a file or another program), as ps and kubectl do.
 */
export function outputWidth(stdout: {isTTY?: boolean; columns?: number}, env: NodeJS.ProcessEnv): number | undefined {
  const fromEnv = Number(env.COLUMNS)
  if (env.COLUMNS !== undefined && Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv
  if (stdout.isTTY && stdout.columns && stdout.columns > 0) return stdout.columns
  return undefined
}
