import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {Predictor} from '../../src/lib/document/schema.js'
import {
  assessHotspot,
  HOTSPOT_DEFAULTS,
  HOTSPOT_PARAM_DOCS,
  validateHotspotParams,
  type HotspotParams,
} from '../../src/lib/policy/hotspot.js'
import {forecastBurg} from '../../src/lib/policy/predict.js'

describe('assessHotspot', () => {
  const cases: {
    why: string
    history: number[]
    params?: Partial<HotspotParams>
    expected: {hot: boolean; forecast: number | null; reason: string}
  }[] = [
    {
      why: 'too few samples',
      history: [0.8, 0.9, 0.8],
      expected: {hot: false, forecast: null, reason: 'window not full (3 of 5 samples)'},
    },
    {
      why: 'too few hot samples',
      history: [0.8, 0.5, 0.9, 0.5, 0.5],
      expected: {hot: false, forecast: null, reason: '2 of last 5 samples >= 0.75 (need 3)'},
    },
    {
      why: 'only the last 5 samples count',
      history: [0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.8, 0.8],
      expected: {hot: false, forecast: null, reason: '2 of last 5 samples >= 0.75 (need 3)'},
    },
    {
      why: 'constant hot window: the forecast is the value',
      history: [0.8, 0.8, 0.8, 0.8, 0.8],
      expected: {hot: true, forecast: 0.8, reason: '5 of last 5 >= 0.75 and burg AR(4) forecast 0.80 >= 0.75'},
    },
    {
      why: 'a cool past does not matter once the last 5 are hot',
      history: [0.1, 0.1, 0.1, 0.8, 0.8, 0.8, 0.8, 0.8],
      expected: {hot: true, forecast: 0.8, reason: '5 of last 5 >= 0.75 and burg AR(4) forecast 0.80 >= 0.75'},
    },
    {
      // Window [1, 0.75, 1, 0.75]: mean 0.875, centred ±0.125, fitted exactly at order 1 (coefficient -1):
      // next = 0.875 + 0.125 = 1.
      why: 'alternating window forecast up',
      history: [0.5, 1, 0.75, 1, 0.75],
      params: {window: 4},
      expected: {hot: true, forecast: 1, reason: '4 of last 5 >= 0.75 and burg AR(4) forecast 1.00 >= 0.75'},
    },
    {
      // Window [0.5, 1, 0.5, 1]: next = 0.75 - 0.25 = 0.5.
      why: 'alternating window forecast down',
      history: [1, 0.5, 1, 0.5, 1],
      params: {window: 4},
      expected: {hot: false, forecast: 0.5, reason: '3 of last 5 >= 0.75 but burg AR(4) forecast 0.50 < 0.75'},
    },
    {
      why: 'a forecast just under the threshold prints four decimals',
      history: [0.8, 0.8, 0.8, 0.7499, 0.7499],
      params: {window: 2},
      expected: {hot: false, forecast: 0.7499, reason: '3 of last 5 >= 0.75 but burg AR(4) forecast 0.7499 < 0.75'},
    },
    {
      why: 'least squares refuses the seed window',
      history: [0.8, 0.9, 0.8, 0.9, 0.8],
      params: {predictor: 'lsq'},
      expected: {hot: false, forecast: null, reason: 'least squares AR(4) needs at least 9 samples, window has 5'},
    },
    {
      why: 'least squares refuses a window longer than the history holds',
      history: [0.8, 0.9, 0.8, 0.9, 0.8],
      params: {predictor: 'lsq', window: 9},
      expected: {hot: false, forecast: null, reason: 'least squares AR(4) needs at least 9 samples, window has 5'},
    },
    {
      why: 'least squares on a constant 9-sample window',
      history: new Array(9).fill(0.8),
      params: {predictor: 'lsq', window: 9},
      expected: {hot: true, forecast: 0.8, reason: '5 of last 5 >= 0.75 and least squares AR(4) forecast 0.80 >= 0.75'},
    },
  ]
  for (const {why, history, params, expected} of cases) {
    it(why, () => {
      assert.deepEqual(assessHotspot(history, {...HOTSPOT_DEFAULTS, ...params}), expected)
    })
  }

  it('least squares AR(2) on a doubling series forecasts 32 (hand-computed in predict.test.ts)', () => {
    const result = assessHotspot([1, 2, 4, 8, 16], {...HOTSPOT_DEFAULTS, predictor: 'lsq', order: 2, threshold: 3})
    assert.equal(result.hot, true)
    assert.ok(result.forecast !== null && Math.abs(result.forecast - 32) < 1e-9)
    assert.equal(result.reason, '3 of last 5 >= 3.00 and least squares AR(2) forecast 32.00 >= 3.00')
  })

  it('fits Burg on the last `window` samples only', () => {
    const history = [0.2, 0.3, 0.9, 0.76, 0.8, 0.95, 0.78]
    const result = assessHotspot(history, HOTSPOT_DEFAULTS)
    assert.equal(result.forecast, forecastBurg([0.9, 0.76, 0.8, 0.95, 0.78], 4))
  })
})

describe('validateHotspotParams', () => {
  it('accepts the defaults', () => {
    assert.deepEqual(validateHotspotParams(HOTSPOT_DEFAULTS), [])
  })

  it('accepts least squares with a 9-sample window', () => {
    assert.deepEqual(validateHotspotParams({...HOTSPOT_DEFAULTS, predictor: 'lsq', window: 9}), [])
  })

  it('refuses least squares on the seed window', () => {
    assert.deepEqual(validateHotspotParams({...HOTSPOT_DEFAULTS, predictor: 'lsq'}), [
      'window: least squares AR(4) needs a window of at least 9 samples, got 5',
    ])
  })

  it('returns every error at once', () => {
    const bad: HotspotParams = {threshold: -1, recent: 0, hotSamplesNeeded: 1.5, order: 0, predictor: 'ols' as Predictor, window: 1}
    assert.deepEqual(validateHotspotParams(bad), [
      'threshold: expected a number > 0, got number -1',
      'recent: expected a whole number >= 1, got number 0',
      'hotSamplesNeeded: expected a whole number >= 1, got number 1.5',
      'order: expected a whole number >= 1, got number 0',
      'predictor: expected one of burg, lsq, got "ols"',
      'window: expected a whole number >= 2, got number 1',
    ])
  })

  it('refuses more hot samples than recent ones, and a non-number', () => {
    const bad = {...HOTSPOT_DEFAULTS, hotSamplesNeeded: 6, threshold: '0.75' as unknown as number}
    assert.deepEqual(validateHotspotParams(bad), [
      'threshold: expected a number > 0, got "0.75"',
      'hotSamplesNeeded: expected at most recent (5), got 6',
    ])
  })

  it('documents every parameter in one sentence', () => {
    assert.deepEqual(Object.keys(HOTSPOT_PARAM_DOCS).sort(), Object.keys(HOTSPOT_DEFAULTS).sort())
    for (const [key, text] of Object.entries(HOTSPOT_PARAM_DOCS)) assert.match(text, /^[A-Z].*\.$/, key)
  })
})
