// What an evaluation reports, as pure functions over the simulator's scoreboard: the summary of a
// whole run, the per-period series, and the rows of the side-by-side table.
import {type MetricsSummary, type SimMetrics, summariseMetrics} from '../backends/sim/metrics.js'
import type {EvaluationPolicyName} from '../policy/policies.js'
import type {Column} from '../render/grid.js'
import type {FlatRecord} from '../render/records.js'

/** The scoreboard as it stood at one simulated instant (ms since the scenario started). */
export interface ScoreboardPoint {
  timeMs: number
  metrics: SimMetrics
}

/** One period of a run: when it ended (s), what was offered and delivered (Gbit/s) and the p99 response (ms). */
export interface SeriesPoint {
  t: number
  offeredGbps: number
  deliveredGbps: number
  p99Ms: number
}

/** What a row is: a loop policy, a heuristic that is no policy (clairvoyant), or the bound. */
export type EvaluationKind = 'policy' | 'heuristic' | 'bound'

export function kindOf(policy: EvaluationPolicyName): EvaluationKind {
  return policy === 'bound' ? 'bound' : policy === 'clairvoyant' ? 'heuristic' : 'policy'
}

/**
 * Figures the bound does not bound: null in its row ('-' in the table, empty in CSV). Hot
 * host-seconds are no measure of quality on their own (throttling lowers them); the others are costs
 * the bound does not pay.
 */
export const UNBOUNDED_FIGURES = ['hostSecondsHot', 'migrations', 'vfSwitches', 'backendCoresMean'] as const
type Unbounded = (typeof UNBOUNDED_FIGURES)[number]

/**
 * One row's result: the summary over the whole run and its per-period series. For the bound,
 * delivered traffic is an upper bound, response times and the unserved share lower bounds (for
 * any policy, over the same window) and the UNBOUNDED_FIGURES null.
 */
export type PolicyEvaluation = Omit<MetricsSummary, Unbounded> & {[K in Unbounded]: number | null} & {
  policy: EvaluationPolicyName
  kind: EvaluationKind
  series: SeriesPoint[]
}

/** The whole evaluation, as `sova evaluate --format json` prints it. */
export interface Evaluation {
  scenario: string
  seed: number
  durationSeconds: number
  periodSeconds: number
  policies: PolicyEvaluation[]
}

/** Per-period series from consecutive scoreboard points (the first point is the start). */
export function seriesOf(points: readonly ScoreboardPoint[]): SeriesPoint[] {
  const series: SeriesPoint[] = []
  for (let i = 1; i < points.length; i++) {
    const seconds = (points[i].timeMs - points[i - 1].timeMs) / 1000
    if (seconds <= 0) continue
    const period = summariseMetrics(points[i - 1].metrics, points[i].metrics, seconds)
    series.push({t: points[i].timeMs / 1000, offeredGbps: period.offeredMbit / seconds / 1000, deliveredGbps: period.deliveredMbit / seconds / 1000, p99Ms: period.p99ResponseMs})
  }
  return series
}

/** The summary over a whole run, from its first to its last scoreboard point. */
export function summaryOf(points: readonly ScoreboardPoint[]): MetricsSummary {
  if (points.length === 0) throw new RangeError('summaryOf: expected at least one scoreboard point, got none')
  const first = points[0]
  const last = points.at(-1) as ScoreboardPoint
  return summariseMetrics(first.metrics, last.metrics, (last.timeMs - first.timeMs) / 1000)
}

/** A policy's evaluation from the scoreboard points its run produced. */
export function evaluationOf(policy: EvaluationPolicyName, points: readonly ScoreboardPoint[]): PolicyEvaluation {
  const kind = kindOf(policy)
  const summary: PolicyEvaluation = {policy, kind, ...summaryOf(points), series: seriesOf(points)}
  if (kind === 'bound') for (const figure of UNBOUNDED_FIGURES) summary[figure] = null
  return summary
}

