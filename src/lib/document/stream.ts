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
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const NEWLINE = 0x0a

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09
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
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i)
      if (!started) {
        if (code === NEWLINE) line++
        if (isSpace(code)) continue
        started = true
        startLine = line
        from = i
        scalar = code !== OPEN_BRACE && code !== OPEN_BRACKET
        depth = scalar ? 0 : 1
        continue
      }
      if (code === NEWLINE) line++
      if (scalar) {
        if (code !== NEWLINE) continue
      } else if (inString) {
        if (escaped) escaped = false
        else if (code === BACKSLASH) escaped = true
        else if (code === QUOTE) inString = false
        continue
      } else if (code === QUOTE) {
        inString = true
        continue
      } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
        if (++depth > MAX_NESTING_DEPTH) {
          throw new InputError(`${name} line ${startLine}: document nested more than ${MAX_NESTING_DEPTH} levels deep; refused`)
        }
        continue
      } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
        if (--depth > 0) continue
      } else {
        continue
      }
      // A value ends here (closing bracket at depth 0, or the newline after a scalar).
      parts.push(chunk.slice(from, i + 1))
      yield {text: parts.join(''), line: startLine}
      parts = []
      size = 0
      started = false
      scalar = false
    }
    if (started) {
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
