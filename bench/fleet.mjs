// How Sova senses and plans a fleet through a real Prometheus: for each size, a generated fleet of
// N KVM hosts x 40 VMs (bench/fleet/model.mjs, seeded) is written in the exporters' metric names
// (node_exporter, prometheus-libvirt-exporter 0.2.0, sova export --textfile) as OpenMetrics with a
// timestamp per sample, and served by Debian's prometheus on loopback: pushed into its head through
// its remote-write receiver (--ingest head: what a live Prometheus reads recent samples from), or
// backfilled into a fresh TSDB with promtool (--ingest backfill: a persisted block, and far less
// memory; auto, the default, backfills above 2,000 hosts). The samples are those a Prometheus scraping every 30 s would hold: they
// end shortly after the moment the bench measures (the TSDB is built beforehand, so its samples
// are stamped ahead by --setup-ms-per-host per host, and the bench waits until that moment comes),
// and sova queries at its own "now", as in production. Then, at that moment:
//   collect --prometheus URL                   sensing alone
//   run --once --dry-run --prometheus URL      sensing and planning (collect, score, balance, the
//                                              dry-run migrate and switch-vf: what `run` runs)
// each a fresh process of the built CLI (npm run build first), with its wall time, its own peak
// RSS, and Prometheus' own query time meanwhile (its /metrics before and after).
// Usage:
//   node bench/fleet.mjs [--hosts 1000,10000] [--vms 40] [--seed 1] [--window 60] [--timeout 600] [--query-timeout 10m] [--ingest auto|head|backfill] [--keep]
//   node bench/fleet.mjs --hosts 50            (small mode: about half a minute)
import {mkdtempSync, rmSync, unlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {parseArgs} from 'node:util'
import {fleetModel, VFS_HELD} from './fleet/model.mjs'
import {writeOpenMetrics} from './fleet/openmetrics.mjs'
import {backfill, startPrometheus} from './fleet/prometheus.mjs'
import {pushOpenMetrics} from './fleet/remote-write.mjs'
import {probe, referenceQueries} from './fleet/probe.mjs'
import {documentSummary, runSova, writeConfig} from './fleet/sova.mjs'

const {values: args} = parseArgs({
  options: {
    hosts: {type: 'string', default: '1000,10000'},
    vms: {type: 'string', default: '40'},
    seed: {type: 'string', default: '1'},
    window: {type: 'string', default: '60'}, // the rate window of the reference queries, seconds
    timeout: {type: 'string', default: '600'}, // sensing.prometheus.timeoutSeconds of the measured runs
    'query-timeout': {type: 'string', default: '10m'}, // prometheus --query.timeout (its default: 2m)
    'setup-ms-per-host': {type: 'string', default: '100'},
    keep: {type: 'boolean', default: false},
    // head: pushed into a running Prometheus (remote write), so queries read its head block as a
    // live Prometheus's do (it held 1.9 GB per 1,000 hosts); backfill: promtool blocks, read from a
    // persisted block (its queries cost less CPU: no large Go heap to collect). auto: head up to
    // HEAD_MAX_HOSTS, backfill above, where a head would not fit this machine's memory.
    ingest: {type: 'string', default: 'auto'},
  },
})
const VMS = Number(args.vms)
const SLICE = 1000 // hosts per promtool run: promtool holds a slice's series in memory (about 2 GB per 1,000 hosts)
const STEP = 30 // seconds between samples, a common scrape interval
const HEAD_MAX_HOSTS = 2000
const log = (line) => process.stderr.write(`fleet: ${line}\n`)
const s = (seconds) => `${seconds.toFixed(2)} s`

async function measureSize(hosts) {
  const dir = mkdtempSync(join(tmpdir(), `sova-fleet-${hosts}-`))
  const setupStarted = performance.now()
  // The moment of measurement, when the TSDB should be ready; samples from 60 s before to 90 s after.
  const at = Math.ceil(Date.now() / 1000 + 8 + (hosts * Number(args['setup-ms-per-host'])) / 1000)
  const instants = [-60, -30, 0, 30, 60, 90].map((offset) => at + offset)
  const fleet = fleetModel(hosts, VMS, Number(args.seed))
  const tsdb = join(dir, 'tsdb')
  let bytes = 0
  let series = 0
  if (!['auto', 'head', 'backfill'].includes(args.ingest)) throw new Error(`--ingest ${args.ingest}: expected auto, head or backfill`)
  const head = args.ingest === 'head' || (args.ingest === 'auto' && hosts <= HEAD_MAX_HOSTS)
  const ranges = new Set(instants.map((t) => Math.floor(t / 7200))).size
  const receiver = head ? await startPrometheus(tsdb, 0, log, args['query-timeout'], ['--web.enable-remote-write-receiver']) : undefined
  try {
    for (let from = 0; from < hosts; from += SLICE) {
      const file = join(dir, `slice-${from}.om`)
      const written = await writeOpenMetrics(file, fleet, instants, from, Math.min(hosts, from + SLICE))
      bytes += written.bytes
      series += written.series
      if (head) await pushOpenMetrics(file, receiver.url)
      else await backfill(file, tsdb)
      unlinkSync(file)
    }
  } catch (error) {
    await receiver?.stop()
    throw error
  }
  const prometheus = receiver ?? (await startPrometheus(tsdb, ranges, log, args['query-timeout']))
  const result = {hosts, vms: hosts * VMS, series, ingest: head ? 'head' : 'backfill', openMetricsMiB: bytes / 2 ** 20, setupSeconds: (performance.now() - setupStarted) / 1000}
  try {
    const late = Date.now() / 1000 - at
    if (late > 60) throw new Error(`the TSDB was ready ${late.toFixed(0)} s after its samples' moment: raise --setup-ms-per-host`)
    if (late < 0) await sleep(-late * 1000)
    log(`${hosts} hosts: ${series} series (${result.ingest}), ${(bytes / 2 ** 20).toFixed(0)} MiB of OpenMetrics, set up in ${s(result.setupSeconds)}; measuring at ${new Date(at * 1000).toISOString()}`)
    const config = join(dir, 'config.json')
    writeConfig(config, {cluster: `fleet-${hosts}`, from: 0, to: hosts, url: prometheus.url, timeoutSeconds: Number(args.timeout)})
    const state = join(dir, 'state')
    const common = {env: {SOVA_CONFIG: config, SOVA_STATE_DIR: state}, usageFile: join(dir, 'usage.json'), prometheusUrl: prometheus.url}
    let offset = Date.now() / 1000 - at
    result.collect = await runSova(['collect', '--prometheus', prometheus.url, '--format', 'json'], {...common, outFile: join(dir, 'collect.ndjson')})
    result.collect.document = result.collect.code === 0 ? documentSummary(join(dir, 'collect.ndjson')) : undefined
    result.collect.offset = offset
    offset = Date.now() / 1000 - at
    // A run senses as collect does: when collect could not, run would only repeat its cost.
    if (result.collect.code === 0) {
      result.run = await runSova(['run', '--once', '--dry-run', '--prometheus', prometheus.url, '--format', 'json'], {...common, outFile: join(dir, 'run.ndjson')})
      result.run.document = result.run.code === 0 ? documentSummary(join(dir, 'run.ndjson')) : undefined
      result.run.offset = offset
    } else log(`${hosts} hosts: run --once --dry-run not measured: collect exited ${result.collect.code}`)
    const checked = await probe(prometheus.url, referenceQueries(hosts, VMS, VFS_HELD, Number(args.window)), at)
    result.probe = checked
    // Samples end at +90 s: a run started later reads a window of textfiles that stopped moving.
    if (result.run && offset > 90) log(`run started ${offset.toFixed(0)} s after the samples' moment, past their end: its figures are not those of a live fleet`)
  } finally {
    await prometheus.stop()
    if (args.keep) log(`kept ${dir}`)
    else rmSync(dir, {recursive: true, force: true})
  }
  return result
}

// The table is printed a size at a time, as each is measured: a long run's first figures are not
// lost if a later size fails.
function header() {
  console.log(`fleet: KVM hosts x ${VMS} VMs through Prometheus (${process.version}, sova ./bin/run.js; prometheus --query.timeout=${args['query-timeout']}, sensing.prometheus.timeoutSeconds ${args.timeout}, retries 0)`)
  const head = ['hosts', 'VMs', 'series', 'stage', 'exit', 'wall', 'peak RSS', 'CPU', 'Prom query', 'Prom CPU', 'requests', 'growth']
  console.log(head.map((h, i) => (i === 3 ? `  ${h.padEnd(22)}` : h.padStart(11))).join(''))
}

const previous = {}
function rows(r) {
  for (const [stage, m] of [['collect', r.collect], ['run --once --dry-run', r.run]]) {
    if (!m) continue
    const growth = previous[stage] ? `${(m.wallSeconds / previous[stage].wallSeconds).toFixed(1)}x/${(r.hosts / previous[stage].hosts).toFixed(0)}x` : '-'
    const cells = [r.hosts, r.vms, r.series, stage, m.code, s(m.wallSeconds), `${m.peakRssMiB.toFixed(0)} MiB`, s(m.cpuSeconds), s(m.prometheus.httpSeconds), s(m.prometheus.cpuSeconds), m.prometheus.requests, growth]
    console.log(cells.map((c, i) => (i === 3 ? `  ${String(c).padEnd(22)}` : String(c).padStart(11))).join(''))
    if (m.code !== 0) console.log(`    stderr: ${m.stderr.split('\n').slice(-2).join(' | ')}`)
    console.log(`    ${r.ingest}; started ${m.offset.toFixed(0)} s after the samples' moment${m.document ? `; document: ${JSON.stringify(m.document)}` : ''}`)
    if (m.code === 0) previous[stage] = {...m, hosts: r.hosts}
  }
  console.log(`    reference queries (the bench's own, at the samples' moment, ${args.window} s window): ${s(r.probe.seconds)}${r.probe.wrong.length ? `; WRONG: ${r.probe.wrong.join('; ')}` : ', every series there'}`)
}

header()
let failed = false
for (const hosts of args.hosts.split(',').map(Number)) {
  try {
    rows(await measureSize(hosts))
  } catch (error) {
    failed = true
    console.log(`${String(hosts).padStart(11)}  not measured: ${error.message}`)
  }
}
console.log('wall: from the sova process\'s start to its exit; peak RSS and CPU (user + system): the sova process\'s own')
console.log('Prom query: seconds Prometheus\' query API spent on the run\'s requests (summed: they run in parallel); Prom CPU: its process\'s CPU meanwhile')
console.log('growth: wall-time ratio to the previous size measured / host ratio (linear: equal)')
if (failed) process.exitCode = 1
