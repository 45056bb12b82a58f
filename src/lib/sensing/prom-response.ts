// Prometheus's instant-query answers (HTTP API, /api/v1/query), one answer per query part, read
// into one reading per instant, sorted by host and part. Pure.
import {type PartName, partLabels, partOperation, TEXTFILE_COUNTERS} from './promql.js'

/** One series of an answer: its labels (the host label and the part's, promql.ts partLabels: what the query aggregates by) and its value. */
export interface Sample {
  labels: Record<string, string>
  value: number
}

/** One instant's answers: per host (by the host label), per query part, the series. */
export type Reading = Map<string, Map<PartName, Sample[]>>

/** An answer that is not what the Prometheus HTTP API documents (exit 65). */
export class PrometheusAnswerError extends Error {}

/** `instance` less its `:port`, as Prometheus's anchored `(.+?)(?::[0-9]+)?` takes it: both exporters of a host are one host. */
const INSTANCE_HOST = /^(.+?)(?::[0-9]+)?$/

/** The host a series belongs to: its host label (`instance` without its `:port`). */
export function hostOf(labels: Record<string, string>, hostLabel: string): string | undefined {
  const value = labels[hostLabel]
  if (value === undefined || value === '') return undefined
  return hostLabel === 'instance' ? (INSTANCE_HOST.exec(value)?.[1] ?? value) : value
}

/** Identifies a series within its host and part: the values of the part's labels. */
const labelsKey = (labels: Record<string, string>, names: readonly string[]): string => names.map((name) => labels[name] ?? '').join('\u0000')

/**
 * Series of one host and part that came from two `instance`s (two ports of one host) combined as
 * the part aggregates (sum, max or count), as one server-side aggregation by the host would.
 */
function combined(samples: Sample[], part: PartName): Sample[] {
  const names = partLabels(part)
  const op = partOperation(part)
  const byKey = new Map<string, Sample>()
  for (const sample of samples) {
    const key = labelsKey(sample.labels, names)
    const seen = byKey.get(key)
    if (!seen) byKey.set(key, sample)
    else seen.value = op === 'max' ? Math.max(seen.value, sample.value) : seen.value + sample.value
  }
  return [...byKey.values()]
}

/** The `data.result` of an answer of `resultType`, or PrometheusAnswerError for any shape the API does not document, and for `status: "error"`. */
function resultOf(body: unknown, resultType: 'vector' | 'matrix', what: string): unknown[] {
  const answer = body as {status?: unknown; error?: unknown; errorType?: unknown; data?: {resultType?: unknown; result?: unknown}}
  if (typeof answer !== 'object' || answer === null) throw new PrometheusAnswerError(`${what}: the answer is not a JSON object`)
  if (answer.status === 'error') throw new PrometheusAnswerError(`${what}: Prometheus refused the query (${String(answer.errorType)}: ${String(answer.error).slice(0, 200)})`)
  if (answer.status !== 'success') throw new PrometheusAnswerError(`${what}: the answer's status is ${JSON.stringify(answer.status)}, not "success"`)
  if (answer.data?.resultType !== resultType || !Array.isArray(answer.data.result)) {
    throw new PrometheusAnswerError(`${what}: expected data.resultType "${resultType}" with a result list, got ${JSON.stringify(answer.data?.resultType)}`)
  }
  return answer.data.result
}

const isPoint = (point: unknown): point is [number, string] => Array.isArray(point) && point.length === 2 && typeof point[0] === 'number' && typeof point[1] === 'string'

/** A series' host (its host label's value, `instance` without its `:port`), worked out once per distinct value. */
class HostNames {
  private readonly known = new Map<string, string | undefined>()
  constructor(private readonly hostLabel: string) {}

  of(metric: Record<string, string>): string | undefined {
    const value = metric[this.hostLabel]
    if (value === undefined) return undefined
    let host = this.known.get(value)
    if (host === undefined && !this.known.has(value)) this.known.set(value, (host = hostOf(metric, this.hostLabel)))
    return host
  }
}

/**
 * Sorts one part's series into a reading, each keeping the answer's own label object (the query
 * aggregates by the host label and the part's labels only: nothing else to drop, nothing to copy);
 * a host's series from two `instance`s (two ports) are combined as the part aggregates.
 */
class PartSorter {
  /** The `instance` of each host's first series of this part: a second one means two ports to combine. */
  private readonly instances: Map<string, string> | undefined
  private readonly mixed = new Set<string>()

  constructor(
    private readonly reading: Reading,
    private readonly part: PartName,
    hostLabel: string,
  ) {
    this.instances = hostLabel === 'instance' && part !== 'up' ? new Map() : undefined
  }

