// How good the policies are: `sova evaluate` on every built-in scenario, sova compared with seed
// and with the upper bound (docs/bound.md), and each target of issue 3 marked PASS or MISS. A report: it
// exits 0 even when targets are missed (exit non-zero only when an evaluation itself fails).
// Usage: npm run build && node bench/quality.mjs [--seed N] [--duration 30m] [--policies a,b,c] [--scenarios a,b]
import {spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parseArgs} from 'node:util'

const {values: args} = parseArgs({
  options: {
    seed: {type: 'string', default: '1'},
    duration: {type: 'string', default: '30m'},
    policies: {type: 'string', default: 'seed,sova,dsriov,bound,clairvoyant,static-pv,static-vf,vlm'},
    scenarios: {type: 'string', default: 'paper,steady,bursty,diurnal,flash-crowd,mixed,large'},
  },
})
const bin = join(import.meta.dirname, '..', 'bin', 'run.js')
// Evaluate never opens a state store; an empty one makes sure the user's is out of reach anyway.
const state = mkdtempSync(join(tmpdir(), 'sova-quality-'))
const policies = args.policies.split(',')
for (const needed of ['seed', 'sova', 'bound']) if (!policies.includes(needed)) policies.push(needed)

function evaluate(scenario) {
  const started = Date.now()
  const run = spawnSync(
    process.execPath,
    [bin, 'evaluate', '--scenario', scenario, '--policies', policies.join(','), '--seed', args.seed, '--duration', args.duration, '--format', 'json', '--quiet'],
    {encoding: 'utf8', env: {...process.env, SOVA_STATE_DIR: state}, maxBuffer: 64 << 20},
  )
  if (run.status !== 0) return {error: `exit ${run.status}: ${run.stderr.trim().split('\n').at(-1)}`}
  const evaluation = JSON.parse(run.stdout)
  return {evaluation, seconds: (Date.now() - started) / 1000}
}

const ratio = (a, b) => (b === 0 ? (a === 0 ? '1.00' : '∞') : (a / b).toFixed(2))
const f = (value, digits = 3) => (value === null ? '-' : Number(value).toFixed(digits))

const results = []
function target(scenario, name, ok, detail) {
  results.push({scenario, name, ok})
  console.log(`  ${ok ? 'PASS' : 'MISS'}  ${name}  (${detail})`)
}

console.log(`quality: sova evaluate, seed ${args.seed}, ${args.duration} simulated per policy; policies ${policies.join(', ')}`)
let failures = 0
for (const scenario of args.scenarios.split(',')) {
  console.log(`\n== ${scenario} ==`)
  const {evaluation, seconds, error} = evaluate(scenario)
  if (error) {
    failures++
    console.log(`  evaluation failed: ${error}`)
    continue
  }
  const by = Object.fromEntries(evaluation.policies.map((p) => [p.policy, p]))
  // Arrows: which way is better. Hot host-seconds sit beside delivered traffic (throttling lowers both).
  console.log('  ' + 'policy'.padEnd(12) + 'deliv/off↑'.padStart(11) + 'host-s>90%↓'.padStart(12) + 'p99 ms↓'.padStart(10) + 'mean ms↓'.padStart(10) + 'unserved↓'.padStart(10) + 'migr↓'.padStart(7) + 'VF sw↓'.padStart(8) + 'cores↓'.padStart(8))
  for (const p of evaluation.policies) {
    console.log(
      '  ' + p.policy.padEnd(12) + f(p.deliveredRatio).padStart(11) + f(p.hostSecondsHot, 0).padStart(12) + f(p.p99ResponseMs, 2).padStart(10) + f(p.meanResponseMs, 2).padStart(10) +
        f(p.unservedShare).padStart(10) + String(p.migrations ?? '-').padStart(7) + String(p.vfSwitches ?? '-').padStart(8) + f(p.backendCoresMean, 2).padStart(8),
    )
  }
  const {sova, seed, bound, dsriov} = by
  console.log(`  sova / seed:   delivered/offered ×${ratio(sova.deliveredRatio, seed.deliveredRatio)}, p99 ×${ratio(sova.p99ResponseMs, seed.p99ResponseMs)}, migrations ${sova.migrations} vs ${seed.migrations}`)
  console.log(`  sova / bound:  delivered/offered ×${ratio(sova.deliveredRatio, bound.deliveredRatio)} (at most 1), p99 ×${ratio(sova.p99ResponseMs, bound.p99ResponseMs)} (at least 1)`)
  target(scenario, 'sova ≥ seed on delivered/offered', sova.deliveredRatio >= seed.deliveredRatio, `${f(sova.deliveredRatio)} vs ${f(seed.deliveredRatio)}`)
  target(scenario, 'sova ≤ seed on p99', sova.p99ResponseMs <= seed.p99ResponseMs, `${f(sova.p99ResponseMs, 2)} vs ${f(seed.p99ResponseMs, 2)} ms`)
  target(scenario, 'migrations(sova) ≤ migrations(seed)', sova.migrations <= seed.migrations, `${sova.migrations} vs ${seed.migrations}`)
  if (scenario === 'flash-crowd') {
    if (dsriov) target(scenario, 'host-s >90%(sova) ≤ 50% of dsriov\'s', sova.hostSecondsHot <= 0.5 * dsriov.hostSecondsHot, `${f(sova.hostSecondsHot, 0)} vs ${f(dsriov.hostSecondsHot, 0)} s`)
    else console.log('  (dsriov not evaluated: its target is skipped)')
  }
  if (scenario === 'steady' || scenario === 'diurnal') {
    target(scenario, 'sova delivered/offered within 5% of the bound\'s', sova.deliveredRatio >= 0.95 * bound.deliveredRatio, `${f(sova.deliveredRatio)} vs ${f(bound.deliveredRatio)}`)
  }
  console.log(`  (${seconds.toFixed(0)} s of wall time)`)
}
rmSync(state, {recursive: true, force: true})

const missed = results.filter((r) => !r.ok)
console.log(
  `\nquality summary: ${results.length - missed.length} of ${results.length} targets met` +
    (missed.length > 0 ? `; missed: ${missed.map((r) => `${r.scenario}: ${r.name}`).join('; ')}` : '') +
    (failures > 0 ? `; ${failures} evaluation(s) failed` : ''),
)
process.exit(failures > 0 ? 1 : 0)
