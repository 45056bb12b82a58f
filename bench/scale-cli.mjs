// The command-line half of bench/scale.mjs (`--cli`): what the stages cost as processes at scale,
// each measured side by side with its floor in one run (variants alternate, medians compared).
//  - each stage against plain parse+serialise of its input and output: a Node process that
//    JSON.parses the stage's input and writes its output JSON.stringified (it gets the output by
//    parsing the stage's output file; that parse is timed inside and taken off its CPU time);
//  - the five-process pipeline against `sova run --once`, CPU time (user + system of every process),
//    on a simulated cluster of the same size built from a scenario file, both planning only
//    (--dry-run: acting on 1,000 simulated hosts measures the simulator, not the pipeline).
// Needs the built CLI (npm run build). CPU times come from /usr/bin/time (10 ms resolution).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const node = process.execPath
const bin = join(import.meta.dirname, '..', 'bin', 'run.js')

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Runs `argv` under /usr/bin/time: wall ms and CPU ms (user + system, children included, less what it reports on stderr as `untimed MS`). */
function timed(argv, options, dir) {
  const timeFile = join(dir, 'time.txt')
  const started = process.hrtime.bigint()
  const run = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, ...argv], {maxBuffer: 1 << 30, ...options})
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6
  if (run.status !== 0) throw new Error(`${argv.join(' ')} exited ${run.status}: ${String(run.stderr).trim().split('\n').slice(-3).join(' | ')}`)
  const [user, system] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number)
  // A pipeline of floor processes reports one line each.
  const untimed = [...String(run.stderr).matchAll(/untimed (\S+)/g)].reduce((sum, match) => sum + Number(match[1]), 0)
  return {wallMs, cpuMs: (user + system) * 1000 - untimed, stdout: run.stdout}
}

/** Alternates the variants `runs` times; returns the median wall and CPU ms of each. */
function sideBySide(variants, runs, dir) {
  const samples = variants.map(() => ({wall: [], cpu: []}))
  for (let round = 0; round < runs; round++) {
    variants.forEach((variant, i) => {
      variant.before?.()
      const {wallMs, cpuMs} = timed(variant.argv, variant.options, dir)
      samples[i].wall.push(wallMs)
      samples[i].cpu.push(cpuMs)
    })
  }
  return samples.map((s) => ({wallMs: median(s.wall), cpuMs: median(s.cpu)}))
}

// argv[1]: the output document; argv[2] 'first': no input to parse (the first process of a pipeline).
const PARSE_SERIALISE = `
const {readFileSync, writeSync} = require('node:fs')
if (process.argv[2] !== 'first') JSON.parse(readFileSync(0, 'utf8'))
const before = process.cpuUsage()
const output = JSON.parse(readFileSync(process.argv[1], 'utf8'))
const spent = process.cpuUsage(before)
process.stderr.write('untimed ' + (spent.user + spent.system) / 1000 + '\\n')
const out = JSON.stringify(output) + '\\n'
for (let at = 0; at < out.length; at += 1 << 20) writeSync(1, out.slice(at, at + (1 << 20)))
`

