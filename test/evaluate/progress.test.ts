// Progress on stderr: a bar redrawn in place on a terminal, one line per finished policy otherwise.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {EvaluationProgress} from '../../src/lib/evaluate/harness.js'
import {barLine, progressReporter} from '../../src/lib/evaluate/progress.js'

const step = (index: number, elapsedSeconds: number, done = false): EvaluationProgress => ({
  policy: index === 0 ? 'seed' : 'bound',
  index,
  count: 2,
  elapsedSeconds,
  durationSeconds: 600,
  result: done ? ({kind: index === 0 ? 'policy' : 'bound', deliveredRatio: 0.9, p99ResponseMs: 12.5, migrations: index === 0 ? 3 : null, vfSwitches: index === 0 ? 7 : null} as EvaluationProgress['result']) : undefined,
})

describe('evaluation progress', () => {
  it('on a terminal: \\r-redrawn bar, cleared at the end, no newline', () => {
    let out = ''
    const reporter = progressReporter({isTTY: true, write: (text) => (out += text)})
    reporter.onProgress(step(0, 300))
    reporter.onProgress(step(0, 600, true))
    reporter.onProgress(step(1, 600, true))
    reporter.done()
    assert.ok(out.startsWith('\r'))
    assert.ok(out.endsWith('\r\u001B[K'))
    assert.doesNotMatch(out, /\n/)
    assert.match(barLine(step(0, 300)), /25% seed \(1\/2\) 5m\/10m/)
  })

  it('on a terminal, policies side by side (--jobs): the bar sums every run\'s part', () => {
    let out = ''
    const reporter = progressReporter({isTTY: true, write: (text) => (out += text)})
    reporter.onProgress(step(1, 600, true))
    reporter.onProgress(step(0, 300, true))
    assert.match(out, /\[#{15}\.{15}\] {2}50% bound \(2\/2\)/, 'bound done, seed not started: half')
    assert.match(out, /100% seed \(1\/2\)/, 'both done')
  })

  it('not on a terminal: one line per finished policy; quiet: nothing', () => {
    let out = ''
    const reporter = progressReporter({isTTY: false, write: (text) => (out += text)})
    reporter.onProgress(step(0, 300))
    reporter.onProgress(step(0, 600, true))
    reporter.onProgress(step(1, 600, true))
    assert.equal(
      out,
      'evaluate: seed done (1 of 2): delivered/offered 0.900, p99 12.50 ms, 3 migrations, 7 VF switches\n' +
        'evaluate: bound done (2 of 2): delivered/offered at most 0.900, p99 at least 12.50 ms\n',
    )
    const quiet = progressReporter(undefined)
    quiet.onProgress(step(0, 600, true))
    quiet.done()
  })
})
