// One-step-ahead AR(p) forecasts of a short utilisation history (ALGORITHM.md §2): Burg
// (maximum entropy), the seed's predictor, and least squares as the alternative.
// Coefficients are prediction coefficients: coefficients[i] multiplies the value i + 1 steps
// back, so next = Σ coefficients[i] · x[N - 1 - i]. Nothing here ever returns NaN: degenerate
// windows stop at a lower order (Burg) or are refused with a reason (least squares).

// A Burg stage whose error energy is below this share of the first stage's is an exact fit
// already (its residuals are rounding noise): stop there rather than divide noise by noise.
const EXACT_FIT = 1e-20
// A pivot below this share of the largest normal-equation entry makes the system singular.
const SINGULAR = 1e-12

function checkSeries(caller: string, series: readonly number[]): void {
  const bad = series.findIndex((value) => !Number.isFinite(value))
  if (bad >= 0) throw new RangeError(`${caller}: expected finite numbers, got ${series[bad]} at index ${bad}`)
}

function checkOrder(caller: string, order: number): void {
  if (!Number.isInteger(order) || order < 0) {
    throw new RangeError(`${caller}: expected a whole number order >= 0, got ${order}`)
  }
}

const isConstant = (series: readonly number[]): boolean => series.every((value) => value === series[0])
const meanOf = (series: readonly number[]): number => series.reduce((sum, value) => sum + value, 0) / series.length
// AR coefficients do not depend on the series' scale: fitting x / max|x| keeps squares and
// products clear of overflow (1e300) and underflow (1e-300).
function normalise(series: readonly number[]): number[] {
  const scale = Math.max(0, ...series.map(Math.abs))
  return scale > 0 ? series.map((value) => value / scale) : [...series]
}
// Negating a zero coefficient must give 0, not -0 (deepStrictEqual and JSON tell them apart).
const negate = (value: number): number => (value === 0 ? 0 : -value)

/** Applies prediction coefficients to the end of a series: the next value. */
export function predictNext(series: readonly number[], coefficients: readonly number[]): number {
  let next = 0
  for (const [lag, coefficient] of coefficients.entries()) next += coefficient * series[series.length - 1 - lag]
  return next
}

/**
 * Burg's maximum-entropy AR fit of `series` as given (not de-meaned). The order is capped at
 * series.length - 1, and the fit stops early when a stage's error energy is 0 (0/0: the series
 * is fitted exactly at the lower order already); `order` in the result is the order reached.
 */
export function burgCoefficients(series: readonly number[], order: number): {coefficients: number[]; order: number} {
  checkSeries('burgCoefficients', series)
  checkOrder('burgCoefficients', order)
  const maxOrder = Math.min(order, Math.max(0, series.length - 1))
  const scaled = normalise(series)
  let forward = scaled.slice(1)
  let backward = scaled.slice(0, -1)
  let filter = [1] // prediction-error filter a: a[0] = 1, next = -Σ a[i] x[N - i]
  let firstEnergy = 0
  for (let stage = 0; stage < maxOrder; stage++) {
    let cross = 0
    let energy = 0
    for (const [i, f] of forward.entries()) {
      cross += f * backward[i]
      energy += f * f + backward[i] * backward[i]
    }
    if (stage === 0) firstEnergy = energy
    if (energy === 0 || energy <= firstEnergy * EXACT_FIT) break
    // |k| <= 1 by Cauchy-Schwarz; the clamp only absorbs rounding.
    const k = Math.max(-1, Math.min(1, (-2 * cross) / energy))
    const extended = [...filter, 0]
    filter = extended.map((value, i) => value + k * extended[extended.length - 1 - i])
    const nextForward = forward.map((f, i) => f + k * backward[i])
    const nextBackward = backward.map((b, i) => b + k * forward[i])
    forward = nextForward.slice(1)
    backward = nextBackward.slice(0, -1)
  }
  return {coefficients: filter.slice(1).map(negate), order: filter.length - 1}
}

/** The seed's forecast of the next sample: Burg AR(order) on the de-meaned series. */
export function forecastBurg(series: readonly number[], order = 4): number {
  checkSeries('forecastBurg', series)
  if (series.length === 0) throw new RangeError('forecastBurg: expected at least 1 sample, got none')
  // A constant series is 0/0 at the first stage: its forecast is its value.
  if (isConstant(series)) return series[0]
  const mean = meanOf(series)
  const centred = series.map((value) => value - mean)
  const {coefficients} = burgCoefficients(centred, order)
  return mean + predictNext(centred, coefficients)
}

