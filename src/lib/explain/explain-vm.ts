// `sova explain`'s analysis: for each VM of a document, where it is and why, which path it has
// and why, the figures and thresholds that decided it, the alternatives rejected and the actions
// taken on it. Pure: a document in, explanation records out.
import type {Action, NetPath, SovaDocument, Tier} from '../document/schema.js'
import {UnreachableError, UsageError} from '../errors.js'
import {type CycleView, viewCycle} from './cycle-view.js'
import {type HostStatus, hostStatusOf} from './host-status.js'
import {explainPlacement} from './placement.js'
import type {Threshold} from './thresholds.js'
import {explainPath} from './vf-path.js'
import {pathRuleOf, ruleThatHeld, rulesSaid} from './rules-said.js'

/** The VM's figures from the document's scores. */
export interface VmFigures {
  ioRatio?: number
  netScore?: number
  tier?: Tier
  rateMbps?: number
  demandMbps?: number
  vfValueMbps?: number
  /** Where its VF value ranks among the VMs on its host, e.g. "2 of 12" (sova). */
  vfValueRank?: string
  /** VFs its host has (sova: the top of the ranking can hold them). */
  hostVfs?: number
}

/** An action on the VM, as the document records it. */
export type ActionRecord = Pick<Action, 'kind' | 'host' | 'to' | 'vf' | 'status' | 'reason' | 'error' | 'note' | 'durationMs'>

/** Everything `sova explain` says about one VM of one document. */
export interface VmExplanation {
  at: string
  cluster: string
  policy: string
  vm: string
  /** Its host after this cycle's actions. */
  host: string
  /** The host it was sampled on, when this cycle moved it. */
  fromHost?: string
  path: NetPath
  vf: string | null
  figures: VmFigures
  /** The decisive figures against their thresholds, in a few words. */
  decidedBy: string
  /** Why it is on its host. */
  placement: string
  /** Why it has its path. */
  pathReason: string
  /** The actions taken on it, or why none, in a few words. */
  outcome: string
  /** Its host's hotspot status (and the source host's, when it moved). */
  hosts: HostStatus[]
  thresholds: Threshold[]
  /** The operator's rules in force for it and its host, each with where it was said (empty: Sova decides). */
  rules: string[]
  /** The plan's rejected alternatives that name it. */
  rejected: string[]
  actions: ActionRecord[]
}

/** Which VMs to explain: one, those of one host (before or after the cycle), or all. */
export interface ExplainSelection {
  vm?: string
  host?: string
}

function figuresOf(view: CycleView, vm: string): VmFigures {
  const score = view.vmScore(vm)
  if (!score) return {}
  const rank = view.vfValueRank(vm)
  const host = view.doc.hosts.find((candidate) => candidate.name === score.host)
  const figures: VmFigures = {ioRatio: score.ioRatio, netScore: score.netScore}
  if (score.tier !== undefined) figures.tier = score.tier
  if (score.rateMbps !== undefined) figures.rateMbps = score.rateMbps
  if (score.demandMbps !== undefined) figures.demandMbps = score.demandMbps
  if (score.vfValueMbps !== undefined) figures.vfValueMbps = score.vfValueMbps
  if (rank) figures.vfValueRank = `${rank.rank} of ${rank.of}`
  if (rank && host) figures.hostVfs = host.vfs.total
  return figures
}

function actionRecord(action: Action): ActionRecord {
  const {kind, host, to, vf, status, reason, error, note, durationMs} = action
  return Object.fromEntries(
    Object.entries({kind, host, to, vf, status, reason, error, note, durationMs}).filter(([, value]) => value !== undefined),
  ) as ActionRecord
}

/** "migrate host1 -> host3: done; attach-vf 0000:06:10.3: done": an action in a few words. */
export function describeAction(action: ActionRecord): string {
  const where = action.to ? ` ${action.host} -> ${action.to}` : ''
  const vf = action.vf ? ` ${action.vf}` : ''
  return `${action.kind}${where}${vf}: ${action.status}${action.error ? ` (${action.error})` : ''}`
}

/** The actions in a few words, or why none; on a hot host it stayed on, also why it stayed. */
function outcomeOf(actions: ActionRecord[], stayed: string, path: string, onHotHost: boolean): string {
  if (actions.length === 0) return `none: ${stayed}; ${path}`
  const described = actions.map(describeAction).join('; ')
  return onHotHost && !actions.some((action) => action.kind === 'migrate') ? `${described}; ${stayed}` : described
}

