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

/** Labels the reader keeps for `part`, host label first, each once. */
export function partLabels(part: PartName, hostLabel: string): string[] {
  for (const parts of Object.values(PARTS)) {
    const spec = (parts as Record<string, readonly [string, string, readonly string[]]>)[part]
    if (spec) return [...new Set([hostLabel, ...spec[2]])]
  }
  throw new Error(`no query part ${part}`)
}

/** One query: every part of `name`, aggregated by the host label and the part's labels, marked with its part. */
export function queryText(name: QueryName, hostLabel: string): string {
  return Object.entries(PARTS[name])
    .map(([part, [op, metric]]) => `label_replace(${op} by (${partLabels(part as PartName, hostLabel).join(', ')}) (${metric}), "${PART_LABEL}", "${part}", "", "")`)
    .join(' or ')
}

/** The queries of one reading, by name. */
export function sensingQueries(hostLabel: string): {name: QueryName; query: string}[] {
  return (Object.keys(PARTS) as QueryName[]).map((name) => ({name, query: queryText(name, hostLabel)}))
}
