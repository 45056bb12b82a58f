// The stages of the loop as functions over the document. Commands run one; `run` runs them all
// in one process, in the order of CYCLE, so a pipeline and `sova run` take the same decisions.
import type {Executor} from './apply.js'
import {dryRunActions} from './dry-run.js'
import type {Backend, RawSnapshot} from '../backends/types.js'
import {dateMissing, hostsWithoutReadings, knowledgeOf, unusablePrevious, utilisationOf} from './collect.js'
import type {Action, Host, Plan, Scores, SovaDocument} from '../document/schema.js'
import {InputError} from '../errors.js'
import {namedRecordOf, ownValue} from '../named.js'
import {type Freshness, staleness} from './freshness.js'
import type {SampleHistory} from './history.js'
import {planOperatorMigration, planOperatorVf} from './one-off.js'
import {applyActions, arrivedVms, expandMigration, vfChangeStep} from './plan-steps.js'
import {type RuleSet, withRules} from '../policy/rules.js'
import {historyNeeds, planMigrations, planVf, POLICY_NAMES, type PolicyParams, scorePolicy} from '../policy/policies.js'

export type {PolicyParams} from '../policy/policies.js'
import type {Store} from '../store/store.js'

/** Sampling window when there is no usable previous sample to take rates from. */
export const DEFAULT_SAMPLE_SECONDS = 2

export interface CollectOptions {
  /** Take rates over an in-command window of this many seconds instead of since the last sample. */
  sampleSeconds?: number
  /** The rules in force: the document's VMs and hosts carry them (policies and reports read them there). */
  rules?: RuleSet
  log: (line: string) => void
}

/** collect: a snapshot turned into rates, stored as the next sample. */
export async function collectStage(backend: Backend, store: Store, options: CollectOptions): Promise<SovaDocument> {
  let start: RawSnapshot | undefined
  let end: RawSnapshot
  let stored: RawSnapshot | undefined
  const storedBefore = (cluster: string): RawSnapshot | undefined => {
    const sample = store.lastSample(cluster)
    return sample ? (JSON.parse(sample.raw) as RawSnapshot) : undefined
  }
  if (backend.readWindow) {
    // Sensing that keeps history itself (Prometheus): both ends of the window from it.
    ;({start, end} = await backend.readWindow(options.sampleSeconds))
    // The stored sample (a whole fleet's raw counters) only dates missing hosts here: read it only then.
    stored = end.missing ? storedBefore(end.source.cluster) : undefined
  } else if (options.sampleSeconds === undefined) {
    await backend.nextSample()
    end = await backend.snapshot()
    stored = storedBefore(end.source.cluster)
    const unusable = unusablePrevious(stored, end) ?? withoutReadings(stored as RawSnapshot, end)
    if (unusable) {
      options.log(`collect: ${unusable}; sampling for ${DEFAULT_SAMPLE_SECONDS} s`)
      start = end
      await backend.wait(DEFAULT_SAMPLE_SECONDS)
      end = await backend.snapshot()
    } else {
      start = stored
    }
  } else {
    start = await backend.snapshot()
    await backend.wait(options.sampleSeconds)
    end = await backend.snapshot()
    stored = storedBefore(end.source.cluster)
  }
  if (end.missing) end = {...end, missing: dateMissing(end.missing, stored?.source.cluster === end.source.cluster ? stored : undefined)}
  // The schema checker (rates.ts checks each host's limits) loads only for collect, not for every stage.
  const {toDocument} = await import('./rates.js')
  const rated = toDocument(start as RawSnapshot, end)
  const doc = options.rules ? withRules(rated, options.rules) : rated
  for (const entry of doc.missing ?? []) options.log(`collect: ${entry.host}: ${entry.reason}`)
  for (const host of end.hosts) for (const vm of host.vms) for (const why of vm.ignoredTags ?? []) options.log(`collect: ${vm.name} on ${host.name}: ${why}`)
  store.addSample(end.source.cluster, end.at, JSON.stringify(end), utilisationOf(doc), {knowledge: knowledgeOf(doc)})
  return doc
}

/**
 * The document with the hosts `sova drain` took out of service marked in maintenance, so no stage
 * moves a VM in or hands a VF out there. (The loader of every rule in force takes this over.)
 */

/** Why the stored sample cannot start the window of every host that answered now (one came back, or is new). */
function withoutReadings(previous: RawSnapshot, current: RawSnapshot): string | undefined {
  const hosts = hostsWithoutReadings(previous, current)
  return hosts.length === 0 ? undefined : `the previous sample has no readings of ${hosts.join(', ')}`
}

/** score: the policy's per-VM and per-host analysis (hotspot prediction, VF values, memory). */
export function scoreStage(doc: SovaDocument, history: SampleHistory, params: PolicyParams): SovaDocument {
  const needs = historyNeeds(params)
  const entries = history.window(doc, needs.samples, needs.seconds)
  return {...doc, scores: withFailures(scorePolicy(doc, entries, params), history.failures(doc, needs.seconds), doc.at)}
}

