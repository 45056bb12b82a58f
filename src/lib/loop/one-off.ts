// Plans for operators' one-off commands (`sova migrate db2 --to host3`, `sova switch-vf web1 --to vf`).
// Pure: validated against the cluster's hosts; a name that is not there is a usage error.
import type {Action, Host, PlannedMigration, PlannedVfChange, Unmanaged} from '../document/schema.js'
import {UnreachableError, UsageError} from '../errors.js'
import {firstFreeVf, locateVm, withUuid} from './plan-steps.js'

export {validateName} from '../identifiers.js'

/** Hosts the sample has no readings of, and why: an operator's request about one of them cannot be checked. */
export type Unanswered = readonly {host: string; reason: string}[]

const nothingDone = (missing: Unanswered) => missing.map((entry) => `${entry.host} ${entry.reason.replace(/: no decision about .*$/, '')}`).join('; ')

/** The domains a sample lists as not managed by Sova (document `unmanaged`): an operator's request naming one is refused. */
export type NotManaged = readonly Pick<Unmanaged, 'host' | 'name' | 'why'>[]

function findVm(hosts: Host[], vm: string, missing: Unanswered, unmanaged: NotManaged) {
  // Refused before anything else: such a domain is never acted on, whatever else bears its name.
  const refused = unmanaged.find((entry) => entry.name === vm)
  if (refused) throw new UsageError(`VM ${vm} on ${refused.host} is not managed by Sova: ${refused.why}; nothing done`)
  const where = locateVm(hosts, vm)
  if (!where && missing.length > 0) throw new UnreachableError(`VM ${vm} is on none of the hosts that answered, and ${nothingDone(missing)}: nothing done`)
  if (!where) throw new UsageError(`VM ${vm} is not in the cluster (VMs: ${hosts.flatMap((host) => host.vms.map((v) => v.name)).slice(0, 12).join(', ')}...)`)
  return where
}

export type OperatorPlan<T> = {item: T; noop?: undefined} | {item?: undefined; noop: string}

/**
 * A migration the operator asked for: VF detached first, and a VF given on arrival if it had one.
 * `requireVf`: it must have a VF on arrival; refused (nothing done) when the target has none free.
 */
export function planOperatorMigration(
  hosts: Host[], vm: string, to: string, missing: Unanswered = [], unmanaged: NotManaged = [], options: {requireVf?: boolean} = {},
): OperatorPlan<PlannedMigration> | {failure: Action} {
  const where = findVm(hosts, vm, missing, unmanaged)
  const target = missing.filter((entry) => entry.host === to)
  if (target.length > 0) throw new UnreachableError(`--to: ${nothingDone(target)}: nothing done`)
  const targetHost = hosts.find((host) => host.name === to)
  if (!targetHost) {
    throw new UsageError(`--to: ${to} is not a host of the cluster (hosts: ${hosts.map((host) => host.name).join(', ')})`)
  }
  if (where.host.name === to) return {noop: `${vm} is already on ${to}`}
  const reason = `operator request: migrate ${vm} to ${to}${options.requireVf ? ' with a VF on arrival' : ''}`
  if (options.requireVf && targetHost.vfs.free.length === 0) {
    const {total, free} = targetHost.vfs
    const error = `refused (--require-vf): ${to} has no free VF (${total - free.length} of ${total} in use); ${vm} stays on ${where.host.name}`
    return {failure: {kind: 'migrate', vm, ...withUuid(where.vm.uuid), host: where.host.name, to, status: 'failed', reason, error}}
  }
  return {
    item: {
      vm, from: where.host.name, to, migrationFactor: 0, giveVfOnArrival: Boolean(where.vm.vf) || options.requireVf === true, ...withUuid(where.vm.uuid),
      reason,
    },
  }
}

/** A VF change the operator asked for; no free VF is a failed action, not a silent no-op. */
export function planOperatorVf(hosts: Host[], vm: string, to: 'vf' | 'pv', missing: Unanswered = [], unmanaged: NotManaged = []): OperatorPlan<PlannedVfChange> | {failure: Action} {
  const {host, vm: found} = findVm(hosts, vm, missing, unmanaged)
  const reason = `operator request: ${vm} to ${to}`
  if (to === 'pv') {
    if (!found.vf) return {noop: `${vm} is already on its PV path`}
    return {item: {host: host.name, vm, op: 'detach', vf: found.vf, ...withUuid(found.uuid), reason}}
  }
  if (found.vf) return {noop: `${vm} already holds VF ${found.vf}`}
  const vf = firstFreeVf(host)
  if (!vf) {
    const error = `no free VF on ${host.name} (${host.vfs.total - host.vfs.free.length} of ${host.vfs.total} in use)`
    return {failure: {kind: 'attach-vf', vm, host: host.name, status: 'failed', reason, error}}
  }
  return {item: {host: host.name, vm, op: 'attach', vf, ...withUuid(found.uuid), reason}}
}
