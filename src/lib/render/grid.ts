// The one table renderer: every `--format table` row goes through it. Columns are declared with a
// priority; rows never wrap: when the columns do not fit the width, the least important are left
// out and the flexible ones (names, reasons) are cut with an ellipsis. Pure: text in, text out.
import {Chalk} from 'chalk'
import {UsageError} from '../errors.js'

export type Colour = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold'

/** A cell: its text, and a colour applied after it is fitted (colour never counts as width). */
export type Cell = string | {text: string; colour?: Colour}

export interface Column {
  /** The column's name: --columns, --sort and the CSV header say it; the table header is it in capitals. */
  name: string
  /** 1 is kept longest; the highest number is left out first when the width is short. */
  priority: number
  /** Names and reasons: may be cut with '…' down to `minWidth` rather than leave the table. */
  flexible?: boolean
  minWidth?: number
  align?: 'right'
  /** The colour of a plain-text cell (records), from its text. */
  colourOf?: (text: string) => Colour | undefined
  /** Shown only with --wide or when named in --columns (CSV always has it). */
  wideOnly?: boolean
  /** Which way a figure is better: the table header says so with an arrow (↑ higher, ↓ lower). */
  better?: 'higher' | 'lower'
}

/** A column's table header: its name in capitals, with the arrow of its better direction if any. */
export function headingOf(column: Column): string {
  const arrow = column.better === 'higher' ? ' ↑' : column.better === 'lower' ? ' ↓' : ''
  return column.name.toUpperCase() + arrow
}

export type Row = Record<string, Cell | undefined>

export interface TableOptions {
  /** Columns a line may take; undefined: no limit (piped with no COLUMNS). */
  width?: number
  /** --columns: these columns, in this order (names as given; checked before by `checkColumnNames`). */
  columns?: string[]
  noHeaders?: boolean
  sort?: string
  /** --wide: every column, nothing cut. */
  wide?: boolean
  colour?: boolean
}

const GAP = '  '
const ELLIPSIS = '…'
const DEFAULT_MIN_WIDTH = 8

const textOf = (cell: Cell | undefined): string => (cell === undefined ? '' : typeof cell === 'string' ? cell : cell.text)
// Tabs and line breaks would break a row in two: shown as spaces; other control characters never
// reach the terminal, they are shown escaped (\u001b).
const flat = (text: string): string =>
  text.replace(/[\t\n\r\v\f]/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
const widthOf = (text: string): number => [...text].length

/** `text` cut to `width` columns, ending with '…' when cut. */
export function truncate(text: string, width: number): string {
  const chars = [...text]
  if (chars.length <= width) return text
  if (width <= 0) return ''
  return chars.slice(0, width - 1).join('') + ELLIPSIS
}

/** Numbers compare as numbers, other text with embedded numbers in order (vm2 before vm10); empty last. */
export function compareCells(a: string, b: string): number {
  if (a === b) return 0
  if (a === '') return 1
  if (b === '') return -1
  const x = Number(a)
  const y = Number(b)
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y
  return COLLATOR.compare(a, b)
}
const COLLATOR = new Intl.Collator('en', {numeric: true, sensitivity: 'base'})

/** Throws a usage error (exit 2) naming the valid columns when a name is none of them. */
export function checkColumnNames(names: readonly string[], valid: readonly string[], flag: string): void {
  const known = new Set(valid.map((name) => name.toLowerCase()))
  const unknown = names.filter((name) => !known.has(name.toLowerCase()))
  if (unknown.length > 0) {
    throw new UsageError(`${flag}: no column ${unknown.map((name) => `"${name}"`).join(', ')}; the columns are ${[...new Set(valid)].join(', ')}`)
  }
}

/** The columns shown, in order, before fitting: --columns, else all (but the wide-only unless --wide). */
function chosenColumns(columns: readonly Column[], options: TableOptions): Column[] {
  if (options.columns && options.columns.length > 0) {
    const byName = new Map(columns.map((column) => [column.name.toLowerCase(), column]))
    return options.columns.map((name) => byName.get(name.toLowerCase())).filter((column): column is Column => column !== undefined)
  }
  return columns.filter((column) => options.wide || !column.wideOnly)
}

/** Widths that fit `width`: the least important columns out, the flexible ones cut. Explicit --columns are never left out. */
function fit(columns: Column[], natural: Map<Column, number>, width: number, keepAll: boolean): Map<Column, number> {
  const shown = [...columns]
  const least = (column: Column) => (column.flexible ? Math.min(natural.get(column)!, column.minWidth ?? DEFAULT_MIN_WIDTH) : natural.get(column)!)
  const total = (widths: (column: Column) => number) => shown.reduce((sum, column) => sum + widths(column), 0) + GAP.length * (shown.length - 1)
  while (!keepAll && shown.length > 1 && total(least) > width) {
    // The least important goes; of equals, the rightmost.
    let out = shown.length - 1
    for (let i = shown.length - 1; i >= 0; i--) if (shown[i].priority > shown[out].priority) out = i
    shown.splice(out, 1)
  }
  const widths = new Map(shown.map((column) => [column, least(column)]))
  let spare = width - total((column) => widths.get(column)!)
  // The spare width goes to the flexible columns, most important first.
  for (const column of [...shown].filter((c) => c.flexible).sort((a, b) => a.priority - b.priority)) {
    if (spare <= 0) break
    const more = Math.min(spare, natural.get(column)! - widths.get(column)!)
    widths.set(column, widths.get(column)! + more)
    spare -= more
  }
  // Still too wide (explicit columns, or one column): cut the widest until it fits.
  while (spare < 0) {
    const widest = [...widths.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))
    if (widest[1] <= 1) break
    const cut = Math.min(-spare, widest[1] - 1)
    widths.set(widest[0], widest[1] - cut)
    spare += cut
  }
  return widths
}

