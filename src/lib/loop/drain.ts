// `sova drain HOST` and `sova undrain HOST`: take a host out of service for maintenance and back.
// The drain plans on a fresh sample (src/lib/policy/drain.ts), refuses before acting when any VM
// cannot leave, marks the host `draining` (no VM moves in, no VF is handed out there), moves its VMs
// through the one executor (VF detached first, journalled, a VF on arrival), then marks it
// `maintenance` once it holds no VM. A drain killed midway leaves `draining` and journal rows: the
// next acting command reconciles the journal, and the next drain finishes the evacuation.
import type {Backend} from '../backends/types.js'
import type {Host, SovaDocument} from '../document/schema.js'
import {UnreachableError, UsageError} from '../errors.js'
import {validateName} from '../identifiers.js'
import {editDistance} from '../cli/usage.js'
import {type DrainLimits, planDrain} from '../policy/drain.js'
import {type HostMark, hostMarkRules, minuteOf} from '../store/host-marks.js'
import type {Store} from '../store/store.js'
import type {RuleSet} from '../policy/rules.js'
import {placementOf} from './rates.js'
import {owedArrivalVfs} from './drain-resume.js'
import {applyActions} from './plan-steps.js'
import {type Acting, collectStage, migrateStage} from './stages.js'
import type {Action, PlannedVfChange} from '../document/schema.js'

export interface DrainContext {
  backend: Backend
  store: Store
  /** Undefined on a dry run: the plan is shown and nothing changes, not even the mark. */
  executor: Acting
  log: (line: string) => void
  /** Tells a dead run from a live one: a resumed drain keeps the VF promises of a drain that died. */
  isRunLive: (runId: string) => boolean
  /** The rules in force (configuration, `sova rule set`, drain marks): pins and exclusions are blockers. */
  rules?: () => RuleSet
}

/** What the drain did: `done` (empty, in maintenance), `noop`, `refused` (blockers, nothing done), `incomplete`. */
export type DrainOutcome =
  | {kind: 'done' | 'noop'; doc: SovaDocument; message: string}
  | {kind: 'refused'; doc: SovaDocument; blockers: string[]; message: string}
  | {kind: 'incomplete'; doc: SovaDocument; left: string[]; message: string}

/** Refuses a host the cluster does not have (exit 2, with its hosts and the nearest name), or one that did not answer (69). */
async function checkHost(backend: Backend, host: string): Promise<Host[]> {
  validateName(host, 'host')
  const live = await backend.snapshot()
  const hosts = placementOf(live)
  const silent = live.missing?.find((entry) => entry.host === host)
  if (silent) throw new UnreachableError(`${host} ${silent.reason}: nothing done`)
  if (hosts.some((known) => known.name === host)) return hosts
  const names = [...hosts.map((known) => known.name), ...(live.missing ?? []).map((entry) => entry.host)].sort()
  const near = names.filter((name) => editDistance(name, host) <= 2).sort((a, b) => editDistance(a, host) - editDistance(b, host))[0]
  throw new UsageError(`${host} is not a host of the cluster${near ? `: did you mean ${near}?` : ''} (hosts: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', ...' : ''})`)
}

/** The document with `host` marked as the mark says (the mark set during this command). */
function markedIn(doc: SovaDocument, mark: HostMark): SovaDocument {
  const [rule] = hostMarkRules([mark])
  return {
    ...doc,
    hosts: doc.hosts.map((host) => (host.name === mark.host ? {...host, rules: {...host.rules, maintenance: true, by: {...host.rules?.by, maintenance: rule.origin}}} : host)),
  }
}

const withPlan = (doc: SovaDocument, plan: Partial<NonNullable<SovaDocument['plan']>>): SovaDocument => ({
  ...doc,
  plan: {policy: 'drain', migrations: [], vf: doc.plan?.vf ?? [], ...plan},
})

/** Domains Sova does not manage are the operator's to move: said, so none is forgotten. */
function leftForOperator(unmanaged: readonly {host: string; name: string}[] | undefined, host: string): string {
  const names = (unmanaged ?? []).filter((entry) => entry.host === host).map((entry) => `"${entry.name}"`)
  return names.length === 0 ? '' : ` (it still runs ${names.join(', ')}, not managed by Sova: move ${names.length === 1 ? 'it' : 'them'} by hand)`
}

/** The VFs a drain of `host` that died still owes the VMs it moved (drain-resume.ts). */
function owedVfs(store: Store, host: string, doc: SovaDocument, isRunLive: (runId: string) => boolean): PlannedVfChange[] {
  const moves = store.journalQuery({host, limit: 10_000}).filter((row) => row.kind === 'migrate' && row.host === host && row.status === 'done')
  const vms = [...new Set(moves.map((row) => row.vm))]
  const rows = [...moves, ...vms.flatMap((vm) => store.journalQuery({vm, limit: 10_000}))]
  const unique = [...new Map(rows.map((row) => [row.id, row])).values()].sort((a, b) => a.id - b.id)
  return owedArrivalVfs(unique, host, doc.hosts, isRunLive)
}

