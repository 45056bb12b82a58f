// Reads documents from a byte stream as they arrive: NDJSON (one document a line), one
// pretty-printed document, or several concatenated (json-split.ts finds where each ends). Memory
// holds one document at a time.
import {InputError} from '../errors.js'
import {splitValues} from './json-split.js'
import type {SovaDocument} from './schema.js'
import {documentProblem} from './accept.js'

export {MAX_DOCUMENT_BYTES, MAX_NESTING_DEPTH, type RawText, splitJsonValues} from './json-split.js'

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
    if (documentProblem(value) === undefined) yield value as SovaDocument
    else {
      // A refused document: the wording of its refusal loads the schema checker, only now.
      const {parseDocument} = await import('./validate.js')
      yield parseDocument(value, `${name} line ${raw.line}`)
    }
  }
  if (count === 0) {
    throw new InputError(`${name}: no document in the input (expected NDJSON or one JSON document, e.g. from sova collect)`)
  }
}
