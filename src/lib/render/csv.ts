// CSV for spreadsheets: one row per VM (observe/plan stages) or per action (acting stages).
import {stringify} from 'csv-stringify/sync'
import type {SovaDocument} from '../document/schema.js'
import type {View} from './view.js'
import {ownValue} from '../named.js'

const VM_COLUMNS = ['at', 'host', 'vm', 'path', 'vf', 'cpu_used', 'cpu_blocked', 'rx_bps', 'tx_bps', 'active_ratio', 'io_ratio', 'net_score', 'tier', 'vf_value_mbps', 'reason']
const ACTION_COLUMNS = ['at', 'kind', 'vm', 'host', 'to', 'vf', 'status', 'reason', 'error', 'duration_ms']

function vmRows(doc: SovaDocument): unknown[][] {
  return doc.hosts.flatMap((host) =>
    host.vms.map((vm) => {
      const score = ownValue(doc.scores?.vms, vm.name)
      return [doc.at, host.name, vm.name, vm.path, vm.vf ?? '', vm.cpu.usedRatio, vm.cpu.blockedRatio, vm.net.rxBps,
        vm.net.txBps, vm.net.activeRatio, score?.ioRatio ?? '', score?.netScore ?? '', score?.tier ?? '', score?.vfValueMbps ?? '', score?.reason ?? '']
    }),
  )
}

function actionRows(doc: SovaDocument): unknown[][] {
  return (doc.actions ?? []).map((action) => [doc.at, action.kind, action.vm, action.host, action.to ?? '', action.vf ?? '',
    action.status, action.reason, action.error ?? '', action.durationMs ?? ''])
}

/** CSV rows of one document; the header only with the first document of a stream. */
export function renderCsv(doc: SovaDocument, view: View, withHeader: boolean): string {
  const columns = view === 'vms' ? VM_COLUMNS : ACTION_COLUMNS
  const rows = view === 'vms' ? vmRows(doc) : actionRows(doc)
  return stringify(withHeader ? [columns, ...rows] : rows)
}
