// A backend that senses through Prometheus and acts through the hypervisors' tools: snapshots come
// from a query per metric (a range query over the window for what both of its ends need), every action (and the cluster's clock) goes to the configured
// backend, which reaches only the hosts a plan touches. The rest of Sova sees a Backend.
//
// Rates: the counters at two instants (now and one window before), mapped to two RawSnapshots and
// fed to collect's one pure toDocument, rather than PromQL's rate(). So a VF that came or went, a
// restarted domain or a VM that migrated within the window are handled exactly as on a direct
// reading (no rate across a change of what a counter counts, which rate() cannot tell), the port of
// a lab summed from its VMs is the same sum, and a cycle needs no earlier local sample.
import type {Backend, RawSnapshot, StepResult, VfDevice, VmRef} from '../backends/types.js'
import {InputError, UnreachableError} from '../errors.js'
import {type ClientOptions, PrometheusClient, type PrometheusEndpoint} from './prom-client.js'
import {hostsLackingExporterDomains, type MappingContext, snapshotOf, withUnchangedTextfiles} from './prom-map.js'
import {addAnswer, addRangeAnswer, alignTextfile, PrometheusAnswerError, type Reading} from './prom-response.js'
import {END_ONLY, type PartName, sensingQueries} from './promql.js'

/** One query to send, and where its answer goes. */
interface Asked {
  fetch: () => Promise<unknown>
  add: (body: unknown) => void
}

export const DEFAULT_WINDOW_SECONDS = 60
export const DEFAULT_HOST_LABEL = 'instance'
export const DEFAULT_MAX_TEXTFILE_AGE_SECONDS = 120
/**
 * Hosts one query asks about: a larger configuration is asked in slices of this many, so no answer
 * (about 6 MB at 40 VMs a host), and no query's working set in Prometheus, grows with the fleet.
 */
export const HOSTS_PER_QUERY = 1000

/** `names` in slices of HOSTS_PER_QUERY. */
export function hostSlices(names: readonly string[]): string[][] {
  const slices: string[][] = []
  for (let from = 0; from < names.length; from += HOSTS_PER_QUERY) slices.push(names.slice(from, from + HOSTS_PER_QUERY))
  return slices
}

export interface PrometheusSensingSettings extends PrometheusEndpoint {
  hostLabel?: string
  windowSeconds?: number
  maxTextfileAgeSeconds?: number
}

export interface SensingOptions extends ClientOptions {
  /** Notes for stderr (hosts Prometheus has that the configuration does not). */
  log?: (line: string) => void
  /** Unix ms now; injected for tests. */
  now?: () => number
}

export class PrometheusSensing implements Backend {
  readonly name: string
  readonly capabilities: Backend['capabilities']
  private readonly client: PrometheusClient
  private readonly said = new Set<string>()

  constructor(
    /** The hosts' own backend: acts, and reads the hosts an action touches. */
    private readonly acting: Backend & {snapshot(only?: readonly string[]): Promise<RawSnapshot>},
    private readonly hosts: readonly {name: string}[],
    private readonly settings: PrometheusSensingSettings,
    private readonly options: SensingOptions = {},
  ) {
    this.name = acting.name
    this.capabilities = acting.capabilities
    this.client = new PrometheusClient(settings, options)
  }

  private get windowSeconds(): number {
    return this.settings.windowSeconds ?? DEFAULT_WINDOW_SECONDS
  }

  private get hostLabel(): string {
    return this.settings.hostLabel ?? DEFAULT_HOST_LABEL
  }

  /** The queries of the configuration's `hosts`, per slice of hosts: every part's but the textfile's domain fallbacks, or those only. */
  private queries(hosts: readonly string[], fallbacks: boolean): {part: PartName; query: string}[] {
    return hostSlices(hosts).flatMap((slice) => sensingQueries({hostLabel: this.hostLabel, hosts: slice}, false, fallbacks))
  }

  private what(part: PartName): string {
    return `Prometheus at ${this.settings.url}, query ${part}`
  }

  /** Every query of one instant (Unix ms), then the fallbacks of the hosts where the libvirt exporter lacks a domain. */
  private async read(ms: number): Promise<Reading> {
    const reading: Reading = new Map()
    const asked = (queries: {part: PartName; query: string}[]): Asked[] =>
      queries.map(({part, query}) => ({fetch: () => this.client.query(query, ms / 1000), add: (body) => addAnswer(reading, body, part, this.hostLabel, this.what(part))}))
    await this.ask(asked(this.queries(this.hosts.map((host) => host.name), false)))
    const lacking = hostsLackingExporterDomains(reading)
    if (lacking.length > 0) await this.ask(asked(this.queries(lacking, true)))
    return reading
  }

