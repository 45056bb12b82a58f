// One instant's Prometheus reading as the RawSnapshot a direct reading would give: the same counters,
// so collect's one pure path (loop/rates.ts toDocument) turns two of them into rates. Pure.
import {isValidName, NAME_RULE} from '../identifiers.js'
import {acceptTags} from '../rules/tags.js'
import type {MissingHost, RawHost, RawPort, RawSnapshot, RawVm, UnmanagedVm} from '../backends/types.js'
import type {PartName} from './promql.js'
import {type Reading, type Sample, textfileTime} from './prom-response.js'

/** What the mapping needs besides the reading. */
export interface MappingContext {
  /** The configuration's hosts, in its order: only these are read. */
  hosts: readonly {name: string}[]
  hostLabel: string
  /** A textfile older than this is stale inventory: the host is missing. */
  maxTextfileAgeSeconds: number
  /** The reading has counters only (a window's start, promql.ts END_ONLY): its gauges are left 0, never read. */
  countersOnly?: boolean
  source: RawSnapshot['source']
}

const MIB = 1024 * 1024

type Parts = Map<PartName, Sample[]>
const all = (parts: Parts, part: PartName): Sample[] => parts.get(part) ?? []
const first = (parts: Parts, part: PartName, match: (labels: Record<string, string>) => boolean = () => true): number | undefined =>
  all(parts, part).find((sample) => match(sample.labels))?.value

/** Series of `part` by one label's value. */
function byLabel(parts: Parts, part: PartName, label: string): Map<string, Sample[]> {
  const map = new Map<string, Sample[]>()
  for (const sample of all(parts, part)) {
    const key = sample.labels[label] ?? ''
    const list = map.get(key)
    if (list) list.push(sample)
    else map.set(key, [sample])
  }
  return map
}
const sum = (samples: Sample[] | undefined): number => (samples ?? []).reduce((total, sample) => total + sample.value, 0)

/** Why a host has no usable inventory in this reading, or undefined. */
function hostProblem(name: string, parts: Parts | undefined, at: number, context: MappingContext): string | undefined {
  const ups = parts?.get('up') ?? []
  if (ups.length === 0) return `Prometheus has no target of it (no series with ${context.hostLabel === 'instance' ? `instance="${name}:<port>"` : `${context.hostLabel}="${name}"`})`
  const down = ups.filter((sample) => sample.value !== 1).map((sample) => `${sample.labels.job ?? '?'} at ${sample.labels.instance ?? '?'}`)
  if (down.length > 0) return `its exporter target is down in Prometheus (up == 0: ${down.join(', ')})`
  const written = textfileTime(parts)
  if (written === undefined) return 'Prometheus has no sova textfile of it (sova_textfile_timestamp_seconds): is the sova export --textfile timer running there?'
  const age = at - written
  if (age > context.maxTextfileAgeSeconds) return `its sova textfile is ${Math.round(age)} s old (more than ${context.maxTextfileAgeSeconds} s): its inventory is stale`
  if (!parts?.has('port')) return 'its sova textfile has no sova_port_info'
  if (!context.countersOnly && (!parts.has('mem_total') || !parts.has('cpus'))) return 'Prometheus has no node_exporter memory and CPU series of it'
  return undefined
}

