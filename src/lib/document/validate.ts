// One way into the program for a document: parse -> check version -> validate shape -> check
// cross-references. Every refusal is an InputError whose one-line message names the field path.
import {FormatRegistry, type TSchema} from '@sinclair/typebox'
import {Errors, ValueErrorType, type ValueError} from '@sinclair/typebox/errors'
import {Check} from '@sinclair/typebox/value'
import {InputError} from '../errors.js'
import {DOCUMENT_VERSION, SovaDocument} from './schema.js'

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (value) => ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))
}

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

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  // Quoted as JSON: a newline or quote in the value cannot break the one-line message.
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value)
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

function expectedOf(schema: TSchema, error: ValueError): string {
  const annotated = (schema as {expected?: string}).expected
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return 'a value (required)'
    case ValueErrorType.Object:
      return 'an object'
    case ValueErrorType.Array:
      return 'an array'
    case ValueErrorType.Number:
      return 'a number'
    case ValueErrorType.Integer:
      return annotated ?? 'a whole number'
    case ValueErrorType.String:
      return 'a string'
    case ValueErrorType.Boolean:
      return 'true or false'
    case ValueErrorType.StringFormat:
      return 'an ISO 8601 date-time'
    default:
      return annotated ?? error.message.replace(/^Expected /, '').toLowerCase()
  }
}

/** One line for one schema error: `hosts[2].vms[0].memoryMiB: expected a number, got string "2G"`. */
function describeError(error: ValueError): string {
  return `${formatPath(error.path)}: expected ${expectedOf(error.schema, error)}, got ${describeValue(error.value)}`
}

/** The error nearest the leaves: unions report on themselves first, their members after. */
function firstUsefulError(errors: ValueError[]): ValueError {
  const required = errors.find((error) => error.type === ValueErrorType.ObjectRequiredProperty)
  const deepest = errors.reduce((best, error) => (error.path.length > best.path.length ? error : best), errors[0])
  return required && required.path.length >= deepest.path.length ? required : deepest
}

/** Cross-references the schema cannot express: unique names, one VF per VM, VF counts. */
function checkReferences(doc: SovaDocument): string | undefined {
  const hostNames = new Set<string>()
  const vmWhere = new Map<string, string>()
  const vfOwner = new Map<string, string>()
  for (const [h, host] of doc.hosts.entries()) {
    if (hostNames.has(host.name)) return `hosts[${h}].name: host "${host.name}" appears twice`
    hostNames.add(host.name)
    let inUse = 0
    for (const [v, vm] of host.vms.entries()) {
      const where = `hosts[${h}].vms[${v}]`
      const seen = vmWhere.get(vm.name)
      if (seen) return `${where}.name: VM "${vm.name}" appears twice (also at ${seen})`
      vmWhere.set(vm.name, where)
      if (vm.path === 'vf' && !vm.vf) return `${where}.vf: path is "vf" but no VF is named`
      if (vm.path === 'pv' && vm.vf) return `${where}.vf: path is "pv" but VF ${vm.vf} is named`
      if (vm.vf) {
        const key = `${host.name}/${vm.vf}`
        const owner = vfOwner.get(key)
        if (owner) return `${where}.vf: VF ${vm.vf} is assigned to two VMs (also ${owner})`
        vfOwner.set(key, vm.name)
        if (host.vfs.free.includes(vm.vf)) return `${where}.vf: VF ${vm.vf} is assigned and listed free`
        inUse++
      }
    }
    if (new Set(host.vfs.free).size !== host.vfs.free.length) return `hosts[${h}].vfs.free: a VF is listed twice`
    if (inUse + host.vfs.free.length > host.vfs.total) {
      return `hosts[${h}].vfs: ${inUse} in use + ${host.vfs.free.length} free exceeds total ${host.vfs.total}`
    }
  }
  return undefined
}

/**
 * Validates one parsed JSON value as a Sova document. `where` locates it in the input
 * (e.g. `stdin line 3`) and prefixes the message.
 */
export function parseDocument(value: unknown, where: string): SovaDocument {
  const fail = (detail: string): never => {
    throw new InputError(`${where}: ${detail}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`expected a Sova document (a JSON object), got ${describeValue(value)}`)
  }
  const version = (value as {sova?: unknown}).sova
  if (version === undefined) fail('sova: missing document version (expected "sova": 1)')
  if (typeof version === 'number' && Math.trunc(version) !== DOCUMENT_VERSION) {
    fail(`sova: unsupported document version ${version} (this sova reads version ${DOCUMENT_VERSION})`)
  }
  // Interpreted checking: compiling the schema costs more start-up time than a document of a
  // whole cluster takes to check (bench/startup).
  if (!Check(SovaDocument, value)) fail(describeError(firstUsefulError([...Errors(SovaDocument, value)])))
  const doc = value as SovaDocument
  const problem = checkReferences(doc)
  if (problem) fail(problem)
  return doc
}