/**
 * The failed actions of the remembered window added to each VM's memory: they count for its
 * backoff like moves (a failed migration is not retried the very next cycle).
 */
function withFailures(scores: Scores, failures: Map<string, {count: number; lastMs: number}>, at: string): Scores {
  if (failures.size === 0) return scores
  // Keyed by VM name like every score record: a VM named `__proto__` is a key, not a prototype.
  const vms = namedRecordOf(Object.entries(scores.vms))
  for (const [vm, failed] of failures) {
    const score = ownValue(vms, vm)
    if (!score?.memory || failed.lastMs > Date.parse(at)) continue
    vms[vm] = {...score, memory: {...score.memory, recentFailures: failed.count, lastFailureAt: new Date(failed.lastMs).toISOString()}}
  }
  return {...scores, vms}
}

function planOf(doc: SovaDocument, policy: string): Plan {
  return doc.plan ?? {policy, migrations: [], vf: []}
}

function requireScores(doc: SovaDocument, stage: string): NonNullable<SovaDocument['scores']> {
  if (!doc.scores) throw new InputError(`${stage} needs scores in its input: run sova score before it (document at ${doc.at})`)
  return doc.scores
}

/**
 * The parameters a plan stage runs with: the policy that scored the document, unless one was
 * chosen; scores of another policy cannot drive a plan (their figures mean different things).
 */
function paramsFor(doc: SovaDocument, stage: string, params: PolicyParams): PolicyParams {
  const scores = requireScores(doc, stage)
  if (!params.explicitPolicy) {
    const scored = POLICY_NAMES.find((name) => name === scores.policy)
    if (!scored) throw new InputError(`${stage}: scores of unknown policy "${scores.policy}" (document at ${doc.at}); expected one of ${POLICY_NAMES.join(', ')}`)
    return {...params, policy: scored}
  }
  if (scores.policy !== params.policy) {
    throw new InputError(
      `${stage} --policy ${params.policy} got scores of policy ${scores.policy} (document at ${doc.at}): run sova score --policy ${params.policy}`,
    )
  }
  return params
}

/** balance: the cluster-level migration plan. */
export function balanceStage(doc: SovaDocument, params: PolicyParams): SovaDocument {
  const chosen = paramsFor(doc, 'balance', params)
  const {items, noop, rejected} = planMigrations(doc, chosen)
  const plan = planOf(doc, chosen.policy)
  return {
    ...doc,
    plan: {...plan, policy: chosen.policy, migrations: meaning(items, doc.hosts), noop: {...plan.noop, migrations: noop}, rejected: {...plan.rejected, migrations: rejected}},
  }
}

/**
 * Each planned item with the identity (UUID) of the domain it was planned for, as the document
 * has it: the executor acts only while the VM of that name is still that domain.
 */
function meaning<T extends {vm: string; uuid?: string}>(items: T[], hosts: Host[]): T[] {
  const uuids = new Map<string, string>()
  for (const host of hosts) for (const vm of host.vms) if (vm.uuid !== undefined) uuids.set(vm.name, vm.uuid)
  return items.map((item) => (item.uuid === undefined && uuids.has(item.vm) ? {...item, uuid: uuids.get(item.vm) as string} : item))
}

/** An executor acts; without one (dry run) the plan's steps are recorded as not executed. */
export type Acting = Executor | undefined

/** migrate: executes the migration plan, appending each step's result; none of it on a sample too old. */
export async function migrateStage(doc: SovaDocument, executor: Acting, freshness?: Freshness): Promise<SovaDocument> {
  const plan = planOf(doc, doc.scores?.policy ?? 'none')
  const stale = plan.migrations.length > 0 ? await staleness(doc.at, freshness) : undefined
  if (stale) return {...doc, plan: {...plan, noop: {...plan.noop, migrations: `${stale}: none of the ${plan.migrations.length} planned migrations executed`}}}
  const actions: Action[] = [...(doc.actions ?? [])]
  if (executor) actions.push(...(await executor.migrateAll(plan.migrations)))
  else for (const item of plan.migrations) actions.push(...dryRunActions(expandMigration(item, applyActions(doc.hosts, actions))))
  const noop = plan.migrations.length === 0 ? {migrations: plan.noop?.migrations ?? 'no migration planned (run sova balance before migrate)'} : {}
  return {...doc, plan: {...plan, noop: {...plan.noop, ...noop}}, actions}
}

