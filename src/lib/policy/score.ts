// The score stage: per-VM seed figures and tier, per-host hotspot prediction. Pure.
import type {HostScore, Scores, SovaDocument, VmScore} from '../document/schema.js'
import {assessHotspot, type HotspotParams} from './hotspot.js'
import {ioRatio, netScore, rankSeedTiers} from './seed-scores.js'
import {namedRecord} from '../named.js'

/**
 * Scores of one document. `history` maps each host to its utilisation series, oldest first,
 * ending with this document's sample (see SampleHistory).
 */
export function scoreDocument(
  doc: SovaDocument,
  history: ReadonlyMap<string, number[]>,
  cluster: HotspotParams,
  of: (host: string) => {hotspot: HotspotParams} = () => ({hotspot: cluster}),
): Scores {
  const vms = namedRecord<VmScore>()
  const hosts = namedRecord<HostScore>()
  for (const host of doc.hosts) {
    const figures = host.vms.map((vm) => ({
      name: vm.name,
      ioRatio: ioRatio(vm.cpu.usedRatio, vm.cpu.blockedRatio),
      netScore: netScore(vm.net.rxBps, vm.net.txBps, vm.net.activeRatio, doc.source.windowSeconds),
    }))
    const ranks = rankSeedTiers(figures)
    for (const figure of figures) {
      const rank = ranks.get(figure.name)
      if (!rank) continue
      vms[figure.name] = {host: host.name, ioRatio: figure.ioRatio, netScore: figure.netScore, tier: rank.tier, reason: rank.reason}
    }
    const params = of(host.name).hotspot
    const series = (history.get(host.name) ?? [host.nic.utilisation]).slice(-Math.max(params.recent, params.window))
    const assessment = assessHotspot(series, params)
    hosts[host.name] = {
      utilisation: host.nic.utilisation,
      window: series,
      forecast: assessment.forecast,
      predictor: params.predictor,
      measure: 'sum',
      threshold: params.threshold,
      hot: assessment.hot,
      reason: assessment.reason,
    }
  }
  return {policy: 'seed', vms, hosts}
}
