// The kinds of row a document holds (hosts, VMs, planned migrations, planned VF changes, actions),
// each with one set of columns shared by tables and CSV: the same names, the table's cell
// formatted for people, the CSV's the raw figure (docs/output.md). Pure.
import type {Action, Host, HostScore, PlannedMigration, PlannedVfChange, SovaDocument, Vm} from '../document/schema.js'
import {hostRuleMarkers, vmRuleMarkers} from '../rules/markers.js'
import {ownValue} from '../named.js'
import {fixed, mbps} from './figures.js'
import type {Cell, Column, Row} from './grid.js'
import type {RowKind} from './view.js'

export {ROW_KINDS, type RowKind} from './view.js'

type CsvValue = string | number | boolean
/** A column of a row kind: how it reads in a table and in CSV. */
export interface Field<T> extends Column {
  table: (item: T) => Cell
  csv: (item: T) => CsvValue
}

const text = (value: string | number | undefined | null): string => (value === undefined || value === null ? '' : String(value))

interface HostItem {doc: SovaDocument; host: Host; score?: HostScore}
interface VmItem {doc: SovaDocument; host: Host; vm: Vm}
interface Dated<T> {doc: SovaDocument; item: T}

/**
 * The hotspot verdict from the figure the test used: HOT when predicted hot; "high" when this
 * sample is at or above the threshold but the test does not (yet) call it hot; else ok.
 */
export function hotspotCell(score: HostScore | undefined): Cell {
  if (!score) return ''
  if (score.hot) return {text: 'HOT', colour: 'red'}
  if (score.threshold !== undefined && score.utilisation >= score.threshold) return {text: 'high', colour: 'yellow'}
  return {text: 'ok', colour: 'green'}
}

/** "0.72/0.80": the measure the hotspot test used (sova: busier direction; seed: rx + tx) over its threshold. */
function utilCell(item: HostItem): string {
  if (!item.score) return ''
  const limit = item.score.threshold === undefined ? '' : `/${item.score.threshold.toFixed(2)}`
  return `${item.score.utilisation.toFixed(2)}${limit}`
}

const HOST_FIELDS: Field<HostItem>[] = [
  {name: 'at', priority: 9, wideOnly: true, table: ({doc}) => doc.at, csv: ({doc}) => doc.at},
  {name: 'host', priority: 1, flexible: true, minWidth: 6, table: ({host}) => host.name, csv: ({host}) => host.name},
  {name: 'util', priority: 2, table: utilCell, csv: ({score}) => score?.utilisation ?? ''},
  {name: 'hot_at', priority: 9, wideOnly: true, align: 'right', table: ({score}) => fixed(score?.threshold), csv: ({score}) => score?.threshold ?? ''},
  {name: 'measure', priority: 9, wideOnly: true, table: ({score}) => text(score?.measure), csv: ({score}) => score?.measure ?? ''},
  {name: 'forecast', priority: 3, align: 'right', table: ({score}) => fixed(score?.forecast), csv: ({score}) => score?.forecast ?? ''},
  {name: 'hotspot', priority: 1, table: ({score}) => hotspotCell(score), csv: ({score}) => (score ? (score.hot ? 'HOT' : textOf(hotspotCell(score))) : '')},
  {name: 'vfs_used', priority: 4, align: 'right', table: ({host}) => `${host.vms.filter((vm) => vm.vf).length}/${host.vfs.total}`, csv: ({host}) => host.vms.filter((vm) => vm.vf).length},
  {name: 'vfs_total', priority: 9, wideOnly: true, align: 'right', table: ({host}) => String(host.vfs.total), csv: ({host}) => host.vfs.total},
  {name: 'vms', priority: 5, align: 'right', table: ({host}) => String(host.vms.length), csv: ({host}) => host.vms.length},
  {name: 'rules', priority: 3, table: ({host}) => hostRuleMarkers(host.rules), csv: ({host}) => hostRuleMarkers(host.rules)},
  {name: 'rx_mbps', priority: 7, align: 'right', table: ({host}) => mbps(host.nic.rxBps), csv: ({host}) => Number(mbps(host.nic.rxBps))},
  {name: 'tx_mbps', priority: 7, align: 'right', table: ({host}) => mbps(host.nic.txBps), csv: ({host}) => Number(mbps(host.nic.txBps))},
  {name: 'nic_util', priority: 9, wideOnly: true, align: 'right', table: ({host}) => fixed(host.nic.utilisation), csv: ({host}) => host.nic.utilisation},
  {name: 'reason', priority: 6, flexible: true, minWidth: 12, table: ({score}) => text(score?.reason), csv: ({score}) => score?.reason ?? ''},
]