/** switch-vf: plans VF hot-plug/unplug on the cluster as the migrations left it, then executes; nothing on a sample too old. */
export async function switchVfStage(doc: SovaDocument, params: PolicyParams, executor: Acting, freshness?: Freshness): Promise<SovaDocument> {
  const chosen = paramsFor(doc, 'switch-vf', params)
  const scores = requireScores(doc, 'switch-vf')
  const stale = await staleness(doc.at, freshness)
  if (stale) return {...doc, plan: {...planOf(doc, chosen.policy), vf: [], noop: {...doc.plan?.noop, vf: `${stale}: no VF change decided`}}}
  const done = doc.actions ?? []
  const planned = planVf(applyActions(doc.hosts, done), scores, arrivedVms(done), doc.at, chosen)
  const {noop, rejected} = planned
  const changes = meaning(planned.items, doc.hosts)
  const plan = planOf(doc, chosen.policy)
  const actions: Action[] = [...done, ...(executor ? await executor.switchVfAll(changes) : dryRunActions(changes.map(vfChangeStep)))]
  return {...doc, plan: {...plan, vf: changes, noop: {...plan.noop, vf: noop}, rejected: {...plan.rejected, vf: rejected}}, actions}
}

/** What a cycle of the loop needs beside the policy: the cluster, its store, and who acts. */
export interface LoopContext {
  backend: Backend
  store: Store
  executor: Acting
  /** Tells a dead run from a live neighbour, for reconciliation. */
  isRunLive: (runId: string) => boolean
  /** The rules in force now, read at the start of each cycle (a rule set meanwhile counts from the next). */
  rules?: () => RuleSet
  log: (line: string) => void
}

/**
 * The start of a loop cycle, as `sova run` and `sova evaluate` both run it: after the first cycle,
 * settle what earlier ones still owe (a VF a failed give-back could not return while its host was
 * out), then collect. Throws UnreachableError when no host answers.
 */
export async function startCycle(context: LoopContext, cycle: number): Promise<SovaDocument> {
  if (cycle > 1 && context.executor) for (const line of await context.executor.reconcile(context.isRunLive)) context.log(`run: ${line}`)
  return collectStage(context.backend, context.store, {log: context.log, rules: context.rules?.()})
}

/** The loop after collect, in order: cluster level first, then host level (ALGORITHM.md §2). */
export async function runCycle(
  doc: SovaDocument,
  history: SampleHistory,
  params: PolicyParams,
  executor: Acting,
  freshness?: Freshness,
): Promise<SovaDocument> {
  let next = scoreStage(doc, history, params)
  next = balanceStage(next, params)
  next = await migrateStage(next, executor, freshness)
  // Migrations take time: the VF plan is decided only if the sample is still fresh after them.
  return switchVfStage(next, params, executor, freshness)
}

/** A one-off `switch-vf VM --to vf|pv`: the operator's change, planned on this sample and executed. */
export async function operatorVfStage(doc: SovaDocument, vm: string, to: 'vf' | 'pv', executor: Acting): Promise<SovaDocument> {
  const planned = planOperatorVf(doc.hosts, vm, to, doc.missing, doc.unmanaged)
  const changes = 'item' in planned && planned.item ? [planned.item] : []
  const noop = 'noop' in planned ? planned.noop : undefined
  let actions: Action[]
  if ('failure' in planned) actions = [executor ? executor.refused(planned.failure) : planned.failure]
  else if (executor) actions = await Promise.all(changes.map((change) => executor.switchVf(change)))
  else actions = dryRunActions(changes.map(vfChangeStep))
  return {...doc, plan: {policy: 'operator', migrations: [], vf: changes, noop: {vf: noop}}, actions}
}

/** A one-off `migrate VM --to HOST`: the operator's move, planned on this sample and executed. */
export async function operatorMigrationStage(doc: SovaDocument, vm: string, to: string, executor: Acting, options: {requireVf?: boolean} = {}): Promise<SovaDocument> {
  const planned = planOperatorMigration(doc.hosts, vm, to, doc.missing, doc.unmanaged, options)
  if ('failure' in planned) {
    const plan = {policy: 'operator', migrations: [], vf: [], noop: {migrations: planned.failure.error}}
    return {...doc, plan, actions: [executor ? executor.refused(planned.failure) : planned.failure]}
  }
  const plan = {policy: 'operator', migrations: planned.item ? [planned.item] : [], vf: [], noop: {migrations: planned.noop}}
  return migrateStage({...doc, plan}, executor)
}

/** Actions of a document that failed: the exit status of acting commands depends on them. */
export function failedActions(doc: SovaDocument): Action[] {
  return (doc.actions ?? []).filter((action) => action.status === 'failed')
}

/** Acting on a document of another cluster would act on the wrong VMs: refuse it. */
export function assertSameCluster(doc: SovaDocument, cluster: string): void {
  if (doc.source.cluster !== cluster) {
    throw new InputError(`document at ${doc.at} is of cluster ${doc.source.cluster}, but the backend is ${cluster}: nothing executed`)
  }
}