  /**
   * Both ends of a window (Unix ms): what both need (counters, and what they count) as one range
   * query a part with the window as its step, which gives exactly the two instants' readings and
   * costs Prometheus and the answers about two thirds of two instant queries (bench/fleet); the
   * gauges only the end needs (promql.ts END_ONLY) as instant queries at the end. Then the
   * fallbacks of the hosts where the libvirt exporter lacks a domain at either end.
   */
  private async readEnds(startMs: number, endMs: number): Promise<{start: Reading; end: Reading}> {
    const ends = {startMs, endMs, start: new Map() as Reading, end: new Map() as Reading}
    const asked = (queries: {part: PartName; query: string}[]): Asked[] =>
      queries.map(({part, query}) =>
        END_ONLY.includes(part)
          ? {fetch: () => this.client.query(query, endMs / 1000), add: (body) => addAnswer(ends.end, body, part, this.hostLabel, this.what(part))}
          : {fetch: () => this.client.queryRange(query, startMs / 1000, endMs / 1000, (endMs - startMs) / 1000), add: (body) => addRangeAnswer(ends, body, part, this.hostLabel, this.what(part))},
      )
    await this.ask(asked(this.queries(this.hosts.map((host) => host.name), false)))
    const lacking = [...new Set([...hostsLackingExporterDomains(ends.start), ...hostsLackingExporterDomains(ends.end)])]
    if (lacking.length > 0) await this.ask(asked(this.queries(lacking, true)))
    return ends
  }

  /** Runs the queries (the client keeps a few in flight), each answer sorted in as it comes; a failure is the first query's (in order) that failed. */
  private async ask(queries: Asked[]): Promise<void> {
    const outcomes = await Promise.allSettled(queries.map(async ({fetch, add}) => add(await fetch())))
    const failed = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected')
    if (!failed) return
    if (failed.reason instanceof PrometheusAnswerError) throw new InputError(failed.reason.message)
    throw failed.reason
  }

  private async context(): Promise<MappingContext> {
    return {
      hosts: this.hosts,
      hostLabel: this.hostLabel,
      maxTextfileAgeSeconds: this.settings.maxTextfileAgeSeconds ?? DEFAULT_MAX_TEXTFILE_AGE_SECONDS,
      source: {backend: this.acting.name, cluster: await this.acting.clusterName()},
    }
  }

  /** No host with readings at all: as a direct backend whose hosts all fail to answer (exit 69). */
  private someHost(snapshot: RawSnapshot): RawSnapshot {
    if (snapshot.hosts.length > 0) return snapshot
    const first = snapshot.missing?.[0]
    throw new UnreachableError(`no host has readings in Prometheus at ${this.settings.url}${first ? ` (${first.host}: ${first.reason})` : ''}`)
  }

  private snapshotAt(reading: Reading, ms: number, context: MappingContext): RawSnapshot {
    const {snapshot, foreign} = snapshotOf(reading, new Date(ms).toISOString(), context)
    const unsaid = foreign.filter((host) => !this.said.has(host))
    for (const host of unsaid) this.said.add(host)
    if (unsaid.length > 0) this.options.log?.(`collect: Prometheus has series of hosts the configuration does not list, ignored: ${unsaid.slice(0, 10).join(', ')}${unsaid.length > 10 ? ` and ${unsaid.length - 10} more` : ''}`)
    return snapshot
  }

  /** The cluster as Prometheus has it now. */
  async snapshot(): Promise<RawSnapshot> {
    const ms = this.nowMs()
    return this.someHost(this.snapshotAt(await this.read(ms), ms, await this.context()))
  }

  /**
   * Counters at the start and end of a window ending now (`seconds`, default windowSeconds), the
   * textfile's counters aligned to the window (prom-response.ts alignTextfile).
   */
  async readWindow(seconds?: number): Promise<{start: RawSnapshot; end: RawSnapshot}> {
    const window = seconds ?? this.windowSeconds
    // Whole milliseconds, so the document's window is exactly `window` seconds.
    const endMs = Math.floor(this.nowMs())
    const startMs = endMs - Math.round(window * 1000)
    const [context, {start: startReading, end: endReading}] = await Promise.all([this.context(), this.readEnds(startMs, endMs)])
    alignTextfile(startReading, endReading, window)
    // The start's gauges are never used (rates need its counters; the document states the end's).
    const start = this.snapshotAt(startReading, startMs, {...context, countersOnly: true})
    const end = withUnchangedTextfiles(startReading, this.snapshotAt(endReading, endMs, context), endReading, window)
    return {start, end: this.someHost(end)}
  }

  private nowMs(): number {
    return this.options.now?.() ?? Date.now()
  }

  /** The hosts an action touches, read now with their tools (Prometheus lags by a scrape and a textfile period). */
  liveSnapshot(hosts: readonly string[]): Promise<RawSnapshot> {
    return this.acting.snapshot(hosts)
  }

  clusterName(): Promise<string> {
    return this.acting.clusterName()
  }
  now(): Promise<string> {
    return this.acting.now()
  }
  nextSample(): Promise<void> {
    return this.acting.nextSample()
  }
  wait(seconds: number): Promise<void> {
    return this.acting.wait(seconds)
  }
  attachVf(host: string, vm: VmRef, vf: string, restore?: VfDevice): Promise<StepResult> {
    return this.acting.attachVf(host, vm, vf, restore)
  }
  detachVf(host: string, vm: VmRef, vf: string): Promise<StepResult> {
    return this.acting.detachVf(host, vm, vf)
  }
  migrate(vm: VmRef, from: string, to: string): Promise<StepResult> {
    return this.acting.migrate(vm, from, to)
  }
  close(): void {
    this.acting.close()
  }
}