/** One VM's counters: the libvirt exporter's where it has the domain, VF counters added; else the textfile's own. */
function vmOf(sample: Sample, parts: Parts, lookups: ReturnType<typeof lookupsOf>): RawVm | string {
  const {domain, uuid, path} = sample.labels
  const vf = sample.labels.vf ? sample.labels.vf : null
  const cpu = lookups.lvCpu.get(domain)
  let counters: RawVm['counters']
  let vcpus: number | undefined
  let memory: number | undefined
  if (cpu !== undefined) {
    const rx = (lookups.lvRx.get(domain) ?? []).sort((a, b) => (a.labels.target_device < b.labels.target_device ? -1 : 1))
    const taps = rx.map((tap) => tap.labels.target_device).join(',')
    // The exporter skips hostdev NICs: a VF's traffic is its own counters, where the driver has them.
    const vfRx = vf === null ? undefined : lookups.vfRx.get(vf)
    const vfTx = vf === null ? undefined : lookups.vfTx.get(vf)
    const withVf = vfRx !== undefined && vfTx !== undefined
    counters = {
      cpuSeconds: cpu,
      blockedSeconds: 0,
      rxBytes: sum(rx) + (withVf ? vfRx : 0),
      txBytes: sum(lookups.lvTx.get(domain)) + (withVf ? vfTx : 0),
      basis: withVf ? `taps ${taps} + vf ${vf}` : `taps ${taps}`,
    }
    vcpus = lookups.lvVcpus.get(domain)
    memory = lookups.lvMemory.get(domain)
  } else {
    const rx = lookups.sovaRx.get(domain)?.[0]
    const sovaCpu = first(parts, 'sova_cpu', (labels) => labels.domain === domain)
    if (rx === undefined || sovaCpu === undefined) return `no counters of domain ${domain} (neither the libvirt exporter nor the sova textfile has them)`
    counters = {cpuSeconds: sovaCpu, blockedSeconds: 0, rxBytes: rx.value, txBytes: sum(lookups.sovaTx.get(domain)), basis: rx.labels.basis || undefined}
    vcpus = first(parts, 'sova_vcpus', (labels) => labels.domain === domain)
    memory = first(parts, 'sova_memory', (labels) => labels.domain === domain)
  }
  counters.blockedSeconds = lookups.blocked.get(domain) ?? 0
  if (counters.basis === undefined) delete counters.basis
  // Checked as a direct reading checks the hypervisor's metadata: whoever writes a textfile is no more trusted.
  const {tags, ignored} = acceptTags((lookups.tags.get(domain) ?? []).map((tag) => tag.labels.tag ?? '').sort())
  return {
    name: domain,
    id: uuid,
    uuid,
    vcpus: vcpus ?? 1,
    memoryMiB: Math.round((memory ?? 0) / MIB),
    path: path === 'vf' ? 'vf' : 'pv',
    vf,
    counters,
    ...(tags.length > 0 ? {tags} : {}),
    ...(ignored.length > 0 ? {ignoredTags: ignored} : {}),
  }
}

/**
 * Hosts with a managed domain that the libvirt exporter has no CPU time of: their textfile's own
 * domain series (promql.ts FALLBACKS) stand in for it, so they are asked for of these hosts only.
 */
export function hostsLackingExporterDomains(reading: Reading): string[] {
  const lacking: string[] = []
  for (const [host, parts] of reading) {
    const known = new Set(all(parts, 'lv_cpu').map((sample) => sample.labels.domain))
    if (all(parts, 'domain').some((sample) => !known.has(sample.labels.domain))) lacking.push(host)
  }
  return lacking
}

/** Per-domain and per-VF values of a host, looked up by name. */
function lookupsOf(parts: Parts) {
  const value = (part: PartName, label: string) => new Map(all(parts, part).map((sample) => [sample.labels[label], sample.value]))
  return {
    lvCpu: value('lv_cpu', 'domain'),
    lvVcpus: value('lv_vcpus', 'domain'),
    lvMemory: value('lv_memory', 'domain'),
    lvRx: byLabel(parts, 'lv_rx', 'domain'),
    lvTx: byLabel(parts, 'lv_tx', 'domain'),
    vfRx: value('vf_rx', 'vf'),
    vfTx: value('vf_tx', 'vf'),
    blocked: value('blocked', 'domain'),
    tags: byLabel(parts, 'tag', 'domain'),
    sovaRx: byLabel(parts, 'sova_rx', 'domain'),
    sovaTx: byLabel(parts, 'sova_tx', 'domain'),
  }
}

/** The port: the textfile's whole-port counters on its basis, or (basis `vms`) the sum of the VMs'. */
function portOf(parts: Parts, vms: RawVm[], countersOnly: boolean): RawPort | string {
  const info = all(parts, 'port')[0].labels
  const device = info.device ?? ''
  const onDevice = (labels: Record<string, string>) => labels.device === device
  const speed = first(parts, 'port_speed', onDevice)
  if (!countersOnly && (speed === undefined || speed <= 0)) return `its sova textfile has no sova_port_speed_bytes for ${device}`
  const speedMbps = ((speed ?? 0) * 8) / 1e6
  if (info.basis === 'vms') {
    const counted = vms.map((vm) => ({id: vm.uuid, rxBytes: vm.counters.rxBytes, txBytes: vm.counters.txBytes, ...(vm.counters.basis === undefined ? {} : {basis: vm.counters.basis})}))
    const rxBytes = counted.reduce((total, part) => total + part.rxBytes, 0)
    const txBytes = counted.reduce((total, part) => total + part.txBytes, 0)
    return {device, speedMbps, rxBytes, txBytes, basis: 'vms', parts: counted}
  }
  const rxBytes = first(parts, 'port_rx', onDevice)
  const txBytes = first(parts, 'port_tx', onDevice)
  if (rxBytes === undefined || txBytes === undefined) return `its sova textfile has no port byte counters for ${device} (basis ${info.basis})`
  const basis = info.basis === 'port-counters' || info.basis === 'pf+vfs' ? info.basis : 'pf-only'
  return {device, speedMbps, rxBytes, txBytes, basis, basisWhy: `as sova export read it (driver ${info.driver || 'unknown'}), through Prometheus`}
}

