// A Sova document as Prometheus series, for node_exporter's textfile collector. Every figure is
// the document's own (the sample's placement and rates, before this cycle's actions), so a
// dashboard and `sova run | jq` never disagree. Pure.
import {ActionKind, ActionStatus, type SovaDocument} from '../document/schema.js'
import {type MetricFamily, renderExposition, type Sample} from './exposition.js'
import {ruleFamilies} from './rule-metrics.js'

/** Every action kind and result, from the schema: all combinations are written, zeros included, so a series never vanishes. */
const KINDS = ActionKind.anyOf.map((literal) => literal.const)
const RESULTS = ActionStatus.anyOf.map((literal) => literal.const)

const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({name, help, type: 'gauge', samples})

function hostFamilies(doc: SovaDocument): MetricFamily[] {
  const per = (value: (host: SovaDocument['hosts'][number]) => number): Sample[] => doc.hosts.map((host) => ({labels: {host: host.name}, value: value(host)}))
  return [
    gauge('sova_host_port_utilisation_ratio', 'Physical port load at the sample: 8 * (rx + tx) bytes/s / line rate (document hosts[].nic.utilisation; can exceed 1, the port is full duplex).', per((host) => host.nic.utilisation)),
    gauge(
      'sova_host_port_busier_direction_utilisation_ratio',
      'Physical port load at the sample in its busier direction: 8 * max(rx, tx) bytes/s / line rate (the measure the sova policy predicts).',
      per((host) => (8 * Math.max(host.nic.rxBps, host.nic.txBps)) / (host.nic.speedMbps * 1e6)),
    ),
    gauge('sova_host_port_receive_bytes_per_second', 'Bytes per second received by the physical port over the sample window.', per((host) => host.nic.rxBps)),
    gauge('sova_host_port_transmit_bytes_per_second', 'Bytes per second sent by the physical port over the sample window.', per((host) => host.nic.txBps)),
    gauge('sova_host_port_speed_bytes_per_second', 'Line rate of the physical port, bytes per second each way.', per((host) => (host.nic.speedMbps * 1e6) / 8)),
    gauge('sova_host_vfs_in_use', 'Virtual functions of the host handed out at the sample (limit minus free).', per((host) => Math.max(0, host.vfs.total - host.vfs.free.length))),
    gauge('sova_host_vfs_limit', 'Virtual functions the host may hand out (document hosts[].vfs.total).', per((host) => host.vfs.total)),
    gauge(
      'sova_host_missing',
      '1 if the host gave no readings at the sample (document missing[]: it did not answer; nothing was decided about it), 0 if it was sampled.',
      [...per(() => 0), ...(doc.missing ?? []).map((entry) => ({labels: {host: entry.host}, value: 1}))],
    ),
  ]
}

function scoreFamilies(doc: SovaDocument): MetricFamily[] {
  const scored = Object.entries(doc.scores?.hosts ?? {})
  return [
    gauge('sova_host_hotspot', '1 if the policy predicts the host\'s port to be a hotspot, else 0 (only in scored documents).', scored.map(([host, score]) => ({labels: {host}, value: score.hot ? 1 : 0}))),
    gauge(
      'sova_host_utilisation_forecast_ratio',
      'Predicted next port utilisation in the policy\'s measure (peak: busier direction, sum: rx + tx); absent while not predicted.',
      scored.flatMap(([host, score]) => (score.forecast === null ? [] : [{labels: {host, measure: score.measure ?? 'sum'}, value: score.forecast}])),
    ),
  ]
}

function vmFamilies(doc: SovaDocument): MetricFamily[] {
  const vms = doc.hosts.flatMap((host) => host.vms.map((vm) => ({vm, host: host.name})))
  return [
    // A state set (both paths, 1 and 0) rather than one info series: the series stay put when a VM switches.
    gauge('sova_vm_path', '1 for the path the VM reaches the port through at the sample (vf or pv), 0 for the other.', vms.flatMap(({vm, host}) => (['vf', 'pv'] as const).map((path) => ({labels: {vm: vm.name, host, path}, value: vm.path === path ? 1 : 0})))),
    gauge('sova_vm_receive_bytes_per_second', 'Bytes per second the VM received over the sample window.', vms.map(({vm, host}) => ({labels: {vm: vm.name, host}, value: vm.net.rxBps}))),
    gauge('sova_vm_transmit_bytes_per_second', 'Bytes per second the VM sent over the sample window.', vms.map(({vm, host}) => ({labels: {vm: vm.name, host}, value: vm.net.txBps}))),
  ]
}

