import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  burgCoefficients,
  fitLeastSquares,
  forecastBurg,
  forecastLeastSquares,
  predictNext,
  solveLinearSystem,
} from '../../src/lib/policy/predict.js'

const close = (actual: number, expected: number, tolerance = 1e-12) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected} ± ${tolerance}, got ${actual}`)

// A deterministic pseudo-random sequence in [0, 1) (mulberry32), so tests never vary. A plain
// LCG is not good enough here: its successive outputs correlate and bias the AR estimate.
function mulberry32(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

// x[t] = phi * x[t-1] + noise, noise uniform in [-0.5, 0.5).
function ar1(phi: number, length: number, seed: number): number[] {
  const next = mulberry32(seed)
  const series = [0]
  for (let t = 1; t < length; t++) series.push(phi * series[t - 1] + next() - 0.5)
  return series
}

describe('burgCoefficients', () => {
  it('fits AR(1) to a geometric series by hand', () => {
    // f = [2, 4, 8], b = [1, 2, 4]: f·b = 42, |f|² + |b|² = 84 + 21 = 105,
    // k = -2·42/105 = -0.8, so the prediction coefficient is 0.8 and the next value 0.8·8 = 6.4.
    const fit = burgCoefficients([1, 2, 4, 8], 1)
    assert.deepEqual(fit, {coefficients: [0.8], order: 1})
    close(predictNext([1, 2, 4, 8], fit.coefficients), 6.4)
  })

  it('fits AR(2) to the same series by hand', () => {
    // Stage 1 errors: f' = f - 0.8b = [1.2, 2.4, 4.8], b' = b - 0.8f = [-0.6, -1.2, -2.4];
    // shifted: f = [2.4, 4.8], b = [-0.6, -1.2]: f·b = -7.2, energy 28.8 + 1.8 = 30.6, k2 = 14.4/30.6 = 8/17.
    // a = [1, -0.8, 0] + 8/17·[0, -0.8, 1] = [1, -20/17, 8/17]: coefficients [20/17, -8/17],
    // next = 20/17·8 - 8/17·4 = 128/17.
    const fit = burgCoefficients([1, 2, 4, 8], 2)
    assert.equal(fit.order, 2)
    close(fit.coefficients[0], 20 / 17)
    close(fit.coefficients[1], -8 / 17)
    close(predictNext([1, 2, 4, 8], fit.coefficients), 128 / 17)
  })

  it('stops at order 1 when the series is fitted exactly there (0/0 at stage 2)', () => {
    // f = [-1, 1, -1, 1], b = [1, -1, 1, -1]: k = 1, every error becomes 0, stage 2 would be 0/0.
    assert.deepEqual(burgCoefficients([1, -1, 1, -1, 1], 4), {coefficients: [-1], order: 1})
  })

  it('stops at order 1 when only rounding residue is left after it', () => {
    // [0.9, 0.7, 0.9, 0.7] minus its mean 0.8 is ±0.1 only up to rounding (0.09999999999999998,
    // -0.10000000000000009): stage 2 would fit that residue, so the fit must stop at order 1.
    const centred = [0.9, 0.7, 0.9, 0.7].map((value) => value - 0.8)
    const fit = burgCoefficients(centred, 4)
    assert.equal(fit.order, 1)
    close(fit.coefficients[0], -1)
  })

  it('caps the order at series.length - 1', () => {
    // [1, 2]: f = [2], b = [1], k = -2·2/5 = -0.8.
    assert.deepEqual(burgCoefficients([1, 2], 4), {coefficients: [0.8], order: 1})
  })

  it('fits order 0 to an all-zero series, a single sample or order 0', () => {
    assert.deepEqual(burgCoefficients([0, 0, 0], 2), {coefficients: [], order: 0})
    assert.deepEqual(burgCoefficients([5], 4), {coefficients: [], order: 0})
    assert.deepEqual(burgCoefficients([1, 2, 3], 0), {coefficients: [], order: 0})
  })

  it('recovers the coefficient of a long AR(1) series approximately', () => {
    // 400 samples: the standard error of the estimate is about sqrt((1 - 0.6²)/400) = 0.04.
    const fit = burgCoefficients(ar1(0.6, 400, 7), 1)
    close(fit.coefficients[0], 0.6, 0.12)
  })

  it('refuses non-finite samples and a bad order', () => {
    assert.throws(() => burgCoefficients([1, Number.NaN], 1), {message: 'burgCoefficients: expected finite numbers, got NaN at index 1'})
    assert.throws(() => burgCoefficients([1, 2], -1), RangeError)
    assert.throws(() => burgCoefficients([1, 2], 1.5), RangeError)
  })
})

describe('forecastBurg', () => {
  it('forecasts a de-meaned geometric series by hand', () => {
    // [1, 2, 4, 8]: mean 3.75, centred [-2.75, -1.75, 0.25, 4.25].
    // f = [-1.75, 0.25, 4.25], b = [-2.75, -1.75, 0.25]: f·b = 5.4375, energy 21.1875 + 10.6875 = 31.875,
    // k = -10.875/31.875 = -29/85: next = 3.75 + 29/85·4.25 = 3.75 + 1.45 = 5.2.
    close(forecastBurg([1, 2, 4, 8], 1), 5.2)
  })

  it('returns the value of a constant series', () => {
    assert.equal(forecastBurg([0.8, 0.8, 0.8, 0.8, 0.8]), 0.8)
    assert.equal(forecastBurg([0.3]), 0.3)
    // The mean of [0.1, 0.1, 0.1] is 0.10000000000000002: only the guard returns exactly 0.1.
    assert.equal(forecastBurg([0.1, 0.1, 0.1]), 0.1)
  })

  it('falls back to the lower order when a stage is 0/0', () => {
    // [3, 1, 3, 1]: mean 2, centred [1, -1, 1, -1] is fitted exactly at order 1 (coefficient -1):
    // next = 2 + (-1)·(-1) = 3.
    assert.equal(forecastBurg([3, 1, 3, 1], 4), 3)
    assert.equal(forecastBurg([1, 0.5, 1, 0.5], 4), 1)
  })

  it('refuses an empty series', () => {
    assert.throws(() => forecastBurg([]), {message: 'forecastBurg: expected at least 1 sample, got none'})
  })
})

describe('fitLeastSquares and forecastLeastSquares', () => {
  it('forecasts AR(1) on three samples by hand', () => {
    // [1, 2, 4]: mean 7/3, centred [-4/3, -1/3, 5/3]. c = Σ y[t]y[t-1] / Σ y[t-1]²
    // = (4/9 - 5/9) / (16/9 + 1/9) = -1/17; next = 7/3 - 1/17·5/3 = 114/51.
    const result = forecastLeastSquares([1, 2, 4], 1)
    assert.ok(result.ok)
    close(result.value, 114 / 51)
  })

  it('recovers x[t] = 3x[t-1] - 2x[t-2] from a doubling series', () => {
    // Centred [1, 2, 4, 8, 16] (mean 6.2): normal equations [[25.72, 27.12], [27.12, 49.52]]·c = [22.92, -17.68],
    // det 538.16, c = [1614.48/538.16, -1076.32/538.16] = [3, -2]; next = 6.2 + 3·9.8 - 2·1.8 = 32.
    const centred = [1, 2, 4, 8, 16].map((value) => value - 6.2)
    const fit = fitLeastSquares(centred, 2)
    assert.ok(fit.ok)
    close(fit.coefficients[0], 3, 1e-9)
    close(fit.coefficients[1], -2, 1e-9)
    const forecast = forecastLeastSquares([1, 2, 4, 8, 16], 2)
    assert.ok(forecast.ok)
    close(forecast.value, 32, 1e-9)
  })

  it('refuses AR(4) on 5 samples', () => {
    const reason = 'least squares AR(4) needs at least 9 samples, window has 5'
    assert.deepEqual(forecastLeastSquares([0.8, 0.9, 0.7, 0.8, 0.9]), {ok: false, reason})
    // Even a constant window: the window is too short for the order whatever its values.
    assert.deepEqual(forecastLeastSquares([0.8, 0.8, 0.8, 0.8, 0.8]), {ok: false, reason})
    assert.deepEqual(fitLeastSquares([1, 2, 3, 4, 5], 4), {ok: false, reason})
  })

  it('refuses a singular system with a reason', () => {
    // [3, 1, 3, 1, 3, 1] centred is ±1: the two lag columns are exact negatives, XᵀX = [[4, -4], [-4, 4]].
    assert.deepEqual(forecastLeastSquares([3, 1, 3, 1, 3, 1], 2), {
      ok: false,
      reason: 'least squares AR(2) is singular on this window (its 6 samples do not determine 2 coefficients)',
    })
  })

  it('returns the value of a constant series', () => {
    assert.deepEqual(forecastLeastSquares(new Array(9).fill(0.8)), {ok: true, value: 0.8})
  })

  it('recovers the coefficient of a long AR(1) series approximately', () => {
    const series = ar1(0.6, 400, 7)
    const one = fitLeastSquares(series, 1)
    assert.ok(one.ok)
    close(one.coefficients[0], 0.6, 0.12)
    // An AR(4) fit of the same series puts the weight on lag 1, little on the others.
    const four = fitLeastSquares(series, 4)
    assert.ok(four.ok)
    close(four.coefficients[0], 0.6, 0.12)
    for (const lag of [1, 2, 3]) close(four.coefficients[lag], 0, 0.15)
  })
})

describe('solveLinearSystem', () => {
  it('solves a system that needs a row swap', () => {
    // A zero first pivot: without pivoting this divides by 0.
    assert.deepEqual(solveLinearSystem([[0, 1], [1, 0]], [2, 3]), [3, 2])
  })

  it('pivots on the largest entry for accuracy', () => {
    // x + y = 2 and 1e-20·x + y = 1: x = y = 1 to double precision. Without pivoting the
    // tiny pivot gives y = 1 and then x = (1 - 1)/1e-20 = 0.
    const x = solveLinearSystem([[1e-20, 1], [1, 1]], [1, 2])
    assert.ok(x)
    close(x[0], 1)
    close(x[1], 1)
  })

  it('returns null for a singular system and leaves its inputs alone', () => {
    const matrix = [[4, -4], [-4, 4]]
    const rhs = [1, 2]
    assert.equal(solveLinearSystem(matrix, rhs), null)
    assert.equal(solveLinearSystem([[0, 0], [0, 0]], [0, 0]), null)
    assert.deepEqual([matrix, rhs], [[[4, -4], [-4, 4]], [1, 2]])
    assert.deepEqual(solveLinearSystem([], []), [])
  })
})

describe('no NaN, ever', () => {
  const awkward: number[][] = [
    [0.1, 0.9, 0.1, 0.9, 0.1],
    [0, 0, 0, 0, 1],
    [1, 0, 0, 0, 0],
    [0.75, 0.75, 0.75, 0.75, 0.76],
    [1e-300, 0, 1e-300, 0, 0],
    [1e300, 1e300, 0, 1e300, 1e300],
    [0.5, 0.5],
    [0.2, 0.4, 0.2, 0.4, 0.2, 0.4, 0.2, 0.4, 0.2],
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  ]
  for (const series of awkward) {
    it(`[${series.join(', ')}]`, () => {
      for (const order of [1, 2, 3, 4, 6]) {
        assert.ok(Number.isFinite(forecastBurg(series, order)), `burg AR(${order})`)
        const lsq = forecastLeastSquares(series, order)
        if (lsq.ok) assert.ok(Number.isFinite(lsq.value), `lsq AR(${order})`)
        else assert.match(lsq.reason, /^least squares AR\(\d\) /)
      }
    })
  }

  it('holds for arbitrary utilisation windows', () => {
    const sample = fc.oneof(fc.double({min: 0, max: 2, noNaN: true}), fc.constantFrom(0, 0.75, 1))
    fc.assert(
      fc.property(fc.array(sample, {minLength: 1, maxLength: 16}), fc.integer({min: 0, max: 8}), (series, order) => {
        const burg = forecastBurg(series, order)
        const lsq = forecastLeastSquares(series, order)
        return Number.isFinite(burg) && (!lsq.ok || Number.isFinite(lsq.value))
      }),
      {seed: 42, numRuns: 2000},
    )
  })
})
