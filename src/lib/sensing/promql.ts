// The PromQL Sova runs against Prometheus (docs/prometheus.md prints these, checked by a test). Pure.
//
// Three instant queries, each the union (`or`) of server-side aggregations of the stock exporters'
// metrics and of `sova export --textfile`'s (PROM-CONTRACT.md), every part marked with a label
// `sova_part` so one response carries several metrics and the reader sorts them in one pass. Every
// part is aggregated `by` the host label and only the labels the reader needs, so a response has
// one series per host, VF or VM interface and no exporter's label noise.

/** The label that names which part of a query a series answers. */
export const PART_LABEL = 'sova_part'

/** Prometheus label names (the text format's rule). */
export const LABEL_NAME_PATTERN = '^[a-zA-Z_][a-zA-Z0-9_]*$'

/** The parts of the queries and the labels (beside the host label) each keeps. */
export const PARTS = {
  hosts: {
    up: ['max', 'up', ['instance', 'job']],
    textfile: ['max', 'sova_textfile_timestamp_seconds', []],
    port: ['max', 'sova_port_info', ['device', 'driver', 'basis']],
    port_rx: ['sum', 'sova_port_receive_bytes_total', ['device']],
    port_tx: ['sum', 'sova_port_transmit_bytes_total', ['device']],
    port_speed: ['max', 'sova_port_speed_bytes', ['device']],
    mem_total: ['max', 'node_memory_MemTotal_bytes', []],
    mem_available: ['max', 'node_memory_MemAvailable_bytes', []],
    cpus: ['count', 'node_cpu_seconds_total{mode="idle"}', []],
  },
  vfs: {
    vf: ['max', 'sova_vf_info', ['pf', 'vf', 'domain', 'uuid']],
    vf_rx: ['sum', 'sova_vf_receive_bytes_total', ['vf']],
    vf_tx: ['sum', 'sova_vf_transmit_bytes_total', ['vf']],
  },
  domains: {
    domain: ['max', 'sova_domain_info', ['domain', 'uuid', 'path', 'vf']],
    // The domain's metadata tags, rules select VMs by (proposed to the textfile's contract: one
    // series a tag; none written, none read, and the executor's live check still sees them).
    tag: ['max', 'sova_domain_tag', ['domain', 'tag']],
    blocked: ['sum', 'sova_domain_cpu_blocked_seconds_total', ['domain']],
    sova_cpu: ['sum', 'sova_domain_cpu_seconds_total', ['domain']],
    sova_vcpus: ['max', 'sova_domain_virtual_cpus', ['domain']],
    sova_memory: ['max', 'sova_domain_memory_bytes', ['domain']],
    sova_rx: ['sum', 'sova_domain_receive_bytes_total', ['domain', 'basis']],
    sova_tx: ['sum', 'sova_domain_transmit_bytes_total', ['domain', 'basis']],
    lv_cpu: ['sum', 'libvirt_domain_info_cpu_time_seconds_total', ['domain']],
    lv_vcpus: ['max', 'libvirt_domain_info_virtual_cpus', ['domain']],
    lv_memory: ['max', 'libvirt_domain_info_memory_usage_bytes', ['domain']],
    // Per interface: which interfaces are summed is the traffic's basis (one plugged or unplugged
    // changes what the sum counts), as the direct driver's tap list is.
    lv_rx: ['sum', 'libvirt_domain_interface_stats_receive_bytes_total', ['domain', 'target_device']],
    lv_tx: ['sum', 'libvirt_domain_interface_stats_transmit_bytes_total', ['domain', 'target_device']],
  },
} as const satisfies Record<string, Record<string, readonly ['max' | 'sum' | 'count', string, readonly string[]]>>

export type QueryName = keyof typeof PARTS
export type PartName = {[Q in QueryName]: keyof (typeof PARTS)[Q]}[QueryName]

/** The counters `sova export --textfile` writes: read at the textfile's own write time, not the scrape's. */
export const TEXTFILE_COUNTERS: readonly PartName[] = ['port_rx', 'port_tx', 'vf_rx', 'vf_tx', 'blocked', 'sova_cpu', 'sova_rx', 'sova_tx']

