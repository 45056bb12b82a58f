// The PromQL Sova runs against Prometheus (docs/prometheus.md prints these, checked by a test). Pure.
//
// One instant query per part: a stock exporter's metric or one of `sova export --textfile`'s
// (PROM-CONTRACT.md), aggregated `by` the host label and only the labels the reader needs, so an
// answer has one series per host, VF or VM interface and no exporter's label noise. Measured on a
// real Prometheus (bench/fleet), separate queries fetched a few at a time cost it less than their
// union with `or` (which also needed a label_replace per part to say which part a series answers),
// and `instance` less its `:port` is cheaper taken on the reader's side than with label_replace.

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
    // The domain's metadata tags, which rules select VMs by: one series a tag (PROM-CONTRACT.md).
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
 * The textfile's own series of a domain, asked for in a second round only of the hosts where the
 * libvirt exporter lacks one of their domains (Xen, or a KVM host without the exporter): on KVM they
 * would double what the answers carry, and a server-side `unless` cost as much as the rest together.
 */
export const FALLBACKS: readonly PartName[] = ['sova_cpu', 'sova_vcpus', 'sova_memory', 'sova_rx', 'sova_tx']

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

/** `metric` restricted to the scope's hosts. */
function selector(metric: string, scope: QueryScope): string {
  const matcher = hostMatcher(scope)
  if (matcher === undefined) return metric
  return metric.endsWith('}') ? `${metric.slice(0, -1)}, ${matcher}}` : `${metric}{${matcher}}`
}

const SPECS = Object.assign({}, ...Object.values(PARTS)) as Record<PartName, readonly ['max' | 'sum' | 'count', string, readonly string[]]>

/** Every part's name, in the order of PARTS. */
export const PART_NAMES = Object.keys(SPECS) as PartName[]

/** How a part aggregates: the reader combines series of one host from two `instance` ports the same way. */
export const partOperation = (part: PartName): 'max' | 'sum' | 'count' => SPECS[part][0]

/** Labels a part's answer keeps besides the host label, as the reader stores them. */
export const partLabels = (part: PartName): readonly string[] => SPECS[part][2]

/** One part's query: its metric of the scope's hosts, aggregated by the host label and the part's labels. */
export function partQuery(part: PartName, scope: QueryScope): string {
  const [op, metric, labels] = SPECS[part]
  return `${op} by (${[...new Set([scope.hostLabel, ...labels])].join(', ')}) (${selector(metric, scope)})`
}

/**
 * Gauges that only the end of a window needs: the start is read for its counters (and what they
 * count: the domains' paths and VFs, the interfaces summed), so its answers are smaller. Tags too:
 * rules apply to the document, which states the end.
 */
export const END_ONLY: readonly PartName[] = ['port_speed', 'mem_total', 'mem_available', 'cpus', 'tag', 'sova_vcpus', 'sova_memory', 'lv_vcpus', 'lv_memory']

/**
 * The queries of one reading, by part: every part but the textfile's domain fallbacks (or, with
 * `fallbacks`, those only), at a window's start (`countersOnly`) without the end's gauges.
 */
export function sensingQueries(scope: QueryScope, countersOnly = false, fallbacks = false): {part: PartName; query: string}[] {
  return PART_NAMES.filter((part) => FALLBACKS.includes(part) === fallbacks && !(countersOnly && END_ONLY.includes(part))).map((part) => ({part, query: partQuery(part, scope)}))
}
