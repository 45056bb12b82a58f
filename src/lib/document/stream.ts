// Reads documents from a byte stream as they arrive: NDJSON (one document a line), one
// pretty-printed document, or several concatenated (json-split.ts finds where each ends). Memory
// holds one document at a time.
import {isUtf8} from 'node:buffer'
import {InputError} from '../errors.js'
import {splitValues} from './json-split.js'
import type {SovaDocument} from './schema.js'
import {documentProblem} from './accept.js'
import {markParsed} from './finite.js'

export {MAX_DOCUMENT_BYTES, MAX_NESTING_DEPTH, type RawText, splitJsonValues} from './json-split.js'

/** Where the last whole UTF-8 character of `bytes` ends: a character cut by the chunk's end waits for the next chunk. */
function wholeCharactersEnd(bytes: Buffer): number {
  // A character is at most 4 bytes: look back at most 3 for the lead byte of the last one.
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back]
    if ((byte & 0xc0) === 0x80) continue // a continuation byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return length > back ? bytes.length - back : bytes.length
  }
  return bytes.length
}

/**
 * Decodes bytes as UTF-8, refusing invalid sequences instead of inventing characters. Each chunk
 * is checked and decoded whole by Node's native UTF-8 routines (a streaming TextDecoder is several
 * times slower on a 10 MB document); a character split between chunks is completed from the next.
 */
export async function* decodeUtf8(bytes: AsyncIterable<Buffer | string>, name: string): AsyncGenerator<string> {
  let carried: Buffer | undefined
  let offset = 0
  const invalid = () => new InputError(`${name}: invalid UTF-8 near byte ${offset}`)
  for await (const chunk of bytes) {
    if (typeof chunk === 'string') {
      if (carried) throw invalid()
      yield chunk
      continue
    }
    const joined = carried ? Buffer.concat([carried, chunk]) : chunk
    const end = wholeCharactersEnd(joined)
    const whole = end === joined.length ? joined : joined.subarray(0, end)
    if (!isUtf8(whole)) throw invalid()
    carried = end === joined.length ? undefined : Buffer.from(joined.subarray(end))
    if (whole.length > 0) {
      const text = whole.toString('utf8')
      // A byte order mark opening the input is no character of it (as TextDecoder drops it).
      yield offset === 0 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
    }
    offset += whole.length
  }
  // The input ends inside a character.
  if (carried) throw invalid()
}

/** Parses and validates each document of a stream as it arrives. */
export async function* readDocuments(bytes: AsyncIterable<Buffer | string>, name = 'stdin'): AsyncGenerator<SovaDocument> {
  let count = 0
  for await (const raw of splitValues(decodeUtf8(bytes, name), name)) {
    let value: unknown
    try {
      value = raw.parsed ? raw.parsed.value : JSON.parse(raw.text)
    } catch (error) {
      // JSON.parse quotes the text it choked on, newlines included: escape them to keep one line.
      const detail = error instanceof RangeError ? 'nested too deeply' : (error as Error).message.replaceAll('\r', '\\r').replaceAll('\n', '\\n')
      throw new InputError(`${name} line ${raw.line}: not valid JSON (${detail})`)
    }
    count++
    if (documentProblem(value) !== undefined) {
      // A refused document: the wording of its refusal loads the schema checker, only now.
      const {parseDocument} = await import('./validate.js')
      value = parseDocument(value, `${name} line ${raw.line}`)
    }
    markParsed(value as SovaDocument)
    yield value as SovaDocument
  }
  if (count === 0) {
    throw new InputError(`${name}: no document in the input (expected NDJSON or one JSON document, e.g. from sova collect)`)
  }
}
