// One way into the program for a document: parse -> check version -> validate shape -> check
// cross-references (accept.ts). Every refusal is an InputError whose one-line message names the field path.
import {InputError} from '../errors.js'
import {documentProblem, SCHEMA_REFUSES} from './accept.js'
import {SovaDocument} from './schema.js'
import {schemaErrorLine} from './schema-errors.js'

export {formatPath} from './schema-errors.js'

/**
 * Validates one parsed JSON value as a Sova document. `where` locates it in the input
 * (e.g. `stdin line 3`) and prefixes the message.
 */
export function parseDocument(value: unknown, where: string): SovaDocument {
  const problem = documentProblem(value)
  if (problem === undefined) return value as SovaDocument
  const detail = problem === SCHEMA_REFUSES ? (schemaErrorLine(SovaDocument, value) ?? 'does not match the document schema (sova schema)') : problem
  throw new InputError(`${where}: ${detail}`)
}
