// The checks a document passes on its way in (version, size, shape, cross-references), without
// TypeBox: a stage that reads valid documents never loads the schema checker. Only the wording of
// a schema refusal needs TypeBox's interpreted Errors (validate.ts, loaded when a document fails).
import {describeValue} from './describe-value.js'
import {isDocumentShape} from './document-check.js'
import {MAX_HOSTS, MAX_VMS, MAX_VMS_PER_HOST} from './limits.js'
import type {SovaDocument} from './schema.js'
import {DOCUMENT_VERSION} from './constants.js'

/** The schema refuses the value: which field, only TypeBox's Errors can say (schema-errors.ts). */
export const SCHEMA_REFUSES = Symbol('the schema refuses it')

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
  const missing = new Set<string>()
  for (const [m, entry] of (doc.missing ?? []).entries()) {
    if (hostNames.has(entry.host)) return `missing[${m}].host: host "${entry.host}" is both sampled and missing`
    if (missing.has(entry.host)) return `missing[${m}].host: host "${entry.host}" is listed missing twice`
    missing.add(entry.host)
  }
  return undefined
}

/**
 * The size limits, checked before the whole document is: refusing a million VMs must not cost
 * checking each of them first.
 */
function checkSize(value: {hosts?: unknown}): string | undefined {
  if (!Array.isArray(value.hosts)) return undefined
  if (value.hosts.length > MAX_HOSTS) return `hosts: ${value.hosts.length} hosts, more than the ${MAX_HOSTS} a document may hold`
  let vms = 0
  for (const [h, host] of value.hosts.entries()) {
    const list = (host as {vms?: unknown} | null)?.vms
    if (!Array.isArray(list)) continue
    if (list.length > MAX_VMS_PER_HOST) return `hosts[${h}].vms: ${list.length} VMs, more than the ${MAX_VMS_PER_HOST} a host may hold`
    vms += list.length
  }
  return vms > MAX_VMS ? `hosts: ${vms} VMs, more than the ${MAX_VMS} a document may hold` : undefined
}

/** Why `value` is not a Sova document (one line naming the field), SCHEMA_REFUSES, or undefined when it is one. */
export function documentProblem(value: unknown): string | typeof SCHEMA_REFUSES | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `expected a Sova document (a JSON object), got ${describeValue(value)}`
  }
  const version = (value as {sova?: unknown}).sova
  if (version === undefined) return 'sova: missing document version (expected "sova": 1)'
  if (typeof version === 'number' && Math.trunc(version) !== DOCUMENT_VERSION) {
    return `sova: unsupported document version ${version} (this sova reads version ${DOCUMENT_VERSION})`
  }
  const tooBig = checkSize(value as {hosts?: unknown})
  if (tooBig) return tooBig
  // The compiled check (precompiled in dist/); the interpreted one only words the error.
  if (!isDocumentShape(value)) return SCHEMA_REFUSES
  return checkReferences(value as SovaDocument)
}