function actionFamilies(doc: SovaDocument): MetricFamily[] {
  // Only documents that went through the acting stages say how many actions there were.
  if (doc.actions === undefined) return []
  const counts = new Map<string, Sample>()
  for (const kind of KINDS) for (const result of RESULTS) counts.set(`${kind}/${result}`, {labels: {kind, result}, value: 0})
  for (const action of doc.actions) {
    const key = `${action.kind}/${action.status}`
    const sample = counts.get(key) ?? {labels: {kind: action.kind, result: action.status}, value: 0}
    counts.set(key, {...sample, value: sample.value + 1})
  }
  // A gauge, honestly named: the counters across runs are the journal's (journalFamilies).
  return [gauge('sova_last_cycle_actions', 'Actions of the last cycle by kind and result (done, failed, skipped, dry-run); not a counter across runs.', [...counts.values()])]
}

/** The journal's rows by kind and status (Store.journalTotals). */
export type JournalTotals = readonly {kind: string; status: string; count: number}[]

/** Statuses a row never leaves (a done detach can still become rolled-back): counting them only ever goes up. */
const FINAL_OUTCOMES = ['failed', 'skipped', 'rolled-back'] as const

/**
 * Counters across runs, from the journal (rows are never deleted, so they only go up): every action
 * journalled, and those that ended failed, skipped or rolled back. `rate()` over them sees every
 * action, even between two scrapes of the last cycle's gauges.
 */
function journalFamilies(totals: JournalTotals): MetricFamily[] {
  const sum = (kind: string, statuses?: readonly string[]) =>
    totals.filter((row) => row.kind === kind && (statuses === undefined || statuses.includes(row.status))).reduce((n, row) => n + row.count, 0)
  return [
    {name: 'sova_journal_actions_total', help: 'Actions journalled by kind since the state store was created (started, refused or skipped).', type: 'counter', samples: KINDS.map((kind) => ({labels: {kind}, value: sum(kind)}))},
    {
      name: 'sova_journal_action_outcomes_total',
      help: 'Journalled actions that ended failed (and undone), skipped (a precondition no longer held) or rolled back (a VF given back after a failed migration), by kind.',
      type: 'counter',
      samples: KINDS.flatMap((kind) => FINAL_OUTCOMES.map((outcome) => ({labels: {kind, outcome}, value: sum(kind, [outcome])}))),
    },
  ]
}

/** The series of one document and the wall-clock seconds its cycle took: what each cycle's metrics file holds. */
export function documentFamilies(doc: SovaDocument, cycleSeconds: number, journal?: JournalTotals): MetricFamily[] {
  const info: Record<string, string> = {cluster: doc.source.cluster, backend: doc.source.backend}
  if (doc.scores) info.policy = doc.scores.policy
  return [
    gauge('sova_cluster_info', 'The cluster the series describe, its backend and (when scored) the policy; always 1.', [{labels: info, value: 1}]),
    gauge('sova_sample_timestamp_seconds', 'Time of the sample, Unix seconds (document "at"; simulated time on the sim backend).', [{labels: {}, value: Date.parse(doc.at) / 1000}]),
    gauge('sova_cycle_duration_seconds', 'Wall-clock seconds the last cycle (run) or sample (collect) took, pauses between cycles excluded.', [{labels: {}, value: cycleSeconds}]),
    ...hostFamilies(doc),
    ...scoreFamilies(doc),
    ...vmFamilies(doc),
    ...ruleFamilies(doc),
    ...actionFamilies(doc),
    ...(journal === undefined ? [] : journalFamilies(journal)),
  ]
}

/** The metrics file's text for one document (and the journal's counters, when given). */
export function documentMetricsText(doc: SovaDocument, cycleSeconds: number, journal?: JournalTotals): string {
  return renderExposition(documentFamilies(doc, cycleSeconds, journal))
}
