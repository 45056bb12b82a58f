// A small local HTTP server that answers /api/v1/query in the documented Prometheus API JSON, and a
// model of a fleet's series (stock exporters' and sova export --textfile's) at a given time, so tests
// of the Prometheus source run against real HTTP without a Prometheus.
import {createServer, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {PART_NAMES, type PartName, partQuery} from '../../src/lib/sensing/promql.js'

export interface SeenRequest {
  method: string
  path: string
  query: string
  /** An instant query's time (NaN for a range query). */
  time: number
  /** A range query's start, end and step (NaN for an instant query). */
  start: number
  end: number
  step: number
  authorization?: string
}

export type Answer = {status: number; body: unknown} | {hang: true}

/** Starts the server on a free loopback port; `answer` decides each response. */
export async function startFakePrometheus(answer: (request: SeenRequest) => Answer): Promise<{url: string; requests: SeenRequest[]; close: () => Promise<void>}> {
  const requests: SeenRequest[] = []
  const hanging: ServerResponse[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const form = new URLSearchParams(body)
      const number = (name: string) => Number(form.get(name) ?? NaN)
      const seen: SeenRequest = {method: req.method ?? '', path: req.url ?? '', query: form.get('query') ?? '', time: number('time'), start: number('start'), end: number('end'), step: number('step'), authorization: req.headers.authorization}
      requests.push(seen)
      const reply = answer(seen)
      if ('hang' in reply) return void hanging.push(res)
      res.writeHead(reply.status, {'content-type': 'application/json'})
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** A matrix answer: each series' values at the times given. */
export const matrix = (result: {metric: Record<string, string>; values: [number, number][]}[]) => ({
  status: 'success',
  data: {resultType: 'matrix', result: result.map((series) => ({metric: series.metric, values: series.values.map(([time, value]) => [time, String(value)])}))},
})

/** A vector answer of these series. */
export const vector = (result: {metric: Record<string, string>; value: number}[], time: number) => ({
  status: 'success',
  data: {resultType: 'vector', result: result.map((series) => ({metric: series.metric, value: [time, String(series.value)]}))},
})

export interface FakeVm {
  name: string
  uuid: string
  /** Bytes per second on its taps (libvirt exporter), and on its VF if it holds one. */
  tapBps: number
  vf?: string
  vfBps?: number
  cpu: number
  /** The domain's metadata tags (sova_domain_tag). */
  tags?: string[]
}

export interface FakeHost {
  name: string
  vms: FakeVm[]
  vfs: string[]
  /** `vms`: the port is the sum of the VMs; else port-counters with this many bytes/s. */
  portBps?: number
  /** Seconds since the epoch when the textfile was last written (default: the query time, less 5 s). */
  textfileAt?: (time: number) => number
  down?: boolean
  /** No libvirt exporter (Xen): the domains' own textfile series (sova_domain_*) carry their figures. */
  xen?: boolean
}

/** The series a real Prometheus would hold for `hosts` at `time` (hostLabel `sova_host`), by query part. */
export function fleetSeries(hosts: FakeHost[], time: number): {metric: Record<string, string>; value: number}[] {
  const out: {metric: Record<string, string>; value: number}[] = []
  const add = (host: string, part: string, labels: Record<string, string>, value: number) => out.push({metric: {sova_host: host, sova_part: part, ...labels}, value})
  for (const host of hosts) {
    const h = host.name
    add(h, 'up', {instance: `${h}:9100`, job: 'node'}, 1)
    add(h, 'up', {instance: `${h}:9177`, job: 'libvirt'}, host.down ? 0 : 1)
    const written = host.textfileAt?.(time) ?? time - 5
    add(h, 'textfile', {}, written)
    add(h, 'port', {device: 'eth0', driver: 'mlx5_core', basis: host.portBps === undefined ? 'vms' : 'port-counters'}, 1)
    add(h, 'port_speed', {device: 'eth0'}, 1.25e9)
    if (host.portBps !== undefined) {
      add(h, 'port_rx', {device: 'eth0'}, host.portBps * written)
      add(h, 'port_tx', {device: 'eth0'}, host.portBps * written)
    }
    add(h, 'mem_total', {}, 64 * 2 ** 30)
    add(h, 'mem_available', {}, 32 * 2 ** 30)
    add(h, 'cpus', {}, 16)
    for (const vf of host.vfs) {
      const holder = host.vms.find((vm) => vm.vf === vf)
      add(h, 'vf', {pf: 'eth0', vf, ...(holder ? {domain: holder.name, uuid: holder.uuid} : {})}, 1)
      // The VF's counters run on whoever holds it; written with the textfile.
      add(h, 'vf_rx', {vf}, (holder?.vfBps ?? 0) * written)
      add(h, 'vf_tx', {vf}, (holder?.vfBps ?? 0) * written)
    }
    if (host.down) continue
    for (const vm of host.vms) {
      add(h, 'domain', {domain: vm.name, uuid: vm.uuid, path: vm.vf ? 'vf' : 'pv', ...(vm.vf ? {vf: vm.vf} : {})}, 1)
      add(h, 'blocked', {domain: vm.name}, 0.1 * written)
      for (const tag of vm.tags ?? []) add(h, 'tag', {domain: vm.name, tag}, 1)
      if (host.xen) {
        // Written with the textfile: as old as the file. The basis says what the counters count.
        const basis = vm.vf ? `vif+vf ${vm.vf}` : 'vif'
        const bytes = (vm.tapBps + (vm.vfBps ?? 0)) * written
        add(h, 'sova_cpu', {domain: vm.name}, vm.cpu * written)
        add(h, 'sova_vcpus', {domain: vm.name}, 4)
        add(h, 'sova_memory', {domain: vm.name}, 2 ** 30)
        add(h, 'sova_rx', {domain: vm.name, basis}, bytes)
        add(h, 'sova_tx', {domain: vm.name, basis}, bytes)
        continue
      }
      add(h, 'lv_cpu', {domain: vm.name}, vm.cpu * time)
      add(h, 'lv_vcpus', {domain: vm.name}, 2)
      add(h, 'lv_memory', {domain: vm.name}, 2 * 2 ** 30)
      add(h, 'lv_rx', {domain: vm.name, target_device: 'vnet0'}, vm.tapBps * time)
      add(h, 'lv_tx', {domain: vm.name, target_device: 'vnet0'}, vm.tapBps * time)
    }
  }
  return out
}

/** Which query part `query` asks for (by its metric: each part reads one metric). */
export function partOf(query: string): PartName {
  const part = PART_NAMES.find((name) => {
    const metric = partQuery(name, {hostLabel: 'sova_host'}).replace(/^.*\(([a-zA-Z_:][a-zA-Z0-9_:]*).*$/, '$1')
    return new RegExp(`\\(${metric}[{)]`).test(query)
  })
  if (part === undefined) throw new Error(`the fake Prometheus knows no part of ${query}`)
  return part
}

/** The answer of a fake Prometheus holding `hosts` to one of Sova's queries (the part's series of the hosts its matcher names, without a part label), instant or range. */
export function fleetAnswer(hosts: FakeHost[], request: SeenRequest): Answer {
  const part = partOf(request.query)
  const matchers = [...request.query.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)=~"([^"]*)"/g)].map(([, label, pattern]) => ({label, pattern: new RegExp(`^(?:${pattern})$`)}))
  const at = (time: number) =>
    fleetSeries(hosts, time)
      .filter((one) => one.metric.sova_part === part && matchers.every(({label, pattern}) => pattern.test(one.metric[label] ?? '')))
      .map(({metric: {sova_part: _, ...metric}, value}) => ({metric, value}))
  if (!request.path.endsWith('/query_range')) return {status: 200, body: vector(at(request.time), request.time)}
  const series = new Map<string, {metric: Record<string, string>; values: [number, number][]}>()
  for (let time = request.start; time <= request.end + 1e-9; time += request.step) {
    for (const {metric, value} of at(time)) {
      const key = JSON.stringify(metric)
      const entry = series.get(key) ?? {metric, values: []}
      entry.values.push([time, value])
      series.set(key, entry)
    }
  }
  return {status: 200, body: matrix([...series.values()])}
}
