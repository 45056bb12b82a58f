// A document seen as one cycle of the loop: where each VM was sampled, where the cycle's actions
// left it, what the plan says about it and the thresholds in force. Built once per document, so
// explaining every VM of a large cluster stays linear. Pure.
import type {Action, Host, HostScore, PlannedMigration, PlannedVfChange, SovaDocument, Vm, VmScore} from '../document/schema.js'
import {applyActions} from '../loop/plan-steps.js'
import {indexMentions} from './mentions.js'
import {hotThresholdOf, policyThresholds, type PolicyThresholds, type Threshold} from './thresholds.js'
import {ownValue} from '../named.js'

/** A VM and the host it is on. */
export interface Placement {
  host: Host
  vm: Vm
}

/** Everything the explanations read, indexed by name. */
export interface CycleView {
  doc: SovaDocument
  /** The policy that scored the document, else the one that planned it, else "none". */
  policy: string
  /** Where each VM was when the document was sampled. */
  before: ReadonlyMap<string, Placement>
  /** Where each VM is after the document's actions (done, or planned in a dry run). */
  after: ReadonlyMap<string, Placement>
  thresholds: PolicyThresholds
  hotThreshold: (host: string) => Threshold
  vmScore: (vm: string) => VmScore | undefined
  hostScore: (host: string) => HostScore | undefined
  actionsOf: (vm: string) => Action[]
  migrationOf: (vm: string) => PlannedMigration | undefined
  migrationsFrom: (host: string) => PlannedMigration[]
  vfChangesOf: (vm: string) => PlannedVfChange[]
  /** Lines of plan.rejected.migrations that name the VM or host. */
  rejectedMigrationsAbout: (name: string) => string[]
  /** Lines of plan.rejected.vf that name the VM or host. */
  rejectedVfAbout: (name: string) => string[]
  /** Where the VM's VF value ranks among the VMs scored on its host, most valuable first (sova). */
  vfValueRank: (vm: string) => {rank: number; of: number} | undefined
}

function placements(hosts: readonly Host[]): Map<string, Placement> {
  const found = new Map<string, Placement>()
  for (const host of hosts) for (const vm of host.vms) found.set(vm.name, {host, vm})
  return found
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): (name: string) => T[] {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const group = groups.get(key(item))
    if (group) group.push(item)
    else groups.set(key(item), [item])
  }
  return (name) => groups.get(name) ?? []
}

// Per host, its scored VMs by VF value, most valuable first (ties by name), built on first use.
function vfValueRanks(scores: SovaDocument['scores']): (vm: string) => {rank: number; of: number} | undefined {
  let ranks: Map<string, {rank: number; of: number}> | undefined
  return (vm) => {
    if (!scores) return undefined
    if (!ranks) {
      ranks = new Map()
      const byHost = groupBy(Object.entries(scores.vms), ([, score]) => score.host)
      for (const host of Object.keys(scores.hosts)) {
        const valued = byHost(host).filter(([, score]) => score.vfValueMbps !== undefined)
        valued.sort(([a, x], [b, y]) => (y.vfValueMbps as number) - (x.vfValueMbps as number) || (a < b ? -1 : 1))
        for (const [index, [name]] of valued.entries()) ranks.set(name, {rank: index + 1, of: valued.length})
      }
    }
    return ranks.get(vm)
  }
}

/** The policy whose decisions a document records. */
export function policyOf(doc: SovaDocument): string {
  return doc.scores?.policy ?? doc.plan?.policy ?? 'none'
}

/** One document, indexed for explaining its VMs. */
export function viewCycle(doc: SovaDocument): CycleView {
  const policy = policyOf(doc)
  const actions = doc.actions ?? []
  const migrations = doc.plan?.migrations ?? []
  const actionsOf = groupBy(actions, (action) => action.vm)
  const migrationsOf = groupBy(migrations, (move) => move.vm)
  const hotThresholds = new Map<string, Threshold>()
  return {
    doc,
    policy,
    before: placements(doc.hosts),
    after: placements(applyActions(doc.hosts, actions)),
    thresholds: policyThresholds(doc, policy),
    hotThreshold: (host) => {
      let found = hotThresholds.get(host)
      if (!found) hotThresholds.set(host, (found = hotThresholdOf(doc, host, policy)))
      return found
    },
    vmScore: (vm) => ownValue(doc.scores?.vms, vm),
    hostScore: (host) => ownValue(doc.scores?.hosts, host),
    actionsOf,
    migrationOf: (vm) => migrationsOf(vm)[0],
    migrationsFrom: groupBy(migrations, (move) => move.from),
    vfChangesOf: groupBy(doc.plan?.vf ?? [], (change) => change.vm),
    rejectedMigrationsAbout: indexMentions(doc.plan?.rejected?.migrations ?? []),
    rejectedVfAbout: indexMentions(doc.plan?.rejected?.vf ?? []),
    vfValueRank: vfValueRanks(doc.scores),
  }
}
