// Runs one scenario and seed under several policies, each on its own copy of the simulated
// cluster in a private in-memory store (never the user's state), through exactly the code
// `sova run` uses: startCycle (reconcile, collect), then runCycle with the default sample-age
// limit, once per loop period. Every row is scored over exactly the same simulated window,
// --duration from the scenario's start: the cluster's scoreboard stops at the window's end
// (SimCluster.scoreUntilMs) even when a loop period, or the actions in it, runs past it.
import type {SovaDocument} from '../document/schema.js'
import {NO_RULES, type RuleSet} from '../policy/rules.js'
import {Executor} from '../loop/apply.js'
import type {ActionBounds} from '../loop/action-bounds.js'
import {SIM_SAMPLE_SECONDS, SimBackend, readSimCluster} from '../backends/sim/backend.js'
import type {SimCluster} from '../backends/sim/cluster.js'
import {resolveScenario} from '../backends/sim/scenarios.js'
import type {TraceFlagValues} from '../backends/sim/trace-options.js'
import type {PhysicsOverride} from '../backends/sim/physics-overrides.js'
import {freshnessOf, policyParams} from '../cli/flags.js'
import {UsageError} from '../errors.js'
import {SampleHistory} from '../loop/history.js'
import {EVALUATION_POLICIES, type EvaluationPolicyName, type PolicyName, type PolicyParams} from '../policy/policies.js'
import {DEFAULT_MAX_SAMPLE_AGE_SECONDS} from '../loop/freshness.js'
import {mapSettled} from '../concurrency.js'
import {runCycle, startCycle} from '../loop/stages.js'
import {Store} from '../store/store.js'
import {runBound} from './bound.js'
import {runClairvoyant} from './clairvoyant.js'
import {type Evaluation, type PolicyEvaluation, type ScoreboardPoint, evaluationOf} from './summary.js'

/** Where an evaluation stands, for progress reporting. */
export interface EvaluationProgress {
  policy: EvaluationPolicyName
  /** Position of this policy in the list, from 0. */
  index: number
  count: number
  elapsedSeconds: number
  durationSeconds: number
  /** Set once the policy's run is over, with its result. */
  result?: PolicyEvaluation
}

export interface EvaluationOptions {
  /** A built-in scenario name or a scenario file. */
  scenario: string
  /** The configuration's rules: every loop policy evaluated honours them (clairvoyant and bound do not). */
  rules?: RuleSet
  seed: number
  durationSeconds: number
  hosts?: number
  vmsPerHost?: number
  /** The trace scenario's options (its slice defaults to durationSeconds). */
  trace?: TraceFlagValues
  /** Physics other than the scenario's own (--physics). */
  physics?: readonly PhysicsOverride[]
  policies: readonly EvaluationPolicyName[]
  /** Each loop policy's parameters (flags and configuration file); default: its defaults. */
  paramsFor?: (policy: PolicyName) => PolicyParams
  onProgress?: (progress: EvaluationProgress) => void
  /** How many actions run at once (the configuration's, config-bounds.ts), as `sova run` runs them; default DEFAULT_ACTION_BOUNDS. */
  bounds?: ActionBounds
  /** Each loop policy's document of each cycle, as `sova run` would write it (a test compares the two). */
  onCycle?: (policy: PolicyName, doc: SovaDocument) => void
  /** How many policies run at once (default 1). Each run is its own, so the results do not depend on it. */
  jobs?: number
  /** Where each policy runs (default: in this thread, runPolicy); workers.ts runs each in a worker thread. */
  runner?: PolicyRunner
}

/** Parses `--policies a,b,c`: known names, none twice, at least one; absent means all of them. */
export function parsePolicies(input: string | undefined): EvaluationPolicyName[] {
  if (input === undefined) return [...EVALUATION_POLICIES]
  const valid = `valid policies: ${EVALUATION_POLICIES.join(', ')}`
  const names = input.split(',').map((name) => name.trim())
  if (names.every((name) => name === '')) throw new UsageError(`--policies: expected a comma-separated list, got "${input}"; ${valid}`)
  const seen = new Set<string>()
  for (const name of names) {
    if (name === 'oracle') {
      throw new UsageError(`--policies: "oracle" is no longer offered (it was no upper bound): "bound" is the upper bound, "clairvoyant" the heuristic it was; ${valid}`)
    }
    if (!(EVALUATION_POLICIES as readonly string[]).includes(name)) {
      throw new UsageError(`--policies: unknown policy "${name}"; ${valid}`)
    }
    if (seen.has(name)) throw new UsageError(`--policies: "${name}" is listed twice; ${valid}`)
    seen.add(name)
  }
  return names as EvaluationPolicyName[]
}

/**
 * The scoreboard now, dated at the cluster's common time (hosts that acted since may be ahead of it:
 * what they did counts in this point); past the scoring window's end, the window's end (the
 * scoreboard stopped there for every host).
 */
function pointOf(cluster: SimCluster): ScoreboardPoint {
  return {timeMs: Math.min(cluster.timeMs, cluster.scoreUntilMs ?? Number.POSITIVE_INFINITY), metrics: structuredClone(cluster.metrics)}
}

/**
 * One loop policy on its own in-memory store until `durationSeconds` of simulated time have passed.
 * The last period may run past that (a collect is 10 s, actions take their time); the scoreboard
 * does not: it stops at the window's end, so the run is scored over exactly `durationSeconds`.
 */