/** Rows as a table: a header of column names in capitals, columns two spaces apart, no borders. */
export function renderGrid(columns: readonly Column[], rows: readonly Row[], options: TableOptions = {}): string {
  const chalk = new Chalk({level: options.colour ? 1 : 0})
  let chosen = chosenColumns(columns, options)
  let ordered = [...rows]
  if (options.sort) {
    const key = options.sort.toLowerCase()
    const column = columns.find((c) => c.name.toLowerCase() === key)
    // Array.prototype.sort is stable: rows that compare equal keep their order.
    if (column) ordered = ordered.sort((a, b) => compareCells(textOf(a[column.name]), textOf(b[column.name])))
  }
  const explicit = Boolean(options.columns?.length)
  const texts = ordered.map((row) => new Map(chosen.map((column) => [column, flat(textOf(row[column.name]))])))
  // A column empty in every row (e.g. the tier under sova) is left out unless asked for.
  if (!explicit && rows.length > 0) chosen = chosen.filter((column) => texts.some((row) => row.get(column) !== ''))
  const natural = new Map(chosen.map((column) => [column, Math.max(options.noHeaders ? 0 : widthOf(headingOf(column)), ...texts.map((row) => widthOf(row.get(column)!)))]))
  const unlimited = options.wide || options.width === undefined
  const widths = unlimited ? natural : fit(chosen, natural, options.width!, explicit)
  const shown = chosen.filter((column) => widths.has(column))
  const line = (cells: {text: string; colour?: Colour}[]) =>
    cells
      .map((cell, i) => {
        const width = widths.get(shown[i])!
        const text = truncate(cell.text, width)
        const pad = ' '.repeat(Math.max(0, width - widthOf(text)))
        const painted = cell.colour ? chalk[cell.colour](text) : text
        return shown[i].align === 'right' ? pad + painted : i === cells.length - 1 ? painted : painted + pad
      })
      .join(GAP)
      .trimEnd()
  const out: string[] = []
  if (!options.noHeaders) out.push(line(shown.map((column) => ({text: headingOf(column)}))))
  for (const [index, row] of ordered.entries()) {
    out.push(line(shown.map((column) => {
      const cell = row[column.name]
      const text = texts[index].get(column)!
      return {text, colour: typeof cell === 'object' ? cell.colour : column.colourOf?.(text)}
    })))
  }
  return out.map((text) => text + '\n').join('')
}

/** A line of prose cut to the width (tables' headings and notes never wrap either). */
export function fitLine(text: string, width: number | undefined): string {
  return width === undefined ? text : truncate(flat(text), width)
}