/**
 * The textfile's own series of a domain, read only where the libvirt exporter has no such domain
 * (Xen, or a KVM host without the exporter): on KVM they would double what a response carries.
 */
const FALLBACKS: readonly PartName[] = ['sova_cpu', 'sova_vcpus', 'sova_memory', 'sova_rx', 'sova_tx']

/** The label a response names each series' host by: `instance` less its `:port` (computed on the server), or the configured label. */
export const hostKeyLabel = (hostLabel: string): string => (hostLabel === 'instance' ? 'sova_host_key' : hostLabel)

/** Who is asked about: the host label, and the configuration's hosts (absent: every host Prometheus has). */
export interface QueryScope {
  hostLabel: string
  hosts?: readonly string[]
}

/**
 * A matcher of the scope's hosts, so a configuration (a shard of a fleet) is answered about its own
 * hosts only. Host names are letters, digits and `. _ : @ + -`: `.` and `+` are put in classes.
 */
export function hostMatcher(scope: QueryScope): string | undefined {
  if (!scope.hosts || scope.hosts.length === 0) return undefined
  const names = scope.hosts.map((name) => name.replace(/[.+]/g, (c) => `[${c}]`)).join('|')
  return scope.hostLabel === 'instance' ? `instance=~"(?:${names})(?::[0-9]+)?"` : `${scope.hostLabel}=~"${names}"`
}

/** `metric` of the scope's hosts, with the host key label: for `instance`, its value without a `:port` (so both exporters of a host match). */
function keyed(metric: string, scope: QueryScope): string {
  const matcher = hostMatcher(scope)
  const selector = matcher === undefined ? metric : metric.endsWith('}') ? `${metric.slice(0, -1)}, ${matcher}}` : `${metric}{${matcher}}`
  return scope.hostLabel === 'instance' ? `label_replace(${selector}, "${hostKeyLabel(scope.hostLabel)}", "$1", "instance", "(.+?)(?::[0-9]+)?")` : selector
}

/** Labels the reader keeps for `part`, host key first, each once. */
export function partLabels(part: PartName, hostLabel: string): string[] {
  for (const parts of Object.values(PARTS)) {
    const spec = (parts as Record<string, readonly [string, string, readonly string[]]>)[part]
    if (spec) return [...new Set([hostKeyLabel(hostLabel), ...spec[2]])]
  }
  throw new Error(`no query part ${part}`)
}

/** One part: the metric aggregated by the host key and the part's labels. */
function partExpression(part: PartName, op: string, metric: string, scope: QueryScope): string {
  const key = hostKeyLabel(scope.hostLabel)
  const aggregated = `${op} by (${partLabels(part, scope.hostLabel).join(', ')}) (${keyed(metric, scope)})`
  if (!FALLBACKS.includes(part)) return aggregated
  return `(${aggregated} unless on (${key}, domain) ${keyed('libvirt_domain_info_cpu_time_seconds_total', scope)})`
}

/**
 * Gauges that only the end of a window needs: the start is read for its counters (and what they
 * count: the domains' paths and VFs, the interfaces summed), so its answers are smaller.
 */
export const END_ONLY: readonly PartName[] = ['port_speed', 'mem_total', 'mem_available', 'cpus', 'sova_vcpus', 'sova_memory', 'lv_vcpus', 'lv_memory']

/** One query: every part of `name` (at a window's start, its counters only), aggregated by the host key and the part's labels, marked with its part. */
export function queryText(name: QueryName, scope: QueryScope, countersOnly = false): string {
  return Object.entries(PARTS[name])
    .filter(([part]) => !countersOnly || !END_ONLY.includes(part as PartName))
    .map(([part, [op, metric]]) => `label_replace(${partExpression(part as PartName, op, metric, scope)}, "${PART_LABEL}", "${part}", "", "")`)
    .join(' or ')
}

/** The queries of one reading, by name; `countersOnly` for the start of a window. */
export function sensingQueries(scope: QueryScope, countersOnly = false): {name: QueryName; query: string}[] {
  return (Object.keys(PARTS) as QueryName[]).map((name) => ({name, query: queryText(name, scope, countersOnly)}))
}