/** A least-squares fit or forecast, or why there is none. */
export type LeastSquaresResult<T> = ({ok: true} & T) | {ok: false; reason: string}

// Least squares AR(p) has p unknowns and N - p equations: it needs N > 2p to be determined.
function tooShortForLeastSquares(samples: number, order: number): string | undefined {
  const needed = 2 * order + 1
  if (samples >= needed) return undefined
  return `least squares AR(${order}) needs at least ${needed} samples, window has ${samples}`
}

/**
 * Solves a·x = b by Gaussian elimination with partial pivoting (the least-squares normal
 * equations); null when the system is singular. The inputs are not modified.
 */
export function solveLinearSystem(matrix: readonly (readonly number[])[], rhs: readonly number[]): number[] | null {
  const a = matrix.map((row) => [...row])
  const b = [...rhs]
  const n = b.length
  const scale = Math.max(0, ...a.flat().map(Math.abs))
  if (scale === 0) return n === 0 ? [] : null
  for (let col = 0; col < n; col++) {
    let pivot = col
    for (let row = col + 1; row < n; row++) if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) pivot = row
    if (Math.abs(a[pivot][col]) <= scale * SINGULAR) return null
    ;[a[col], a[pivot]] = [a[pivot], a[col]]
    ;[b[col], b[pivot]] = [b[pivot], b[col]]
    for (let row = col + 1; row < n; row++) {
      const factor = a[row][col] / a[col][col]
      for (let k = col; k < n; k++) a[row][k] -= factor * a[col][k]
      b[row] -= factor * b[col]
    }
  }
  const x = new Array<number>(n).fill(0)
  for (let row = n - 1; row >= 0; row--) {
    let sum = b[row]
    for (let k = row + 1; k < n; k++) sum -= a[row][k] * x[k]
    x[row] = sum / a[row][row]
  }
  return x.every(Number.isFinite) ? x : null
}

/**
 * Least-squares AR(order) fit of `series` as given: minimises Σ (x[t] - Σ c[i]·x[t-1-i])² over
 * t = order..N-1 through the normal equations. Refuses fewer than 2·order + 1 samples and a
 * singular system, with a reason.
 */
export function fitLeastSquares(series: readonly number[], order: number): LeastSquaresResult<{coefficients: number[]}> {
  checkSeries('fitLeastSquares', series)
  checkOrder('fitLeastSquares', order)
  const short = tooShortForLeastSquares(series.length, order)
  if (short) return {ok: false, reason: short}
  const scaled = normalise(series)
  const normal = Array.from({length: order}, () => new Array<number>(order).fill(0))
  const rhs = new Array<number>(order).fill(0)
  for (let t = order; t < scaled.length; t++) {
    for (let i = 0; i < order; i++) {
      rhs[i] += scaled[t] * scaled[t - 1 - i]
      for (let j = 0; j < order; j++) normal[i][j] += scaled[t - 1 - i] * scaled[t - 1 - j]
    }
  }
  const coefficients = solveLinearSystem(normal, rhs)
  if (!coefficients) {
    return {ok: false, reason: `least squares AR(${order}) is singular on this window (its ${series.length} samples do not determine ${order} coefficients)`}
  }
  return {ok: true, coefficients}
}

/** The alternative forecast of the next sample: least-squares AR(order) on the de-meaned series. */
export function forecastLeastSquares(series: readonly number[], order = 4): LeastSquaresResult<{value: number}> {
  checkSeries('forecastLeastSquares', series)
  checkOrder('forecastLeastSquares', order)
  // Checked before the constant guard, so a window too short for the order is always refused.
  const short = tooShortForLeastSquares(series.length, order)
  if (short) return {ok: false, reason: short}
  if (isConstant(series)) return {ok: true, value: series[0]}
  const mean = meanOf(series)
  const centred = series.map((value) => value - mean)
  const fit = fitLeastSquares(centred, order)
  if (!fit.ok) return fit
  return {ok: true, value: mean + predictNext(centred, fit.coefficients)}
}
