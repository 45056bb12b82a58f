// The SVG plot: one line per policy in each panel, a legend entry per policy, well-formed XML.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {escapeXml, linearTicks, logTicks, renderPlot} from '../../src/lib/evaluate/plot.js'
import type {Evaluation, PolicyEvaluation} from '../../src/lib/evaluate/summary.js'
import type {EvaluationPolicyName} from '../../src/lib/policy/policies.js'

function run(policy: EvaluationPolicyName, scale: number): PolicyEvaluation {
  const series = Array.from({length: 30}, (_, i) => ({t: (i + 1) * 10, offeredGbps: 6 + Math.sin(i / 3), deliveredGbps: scale * (5 + Math.sin(i / 3)), p99Ms: scale * (1 + i * i)}))
  return {
    policy,
    kind: policy === 'bound' ? 'bound' : 'policy',
    seconds: 300,
    offeredMbit: 1,
    deliveredMbit: 1,
    deliveredRatio: 1,
    meanResponseMs: 1,
    p99ResponseMs: 1,
    hostSecondsHot: 0,
    migrations: 0,
    vfSwitches: 0,
    backendCoresMean: 0,
    unservedShare: 0,
    series,
  }
}

const evaluation: Evaluation = {
  scenario: 'odd <name> & "quotes"',
  seed: 7,
  durationSeconds: 300,
  periodSeconds: 10,
  policies: [run('static-pv', 0.5), run('seed', 0.8), run('sova', 0.9), run('bound', 1)],
}

/** The text of one `<g id="...">…</g>` group (groups do not nest a second `</g>` before theirs in panels). */
function group(svg: string, id: string): string {
  const start = svg.indexOf(`<g id="${id}">`)
  assert.ok(start >= 0, `group ${id} present`)
  return svg.slice(start, svg.indexOf('</g>', start))
}

function hasXmllint(): boolean {
  return spawnSync('xmllint', ['--version']).status === 0
}

describe('plot', () => {
  const svg = renderPlot(evaluation)

  it('draws one polyline per policy in each of the two panels, in the policies\' order', () => {
    for (const id of ['panel-delivered', 'panel-p99']) {
      const lines = [...group(svg, id).matchAll(/<polyline [^>]*data-policy="([^"]+)"/g)].map((m) => m[1])
      assert.deepEqual(lines, ['static-pv', 'seed', 'sova', 'bound'], id)
    }
    const strokes = new Set([...group(svg, 'panel-delivered').matchAll(/<polyline [^>]*data-policy="[^"]+"[^>]*stroke="(#[0-9A-Fa-f]{6})"/g)].map((m) => m[1]))
    assert.equal(strokes.size, 4, 'distinct colours')
  })

  it('has a legend entry naming each policy (the bound as the best possible), and scenario and seed in the title (escaped)', () => {
    const entries = [...svg.matchAll(/<g class="legend-entry" data-policy="([^"]+)">.*?<text[^>]*>([^<]+)<\/text><\/g>/g)].map((m) => m[2])
    assert.deepEqual(entries, ['static-pv', 'seed', 'sova', 'bound (best possible)'], 'the bound says what its line is')
    assert.match(svg, /<title>sova evaluate: scenario odd &lt;name&gt; &amp; &quot;quotes&quot;, seed 7<\/title>/)
  })

  it('draws the offered traffic under the policies in the delivered panel only, and names it in the legend', () => {
    const delivered = group(svg, 'panel-delivered')
    const offered = /<polyline class="offered" points="([^"]+)"/.exec(delivered)
    assert.ok(offered, 'an offered line in the delivered panel')
    assert.ok(delivered.indexOf('class="offered"') < delivered.indexOf('data-policy='), 'drawn first, so the policies lie on top of it')
    assert.equal(offered[1].split(' ').length, 30, 'one point per period')
    assert.doesNotMatch(group(svg, 'panel-p99'), /class="offered"/)
    assert.match(svg, /<g class="legend-entry" data-offered="true">.*<text[^>]*>offered traffic<\/text><\/g>/)
  })

  it('switches the p99 panel to a log scale when its values span more than 20×', () => {
    assert.match(group(svg, 'panel-p99'), /p99 response time \(ms\) \(log scale\)/)
    assert.doesNotMatch(group(svg, 'panel-delivered'), /log scale/)
  })

  it('is well-formed XML (xmllint --noout)', (t) => {
    if (!hasXmllint()) {
      t.skip('xmllint is not installed (Debian: libxml2-utils; .ci/run installs it)')
      return
    }
    const file = join(mkdtempSync(join(tmpdir(), 'sova-plot-')), 'plot.svg')
    writeFileSync(file, svg)
    const result = spawnSync('xmllint', ['--noout', file], {encoding: 'utf8'})
    assert.equal(result.status, 0, result.stderr)
  })

  it('escapes XML text and picks round ticks', () => {
    assert.equal(escapeXml(`a<b>&"c'`), 'a&lt;b&gt;&amp;&quot;c&apos;')
    assert.deepEqual(linearTicks(0, 9.7), [0, 2, 4, 6, 8])
    assert.deepEqual(linearTicks(0, 30, 6), [0, 5, 10, 15, 20, 25, 30])
    assert.deepEqual(logTicks(1, 1000), [1, 10, 100, 1000])
    assert.deepEqual(logTicks(1, 100), [1, 2, 5, 10, 20, 50, 100])
  })
})
