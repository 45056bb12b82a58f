// Start-up cost of Sova's commands against the floor of any Node program (`node -e 0`), measured
// side by side in one run: variants alternate, each runs RUNS times, and medians are compared.
// Usage: npm run build && node bench/startup.mjs [runs]
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const RUNS = Number(process.argv[2] ?? 15)
const node = process.execPath
const bin = join(import.meta.dirname, '..', 'bin', 'run.js')
const state = mkdtempSync(join(tmpdir(), 'sova-bench-'))
const env = {...process.env, SOVA_STATE_DIR: state}

// One document to score, from the simulated cluster.
const collected = spawnSync(node, [bin, 'collect', '--quiet'], {env, encoding: 'utf8'})
if (collected.status !== 0) throw new Error(`collect failed: ${collected.stderr}`)
const docPath = join(state, 'doc.json')
writeFileSync(docPath, collected.stdout)
const doc = readFileSync(docPath)
const scored = spawnSync(node, [bin, 'score', '--quiet'], {env, input: doc}).stdout

const stage = (args) => `"${node}" "${bin}" ${args}`
const variants = [
  {name: 'node -e 0', run: () => spawnSync(node, ['-e', '0'], {env})},
  {name: 'sova --version', run: () => spawnSync(node, [bin, '--version'], {env})},
  {name: 'sova score < doc.json', run: () => spawnSync(node, [bin, 'score', '--quiet'], {env, input: doc})},
  {name: 'sova balance < scored.json', run: () => spawnSync(node, [bin, 'balance', '--quiet'], {env, input: scored})},
  {
    name: 'five-stage pipeline',
    run: () => spawnSync('bash', ['-o', 'pipefail', '-c', ['collect', 'score', 'balance', 'migrate', 'switch-vf'].map((s) => stage(`${s} --quiet`)).join(' | ') + ' > /dev/null'], {env}),
  },
]

const times = new Map(variants.map((variant) => [variant.name, []]))
for (let round = 0; round < RUNS; round++) {
  for (const variant of variants) {
    const started = process.hrtime.bigint()
    const result = variant.run()
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    if (result.status !== 0) throw new Error(`${variant.name} exited ${result.status}: ${result.stderr}`)
    times.get(variant.name).push(ms)
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const floor = median(times.get('node -e 0'))
console.log(`start-up, median of ${RUNS} alternating runs (node ${process.version})`)
console.log('variant'.padEnd(26) + 'median ms'.padStart(10) + '  × node -e 0')
for (const variant of variants) {
  const ms = median(times.get(variant.name))
  console.log(variant.name.padEnd(26) + ms.toFixed(1).padStart(10) + `  ${(ms / floor).toFixed(2)}`)
}
console.log('target: each single stage at most 2.00 × node -e 0 (the pipeline runs five processes at once)')
