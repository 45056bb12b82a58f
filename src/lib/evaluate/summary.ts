// What an evaluation reports, as pure functions over the simulator's scoreboard: the summary of a
// whole run, the per-period series, and the rows of the side-by-side table.
import {type MetricsSummary, type SimMetrics, summariseMetrics} from '../backends/sim/metrics.js'
import type {EvaluationPolicyName} from '../policy/policies.js'
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

/** Table rows for people: readable column names, rounded figures, one row per policy. */
export function tableRows(evaluation: Evaluation): FlatRecord[] {
  return evaluation.policies.map((run) => ({
    policy: run.policy,
    'delivered/offered': fixed(run.deliveredRatio, 3),
    'mean ms': fixed(run.meanResponseMs, 2),
    'p99 ms': fixed(run.p99ResponseMs, 2),
    'host-s >90%': fixed(run.hostSecondsHot, 0),
    migrations: run.migrations,
    'VF switches': run.vfSwitches,
    'backend cores': fixed(run.backendCoresMean, 2),
  }))
}

/** CSV rows for programs: the JSON field names and unrounded figures, one row per policy. */
export function csvRows(evaluation: Evaluation): FlatRecord[] {
  return evaluation.policies.map((run) => ({
    scenario: evaluation.scenario,
    seed: evaluation.seed,
    policy: run.policy,
    seconds: run.seconds,
    offeredMbit: run.offeredMbit,
    deliveredMbit: run.deliveredMbit,
    deliveredRatio: run.deliveredRatio,
    meanResponseMs: run.meanResponseMs,
    p99ResponseMs: run.p99ResponseMs,
    hostSecondsHot: run.hostSecondsHot,
    migrations: run.migrations,
    vfSwitches: run.vfSwitches,
    backendCoresMean: run.backendCoresMean,
  }))
}