/** Each stage on a generated document of `hosts` hosts, against parse+serialise of its input and output. */
export function benchStages(doc, hosts, runs) {
  const dir = mkdtempSync(join(tmpdir(), 'sova-scale-cli-'))
  try {
    const env = {...process.env, SOVA_STATE_DIR: join(dir, 'state')}
    const stages = [
      ['score'],
      ['balance'],
      ['migrate', '--dry-run'],
      ['switch-vf', '--dry-run'],
    ]
    let input = join(dir, 'collected.json')
    writeFileSync(input, JSON.stringify(doc) + '\n')
    console.log(`\nstages at ${hosts} hosts: CPU ms, median of ${runs} alternating runs; floor = a Node process: JSON.parse of the input, JSON.stringify of the output`)
    console.log('stage'.padEnd(22) + 'in MB'.padStart(8) + 'out MB'.padStart(8) + 'stage ms'.padStart(10) + 'floor ms'.padStart(10) + '  × floor')
    for (const stage of stages) {
      const output = join(dir, `${stage[0]}.json`)
      const first = timed([node, bin, ...stage, '--quiet'], {env, input: readFileSync(input)}, dir)
      writeFileSync(output, first.stdout)
      const [measured, floor] = sideBySide(
        [
          {argv: [node, bin, ...stage, '--quiet'], options: {env, input: readFileSync(input), stdio: ['pipe', 'ignore', 'pipe']}},
          {argv: [node, '-e', PARSE_SERIALISE, output], options: {input: readFileSync(input), stdio: ['pipe', 'ignore', 'pipe']}},
        ],
        runs,
        dir,
      )
      const mb = (file) => (readFileSync(file).length / 1e6).toFixed(1)
      console.log(
        `sova ${stage.join(' ')}`.padEnd(22) + mb(input).padStart(8) + mb(output).padStart(8) +
          measured.cpuMs.toFixed(0).padStart(10) + floor.cpuMs.toFixed(0).padStart(10) + `  ${(measured.cpuMs / floor.cpuMs).toFixed(2)}`,
      )
      input = output
    }
    console.log('target: each stage at most 2.00 × its floor')
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** A scenario file of `hosts` hosts × `vmsPerHost` VMs (docs/scenario-file.md), the paper's kind mix. */
function scenarioFile(hosts, vmsPerHost) {
  const kinds = ['web', 'bulk', 'cpu', 'idle']
  const demand = {web: [30, 90], bulk: [5, 150], cpu: [8, 12], idle: [0.01, 0.01]}
  const vms = []
  for (let h = 1; h <= hosts; h++) {
    for (let j = 1; j <= vmsPerHost; j++) {
      const kind = kinds[(h + j) % kinds.length]
      // One host in eight surges: its bulk VMs offer five times their demand.
      const factor = kind === 'bulk' && h % 8 === 0 ? 5 : 1
      const [rxMbps, txMbps] = demand[kind]
      vms.push({name: `vm${h}-${j}`, host: `host${h}`, vcpus: 2, memoryMiB: 2048, kind, vf: j <= 6, demand: {rxMbps: rxMbps * factor, txMbps: txMbps * factor}})
    }
  }
  return {name: `scale-${hosts}`, hosts: Array.from({length: hosts}, (_, h) => ({name: `host${h + 1}`, vfs: 8})), vms}
}

/** The five-process pipeline against `run --once` on a simulated cluster of `hosts` hosts, CPU time. */
export function benchPipeline(hosts, vmsPerHost, runs) {
  const dir = mkdtempSync(join(tmpdir(), 'sova-scale-pipe-'))
  try {
    const scenario = join(dir, 'scenario.json')
    writeFileSync(scenario, JSON.stringify(scenarioFile(hosts, vmsPerHost)))
    const env = {...process.env, SOVA_STATE_DIR: join(dir, 'state')}
    // Every run starts from the same cluster and an empty history.
    const reset = () => {
      rmSync(join(dir, 'state'), {recursive: true, force: true})
      const done = spawnSync(node, [bin, 'sim', 'reset', '--scenario', scenario, '--quiet', '--format', 'json'], {env, encoding: 'utf8'})
      if (done.status !== 0) throw new Error(`sim reset failed: ${done.stderr}`)
    }
    const sova = (args) => `"${node}" "${bin}" ${args} --quiet`
    const stages = ['collect', 'score', 'balance', 'migrate --dry-run', 'switch-vf --dry-run']
    const pipeline = stages.map(sova).join(' | ') + ' > /dev/null'
    // The documents between the stages, for the floor: each stage's output, from one run.
    reset()
    const outputs = stages.map((stage) => join(dir, `${stage.split(' ')[0]}.json`))
    stages.forEach((stage, i) => {
      const input = i === 0 ? '' : readFileSync(outputs[i - 1])
      const done = spawnSync('bash', ['-c', `${sova(stage)} > "${outputs[i]}"`], {env, input, maxBuffer: 1 << 30})
      if (done.status !== 0) throw new Error(`${stage} failed: ${done.stderr}`)
    })
    const floorProcess = (i) => `"${node}" -e "$PARSE_SERIALISE" "${outputs[i]}"${i === 0 ? ' first' : ''}`
    const floorEnv = {...process.env, PARSE_SERIALISE}
    const [piped, once, floorPipe, floorLast] = sideBySide(
      [
        {before: reset, argv: ['bash', '-o', 'pipefail', '-c', pipeline], options: {env}},
        {before: reset, argv: ['bash', '-c', `${sova('run --once --dry-run')} > /dev/null`], options: {env}},
        // Five processes that only parse what comes in and serialise what the stage wrote.
        {argv: ['bash', '-o', 'pipefail', '-c', stages.map((_, i) => floorProcess(i)).join(' | ') + ' > /dev/null'], options: {env: floorEnv}},
        // What run --once does of that too: one process, serialising the last document.
        {argv: ['bash', '-c', `"${node}" -e "$PARSE_SERIALISE" "${outputs.at(-1)}" first > /dev/null`], options: {env: floorEnv}},
      ],
      runs,
      dir,
    )
    console.log(`\npipeline at ${hosts} hosts × ${vmsPerHost} VMs (simulated), median of ${runs} alternating runs`)
    console.log('variant'.padEnd(50) + 'wall ms'.padStart(10) + 'CPU ms'.padStart(10))
    console.log('collect | score | balance | migrate | switch-vf'.padEnd(50) + piped.wallMs.toFixed(0).padStart(10) + piped.cpuMs.toFixed(0).padStart(10))
    console.log('run --once (both --dry-run)'.padEnd(50) + once.wallMs.toFixed(0).padStart(10) + once.cpuMs.toFixed(0).padStart(10))
    console.log('five Node processes: parse in, serialise out'.padEnd(50) + floorPipe.wallMs.toFixed(0).padStart(10) + floorPipe.cpuMs.toFixed(0).padStart(10))
    console.log('one Node process: serialise the last document'.padEnd(50) + floorLast.wallMs.toFixed(0).padStart(10) + floorLast.cpuMs.toFixed(0).padStart(10))
    // Five processes must do what run --once does, plus what the floor pipeline does beyond one process writing the result.
    const floorRatio = (once.cpuMs + floorPipe.cpuMs - floorLast.cpuMs) / once.cpuMs
    console.log(`pipeline CPU × run --once: ${(piped.cpuMs / once.cpuMs).toFixed(2)} (target: at most 1.20)`)
    console.log(`its floor, run --once + what passing the documents between processes costs at least: ${floorRatio.toFixed(2)} × run --once`)
    console.log(`pipeline CPU × its floor: ${(piped.cpuMs / (once.cpuMs + floorPipe.cpuMs - floorLast.cpuMs)).toFixed(2)}`)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
