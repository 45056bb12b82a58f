// One line for the first useful TypeBox error of a value: `hosts[2].vms[0].memoryMiB: expected a
// number, got "2G"`. Shared by every JSON the program reads (documents, scenario files, config).
import type {TSchema} from '@sinclair/typebox'
import {Errors, type ValueError, ValueErrorType} from '@sinclair/typebox/errors'
import {describeValue} from './describe-value.js'

export {describeValue}

/** `/hosts/2/vms/0/memoryMiB` -> `hosts[2].vms[0].memoryMiB` */
export function formatPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(document)'
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('')
}

export interface ErrorWording {
  /** Quote the schema's `expected` annotation for type errors too (not only for range errors). */
  annotateTypeErrors?: boolean
  /** The words for an unknown key at `path` (strict schemas); default "unknown key". */
  unknownKey?: (path: string) => string
}

function expectedOf(schema: TSchema, error: ValueError, wording: ErrorWording): string {
  const annotated = (schema as {expected?: string}).expected
  const typed = (plain: string) => (wording.annotateTypeErrors ? (annotated ?? plain) : plain)
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'a value (required)'
    case ValueErrorType.Object:
      return 'an object'
    case ValueErrorType.Array:
      return typed('an array')
    case ValueErrorType.Number:
      return typed('a number')
    case ValueErrorType.Integer:
      return annotated ?? 'a whole number'
    case ValueErrorType.String:
      return typed('a string')
    case ValueErrorType.Boolean:
      return 'true or false'
    case ValueErrorType.StringFormat:
      return 'an ISO 8601 date-time'
    default:
      return annotated ?? error.message.replace(/^Expected /, '').toLowerCase()
  }
}

/** The error nearest the leaves: unknown keys first, then unions report on themselves first, their members after. */
function firstUsefulError(errors: ValueError[]): ValueError {
  const extra = errors.find((error) => error.type === ValueErrorType.ObjectAdditionalProperties)
  if (extra) return extra
  const required = errors.find((error) => error.type === ValueErrorType.ObjectRequiredProperty)
  const deepest = errors.reduce((best, error) => (error.path.length > best.path.length ? error : best), errors[0])
  return required && required.path.length >= deepest.path.length ? required : deepest
}

function describeError(error: ValueError, wording: ErrorWording): string {
  const path = formatPath(error.path)
  if (error.type === ValueErrorType.ObjectAdditionalProperties) return `${path}: ${wording.unknownKey?.(path) ?? 'unknown key'}`
  return `${path}: expected ${expectedOf(error.schema, error, wording)}, got ${describeValue(error.value)}`
}

/** The one-line description of `value`'s first useful error against `schema`, or undefined when valid. */
export function schemaErrorLine(schema: TSchema, value: unknown, wording: ErrorWording = {}): string | undefined {
  const errors = [...Errors(schema, value)]
  if (errors.length === 0) return undefined
  return describeError(firstUsefulError(errors), wording)
}

/**
 * Every problem of `value`, one per place: errors are grouped by JSON pointer, a union's own error
 * is dropped when one of its members says more, and each place reports its most useful error.
 */
export function schemaErrorList(schema: TSchema, value: unknown, wording: ErrorWording = {}): {pointer: string; line: string}[] {
  const byPointer = new Map<string, ValueError[]>()
  for (const error of Errors(schema, value)) {
    byPointer.set(error.path, [...(byPointer.get(error.path) ?? []), error])
  }
  const pointers = [...byPointer.keys()]
  return pointers
    .filter((pointer) => !pointers.some((other) => other !== pointer && other.startsWith(pointer + '/')))
    .map((pointer) => ({pointer, line: describeError(firstUsefulError(byPointer.get(pointer) as ValueError[]), wording)}))
}
