// From plan to steps, and from steps back to the cluster they leave behind. Pure: the executor
// uses the same expansion on live state that a dry run uses on the document, so the two agree.
import type {Action, Host, PlannedMigration, PlannedVfChange} from '../document/schema.js'

/** One backend call, before it has a result. */
export type Step = Pick<Action, 'kind' | 'vm' | 'uuid' | 'host' | 'to' | 'vf' | 'reason'>

const byAddress = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The lowest free VF of a host (deterministic choice), if any. */
export function firstFreeVf(host: Host): string | undefined {
  return [...host.vfs.free].sort(byAddress)[0]
}

/** Where a VM is now, if anywhere. */
export function locateVm(hosts: Host[], vm: string): {host: Host; vm: Host['vms'][number]} | undefined {
  for (const host of hosts) {
    const found = host.vms.find((candidate) => candidate.name === vm)
    if (found) return {host, vm: found}
  }
  return undefined
}

/**
 * The steps of one migration: detach the VF first (a VF never migrates), live-migrate, then
 * give a free VF on the target if the plan says so. `hosts` is the state the steps start from.
 */
export function expandMigration(item: PlannedMigration, hosts: Host[]): Step[] {
  const steps: Step[] = []
  const where = locateVm(hosts, item.vm)
  const identity = withUuid(where?.vm.uuid ?? item.uuid)
  if (where?.vm.vf) {
    steps.push({kind: 'detach-vf', vm: item.vm, ...identity, host: item.from, vf: where.vm.vf, reason: `detach before migrating to ${item.to}`})
  }
  steps.push({kind: 'migrate', vm: item.vm, ...identity, host: item.from, to: item.to, reason: item.reason})
  const target = hosts.find((host) => host.name === item.to)
  const vf = target && item.giveVfOnArrival ? firstFreeVf(target) : undefined
  if (vf) steps.push({kind: 'attach-vf', vm: item.vm, ...identity, host: item.to, vf, reason: `arrived from ${item.from}: gets a free VF`})
  return steps
}

/** `{uuid}` when it is known, else nothing (a hand-written document may not carry it). */
export function withUuid(uuid: string | undefined): {uuid?: string} {
  return uuid === undefined ? {} : {uuid}
}

/** The step of one planned VF change. */
export function vfChangeStep(change: PlannedVfChange): Step {
  return {kind: change.op === 'attach' ? 'attach-vf' : 'detach-vf', vm: change.vm, ...withUuid(change.uuid), host: change.host, vf: change.vf, reason: change.reason}
}

/** Actions that changed (or, in a dry run, would change) the cluster. */
const takesEffect = (action: Action) => action.status === 'done' || action.status === 'dry-run'

/**
 * The hosts as they are after `actions` (those done, or planned in a dry run). The input is
 * untouched: hosts the actions change are copies, the others are shared with the input (copying
 * 10,000 hosts for a few actions would cost more than planning them), so treat the result as
 * read-only.
 */
export function applyActions(hosts: Host[], actions: readonly Action[]): Host[] {
  const effective = actions.filter(takesEffect)
  const touched = new Set<string>()
  for (const action of effective) {
    touched.add(action.host)
    if (action.to) touched.add(action.to)
  }
  const next = hosts.map((host) => (touched.has(host.name) ? structuredClone(host) : host))
  for (const action of effective) {
    const where = locateVm(next, action.vm)
    if (!where) continue
    const {host, vm} = where
    if (action.kind === 'detach-vf' && vm.vf) {
      host.vfs.free.push(vm.vf)
      vm.vf = null
      vm.path = 'pv'
    } else if (action.kind === 'attach-vf' && action.vf && !vm.vf) {
      host.vfs.free = host.vfs.free.filter((vf) => vf !== action.vf)
      vm.vf = action.vf
      vm.path = 'vf'
    } else if (action.kind === 'migrate' && action.to) {
      const target = next.find((candidate) => candidate.name === action.to)
      if (!target) continue
      host.vms = host.vms.filter((candidate) => candidate !== vm)
      host.memoryMiB.free += vm.memoryMiB
      target.vms.push(vm)
      target.memoryMiB.free = Math.max(0, target.memoryMiB.free - vm.memoryMiB)
    }
  }
  return next
}

/** VMs that arrived on a new host through `actions`: seed rule 4 leaves them alone this cycle. */
export function arrivedVms(actions: readonly Action[]): Set<string> {
  return new Set(actions.filter((action) => action.kind === 'migrate' && takesEffect(action)).map((action) => action.vm))
}
