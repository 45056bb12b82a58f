// A real Prometheus (Debian's prometheus and promtool) serving the generated fleet: the OpenMetrics
// files are backfilled with `promtool tsdb create-blocks-from openmetrics` into a fresh TSDB (one
// file per slice of hosts, so promtool's memory stays that of a slice), then `prometheus` serves
// that TSDB on loopback, scraping nothing. Its own query time is read from its /metrics before
// and after a run (the engine's and the HTTP handlers' summaries), whatever queries Sova sent.
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

/** Runs a program (argument array, no shell) at a lower priority; rejects with its stderr's tail on failure. */
export function runNiced(program, args) {
  return new Promise((resolve, reject) => {
    const child = spawn('nice', ['-n', '10', program, ...args], {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)))
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${program} ${args[0] ?? ''}: exit ${code}: ${stderr.trim().split('\n').at(-1)}`))))
  })
}

export const backfill = (file, tsdb) => runNiced('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', file, tsdb])

/** A free loopback port (asked of the kernel, then released for Prometheus to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

async function metricsText(url) {
  const response = await fetch(`${url}/metrics`)
  if (!response.ok) throw new Error(`${url}/metrics: HTTP ${response.status}`)
  return response.text()
}

/** Sum of the samples of `name` whose labels contain every `match` string. */
function sumOf(text, name, ...match) {
  let total = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue
    if (match.every((m) => line.includes(m))) total += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return total
}

/** Prometheus' own counters of query work so far: engine evaluation seconds, API handler seconds and requests, its CPU seconds. */
export async function queryCounters(url) {
  const text = await metricsText(url)
  return {
    engineSeconds: sumOf(text, 'prometheus_engine_query_duration_seconds_sum'),
    evalSeconds: sumOf(text, 'prometheus_engine_query_duration_seconds_sum', 'slice="inner_eval"'),
    httpSeconds: sumOf(text, 'prometheus_http_request_duration_seconds_sum', 'handler="/api/v1/'),
    requests: sumOf(text, 'prometheus_http_request_duration_seconds_count', 'handler="/api/v1/'),
    cpuSeconds: sumOf(text, 'process_cpu_seconds_total'),
  }
}

export const counterDelta = (after, before) => Object.fromEntries(Object.keys(after).map((key) => [key, after[key] - before[key]]))

/**
 * Starts prometheus on `tsdb` at a free loopback port and waits until it is ready and has merged
 * the backfilled slices (overlapping blocks are compacted in the background: not while we measure).
 * `blocks`: how many blocks the TSDB holds once merged (one per 2-hour range the samples span);
 * `queryTimeout`: Prometheus' --query.timeout (its default is 2m); `extraArgs`: more flags.
 */
export async function startPrometheus(tsdb, blocks, log, queryTimeout = '2m', extraArgs = []) {
  const port = await freePort()
  const config = join(tsdb, '..', 'prometheus.yml')
  writeFileSync(config, 'global:\n  scrape_interval: 30s\nscrape_configs: []\n')
  const child = spawn('prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${tsdb}`,
    '--storage.tsdb.retention.time=30d',
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    // The default 2 minutes ends a query of a 10,000-host fleet with HTTP 503 on this machine: measure it whole.
    `--query.timeout=${queryTimeout}`,
    ...extraArgs,
  ], {stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr = (stderr + chunk).slice(-4000)))
  const exited = new Promise((resolve) => child.on('close', resolve))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    child.kill('SIGTERM')
    await exited
  }
  try {
    for (let tries = 0; ; tries++) {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${stderr.trim().split('\n').at(-1)}`)
      const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false)
      if (ready) break
      if (tries > 1200) throw new Error('prometheus not ready after 10 minutes')
      await sleep(500)
    }
    const started = performance.now()
    let loaded
    for (;;) {
      loaded = sumOf(await metricsText(url), 'prometheus_tsdb_blocks_loaded')
      if (loaded <= blocks) break
      if (performance.now() - started > 15 * 60e3) throw new Error(`prometheus still holds ${loaded} blocks after 15 minutes of compaction`)
      await sleep(2000)
    }
    log(`prometheus ${url}: ready, ${loaded} block(s), merged in ${((performance.now() - started) / 1000).toFixed(0)} s`)
    return {url, port, pid: child.pid, stop}
  } catch (error) {
    await stop()
    throw error
  }
}

/** Resident memory of a process now and at its peak (kB), from /proc. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, 'm'))?.[1] ?? NaN)
    return {rssKiB: field('VmRSS'), peakKiB: field('VmHWM')}
  } catch {
    return {rssKiB: NaN, peakKiB: NaN}
  }
}
