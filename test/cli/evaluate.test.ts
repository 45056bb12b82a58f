// sova evaluate through the real CLI: short runs (≤ 5 simulated minutes) to keep CI fast.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {freshStateDir, sova} from './helpers.js'

describe('sova evaluate', () => {
  it('--plot writes a well-formed SVG with one line per policy per panel, and never touches the state dir', async (t) => {
    const state = join(freshStateDir(), 'never-created')
    const dir = mkdtempSync(join(tmpdir(), 'sova-eval-'))
    const plot = join(dir, 'out.svg')
    const result = await sova(
      ['evaluate', '--scenario', 'paper', '--policies', 'static-pv,seed,bound', '--duration', '5m', '--plot', plot, '--format', 'csv', '--state', state],
      {state},
    )
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(existsSync(state), false, 'the state directory was not created')
    const svg = readFileSync(plot, 'utf8')
    assert.equal((svg.match(/<polyline [^>]*data-policy=/g) ?? []).length, 6, 'three policies × two panels')
    assert.equal((svg.match(/<polyline class="offered"/g) ?? []).length, 1, 'the offered traffic, in the delivered panel')
    assert.equal((svg.match(/class="legend-entry"/g) ?? []).length, 4, 'three policies and the offered traffic')
    assert.deepEqual(readdirSync(dir), ['out.svg'], 'no temporary file left behind')
    const rows = String(result.stdout).trim().split('\n')
    assert.equal(rows.length, 4, 'CSV: a header and one row per policy')
    assert.match(rows[0], /^scenario,seed,policy,/)
    // Not a TTY: one progress line per finished policy on stderr.
    assert.equal((String(result.stderr).match(/^evaluate: \S+ done/gm) ?? []).length, 3, String(result.stderr))
    if (spawnSync('xmllint', ['--version']).status !== 0) {
      t.diagnostic('xmllint not installed (libxml2-utils): well-formedness checked in test/evaluate/plot.test.ts only when present')
      return
    }
    const lint = spawnSync('xmllint', ['--noout', plot], {encoding: 'utf8'})
    assert.equal(lint.status, 0, lint.stderr)
  })

  it('JSON: one entry per requested policy, in order, each with its series; --quiet keeps stderr empty', async () => {
    const state = freshStateDir()
    const result = await sova(['evaluate', '--scenario', 'paper', '--policies', 'bound,static-vf', '--duration', '2m', '--seed', '3', '--format', 'json', '--quiet'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(String(result.stderr), '')
    assert.deepEqual(readdirSync(state), [], 'the state directory stays empty')
    const evaluation = JSON.parse(String(result.stdout))
    assert.equal(evaluation.scenario, 'paper')
    assert.equal(evaluation.seed, 3)
    assert.equal(evaluation.durationSeconds, 120)
    assert.equal(evaluation.periodSeconds, 10)
    assert.deepEqual(evaluation.policies.map((p: any) => p.policy), ['bound', 'static-vf'])
    assert.deepEqual(evaluation.policies.map((p: any) => p.kind), ['bound', 'policy'])
    const [bound, staticVf] = evaluation.policies
    assert.equal(bound.migrations, null, 'the bound does not bound migrations')
    assert.ok(bound.deliveredMbit >= staticVf.deliveredMbit, 'static-vf delivers no more than the bound')
    for (const policy of evaluation.policies) {
      assert.equal(policy.seconds, 120, `${policy.policy} is scored over exactly --duration`)
      assert.ok(policy.deliveredRatio > 0 && policy.deliveredRatio <= 1 + 1e-9, `${policy.policy} delivered/offered ${policy.deliveredRatio}`)
      assert.ok(policy.series.length >= 10, `${policy.policy} has a series point per period`)
      assert.deepEqual(Object.keys(policy.series[0]).sort(), ['deliveredGbps', 'offeredGbps', 'p99Ms', 't'])
    }
  })

  it('table: header arrows say which way is better; the bound\'s row leaves what it does not bound as "-"', async () => {
    const state = freshStateDir()
    const result = await sova(['evaluate', '--scenario', 'steady', '--policies', 'seed,bound', '--duration', '1m', '--format', 'table', '--quiet', '--columns', 'policy,delivered_ratio,host_seconds_hot,p99_response_ms,unserved_share,migrations'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [header, seed, bound] = String(result.stdout).trim().split('\n').map((line) => line.trim().split(/\s{2,}/))
    assert.deepEqual(header, ['POLICY', 'DELIVERED_RATIO ↑', 'HOST_SECONDS_HOT ↓', 'P99_RESPONSE_MS ↓', 'UNSERVED_SHARE ↓', 'MIGRATIONS ↓'])
    assert.equal(seed[0], 'seed')
    assert.deepEqual([bound[0], bound[2], bound[5]], ['bound', '-', '-'])
    assert.ok(Number(bound[1]) >= Number(seed[1]), `bound ${bound[1]} >= seed ${seed[1]}`)
  })

  it('a bad policy list exits 2 with one line naming the valid policies, and nothing on stdout', async () => {
    const state = freshStateDir()
    for (const policies of ['seed,nope', 'seed,seed', '']) {
      const result = await sova(['evaluate', '--policies', policies, '--duration', '1m'], {state})
      assert.equal(result.exitCode, 2, `${policies}: ${result.stderr}`)
      assert.equal(String(result.stdout), '')
      assert.equal(String(result.stderr).trim().split('\n').length, 1, String(result.stderr))
      assert.match(String(result.stderr), /valid policies: static-pv, static-vf, dsriov, vlm, seed, sova, clairvoyant, bound/)
    }
  })

  it('--jobs: policies run side by side in worker threads give the very JSON of one thread, the configuration read in each', async () => {
    const state = freshStateDir()
    // A configuration that changes what sova does on this run: no migrations (sova migrates once without it).
    const config = join(mkdtempSync(join(tmpdir(), 'sova-eval-config-')), 'sova.json')
    writeFileSync(config, JSON.stringify({policy: {sova: {maxMigrationsPerCycle: 0}}}))
    const run = async (jobs: string, ...extra: string[]) => {
      const result = await sova(['evaluate', '--scenario', 'flash-crowd', '--policies', 'seed,sova,dsriov', '--duration', '4m', '--format', 'json', '--quiet', '--jobs', jobs, ...extra], {state})
      assert.equal(result.exitCode, 0, String(result.stderr))
      return JSON.parse(String(result.stdout))
    }
    const [alone, sideBySide, configured, configuredSideBySide] = [await run('1'), await run('3'), await run('1', '--config', config), await run('3', '--config', config)]
    assert.deepEqual(sideBySide, alone)
    assert.deepEqual(configuredSideBySide, configured)
    const sovaRow = (evaluation: any) => evaluation.policies.find((p: any) => p.policy === 'sova')
    assert.equal(sovaRow(alone).migrations, 1, 'sova migrates once on this run')
    assert.equal(sovaRow(configuredSideBySide).migrations, 0, 'the worker read the configuration')
  })

  it('an unknown scenario or an unwritable plot path exits 2, nothing on stdout', async () => {
    const state = freshStateDir()
    const unknown = await sova(['evaluate', '--scenario', 'no-such-scenario', '--duration', '1m'], {state})
    assert.equal(unknown.exitCode, 2, String(unknown.stderr))
    assert.equal(String(unknown.stdout), '')
    const plot = join(state, 'missing-dir', 'out.svg')
    const unwritable = await sova(['evaluate', '--policies', 'bound', '--duration', '1m', '--plot', plot], {state})
    assert.equal(unwritable.exitCode, 2, String(unwritable.stderr))
    assert.equal(String(unwritable.stdout), '')
    assert.match(String(unwritable.stderr), /--plot: cannot write/)
    assert.equal(String(unwritable.stderr).trim().split('\n').length, 1)
  })
})
