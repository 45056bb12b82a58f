// The generated fleet pushed into a running Prometheus's head, as a Prometheus scraping the fleet
// would hold its last hours: the OpenMetrics file (openmetrics.mjs) read back series by series and
// sent through Prometheus's remote-write receiver (--web.enable-remote-write-receiver; protobuf
// WriteRequest, snappy block format), in batches. A backfilled TSDB (promtool) is served from a
// persisted block instead, which costs a query more than the head a live Prometheus reads from.
import {createReadStream} from 'node:fs'
import {createInterface} from 'node:readline'

const SERIES_PER_REQUEST = 20000

/** Protobuf varint of a non-negative integer (below 2^53). */
function varint(n, out) {
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
}

const utf8 = new TextEncoder()

/** A length-delimited field (wire type 2) holding `bytes`. */
function field(number, bytes, out) {
  varint((number << 3) | 2, out)
  varint(bytes.length, out)
  for (const b of bytes) out.push(b)
}

/** prometheus.TimeSeries: labels (1: name, 2: value), samples (1: double value, 2: int64 ms). */
function timeSeries(labels, samples) {
  const out = []
  for (const [name, value] of labels) {
    const label = []
    field(1, utf8.encode(name), label)
    field(2, utf8.encode(value), label)
    field(1, label, out)
  }
  for (const [value, ms] of samples) {
    const sample = [0x09]
    const double = new Uint8Array(new Float64Array([value]).buffer)
    for (const b of double) sample.push(b)
    sample.push(0x10)
    varint(ms, sample)
    field(2, sample, out)
  }
  return out
}

/** The snappy block format with the whole input as literals (valid, just not smaller). */
function snappyLiteral(bytes) {
  const out = []
  varint(bytes.length, out)
  for (let at = 0; at < bytes.length; at += 1 << 16) {
    const chunk = bytes.subarray(at, Math.min(bytes.length, at + (1 << 16)))
    const n = chunk.length - 1
    if (n < 60) out.push(n << 2)
    else if (n < 256) out.push(60 << 2, n)
    else out.push(61 << 2, n & 0xff, n >> 8)
    out.push(...chunk)
  }
  return Uint8Array.from(out)
}

async function send(url, series) {
  const request = []
  for (const one of series) field(1, one, request)
  const response = await fetch(`${url}/api/v1/write`, {
    method: 'POST',
    headers: {'content-type': 'application/x-protobuf', 'content-encoding': 'snappy', 'x-prometheus-remote-write-version': '0.1.0'},
    body: snappyLiteral(Uint8Array.from(request)),
  })
  if (!response.ok) throw new Error(`remote write: HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`)
}

/** `name{a="x",b="y"}` as [[__name__, name], [a, x], [b, y]], sorted by name as Prometheus wants. */
function labelsOf(text) {
  const brace = text.indexOf('{')
  const labels = [['__name__', brace < 0 ? text : text.slice(0, brace)]]
  if (brace >= 0) for (const [, name, value] of text.slice(brace + 1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) labels.push([name, value])
  return labels.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
}

/** Pushes every series of an OpenMetrics file (a series' samples on consecutive lines) to Prometheus at `url`. */
export async function pushOpenMetrics(file, url) {
  const lines = createInterface({input: createReadStream(file), crlfDelay: Infinity})
  let batch = []
  let current
  let samples = []
  const flushSeries = () => {
    if (current !== undefined) batch.push(timeSeries(labelsOf(current), samples))
    samples = []
  }
  for await (const line of lines) {
    if (line.startsWith('#') || line === '') continue
    const space = line.lastIndexOf(' ')
    const before = line.lastIndexOf(' ', space - 1)
    const series = line.slice(0, before)
    if (series !== current) {
      flushSeries()
      current = series
      if (batch.length >= SERIES_PER_REQUEST) {
        await send(url, batch)
        batch = []
      }
    }
    samples.push([Number(line.slice(before + 1, space)), Math.round(Number(line.slice(space + 1)) * 1000)])
  }
  flushSeries()
  if (batch.length > 0) await send(url, batch)
}
