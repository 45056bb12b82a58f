// The seed's hotspot test (ALGORITHM.md §2), the template stage module: its parameters,
// defaults, parameter docs and validation sit beside the pure function that uses them.
import type {Predictor} from '../document/schema.js'
import {formatFigure} from './format-figure.js'
import {forecastBurg, forecastLeastSquares} from './predict.js'

/** Parameters of the hotspot test. */
export interface HotspotParams {
  threshold: number
  recent: number
  hotSamplesNeeded: number
  order: number
  predictor: Predictor
  window: number
}

/** The prototype's values: 3 of the last 5 samples >= 0.75 and a Burg AR(4) forecast >= 0.75. */
export const HOTSPOT_DEFAULTS: Readonly<HotspotParams> = Object.freeze({
  threshold: 0.75,
  recent: 5,
  hotSamplesNeeded: 3,
  order: 4,
  predictor: 'burg',
  window: 5,
})

/** One sentence per parameter, for --help and the man page. */
export const HOTSPOT_PARAM_DOCS: Readonly<Record<keyof HotspotParams, string>> = Object.freeze({
  threshold: 'Port utilisation at or above which a sample, or the forecast, counts as hot.',
  recent: 'How many of the latest samples are examined; the host is never hot until that many exist.',
  hotSamplesNeeded: 'How many of the recent samples must be at or above the threshold.',
  order: 'Order p of the autoregressive AR(p) model that forecasts the next sample.',
  predictor: 'How the AR model is fitted: burg (maximum entropy, the seed) or lsq (least squares).',
  window: 'How many of the latest samples the AR model is fitted on (lsq needs more than 2 × order, e.g. 9 for AR(4)).',
})

const PREDICTORS: readonly Predictor[] = ['burg', 'lsq']

const isWhole = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min
const show = (value: unknown): string => (typeof value === 'string' ? `"${value}"` : `${typeof value} ${String(value)}`)

/** Every problem with a parameter set at once, each saying what was expected and what came in. */
export function validateHotspotParams(params: HotspotParams): string[] {
  const errors: string[] = []
  const {threshold, recent, hotSamplesNeeded, order, predictor, window} = params
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold <= 0) {
    errors.push(`threshold: expected a number > 0, got ${show(threshold)}`)
  }
  if (!isWhole(recent, 1)) errors.push(`recent: expected a whole number >= 1, got ${show(recent)}`)
  if (!isWhole(hotSamplesNeeded, 1)) {
    errors.push(`hotSamplesNeeded: expected a whole number >= 1, got ${show(hotSamplesNeeded)}`)
  } else if (isWhole(recent, 1) && hotSamplesNeeded > recent) {
    errors.push(`hotSamplesNeeded: expected at most recent (${recent}), got ${hotSamplesNeeded}`)
  }
  if (!isWhole(order, 1)) errors.push(`order: expected a whole number >= 1, got ${show(order)}`)
  if (!PREDICTORS.includes(predictor)) errors.push(`predictor: expected one of ${PREDICTORS.join(', ')}, got ${show(predictor)}`)
  if (!isWhole(window, 2)) {
    errors.push(`window: expected a whole number >= 2, got ${show(window)}`)
  } else if (predictor === 'lsq' && isWhole(order, 1) && window <= 2 * order) {
    errors.push(`window: least squares AR(${order}) needs a window of at least ${2 * order + 1} samples, got ${window}`)
  }
  return errors
}

/** The verdict on one host, with the figures that decided it. */
export interface HotspotAssessment {
  hot: boolean
  forecast: number | null
  reason: string
}

const PREDICTOR_NAMES: Record<Predictor, string> = {burg: 'burg', lsq: 'least squares'}

/**
 * Whether a host is a hotspot: `history` is its utilisation, oldest first, the current sample
 * last. Hot when the last `recent` samples exist, at least `hotSamplesNeeded` of them reach the
 * threshold, and the AR forecast of the next sample (fitted on the last `window`) reaches it too.
 */
export function assessHotspot(history: readonly number[], params: HotspotParams): HotspotAssessment {
  const {threshold, recent, hotSamplesNeeded, order, predictor, window} = params
  const limit = threshold.toFixed(2)
  if (history.length < recent) {
    return {hot: false, forecast: null, reason: `window not full (${history.length} of ${recent} samples)`}
  }
  const hotCount = history.slice(-recent).filter((sample) => sample >= threshold).length
  if (hotCount < hotSamplesNeeded) {
    return {hot: false, forecast: null, reason: `${hotCount} of last ${recent} samples >= ${limit} (need ${hotSamplesNeeded})`}
  }
  const fitted = history.slice(-window)
  let forecast: number
  if (predictor === 'lsq') {
    const result = forecastLeastSquares(fitted, order)
    if (!result.ok) return {hot: false, forecast: null, reason: result.reason}
    forecast = result.value
  } else {
    forecast = forecastBurg(fitted, order)
  }
  const counted = `${hotCount} of last ${recent} >= ${limit}`
  const model = `${PREDICTOR_NAMES[predictor]} AR(${order}) forecast ${formatFigure(forecast, threshold)}`
  if (forecast >= threshold) return {hot: true, forecast, reason: `${counted} and ${model} >= ${limit}`}
  return {hot: false, forecast, reason: `${counted} but ${model} < ${limit}`}
}
