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

/** One period of a run: when it ended (s), what was delivered (Gbit/s) and the p99 response (ms). */
export interface SeriesPoint {
  t: number
  deliveredGbps: number
  p99Ms: number
}

/** One policy's result: the summary over the whole run and its per-period series. */
export interface PolicyEvaluation extends MetricsSummary {
  policy: EvaluationPolicyName
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
    series.push({t: points[i].timeMs / 1000, deliveredGbps: period.deliveredMbit / seconds / 1000, p99Ms: period.p99ResponseMs})
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
  return {policy, ...summaryOf(points), series: seriesOf(points)}
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : String(value))

type PolicyRun = Evaluation['policies'][number]
type Figure = {name: string; table: (run: PolicyRun) => string; csv: (run: PolicyRun, evaluation: Evaluation) => string | number} & Omit<Column, 'name'>

/** One row per policy; the same column names in the table (figures rounded) and CSV (unrounded), as every table (docs/output.md). */
const FIGURES: Figure[] = [
  {name: 'scenario', priority: 9, wideOnly: true, table: () => '', csv: (_run, evaluation) => evaluation.scenario},
  {name: 'seed', priority: 9, wideOnly: true, table: () => '', csv: (_run, evaluation) => evaluation.seed},
  {name: 'policy', priority: 1, table: (run) => run.policy, csv: (run) => run.policy},
  {name: 'seconds', priority: 9, wideOnly: true, align: 'right', table: (run) => fixed(run.seconds, 0), csv: (run) => run.seconds},
  {name: 'offered_mbit', priority: 9, wideOnly: true, align: 'right', table: (run) => fixed(run.offeredMbit, 0), csv: (run) => run.offeredMbit},
  {name: 'delivered_mbit', priority: 9, wideOnly: true, align: 'right', table: (run) => fixed(run.deliveredMbit, 0), csv: (run) => run.deliveredMbit},
  {name: 'delivered_ratio', priority: 1, align: 'right', table: (run) => fixed(run.deliveredRatio, 3), csv: (run) => run.deliveredRatio},
  {name: 'mean_response_ms', priority: 3, align: 'right', table: (run) => fixed(run.meanResponseMs, 2), csv: (run) => run.meanResponseMs},
  {name: 'p99_response_ms', priority: 2, align: 'right', table: (run) => fixed(run.p99ResponseMs, 2), csv: (run) => run.p99ResponseMs},
  {name: 'host_seconds_hot', priority: 4, align: 'right', table: (run) => fixed(run.hostSecondsHot, 0), csv: (run) => run.hostSecondsHot},
  {name: 'migrations', priority: 4, align: 'right', table: (run) => String(run.migrations), csv: (run) => run.migrations},
  {name: 'vf_switches', priority: 5, align: 'right', table: (run) => String(run.vfSwitches), csv: (run) => run.vfSwitches},
  {name: 'backend_cores', priority: 6, align: 'right', table: (run) => fixed(run.backendCoresMean, 2), csv: (run) => run.backendCoresMean},
]

/** The table's columns (the wide-only ones: with --wide, always in CSV). */
export const EVALUATION_COLUMNS: Column[] = FIGURES.map(({table: _table, csv: _csv, ...column}) => column)

/** Table rows for people: rounded figures, one row per policy (host_seconds_hot: host-seconds above 90% port utilisation). */
export function tableRows(evaluation: Evaluation): FlatRecord[] {
  return evaluation.policies.map((run) => Object.fromEntries(FIGURES.map((figure) => [figure.name, figure.table(run)])))
}

/** CSV rows for programs: unrounded figures, one row per policy. */
export function csvRows(evaluation: Evaluation): FlatRecord[] {
  return evaluation.policies.map((run) => Object.fromEntries(FIGURES.map((figure) => [figure.name, figure.csv(run, evaluation)])))
}
