// Reads documents from a byte stream as they arrive: NDJSON (one document a line), one
// pretty-printed document, or several concatenated. Memory holds one document at a time.
import {InputError} from '../errors.js'
import type {SovaDocument} from './schema.js'
import {parseDocument} from './validate.js'

/** A document larger than this is refused rather than risking the process. */
export const MAX_DOCUMENT_BYTES = 256 * 1024 * 1024

/** Deeper nesting is refused: JSON.stringify overflows the stack from about 5,000 levels when writing it out. */
export const MAX_NESTING_DEPTH = 1000

const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const NEWLINE = 0x0a

/** Outside a string only quotes and brackets matter; inside one, its end and escapes. Native scans, not a loop per character. */
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

export interface RawText {
  text: string
  line: number
}

/**
 * Splits decoded text into top-level JSON values by tracking nesting outside strings.
 * A value that is not an object or array (a stray scalar) runs to the end of its line.
 */
export async function* splitJsonValues(chunks: AsyncIterable<string>, name: string): AsyncGenerator<RawText> {
  let parts: string[] = []
  let size = 0
  let depth = 0
  let inString = false
  let escaped = false
  let scalar = false
  let started = false
  let startLine = 1
  let line = 1

  for await (const chunk of chunks) {
    let from = 0
    let i = 0
    while (i < chunk.length) {
      if (!started) {
        const code = chunk.charCodeAt(i)
        if (code === NEWLINE) line++
        if (isSpace(code)) {
          i++
          continue
        }
        started = true
        startLine = line
        from = i
        scalar = code !== OPEN_BRACE && code !== OPEN_BRACKET
        depth = scalar ? 0 : 1
        i++
        continue
      }
      let end: number
      if (scalar) {
        end = chunk.indexOf('\n', i)
        if (end === -1) break
      } else if (inString) {
        if (escaped) {
          escaped = false
          i++
          continue
        }
        IN_STRING.lastIndex = i
        const stop = IN_STRING.exec(chunk)
        if (!stop) break
        if (stop[0] === '"') inString = false
        else escaped = true
        i = stop.index + 1
        continue
      } else {
        STRUCTURE.lastIndex = i
        const stop = STRUCTURE.exec(chunk)
        if (!stop) break
        i = stop.index + 1
        const mark = stop[0]
        if (mark === '"') {
          inString = true
          continue
        }
        if (mark === '{' || mark === '[') {
          if (++depth > MAX_NESTING_DEPTH) {
            throw new InputError(`${name} line ${startLine}: document nested more than ${MAX_NESTING_DEPTH} levels deep; refused`)
          }
          continue
        }
        if (--depth > 0) continue
        end = stop.index
      }
      // A value ends here (closing bracket at depth 0, or the newline after a scalar).
      line += newlinesIn(chunk, from, end + 1)
      parts.push(chunk.slice(from, end + 1))
      yield {text: parts.join(''), line: startLine}
      parts = []
      size = 0
      started = false
      scalar = false
      i = end + 1
    }
    if (started) {
      line += newlinesIn(chunk, from, chunk.length)
      parts.push(chunk.slice(from))
      size += chunk.length - from
      if (size > MAX_DOCUMENT_BYTES) {
        throw new InputError(`${name} line ${startLine}: document larger than ${MAX_DOCUMENT_BYTES / 1024 / 1024} MiB; refused`)
      }
    }
  }
  if (started) {
    const text = parts.join('')
    if (scalar) {
      yield {text, line: startLine}
      return
    }
    throw new InputError(`${name} line ${startLine}: input ends inside a document (truncated JSON?)`)
  }
}

/** Decodes bytes as UTF-8, refusing invalid sequences instead of inventing characters. */
export async function* decodeUtf8(bytes: AsyncIterable<Buffer | string>, name: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', {fatal: true})
  let offset = 0
  try {
    for await (const chunk of bytes) {
      if (typeof chunk === 'string') {
        yield chunk
        continue
      }
      yield decoder.decode(chunk, {stream: true})
      offset += chunk.length
    }
    const rest = decoder.decode()
    if (rest) yield rest
  } catch (error) {
    if (error instanceof TypeError) throw new InputError(`${name}: invalid UTF-8 near byte ${offset}`)
    throw error
  }
}

/** Parses and validates each document of a stream as it arrives. */
export async function* readDocuments(bytes: AsyncIterable<Buffer | string>, name = 'stdin'): AsyncGenerator<SovaDocument> {
  let count = 0
  for await (const raw of splitJsonValues(decodeUtf8(bytes, name), name)) {
    let value: unknown
    try {
      value = JSON.parse(raw.text)
    } catch (error) {
      // JSON.parse quotes the text it choked on, newlines included: escape them to keep one line.
      const detail = error instanceof RangeError ? 'nested too deeply' : (error as Error).message.replaceAll('\r', '\\r').replaceAll('\n', '\\n')
      throw new InputError(`${name} line ${raw.line}: not valid JSON (${detail})`)
    }
    count++
    yield parseDocument(value, `${name} line ${raw.line}`)
  }
  if (count === 0) {
    throw new InputError(`${name}: no document in the input (expected NDJSON or one JSON document, e.g. from sova collect)`)
  }
}