export async function drainHost(context: DrainContext, host: string, limitsOf: (host: string) => DrainLimits): Promise<DrainOutcome> {
  const {backend, store, executor} = context
  // Checked before collect, so a wrong name changes nothing (collect advances the simulator).
  await checkHost(backend, host)
  const cluster = await backend.clusterName()
  const before = store.hostMarks(cluster).find((mark) => mark.host === host)
  const collected = await collectStage(backend, store, {log: context.log, rules: context.rules?.()})
  const owed = before?.state === 'draining' && executor ? owedVfs(store, host, collected, context.isRunLive) : []
  const kept: Action[] = owed.length > 0 ? await (executor as NonNullable<Acting>).switchVfAll(owed) : []
  // The VFs just given are not free for this plan's arrivals.
  const sample = owed.length === 0 ? collected : {...collected, hosts: applyActions(collected.hosts, kept), plan: {policy: 'drain', migrations: [], vf: owed}, actions: kept}
  const source = sample.hosts.find((candidate) => candidate.name === host)
  if (!source) {
    const why = sample.missing?.find((entry) => entry.host === host)?.reason ?? 'has no readings in this sample'
    throw new UnreachableError(`${host} ${why}: nothing done`)
  }
  const now = await backend.now()

  if (source.vms.length === 0) {
    if (before?.state === 'maintenance') {
      const message = `nothing to do: ${host} is in maintenance since ${minuteOf(before.since)} and holds no VM`
      return {kind: 'noop', doc: withPlan(sample, {noop: {migrations: message}}), message}
    }
    if (!executor) {
      const message = `${host} holds no VM: it would be marked in maintenance`
      return {kind: 'noop', doc: withPlan(sample, {noop: {migrations: message}}), message}
    }
    const mark: HostMark = {host, state: 'maintenance', since: now}
    store.setHostMark(cluster, mark)
    const message = `${host} holds no VM: in maintenance since ${minuteOf(now)}${leftForOperator(sample.unmanaged, host)}`
    return {kind: 'done', doc: withPlan(markedIn(sample, mark), {noop: {migrations: message}}), message}
  }

  const planned = planDrain(sample, host, limitsOf)
  if (planned.blockers.length > 0) {
    const vms = planned.blockers.length
    const message = `drain ${host} refused: ${vms} VM${vms === 1 ? '' : 's'} cannot leave it; nothing done${before ? ` (${host} stays ${before.state})` : ''}`
    const doc = withPlan(sample, {noop: {migrations: message}, rejected: {migrations: planned.blockers}})
    return {kind: 'refused', doc, blockers: planned.blockers, message}
  }

  if (!executor) {
    const doc = await migrateStage(withPlan(sample, {migrations: planned.migrations}), undefined)
    return {kind: 'done', doc, message: `dry run: ${planned.migrations.length} VM(s) would leave ${host}, then it would be in maintenance`}
  }
  // A drain resumed after a crash keeps the time it began.
  const draining: HostMark = {host, state: 'draining', since: before?.state === 'draining' ? before.since : now}
  store.setHostMark(cluster, draining)
  const doc = await migrateStage(withPlan(markedIn(sample, draining), {migrations: planned.migrations}), executor)

  const live = await backend.snapshot()
  const after = placementOf(live).find((candidate) => candidate.name === host)
  const left = after?.vms.map((vm) => vm.name) ?? []
  if (after && left.length === 0) {
    const mark: HostMark = {host, state: 'maintenance', since: await backend.now()}
    store.setHostMark(cluster, mark)
    return {kind: 'done', doc: markedIn(doc, mark), message: `${host} holds no VM: in maintenance since ${minuteOf(mark.since)}${leftForOperator(live.unmanaged, host)}`}
  }
  const still = after ? `${left.join(', ')} still on it` : 'it did not answer afterwards'
  return {kind: 'incomplete', doc, left, message: `${host} stays draining: ${still}; run sova drain ${host} again`}
}

/** Ends a host's mark; says what it was. The caller holds the run lock (no drain of it is under way). */
export async function undrainHost(backend: Backend, store: Store, host: string): Promise<{was?: HostMark; message: string}> {
  validateName(host, 'host')
  const cluster = await backend.clusterName()
  const was = store.hostMarks(cluster).find((mark) => mark.host === host)
  if (!was) {
    await checkHost(backend, host)
    return {message: `${host} was not drained: nothing to do`}
  }
  store.clearHostMark(cluster, host)
  const abandoned = was.state === 'draining' ? ': the interrupted drain is abandoned, its VMs stay where they are' : ''
  return {was, message: `${host} is back in service (was ${was.state === 'draining' ? 'draining' : 'in maintenance'} since ${minuteOf(was.since)})${abandoned}`}
}