async function runLoopPolicy(
  cluster: SimCluster,
  params: PolicyParams,
  durationSeconds: number,
  onPeriod: (elapsedSeconds: number) => void,
  rules: RuleSet = NO_RULES,
  onCycle: (doc: SovaDocument) => void = () => {},
  bounds?: ActionBounds,
): Promise<ScoreboardPoint[]> {
  const store = Store.openInMemory()
  try {
    const endMs = cluster.timeMs + Math.round(durationSeconds * 1000)
    store.writeSim(JSON.stringify({...cluster, scoreUntilMs: endMs}))
    const backend = new SimBackend(store)
    const history = new SampleHistory(store)
    const executor = new Executor(backend, store, `evaluate/${params.policy}`, undefined, {rules: () => rules, bounds})
    // The private store holds no other run; the loop's own rows are its to settle.
    const context = {backend, store, executor, isRunLive: () => true, log: () => {}, rules: () => rules}
    const freshness = freshnessOf(DEFAULT_MAX_SAMPLE_AGE_SECONDS, backend)
    const points = [pointOf(cluster)]
    // A period is one collect (10 s of simulated time) plus whatever time the actions took.
    for (let cycle = 1; (points.at(-1) as ScoreboardPoint).timeMs < endMs; cycle++) {
      const sample = await startCycle(context, cycle)
      onCycle(await runCycle(sample, history, params, executor, freshness))
      points.push(pointOf(readSimCluster(store)))
      onPeriod(((points.at(-1) as ScoreboardPoint).timeMs - cluster.timeMs) / 1000)
    }
    return points
  } finally {
    store.close()
  }
}

/** Refuses a window of no simulated time, before anything is built or run. */
function refuseDuration(seconds: number): void {
  if (!(seconds > 0)) throw new UsageError(`--duration: expected a duration above 0, got ${seconds} s`)
}

/** Builds the scenario once (a bad name or file fails here, before any run) and evaluates each policy. */
export async function evaluate(options: EvaluationOptions): Promise<Evaluation> {
  refuseDuration(options.durationSeconds)
  const cluster = resolveScenario(options.scenario, options.seed, {hosts: options.hosts, vmsPerHost: options.vmsPerHost, trace: options.trace, durationHintS: options.durationSeconds, physics: options.physics})
  return evaluateCluster(cluster, options)
}

/** Runs one policy on `copy` (its own), reporting each period's end: in this thread (runPolicy) or in a worker thread (workers.ts). */
export type PolicyRunner = (policy: EvaluationPolicyName, copy: SimCluster, onPeriod: (elapsedSeconds: number) => void) => Promise<ScoreboardPoint[]>

/** What one policy's run reads of the evaluation's options. */
export type PolicyRunOptions = Pick<EvaluationOptions, 'durationSeconds' | 'rules' | 'paramsFor' | 'bounds' | 'onCycle'>

/** The scoreboard of `policy` run on `copy` (its own) in this thread: the bound, the clairvoyant heuristic, or a loop policy as `sova run` runs it. */
export async function runPolicy(policy: EvaluationPolicyName, copy: SimCluster, options: PolicyRunOptions, onPeriod: (elapsedSeconds: number) => void): Promise<ScoreboardPoint[]> {
  if (policy === 'bound') return runBound(copy, options.durationSeconds, SIM_SAMPLE_SECONDS, onPeriod)
  if (policy === 'clairvoyant') return runClairvoyant(copy, options.durationSeconds, SIM_SAMPLE_SECONDS, onPeriod).points
  const params = (options.paramsFor ?? ((name) => policyParams({policy: name})))(policy)
  return runLoopPolicy(copy, params, options.durationSeconds, onPeriod, options.rules, (doc) => options.onCycle?.(policy, doc), options.bounds)
}

/**
 * Evaluates each policy on its own copy of an already built cluster (the scenario options are not
 * read), `jobs` at a time; the rows come in the order of `policies` however the runs interleave.
 */
export async function evaluateCluster(cluster: SimCluster, options: Omit<EvaluationOptions, 'scenario' | 'hosts' | 'vmsPerHost' | 'trace' | 'physics'>): Promise<Evaluation> {
  refuseDuration(options.durationSeconds)
  const runner: PolicyRunner = options.runner ?? ((policy, copy, onPeriod) => runPolicy(policy, copy, options, onPeriod))
  const settled = await mapSettled(options.policies, options.jobs ?? 1, async (policy, index) => {
    const report = (elapsedSeconds: number, result?: PolicyEvaluation) =>
      options.onProgress?.({policy, index, count: options.policies.length, elapsedSeconds, durationSeconds: options.durationSeconds, result})
    const result = evaluationOf(policy, await runner(policy, structuredClone(cluster), report))
    report(options.durationSeconds, result)
    return result
  })
  const failed = settled.find((outcome) => outcome.status === 'rejected')
  if (failed) throw failed.reason
  return {
    scenario: cluster.scenario,
    seed: options.seed,
    durationSeconds: options.durationSeconds,
    periodSeconds: SIM_SAMPLE_SECONDS,
    policies: settled.map((outcome) => (outcome as PromiseFulfilledResult<PolicyEvaluation>).value),
  }
}
