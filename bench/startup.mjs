// Start-up cost of Sova's commands against the floor of any Node program (`node -e 0`), measured
// side by side in one run: variants alternate, each runs RUNS times, and medians are compared.
// Wall time, and CPU time (user + system, from /usr/bin/time) which a busy machine disturbs less.
// Usage: npm run build && node bench/startup.mjs [runs] [--against DIR]
// --against DIR: also the same commands of another built checkout (e.g. the commit before a
// change), interleaved with these, so a busy machine slows both alike.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const against = process.argv.indexOf('--against')
const otherBin = against === -1 ? undefined : join(process.argv[against + 1], 'bin', 'run.js')
const RUNS = Number(process.argv.slice(2).find((arg, i, all) => /^\d+$/.test(arg) && all[i - 1] !== '--against') ?? 15)
const node = process.execPath
const bin = join(import.meta.dirname, '..', 'bin', 'run.js')
const state = mkdtempSync(join(tmpdir(), 'sova-bench-'))
const env = {...process.env, SOVA_STATE_DIR: state}
// The other build keeps its own store: one of a different schema version would refuse this one's.
const otherEnv = {...process.env, SOVA_STATE_DIR: join(state, 'against')}

// One document to score, from the simulated cluster.
const collected = spawnSync(node, [bin, 'collect', '--quiet'], {env, encoding: 'utf8'})
if (collected.status !== 0) throw new Error(`collect failed: ${collected.stderr}`)
const docPath = join(state, 'doc.json')
writeFileSync(docPath, collected.stdout)
const doc = readFileSync(docPath)
const scored = spawnSync(node, [bin, 'score', '--quiet'], {env, input: doc}).stdout

const stage = (args) => `"${node}" "${bin}" ${args}`
const timeFile = join(state, 'time.txt')
/** Runs `command` under /usr/bin/time, which writes its CPU seconds (children included) to timeFile. */
const timed = (command, args, options) => spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, command, ...args], options)
const variants = [
  {name: 'node -e 0', run: () => timed(node, ['-e', '0'], {env})},
  {name: 'sova --version', run: () => timed(node, [bin, '--version'], {env})},
  {name: 'sova score < doc.json', run: () => timed(node, [bin, 'score', '--quiet'], {env, input: doc})},
  {name: 'sova balance < scored.json', run: () => timed(node, [bin, 'balance', '--quiet'], {env, input: scored})},
  ...(otherBin
    ? [
        {name: 'against: sova --version', run: () => timed(node, [otherBin, '--version'], {env: otherEnv})},
        {name: 'against: sova score', run: () => timed(node, [otherBin, 'score', '--quiet'], {env: otherEnv, input: doc})},
        {name: 'against: sova balance', run: () => timed(node, [otherBin, 'balance', '--quiet'], {env: otherEnv, input: scored})},
      ]
    : []),
  {
    name: 'five-stage pipeline',
    run: () => timed('bash', ['-o', 'pipefail', '-c', ['collect', 'score', 'balance', 'migrate', 'switch-vf'].map((s) => stage(`${s} --quiet`)).join(' | ') + ' > /dev/null'], {env}),
  },
]

const times = new Map(variants.map((variant) => [variant.name, []]))
const cpuTimes = new Map(variants.map((variant) => [variant.name, []]))
for (let round = 0; round < RUNS; round++) {
  for (const variant of variants) {
    const started = process.hrtime.bigint()
    const result = variant.run()
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    if (result.status !== 0) throw new Error(`${variant.name} exited ${result.status}: ${result.stderr}`)
    times.get(variant.name).push(ms)
    const [user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
    cpuTimes.get(variant.name).push((user + system) * 1000)
  }
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const floor = median(times.get('node -e 0'))
const cpuFloor = median(cpuTimes.get('node -e 0'))
console.log(`start-up, median of ${RUNS} alternating runs (node ${process.version})`)
console.log('variant'.padEnd(26) + 'wall ms'.padStart(10) + '  × node -e 0' + 'CPU ms'.padStart(10) + '  × node -e 0')
for (const variant of variants) {
  const ms = median(times.get(variant.name))
  const cpu = median(cpuTimes.get(variant.name))
  console.log(variant.name.padEnd(26) + ms.toFixed(1).padStart(10) + `  ${(ms / floor).toFixed(2).padStart(11)}` + cpu.toFixed(0).padStart(10) + `  ${(cpu / cpuFloor).toFixed(2).padStart(11)}`)
}
console.log('target: each single stage at most 2.00 × node -e 0 (the pipeline runs five processes at once)')
