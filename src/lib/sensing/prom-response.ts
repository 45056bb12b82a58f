// Prometheus's instant-query answers (HTTP API, /api/v1/query), one answer per query part, read
// into one reading per instant, sorted by host and part. Pure.
import {type PartName, partLabels, partOperation, TEXTFILE_COUNTERS} from './promql.js'

/** One series of an answer: the part's labels (promql.ts partLabels, not the host label) and its value. */
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

/**
 * Adds the answer to `part`'s query to `reading` (the parsed JSON body; only the part's labels are
 * kept, so the body can go). Throws PrometheusAnswerError on any shape the API does not document,
 * and for `status: "error"`.
 */
export function addAnswer(reading: Reading, body: unknown, part: PartName, hostLabel: string, what: string): void {
  const answer = body as {status?: unknown; error?: unknown; errorType?: unknown; data?: {resultType?: unknown; result?: unknown}}
  if (typeof answer !== 'object' || answer === null) throw new PrometheusAnswerError(`${what}: the answer is not a JSON object`)
  if (answer.status === 'error') throw new PrometheusAnswerError(`${what}: Prometheus refused the query (${String(answer.errorType)}: ${String(answer.error).slice(0, 200)})`)
  if (answer.status !== 'success') throw new PrometheusAnswerError(`${what}: the answer's status is ${JSON.stringify(answer.status)}, not "success"`)
  if (answer.data?.resultType !== 'vector' || !Array.isArray(answer.data.result)) {
    throw new PrometheusAnswerError(`${what}: expected data.resultType "vector" with a result list, got ${JSON.stringify(answer.data?.resultType)}`)
  }
  const names = partLabels(part)
  // The `instance` of each host's first series of this part: a second one means two ports to combine.
  const instances = hostLabel === 'instance' && part !== 'up' ? new Map<string, string>() : undefined
  const mixed = new Set<string>()
  for (const series of answer.data.result as unknown[]) {
    const {metric, value} = (series ?? {}) as {metric?: unknown; value?: unknown}
    if (typeof metric !== 'object' || metric === null || !Array.isArray(value) || value.length !== 2 || typeof value[1] !== 'string') {
      throw new PrometheusAnswerError(`${what}: a result is not {metric, value: [time, "number"]}`)
    }
    const number = Number(value[1])
    // NaN and Inf are legal in the API; they are no reading.
    if (!Number.isFinite(number)) continue
    const all = metric as Record<string, string>
    const host = hostOf(all, hostLabel)
    if (host === undefined) continue
    const labels: Record<string, string> = {}
    for (const name of names) if (all[name] !== undefined) labels[name] = all[name]
    if (instances) {
      const first = instances.get(host)
      if (first === undefined) instances.set(host, all.instance)
      else if (first !== all.instance) mixed.add(host)
    }
    let parts = reading.get(host)
    if (!parts) reading.set(host, (parts = new Map()))
    const list = parts.get(part)
    if (list) list.push({labels, value: number})
    else parts.set(part, [{labels, value: number}])
  }
  for (const host of mixed) {
    const parts = reading.get(host)!
    parts.set(part, combined(parts.get(part)!, part))
  }
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