/** Thresholds once each, in the order first met. */
export function distinctThresholds(thresholds: Threshold[]): Threshold[] {
  const seen = new Set<string>()
  return thresholds.filter((limit) => {
    const key = `${limit.what}|${limit.value}|${limit.source}`
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/** The explanation of one VM that the document holds. */
export function explainVm(view: CycleView, vm: string): VmExplanation {
  const placed = view.after.get(vm) ?? view.before.get(vm)
  if (!placed) throw new Error(`explainVm: ${vm} is not in the document`)
  const placement = explainPlacement(view, vm)
  const path = explainPath(view, vm)
  const actions = view.actionsOf(vm).map(actionRecord)
  const hostNames = placement.fromHost ? [placed.host.name, placement.fromHost] : [placed.host.name]
  const hosts = hostNames.map((host) => hostStatusOf(view, host)).filter((status): status is HostStatus => status !== undefined)
  const moving = placement.fromHost !== undefined || hosts.some((status) => status.hot)
  // The rules as the sample stated them (a VM that moved carries its rules with it).
  const sampled = view.before.get(vm) ?? placed
  // A rule is why it stayed only where a move was wanted: on a host predicted hot.
  const onHotHost = placement.fromHost === undefined && hosts.some((status) => status.hot)
  const held = onHotHost ? ruleThatHeld(sampled.vm, sampled.host) : undefined
  const pathRule = pathRuleOf(sampled.vm, sampled.host)
  const balance = [view.thresholds.targetBelow, view.thresholds.cooldown].filter((limit): limit is Threshold => moving && limit !== undefined)
  return {
    at: view.doc.at,
    cluster: view.doc.source.cluster,
    policy: view.policy,
    vm,
    host: placed.host.name,
    ...(placement.fromHost ? {fromHost: placement.fromHost} : {}),
    path: placed.vm.path,
    vf: placed.vm.vf ?? null,
    figures: figuresOf(view, vm),
    decidedBy: path.decidedBy,
    placement: placement.text,
    pathReason: path.text,
    outcome: outcomeOf(actions, held ? `${placement.short} (${held})` : placement.short, pathRule ? `${path.short} (${pathRule})` : path.short, onHotHost),
    hosts,
    thresholds: distinctThresholds([...hosts.map((status) => status.threshold), ...balance, ...path.thresholds]),
    rules: rulesSaid(sampled.vm, sampled.host),
    rejected: [...view.rejectedMigrationsAbout(vm), ...view.rejectedVfAbout(vm)],
    actions,
  }
}

const FEW = 12

/** "a, b, c, … (36 in all)": enough names to spot a typo, never the whole cluster. */
function someOf(names: string[]): string {
  return names.length <= FEW ? names.join(', ') : `${names.slice(0, FEW).join(', ')}, … (${names.length} in all)`
}

/** The VMs of a document that `selection` names, in document order; an unknown name is a usage error. */
export function selectVms(view: CycleView, selection: ExplainSelection): string[] {
  const {doc} = view
  const of = `cluster ${doc.source.cluster} at ${doc.at}`
  const missing = doc.missing?.find((entry) => entry.host === selection.host)
  if (missing) throw new UnreachableError(`--host: ${missing.host} gave no readings in ${of}: ${missing.reason}`)
  if (selection.host !== undefined && !doc.hosts.some((host) => host.name === selection.host)) {
    throw new UsageError(`--host: ${selection.host} is not a host of ${of} (hosts: ${someOf(doc.hosts.map((host) => host.name))})`)
  }
  const unmanaged = doc.unmanaged?.find((entry) => entry.name === selection.vm)
  if (selection.vm !== undefined && !view.before.has(selection.vm) && unmanaged) {
    throw new UsageError(`--vm: ${JSON.stringify(unmanaged.name)} on ${unmanaged.host} is not managed by Sova: ${unmanaged.why}`)
  }
  if (selection.vm !== undefined && !view.before.has(selection.vm)) {
    const unseen = doc.missing?.length ? `; ${doc.missing.map((entry) => entry.host).join(', ')} gave no readings, so it may be there` : ''
    throw new UsageError(`--vm: ${selection.vm} is not a VM of ${of} (VMs: ${someOf([...view.before.keys()])})${unseen}`)
  }
  const onHost = (vm: string) =>
    selection.host === undefined || view.before.get(vm)?.host.name === selection.host || view.after.get(vm)?.host.name === selection.host
  const names = (selection.vm === undefined ? [...view.before.keys()] : [selection.vm]).filter(onHost)
  if (selection.vm !== undefined && names.length === 0) {
    throw new UsageError(`--vm ${selection.vm} is not on --host ${selection.host} (it is on ${view.after.get(selection.vm)?.host.name})`)
  }
  return names
}

/** The explanations of the selected VMs of one document. */
export function explainDocument(doc: SovaDocument, selection: ExplainSelection = {}): VmExplanation[] {
  const view = viewCycle(doc)
  return selectVms(view, selection).map((vm) => explainVm(view, vm))
}
