// How long `sova evaluate` of a 100-host × 40-VM trace scenario takes, every policy, 30 simulated
// minutes (issue 15's target: under 2 minutes of wall time), through the built CLI, side by side in
// one run: policies one at a time (--jobs 1) and side by side (each --jobs asked), with the ratio to
// one at a time, the peak RSS, and whether every run printed the very same JSON (it must).
// Needs the built CLI (npm run build) and the traces (--traces, else $SOVA_TRACES, else
// ../shared/traces/bitbrains-rnd); /usr/bin/time gives the peak RSS.
//   node bench/evaluate-speed.mjs [--bin DIR] [--jobs 1,2] [--hosts 100] [--vms 40] [--duration 30m] [--target-s 120]
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

const {values: args} = parseArgs({
  options: {
    bin: {type: 'string', default: join(import.meta.dirname, '..')},
    traces: {type: 'string', default: process.env.SOVA_TRACES ?? join(import.meta.dirname, '..', '..', 'shared', 'traces', 'bitbrains-rnd')},
    jobs: {type: 'string', default: '1,2'},
    hosts: {type: 'string', default: '100'},
    vms: {type: 'string', default: '40'},
    duration: {type: 'string', default: '30m'},
    'target-s': {type: 'string', default: '120'},
  },
})
const bin = join(resolve(args.bin), 'bin', 'run.js')
if (!existsSync(args.traces)) {
  console.error(`evaluate-speed: no traces at ${args.traces} (--traces DIR or $SOVA_TRACES)`)
  process.exit(2)
}
const argv = ['evaluate', '--scenario', 'trace', '--traces', args.traces, '--hosts', args.hosts, '--vms-per-host', args.vms, '--target-peak', '0.8', '--duration', args.duration, '--format', 'json', '--quiet']

/** One evaluation with --jobs `jobs` under /usr/bin/time: wall s, peak RSS MiB, stdout, why it failed. */
function evaluate(jobs) {
  const dir = mkdtempSync(join(tmpdir(), 'sova-evaluate-speed-'))
  try {
    const timeFile = join(dir, 'time.txt')
    const started = process.hrtime.bigint()
    const run = spawnSync('/usr/bin/time', ['-f', '%M', '-o', timeFile, process.execPath, bin, ...argv, '--jobs', String(jobs)], {encoding: 'utf8', maxBuffer: 1 << 28})
    const wallS = Number(process.hrtime.bigint() - started) / 1e9
    let rssMiB = Number.NaN
    try {
      rssMiB = Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) / 1024
    } catch {}
    const why = run.error ? String(run.error.code ?? run.error.message) : run.status !== 0 ? `exit ${run.status}: ${run.stderr.trim().split('\n').at(-1)}` : undefined
    return {wallS, rssMiB, stdout: run.stdout, why}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const col = (value, width) => String(value).padStart(width)
const target = Number(args['target-s'])
console.log(`evaluate-speed: ${bin} (node ${process.version}), trace ${args.hosts} hosts x ${args.vms} VMs, every policy, ${args.duration}`)
console.log('jobs'.padEnd(6) + col('wall s', 9) + col('vs 1 job', 10) + col('peak MiB', 10) + col('same JSON', 11) + col(`< ${target} s`, 9))
let alone
for (const jobs of args.jobs.split(',').map(Number)) {
  const run = evaluate(jobs)
  if (run.why) {
    console.log(`${String(jobs).padEnd(6)}  ${run.why}`)
    continue
  }
  alone ??= jobs === 1 ? run : undefined
  const ratio = alone ? `${(run.wallS / alone.wallS).toFixed(2)}x` : '-'
  const same = alone ? (run.stdout === alone.stdout ? 'yes' : 'NO') : '-'
  console.log(String(jobs).padEnd(6) + col(run.wallS.toFixed(1), 9) + col(ratio, 10) + col(run.rssMiB.toFixed(0), 10) + col(same, 11) + col(run.wallS < target ? 'PASS' : 'MISS', 9))
}