/** One host's readings, or why it has none. */
function hostOf(name: string, parts: Parts, unmanaged: UnmanagedVm[], countersOnly: boolean): RawHost | string {
  const lookups = lookupsOf(parts)
  const vms: RawVm[] = []
  for (const sample of all(parts, 'domain')) {
    const {domain, uuid} = sample.labels
    if (!domain || !isValidName(domain)) {
      unmanaged.push({host: name, name: domain ?? '', uuid, why: `its name is not one Sova passes on (${NAME_RULE})`, vf: sample.labels.vf || null})
      continue
    }
    const vm = vmOf(sample, parts, lookups)
    if (typeof vm === 'string') return vm
    vms.push(vm)
  }
  vms.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const nic = portOf(parts, vms, countersOnly)
  if (typeof nic === 'string') return nic
  const vfs = all(parts, 'vf').map((sample) => sample.labels)
  const memTotal = first(parts, 'mem_total') ?? 0
  return {
    name,
    nic,
    vfs: {total: vfs.length, free: vfs.filter((vf) => !vf.domain).map((vf) => vf.vf).sort()},
    cpus: first(parts, 'cpus') ?? 0,
    memoryMiB: {total: Math.round(memTotal / MIB), free: Math.round((first(parts, 'mem_available') ?? 0) / MIB)},
    vms,
  }
}

/**
 * The snapshot of one reading at `at` (ISO 8601): every configured host with its readings, or
 * missing with why (no target, a target down, no or a stale textfile). `foreign`: hosts Prometheus
 * has that the configuration does not list (ignored).
 */
export function snapshotOf(reading: Reading, at: string, context: MappingContext): {snapshot: RawSnapshot; foreign: string[]} {
  const seconds = Date.parse(at) / 1000
  const hosts: RawHost[] = []
  const missing: MissingHost[] = []
  const unmanaged: UnmanagedVm[] = []
  for (const {name} of context.hosts) {
    const parts = reading.get(name)
    const problem = hostProblem(name, parts, seconds, context)
    const host = problem ?? hostOf(name, parts as Parts, unmanaged, context.countersOnly === true)
    if (typeof host === 'string') missing.push({host: name, reason: `read from Prometheus: ${host}`})
    else hosts.push(host)
  }
  const known = new Set(context.hosts.map((host) => host.name))
  const snapshot: RawSnapshot = {at, source: {...context.source}, hosts}
  if (missing.length > 0) snapshot.missing = missing
  if (unmanaged.length > 0) snapshot.unmanaged = unmanaged
  return {snapshot, foreign: [...reading.keys()].filter((host) => !known.has(host)).sort()}
}

/**
 * The end snapshot with hosts whose textfile was not rewritten between the two instants moved to
 * missing: their textfile counters did not move, which would read as idle, not as a rate.
 */
export function withUnchangedTextfiles(start: Reading, end: RawSnapshot, endReading: Reading, windowSeconds: number): RawSnapshot {
  const stuck = new Set(
    end.hosts.filter((host) => {
      const before = textfileTime(start.get(host.name))
      const after = textfileTime(endReading.get(host.name))
      return before !== undefined && after !== undefined && after <= before
    }).map((host) => host.name),
  )
  if (stuck.size === 0) return end
  const reason = `read from Prometheus: its sova textfile was not rewritten during the ${windowSeconds} s window, so its VF and port counters cannot give rates (the export timer must run more often than sensing.prometheus.windowSeconds)`
  return {
    ...end,
    hosts: end.hosts.filter((host) => !stuck.has(host.name)),
    missing: [...(end.missing ?? []), ...[...stuck].map((host) => ({host, reason}))],
  }
}