  add(metric: Record<string, string>, host: string, value: string): void {
    const number = Number(value)
    // NaN and Inf are legal in the API; they are no reading.
    if (!Number.isFinite(number)) return
    if (this.instances) {
      const first = this.instances.get(host)
      if (first === undefined) this.instances.set(host, metric.instance)
      else if (first !== metric.instance) this.mixed.add(host)
    }
    let parts = this.reading.get(host)
    if (!parts) this.reading.set(host, (parts = new Map()))
    const list = parts.get(this.part)
    if (list) list.push({labels: metric, value: number})
    else parts.set(this.part, [{labels: metric, value: number}])
  }

  finish(): void {
    for (const host of this.mixed) {
      const parts = this.reading.get(host)!
      parts.set(this.part, combined(parts.get(this.part)!, this.part))
    }
  }
}

const notASeries = (what: string, shape: string) => new PrometheusAnswerError(`${what}: a result is not {metric, ${shape}}`)

/** Adds the answer to `part`'s instant query (the parsed JSON body) to `reading`. */
export function addAnswer(reading: Reading, body: unknown, part: PartName, hostLabel: string, what: string): void {
  const sorter = new PartSorter(reading, part, hostLabel)
  const hosts = new HostNames(hostLabel)
  for (const series of resultOf(body, 'vector', what)) {
    const {metric, value} = (series ?? {}) as {metric?: unknown; value?: unknown}
    if (typeof metric !== 'object' || metric === null || !isPoint(value)) throw notASeries(what, 'value: [time, "number"]')
    const host = hosts.of(metric as Record<string, string>)
    if (host !== undefined) sorter.add(metric as Record<string, string>, host, value[1])
  }
  sorter.finish()
}

/**
 * Adds the answer to `part`'s range query over a window (the parsed JSON body) to the readings of
 * its two ends: a point at `startMs` to `start`, one at `endMs` to `end` (Unix ms), as two instant
 * queries at those times would read them.
 */
export function addRangeAnswer(ends: {startMs: number; endMs: number; start: Reading; end: Reading}, body: unknown, part: PartName, hostLabel: string, what: string): void {
  const atStart = new PartSorter(ends.start, part, hostLabel)
  const atEnd = new PartSorter(ends.end, part, hostLabel)
  const hosts = new HostNames(hostLabel)
  for (const series of resultOf(body, 'matrix', what)) {
    const {metric, values} = (series ?? {}) as {metric?: unknown; values?: unknown}
    if (typeof metric !== 'object' || metric === null || !Array.isArray(values)) throw notASeries(what, 'values: [[time, "number"], ...]')
    const host = hosts.of(metric as Record<string, string>)
    for (const point of values) {
      if (!isPoint(point)) throw notASeries(what, 'values: [[time, "number"], ...]')
      const ms = Math.round(point[0] * 1000)
      if (ms !== ends.startMs && ms !== ends.endMs) {
        throw new PrometheusAnswerError(`${what}: a point at ${point[0]}, neither end of the window (a query frontend that aligns range queries to their step moves them: point sensing.prometheus.url at Prometheus or its querier)`)
      }
      if (host !== undefined) (ms === ends.startMs ? atStart : atEnd).add(metric as Record<string, string>, host, point[1])
    }
  }
  atStart.finish()
  atEnd.finish()
}

/** The labels of a series that identify it within its part and host (not the host label or the part). */
const seriesKey = (sample: Sample): string =>
  Object.keys(sample.labels)
    .sort()
    .map((key) => `${key}=${sample.labels[key]}`)
    .join(',')

/** When a host's sova textfile was written, as the reading has it. */
export const textfileTime = (parts: Map<PartName, Sample[]> | undefined): number | undefined => parts?.get('textfile')?.[0]?.value

/**
 * The textfile's counters at the window's start, as if read exactly one window before the end's.
 * Prometheus stamps a textfile's values with the scrape's time, but they are as old as the file:
 * two files written 75 s apart, read through a 60 s window, would overstate every rate by a
 * quarter. Each counter's change between the two files is scaled to the window (a steady rate
 * between writes); a counter that went back (a reset) is left alone. Hosts whose file did not
 * change within the window are left as they are (the mapping says they are missing).
 */
export function alignTextfile(start: Reading, end: Reading, windowSeconds: number): void {
  for (const [host, endParts] of end) {
    const startParts = start.get(host)
    const before = textfileTime(startParts)
    const after = textfileTime(endParts)
    if (!startParts || before === undefined || after === undefined || after <= before) continue
    const scale = windowSeconds / (after - before)
    for (const part of TEXTFILE_COUNTERS) {
      const now = endParts.get(part)
      const then = startParts.get(part)
      if (!now || !then) continue
      const later = new Map(now.map((sample) => [seriesKey(sample), sample.value]))
      for (const sample of then) {
        const value = later.get(seriesKey(sample))
        if (value !== undefined && value >= sample.value) sample.value = value - (value - sample.value) * scale
      }
    }
  }
}
