// How the simulator scales, through the built CLI, side by side in one run:
//  - one acting `sova run --once` on the `large` scenario at 50, 100 and 200 hosts (20 VMs each):
//    wall time, actions, ms per action, and the growth ratio to the previous size (about 2x per
//    2x more hosts is linear: twice the hosts plan about twice the actions);
//  - `sova collect` (its first sample: a 2 s window) at 1,000 and 10,000 hosts: wall time and
//    peak RSS, with the `sim reset` that builds the cluster beside it.
// The first `run --once` after a reset only takes samples; the one measured is the first that acts
// (at most 4 tries). Needs the built CLI (npm run build); /usr/bin/time gives the peak RSS.
// --bin DIR measures another checkout's build (e.g. a worktree of main at /tmp/base), so the
// figures before and after a change come from one command:
//   node bench/sim-scale.mjs [--bin DIR] [--run-hosts 50,100,200] [--collect-hosts 1000,10000] [--vms 40]
// 10,000 hosts x 40 VMs is more than a document may hold (250,000 VMs, README "Document limits"):
// a collect size whose hosts x --vms is beyond it runs with 250,000 / hosts VMs a host, said so.
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {parseArgs} from 'node:util'

const {values: args} = parseArgs({
  options: {
    bin: {type: 'string', default: join(import.meta.dirname, '..')},
    'run-hosts': {type: 'string', default: '50,100,200'},
    'run-vms': {type: 'string', default: '20'},
    'collect-hosts': {type: 'string', default: '1000,10000'},
    vms: {type: 'string', default: '40'},
    timeout: {type: 'string', default: '1800'},
  },
})
const MAX_VMS = 250_000
const bin = join(resolve(args.bin), 'bin', 'run.js')
const timeoutMs = Number(args.timeout) * 1000

/** Runs sova with `argv` on state `dir` under /usr/bin/time: wall s, peak RSS MiB, stdout, exit status. */
function sova(dir, argv) {
  const timeFile = join(dir, 'time.txt')
  const started = process.hrtime.bigint()
  const run = spawnSync('/usr/bin/time', ['-f', '%M', '-o', timeFile, process.execPath, '--max-old-space-size=12288', bin, ...argv], {
    env: {...process.env, SOVA_STATE_DIR: join(dir, 'state')},
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    timeout: timeoutMs,
  })
  const wallS = Number(process.hrtime.bigint() - started) / 1e9
  let rssMiB = Number.NaN
  try {
    rssMiB = Number(readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)) / 1024
  } catch {}
  const why = run.error ? `${run.error.code ?? run.error.message}` : run.status !== 0 ? `exit ${run.status}: ${run.stderr.trim().split('\n').at(-1)}` : undefined
  return {wallS, rssMiB, stdout: run.stdout, why}
}

function withDir(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'sova-sim-scale-'))
  try {
    return fn(dir)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

const col = (value, width) => String(value).padStart(width)

console.log(`sim-scale: ${bin} (node ${process.version})`)
console.log(`\nacting run --once on large (${args['run-vms']} VMs a host)`)
console.log('hosts'.padEnd(7) + col('wall s', 9) + col('actions', 9) + col('ms/action', 11) + col('growth', 8) + col('peak MiB', 10))
let previous
for (const hosts of args['run-hosts'].split(',').map(Number)) {
  const row = withDir((dir) => {
    const reset = sova(dir, ['sim', 'reset', '--scenario', 'large', '--hosts', String(hosts), '--vms-per-host', args['run-vms'], '--quiet'])
    if (reset.why) return {why: `sim reset: ${reset.why}`}
    for (let attempt = 0; attempt < 4; attempt++) {
      const run = sova(dir, ['run', '--once', '--quiet'])
      if (run.why) return {why: `run --once: ${run.why}`}
      const actions = JSON.parse(run.stdout).actions?.length ?? 0
      if (actions > 0) return {...run, actions}
    }
    return {why: 'no run --once acted in 4 tries'}
  })
  if (row.why) {
    console.log(`${String(hosts).padEnd(7)}  ${row.why}`)
    previous = undefined
    continue
  }
  const growth = previous ? `${(row.wallS / previous.wallS).toFixed(1)}x` : '-'
  console.log(String(hosts).padEnd(7) + col(row.wallS.toFixed(1), 9) + col(row.actions, 9) + col(((row.wallS * 1000) / row.actions).toFixed(1), 11) + col(growth, 8) + col(row.rssMiB.toFixed(0), 10))
  previous = row
}

console.log(`\ncollect (first sample) after sim reset --scenario large`)
console.log('hosts'.padEnd(7) + col('VMs/host', 9) + col('VMs', 9) + col('reset s', 9) + col('reset MiB', 10) + col('collect s', 10) + col('collect MiB', 12) + col('doc MB', 8))
for (const hosts of args['collect-hosts'].split(',').map(Number)) {
  const perHost = Math.min(Number(args.vms), Math.floor(MAX_VMS / hosts))
  const note = perHost < Number(args.vms) ? `  (${args.vms} a host would be ${hosts * Number(args.vms)} VMs: beyond the document's ${MAX_VMS})` : ''
  const line = withDir((dir) => {
    const reset = sova(dir, ['sim', 'reset', '--scenario', 'large', '--hosts', String(hosts), '--vms-per-host', String(perHost), '--quiet'])
    if (reset.why) return `  sim reset: ${reset.why}`
    const collect = sova(dir, ['collect', '--quiet'])
    if (collect.why) return col(reset.wallS.toFixed(1), 9) + col(reset.rssMiB.toFixed(0), 10) + `  collect: ${collect.why}`
    return col(reset.wallS.toFixed(1), 9) + col(reset.rssMiB.toFixed(0), 10) + col(collect.wallS.toFixed(1), 10) + col(collect.rssMiB.toFixed(0), 12) + col((collect.stdout.length / 1e6).toFixed(1), 8)
  })
  console.log(String(hosts).padEnd(7) + col(perHost, 9) + col(hosts * perHost, 9) + line + note)
}