const textOf = (cell: Cell): string => (typeof cell === 'string' ? cell : cell.text)

const vmScore = ({doc, vm}: VmItem) => ownValue(doc.scores?.vms, vm.name)

const VM_FIELDS: Field<VmItem>[] = [
  {name: 'at', priority: 9, wideOnly: true, table: ({doc}) => doc.at, csv: ({doc}) => doc.at},
  {name: 'vm', priority: 1, flexible: true, minWidth: 6, table: ({vm}) => vm.name, csv: ({vm}) => vm.name},
  {name: 'host', priority: 2, flexible: true, minWidth: 6, table: ({host}) => host.name, csv: ({host}) => host.name},
  {name: 'path', priority: 1, table: ({vm}) => (vm.path === 'vf' ? {text: 'vf', colour: 'cyan'} : 'pv'), csv: ({vm}) => vm.path},
  {name: 'vf', priority: 7, table: ({vm}) => text(vm.vf), csv: ({vm}) => vm.vf ?? ''},
  {name: 'rules', priority: 3, table: ({vm}) => vmRuleMarkers(vm.rules), csv: ({vm}) => vmRuleMarkers(vm.rules)},
  {name: 'cpu_used', priority: 6, align: 'right', table: ({vm}) => fixed(vm.cpu.usedRatio), csv: ({vm}) => vm.cpu.usedRatio},
  {name: 'cpu_blocked', priority: 8, align: 'right', table: ({vm}) => fixed(vm.cpu.blockedRatio), csv: ({vm}) => vm.cpu.blockedRatio},
  {name: 'mbps', priority: 3, align: 'right', table: ({vm}) => mbps(vm.net.rxBps + vm.net.txBps), csv: ({vm}) => Number(mbps(vm.net.rxBps + vm.net.txBps))},
  {name: 'rx_bps', priority: 9, wideOnly: true, align: 'right', table: ({vm}) => String(Math.round(vm.net.rxBps)), csv: ({vm}) => vm.net.rxBps},
  {name: 'tx_bps', priority: 9, wideOnly: true, align: 'right', table: ({vm}) => String(Math.round(vm.net.txBps)), csv: ({vm}) => vm.net.txBps},
  {name: 'active_ratio', priority: 8, align: 'right', table: ({vm}) => fixed(vm.net.activeRatio), csv: ({vm}) => vm.net.activeRatio},
  {name: 'io_ratio', priority: 7, align: 'right', table: (item) => fixed(vmScore(item)?.ioRatio), csv: (item) => vmScore(item)?.ioRatio ?? ''},
  {name: 'net_score', priority: 7, align: 'right', table: (item) => text(vmScore(item)?.netScore), csv: (item) => vmScore(item)?.netScore ?? ''},
  // Seed-based policies rank into tiers; sova values a VF in Mbit/s. An empty column is not shown.
  {name: 'tier', priority: 4, table: (item) => text(vmScore(item)?.tier), csv: (item) => vmScore(item)?.tier ?? ''},
  {name: 'vf_value_mbps', priority: 4, align: 'right', table: (item) => {
    const value = vmScore(item)?.vfValueMbps
    return value === undefined ? '' : String(Math.round(value))
  }, csv: (item) => vmScore(item)?.vfValueMbps ?? ''},
  {name: 'reason', priority: 5, flexible: true, minWidth: 12, table: (item) => text(vmScore(item)?.reason), csv: (item) => vmScore(item)?.reason ?? ''},
]

const MIGRATION_FIELDS: Field<Dated<PlannedMigration>>[] = [
  {name: 'at', priority: 9, wideOnly: true, table: ({doc}) => doc.at, csv: ({doc}) => doc.at},
  {name: 'vm', priority: 1, flexible: true, minWidth: 6, table: ({item}) => item.vm, csv: ({item}) => item.vm},
  {name: 'from', priority: 1, flexible: true, minWidth: 6, table: ({item}) => item.from, csv: ({item}) => item.from},
  {name: 'to', priority: 1, flexible: true, minWidth: 6, table: ({item}) => item.to, csv: ({item}) => item.to},
  {name: 'vf_on_arrival', priority: 4, table: ({item}) => (item.giveVfOnArrival ? 'yes' : 'no'), csv: ({item}) => item.giveVfOnArrival},
  {name: 'relief_mbps', priority: 3, align: 'right', table: ({item}) => (item.reliefMbps === undefined ? '' : String(Math.round(item.reliefMbps))), csv: ({item}) => item.reliefMbps ?? ''},
  {name: 'copy_mib', priority: 5, align: 'right', table: ({item}) => (item.copyMiB === undefined ? '' : String(Math.round(item.copyMiB))), csv: ({item}) => item.copyMiB ?? ''},
  {name: 'reason', priority: 2, flexible: true, minWidth: 12, table: ({item}) => item.reason, csv: ({item}) => item.reason},
]

