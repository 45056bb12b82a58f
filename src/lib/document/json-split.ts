// Finds where each top-level JSON value of a stream ends, cheaply. A document that is one line
// (NDJSON, what every stage writes) is found with one search for the newline and JSON.parse, the
// parse the reader needs anyway; anything else (pretty-printed, several on a line, invalid) is
// scanned with native searches for quotes and brackets, tracking nesting outside strings.
import {InputError} from '../errors.js'

/** A document larger than this is refused rather than risking the process. */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024

/** Deeper nesting is refused: JSON.stringify overflows the stack from about 5,000 levels when writing it out. */
export const MAX_NESTING_DEPTH = 1000

const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const NEWLINE = 0x0a

/** Outside a string only quotes and brackets matter; inside one, its end and escapes. */
const STRUCTURE = /["{}[\]]/g
const IN_STRING = /["\\]/g

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
}

/** Newlines in text[from, to). */
function newlinesIn(text: string, from: number, to: number): number {
  let count = 0
  for (let at = text.indexOf('\n', from); at !== -1 && at < to; at = text.indexOf('\n', at + 1)) count++
  return count
}

/** Whether `value` nests deeper than `limit` levels of objects and arrays (stops looking past it). */
function deeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false
  if (limit === 0) return true
  if (Array.isArray(value)) {
    for (const item of value) if (deeperThan(item, limit - 1)) return true
    return false
  }
  // for...in allocates no value array; JSON.parse's objects inherit no enumerable keys.
  for (const key in value) if (deeperThan((value as Record<string, unknown>)[key], limit - 1)) return true
  return false
}

export interface RawText {
  text: string
  line: number
}

/** A value's text, where it starts, and the value when it was parsed already. */
export interface RawValue extends RawText {
  parsed?: {value: unknown}
}

/** The one-line value `text` (JSON whitespace after it dropped), parsed, or undefined when it is not exactly one value within the nesting limit. */
function wholeLine(text: string): {text: string; value: unknown} | undefined {
  let end = text.length
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--
  const trimmed = end === text.length ? text : text.slice(0, end)
  let value: unknown
  try {
    value = JSON.parse(trimmed)
  } catch {
    return undefined
  }
  return deeperThan(value, MAX_NESTING_DEPTH) ? undefined : {text: trimmed, value}
}

class Splitter {
  private parts: string[] = []
  private size = 0
  private depth = 0
  private inString = false
  private escaped = false
  private scalar = false
  /** Looking for the newline that ends a one-line document, not scanning it. */
  private oneLine = false
  private started = false
  private startLine = 1
  private line = 1

  constructor(private readonly name: string) {}

  *push(chunk: string): Generator<RawValue> {
    yield* this.scan(chunk, 0, 0)
  }

  *end(): Generator<RawValue> {
    if (!this.started) return
    const text = this.parts.join('')
    if (this.scalar) {
      yield {text, line: this.startLine}
      return
    }
    if (this.oneLine) {
      const whole = wholeLine(text)
      if (whole) {
        yield {text: whole.text, line: this.startLine, parsed: {value: whole.value}}
        return
      }
      // Not one value: scanning says what (several values, truncated, too deep).
      this.parts = []
      this.size = 0
      this.oneLine = false
      yield* this.scan(text, 1, 0)
      // What is left (a scalar, another value, a truncated one) ends the input as any would.
      yield* this.end()
      return
    }
    throw new InputError(`${this.name} line ${this.startLine}: input ends inside a document (truncated JSON?)`)
  }

  /** Scans chunk from `i`; the current value (if started) begins at `from` of it. */
  private *scan(chunk: string, i: number, from: number): Generator<RawValue> {
    while (i < chunk.length) {
      if (!this.started) {
        const code = chunk.charCodeAt(i)
        if (code === NEWLINE) this.line++
        if (isSpace(code)) {
          i++
          continue
        }
        this.started = true
        this.startLine = this.line
        from = i
        this.scalar = code !== OPEN_BRACE && code !== OPEN_BRACKET
        this.oneLine = !this.scalar
        this.depth = this.scalar ? 0 : 1
        this.inString = false
        this.escaped = false
        i++
        continue
      }
      let end: number
      if (this.oneLine) {
        end = chunk.indexOf('\n', i)
        if (end === -1) break
        const head = this.parts.join('')
        const whole = wholeLine(head + chunk.slice(from, end))
        if (whole) {
          this.reset()
          this.line++
          yield {text: whole.text, line: this.startLine, parsed: {value: whole.value}}
          i = end + 1
          continue
        }
        // Not exactly one value on this line: scan it from its start the careful way.
        this.oneLine = false
        if (head !== '') {
          this.parts = []
          this.size = 0
          yield* this.scan(head, 1, 0)
          i = 0
          from = 0
        } else {
          i = from + 1
        }
        continue
      }
      if (this.scalar) {
        end = chunk.indexOf('\n', i)
        if (end === -1) break
      } else if (this.inString) {
        if (this.escaped) {
          this.escaped = false
          i++
          continue
        }
        IN_STRING.lastIndex = i
        const stop = IN_STRING.exec(chunk)
        if (!stop) break
        if (stop[0] === '"') this.inString = false
        else this.escaped = true
        i = stop.index + 1
        continue
      } else {
        STRUCTURE.lastIndex = i
        const stop = STRUCTURE.exec(chunk)
        if (!stop) break
        i = stop.index + 1
        const mark = stop[0]
        if (mark === '"') {
          this.inString = true
          continue
        }
        if (mark === '{' || mark === '[') {
          if (++this.depth > MAX_NESTING_DEPTH) {
            throw new InputError(`${this.name} line ${this.startLine}: document nested more than ${MAX_NESTING_DEPTH} levels deep; refused`)
          }
          continue
        }
        if (--this.depth > 0) continue
        end = stop.index
      }
      // A value ends here (closing bracket at depth 0, or the newline after a scalar).
      this.line += newlinesIn(chunk, from, end + 1)
      this.parts.push(chunk.slice(from, end + 1))
      const text = this.parts.join('')
      this.reset()
      yield {text, line: this.startLine}
      i = end + 1
    }
    if (this.started) {
      // A one-line document has no newline before here, by construction.
      if (!this.oneLine) this.line += newlinesIn(chunk, from, chunk.length)
      this.parts.push(from === 0 ? chunk : chunk.slice(from))
      this.size += chunk.length - from
      if (this.size > MAX_DOCUMENT_BYTES) {
        throw new InputError(`${this.name} line ${this.startLine}: document larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB; refused`)
      }
    }
  }

  private reset(): void {
    this.parts = []
    this.size = 0
    this.started = false
    this.scalar = false
    this.oneLine = false
  }
}

/** Splits decoded text into top-level JSON values; a one-line value comes parsed. */
export async function* splitValues(chunks: AsyncIterable<string>, name: string): AsyncGenerator<RawValue> {
  const splitter = new Splitter(name)
  for await (const chunk of chunks) yield* splitter.push(chunk)
  yield* splitter.end()
}

/**
 * Splits decoded text into top-level JSON values by tracking nesting outside strings.
 * A value that is not an object or array (a stray scalar) runs to the end of its line.
 */
export async function* splitJsonValues(chunks: AsyncIterable<string>, name: string): AsyncGenerator<RawText> {
  for await (const raw of splitValues(chunks, name)) yield {text: raw.text, line: raw.line}
}
