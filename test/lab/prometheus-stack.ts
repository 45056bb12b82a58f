// A real Prometheus beside the libvirt lab, on loopback: one prometheus (scrape every 1 s, its own
// TSDB in a temp dir), one node_exporter per lab host reading its own textfile directory, one
// prometheus-libvirt-exporter per lab daemon, every target labelled with its lab host's name
// (`sova_host`), and `sova export --textfile` rewriting each host's file every second or so, as the
// contrib/ timer does. Every process started here is stopped by stop(), also after a failure.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {sova} from '../cli/helpers.js'

export const HOST_LABEL = 'sova_host'
export const TOOLS = ['prometheus', 'prometheus-node-exporter', 'prometheus-libvirt-exporter'] as const

export interface LabHost {
  name: string
  uri: string
}

/** A free loopback TCP port (the kernel's pick, released for the tool to bind). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

export class PrometheusStack {
  readonly dir = mkdtempSync(join(tmpdir(), 'sova-prom-lab-'))
  url = ''
  private readonly children = new Map<string, ChildProcess>()
  private exporting = false
  private exportLoop: Promise<void> | undefined
  /** The configuration `sova export` reads (a test may swap it, e.g. for other port speeds). */
  exportConfig: string

  constructor(
    private readonly hosts: LabHost[],
    config: string,
    private readonly state: string,
  ) {
    this.exportConfig = config
  }

  private start(name: string, command: string, args: string[]): void {
    const log = openSync(join(this.dir, `${name}.log`), 'a')
    const child = spawn(command, args, {stdio: ['ignore', log, log]})
    this.children.set(name, child)
    // The last resort if the test process ends without stop(): none of these outlives it.
    if (this.children.size === 1) process.once('exit', () => this.children.forEach((running) => running.kill('SIGKILL')))
  }

  /** Stops one process of the stack (an exporter "going down"), waiting until it is gone. */
  async stopOne(name: string): Promise<void> {
    const child = this.children.get(name)
    this.children.delete(name)
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
    await gone
    clearTimeout(timer)
  }

  /** Writes each host's textfile once (sova export --textfile), in turn. */
  async exportOnce(): Promise<void> {
    for (const host of this.hosts) {
      // --remote: the lab's hosts are daemons on their own sockets, read as collect reads them.
      const result = await sova(['export', '--remote', '--textfile', join(this.dir, `textfile-${host.name}`), '--host', host.name, '--config', this.exportConfig], {state: this.state})
      if (result.exitCode !== 0) throw new Error(`sova export --host ${host.name}: exit ${result.exitCode}: ${String(result.stderr)}`)
    }
  }

  async up(): Promise<void> {
    const targets: {node: string; libvirt: string; host: string}[] = []
    for (const host of this.hosts) {
      mkdirSync(join(this.dir, `textfile-${host.name}`))
      const [node, libvirt] = [await freePort(), await freePort()]
      targets.push({host: host.name, node: `127.0.0.1:${node}`, libvirt: `127.0.0.1:${libvirt}`})
      // Only the collectors Sova reads: quick scrapes, little noise.
      this.start(`node-${host.name}`, 'prometheus-node-exporter', [
        `--web.listen-address=127.0.0.1:${node}`,
        `--collector.textfile.directory=${join(this.dir, `textfile-${host.name}`)}`,
        '--collector.disable-defaults',
        '--collector.textfile',
        '--collector.meminfo',
        '--collector.cpu',
        '--collector.netdev',
      ])
      this.start(`libvirt-${host.name}`, 'prometheus-libvirt-exporter', [`--web.listen-address=127.0.0.1:${libvirt}`, `--libvirt.uri=${host.uri}`])
    }
    await this.exportOnce()
    const job = (name: string, kind: 'node' | 'libvirt') => ({
      job_name: name,
      static_configs: targets.map((target) => ({targets: [target[kind]], labels: {[HOST_LABEL]: target.host}})),
    })
    // JSON is YAML: the scrape configuration as Prometheus documents it.
    writeFileSync(join(this.dir, 'prometheus.yml'), JSON.stringify({global: {scrape_interval: '1s', scrape_timeout: '900ms'}, scrape_configs: [job('node', 'node'), job('libvirt', 'libvirt')]}, null, 2))
    const port = await freePort()
    this.url = `http://127.0.0.1:${port}`
    this.start('prometheus', 'prometheus', [
      `--config.file=${join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(this.dir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ])
    this.exporting = true
    this.exportLoop = (async () => {
      while (this.exporting) {
        await this.exportOnce().catch((error: Error) => writeFileSync(join(this.dir, 'export-errors.log'), error.message + '\n', {flag: 'a'}))
        await sleep(500)
      }
    })()
  }

  /** One instant query's first value (NaN when the answer is empty or Prometheus does not answer yet). */
  async value(query: string): Promise<number> {
    try {
      const response = await fetch(`${this.url}/api/v1/query`, {method: 'POST', body: new URLSearchParams({query}), signal: AbortSignal.timeout(5000)})
      const body = (await response.json()) as {data?: {result?: {value: [number, string]}[]}}
      return Number(body.data?.result?.[0]?.value[1] ?? Number.NaN)
    } catch {
      return Number.NaN
    }
  }

  /** Waits until every target is up and every host's textfile has been scraped for `seconds` (so a window of that many seconds has both ends). */
  async waitForHistory(seconds: number, budgetMs = 60_000): Promise<void> {
    const targets = 2 * this.hosts.length
    for (const deadline = Date.now() + budgetMs; Date.now() < deadline; await sleep(500)) {
      const up = await this.value('count(up == 1)')
      const history = await this.value(`min(count_over_time(sova_textfile_timestamp_seconds[${seconds + 3}s]))`)
      if (up === targets && history >= seconds + 1) return
    }
    throw new Error(`Prometheus at ${this.url} has no ${seconds} s of history of every target within ${budgetMs / 1000} s; see the logs in ${this.dir}`)
  }

  /** Prometheus's own count of instant queries answered (to show a command read from it). */
  /** Instant and range queries Prometheus has answered with 200 so far. */
  async queriesAnswered(): Promise<{instant: number; range: number}> {
    const text = await (await fetch(`${this.url}/metrics`)).text()
    const answered = (handler: string) => {
      const line = text.split('\n').find((l) => l.startsWith('prometheus_http_requests_total{') && l.includes(`handler="${handler}"`) && l.includes('code="200"'))
      return Number(line?.split(' ').at(-1) ?? 0)
    }
    return {instant: answered('/api/v1/query'), range: answered('/api/v1/query_range')}
  }

  log(name: string): string {
    try {
      return readFileSync(join(this.dir, `${name}.log`), 'utf8').slice(-2000)
    } catch {
      return ''
    }
  }

  /** Stops everything this stack started and removes its files. */
  async stop(): Promise<void> {
    this.exporting = false
    await this.exportLoop
    await Promise.all([...this.children.keys()].map((name) => this.stopOne(name)))
    rmSync(this.dir, {recursive: true, force: true})
  }
}