const VF_CHANGE_FIELDS: Field<Dated<PlannedVfChange>>[] = [
  {name: 'at', priority: 9, wideOnly: true, table: ({doc}) => doc.at, csv: ({doc}) => doc.at},
  {name: 'vm', priority: 1, flexible: true, minWidth: 6, table: ({item}) => item.vm, csv: ({item}) => item.vm},
  {name: 'host', priority: 2, flexible: true, minWidth: 6, table: ({item}) => item.host, csv: ({item}) => item.host},
  {name: 'op', priority: 1, table: ({item}) => item.op, csv: ({item}) => item.op},
  {name: 'vf', priority: 3, table: ({item}) => item.vf, csv: ({item}) => item.vf},
  {name: 'reason', priority: 4, flexible: true, minWidth: 12, table: ({item}) => item.reason, csv: ({item}) => item.reason},
]

/** An action's status, coloured as people scan for it. */
export function statusCell(status: Action['status']): Cell {
  if (status === 'done') return {text: 'done', colour: 'green'}
  if (status === 'failed') return {text: 'failed', colour: 'red'}
  if (status === 'skipped') return {text: 'skipped', colour: 'yellow'}
  return {text: status, colour: 'dim'}
}

const ACTION_FIELDS: Field<Dated<Action>>[] = [
  {name: 'at', priority: 9, wideOnly: true, table: ({doc}) => doc.at, csv: ({doc}) => doc.at},
  {name: 'kind', priority: 1, table: ({item}) => item.kind, csv: ({item}) => item.kind},
  {name: 'vm', priority: 1, flexible: true, minWidth: 6, table: ({item}) => item.vm, csv: ({item}) => item.vm},
  {name: 'host', priority: 2, flexible: true, minWidth: 6, table: ({item}) => item.host, csv: ({item}) => item.host},
  {name: 'to', priority: 2, flexible: true, minWidth: 6, table: ({item}) => text(item.to), csv: ({item}) => item.to ?? ''},
  {name: 'vf', priority: 5, table: ({item}) => text(item.vf), csv: ({item}) => item.vf ?? ''},
  {name: 'status', priority: 1, table: ({item}) => statusCell(item.status), csv: ({item}) => item.status},
  {name: 'reason', priority: 4, flexible: true, minWidth: 12, table: ({item}) => item.reason, csv: ({item}) => item.reason},
  {name: 'error', priority: 3, flexible: true, minWidth: 12, table: ({item}) => (item.error ? {text: item.error, colour: 'red'} : ''), csv: ({item}) => item.error ?? ''},
  {name: 'duration_ms', priority: 9, wideOnly: true, align: 'right', table: ({item}) => text(item.durationMs), csv: ({item}) => item.durationMs ?? ''},
]

/** The items of each kind in one document. */
const ITEMS: {[K in RowKind]: (doc: SovaDocument) => unknown[]} = {
  hosts: (doc) => doc.hosts.map((host) => ({doc, host, score: ownValue(doc.scores?.hosts, host.name)})),
  vms: (doc) => doc.hosts.flatMap((host) => host.vms.map((vm) => ({doc, host, vm}))),
  migrations: (doc) => (doc.plan?.migrations ?? []).map((item) => ({doc, item})),
  'vf-changes': (doc) => (doc.plan?.vf ?? []).map((item) => ({doc, item})),
  actions: (doc) => (doc.actions ?? []).map((item) => ({doc, item})),
}

const FIELDS: {[K in RowKind]: Field<any>[]} = {
  hosts: HOST_FIELDS, vms: VM_FIELDS, migrations: MIGRATION_FIELDS, 'vf-changes': VF_CHANGE_FIELDS, actions: ACTION_FIELDS,
}

/** The columns of a kind of row. */
export function columnsOf(kind: RowKind): Column[] {
  return FIELDS[kind]
}

/** One kind of row of a document as table rows (cells keyed by column name). */
export function tableRows(doc: SovaDocument, kind: RowKind): Row[] {
  return ITEMS[kind](doc).map((item) => Object.fromEntries(FIELDS[kind].map((field) => [field.name, field.table(item)])))
}

/** One kind of row of a document as CSV values (keyed by column name). */
export function csvRows(doc: SovaDocument, kind: RowKind): Record<string, CsvValue>[] {
  return ITEMS[kind](doc).map((item) => Object.fromEntries(FIELDS[kind].map((field) => [field.name, field.csv(item)])))
}