const fixed = (value: number | null, digits: number): string => (value === null ? '-' : Number.isFinite(value) ? value.toFixed(digits) : String(value))
const whole = (value: number | null): string => (value === null ? '-' : String(value))
const unrounded = (value: number | null): string | number => value ?? ''

type PolicyRun = Evaluation['policies'][number]
type Figure = {name: string; table: (run: PolicyRun) => string; csv: (run: PolicyRun, evaluation: Evaluation) => string | number} & Omit<Column, 'name'>

/**
 * One row per policy; the same column names in the table (figures rounded) and CSV (unrounded), as
 * every table (docs/output.md). The table's header arrows say which way is better. Hot host-seconds
 * come right after delivered traffic: fewer of them is only better at equal delivery (throttling
 * lowers both).
 */
const FIGURES: Figure[] = [
  {name: 'scenario', priority: 9, wideOnly: true, table: () => '', csv: (_run, evaluation) => evaluation.scenario},
  {name: 'seed', priority: 9, wideOnly: true, table: () => '', csv: (_run, evaluation) => evaluation.seed},
  {name: 'policy', priority: 1, table: (run) => run.policy, csv: (run) => run.policy},
  {name: 'kind', priority: 9, wideOnly: true, table: (run) => run.kind, csv: (run) => run.kind},
  {name: 'seconds', priority: 9, wideOnly: true, align: 'right', table: (run) => fixed(run.seconds, 0), csv: (run) => run.seconds},
  {name: 'offered_mbit', priority: 9, wideOnly: true, align: 'right', table: (run) => fixed(run.offeredMbit, 0), csv: (run) => run.offeredMbit},
  {name: 'delivered_mbit', priority: 9, wideOnly: true, align: 'right', better: 'higher', table: (run) => fixed(run.deliveredMbit, 0), csv: (run) => run.deliveredMbit},
  {name: 'delivered_ratio', priority: 1, align: 'right', better: 'higher', table: (run) => fixed(run.deliveredRatio, 3), csv: (run) => run.deliveredRatio},
  {name: 'host_seconds_hot', priority: 4, align: 'right', better: 'lower', table: (run) => fixed(run.hostSecondsHot, 0), csv: (run) => unrounded(run.hostSecondsHot)},
  {name: 'p99_response_ms', priority: 2, align: 'right', better: 'lower', table: (run) => fixed(run.p99ResponseMs, 2), csv: (run) => run.p99ResponseMs},
  {name: 'mean_response_ms', priority: 3, align: 'right', better: 'lower', table: (run) => fixed(run.meanResponseMs, 2), csv: (run) => run.meanResponseMs},
  {name: 'unserved_share', priority: 2, align: 'right', better: 'lower', table: (run) => fixed(run.unservedShare, 3), csv: (run) => run.unservedShare},
  {name: 'migrations', priority: 4, align: 'right', better: 'lower', table: (run) => whole(run.migrations), csv: (run) => unrounded(run.migrations)},
  {name: 'vf_switches', priority: 5, align: 'right', better: 'lower', table: (run) => whole(run.vfSwitches), csv: (run) => unrounded(run.vfSwitches)},
  {name: 'backend_cores', priority: 6, align: 'right', better: 'lower', table: (run) => fixed(run.backendCoresMean, 2), csv: (run) => unrounded(run.backendCoresMean)},
]

/** The table's columns (the wide-only ones: with --wide, always in CSV). */
export const EVALUATION_COLUMNS: Column[] = FIGURES.map(({table: _table, csv: _csv, ...column}) => column)

/** Table rows for people: rounded figures, one row per policy (host_seconds_hot: host-seconds above 90% port utilisation; '-': not bounded). */
export function tableRows(evaluation: Evaluation): FlatRecord[] {
  return evaluation.policies.map((run) => Object.fromEntries(FIGURES.map((figure) => [figure.name, figure.table(run)])))
}

/** CSV rows for programs: unrounded figures, one row per policy. */
export function csvRows(evaluation: Evaluation): FlatRecord[] {
  return evaluation.policies.map((run) => Object.fromEntries(FIGURES.map((figure) => [figure.name, figure.csv(run, evaluation)])))
}
