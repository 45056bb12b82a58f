// A host's hotspot status as an explanation states it: utilisation, forecast and the threshold
// they were held against, with the hotspot test's own reason. Pure.
import type {HostScore} from '../document/schema.js'
import type {CycleView} from './cycle-view.js'
import {formatThreshold, type Threshold} from './thresholds.js'

/** Whether a host is predicted hot, with the figures and the threshold that decided it. */
export interface HostStatus {
  host: string
  hot: boolean
  utilisation: number
  /** sum: (rx + tx) / line rate (seed); peak: the busier direction / line rate (sova). */
  measure?: HostScore['measure']
  forecast: number | null
  threshold: Threshold
  reason: string
  /** When the port was not read from its own counters: the basis and why (docs/port-counters.md). */
  portBasis?: string
}

/** The hotspot status of `host`, if the document was scored. */
export function hostStatusOf(view: CycleView, host: string): HostStatus | undefined {
  const score = view.hostScore(host)
  if (!score) return undefined
  const nic = view.doc.hosts.find((candidate) => candidate.name === host)?.nic
  // Only a reading that may miss traffic is said: a PF-only utilisation can hide a hotspot.
  const portBasis = nic?.basis === undefined || nic.basis === 'port-counters' ? undefined : `port read as ${nic.basis}${nic.basisWhy === undefined ? '' : ` (${nic.basisWhy})`}`
  return {
    host,
    hot: score.hot,
    utilisation: score.utilisation,
    ...(score.measure === undefined ? {} : {measure: score.measure}),
    forecast: score.forecast,
    threshold: view.hotThreshold(host),
    reason: score.reason,
    ...(portBasis === undefined ? {} : {portBasis}),
  }
}

/** "host1 is predicted hot: busier direction at 0.94 of line rate, forecast 0.77; hotspot threshold 0.85 (from the document); <reason>". */
export function describeHostStatus(status: HostStatus): string {
  const measured = status.measure === 'sum' ? 'rx + tx' : status.measure === 'peak' ? 'busier direction' : 'port'
  const forecast = status.forecast === null ? 'no forecast' : `forecast ${status.forecast.toFixed(2)}`
  const verdict = status.hot ? 'is predicted hot' : 'is not predicted hot'
  // sova's reasons start "busier direction: ", which the sentence has said already.
  const reason = status.reason.replace(/^busier direction: /, '')
  return `${status.host} ${verdict}: ${measured} at ${status.utilisation.toFixed(2)} of line rate, ${forecast}; ` +
    `${formatThreshold(status.threshold)}; ${reason}${status.portBasis === undefined ? '' : `; ${status.portBasis}`}`
}
