// The sova policy's analysis: per host, a hotspot test on the busier port direction (a full-duplex
// port saturates per direction, so rx + tx against one figure misjudges it); per VM, what a VF is
// worth to it: the throughput it gains above the PV path, estimated from what is known of its
// demand, plus a latency term for its traffic. Pure.
import {formatMbps as mbps} from './format-figure.js'
import {peakUtilisation, pvTrafficMbps, vmRateMbps} from '../loop/collect.js'
import type {Host, HostCapacity, HostScore, Scores, SovaDocument, Vm, VmMemory, VmScore} from '../document/schema.js'
import type {HistoryEntry} from '../loop/history.js'
import {seriesOf} from '../loop/history.js'
import {assessHotspot, type HotspotAssessment, type HotspotParams} from './hotspot.js'
import {episodesOf} from './episodes.js'
import {memoryLookup, remember} from './memory.js'
import {estimatePathCapacities} from './path-capacity.js'
import {ioRatio, netScore} from './seed-scores.js'
import type {SovaParams} from './sova-params.js'
import {namedRecord, ownValue} from '../named.js'

/** What a VF is worth to one VM, and the words that say why. */
export interface VfValue {
  rateMbps: number
  demandMbps: number
  valueMbps: number
  reason: string
}


/** What a VM's VF value depends on beyond the VM itself: its host's port, PV path and PV backend. */
export interface HostContext {
  lineRateMbps: number
  /** PV traffic (rx + tx, Mbit/s) on the host now. */
  pvTrafficMbps: number
  /** The host's PV path cap and backend capacity, and how each was had (path-capacity.ts). */
  capacity: Pick<HostCapacity, 'pvCapMbps' | 'pvCapFrom' | 'backendMbps' | 'backendFrom'>
}

/**
 * A VM's demand in its busier direction and a VF's value to it. On a VF its rate is its demand.
 * On its PV NIC near the PV capacity it is saturated: its demand is the rate it reached on a VF
 * before, if known, else a guess above what it gets. Value = throughput gained (or kept) by a VF
 * within the port's line rate + its traffic if the host's PV backend is (or, with this VM back on
 * PV, would be) near saturation, since a VF takes that traffic off the backend for the others
 * + latencyWeight × rate.
 */
export function vfValue(vm: Vm, memory: VmMemory | undefined, host: HostContext, params: SovaParams): VfValue {
  const rateMbps = vmRateMbps(vm)
  const {pvCapMbps: pvCap, backendMbps: backendCapacity} = host.capacity
  const saturated = vm.path === 'pv' && rateMbps >= params.saturatedShare * pvCap
  let demandMbps = rateMbps
  let demandWords = vm.path === 'vf' ? `on a VF at ${mbps(rateMbps)}` : `on PV at ${mbps(rateMbps)}`
  if (saturated) {
    const known = memory?.vfRateMbps
    demandMbps = known !== undefined && known > rateMbps ? known : rateMbps * params.saturatedDemandFactor
    demandWords += known !== undefined && known > rateMbps
      ? `, saturated (≥ ${Math.round(params.saturatedShare * 100)}% of PV ${mbps(pvCap)}, ${host.capacity.pvCapFrom}); reached ${mbps(known)} on a VF before`
      : `, saturated (≥ ${Math.round(params.saturatedShare * 100)}% of PV ${mbps(pvCap)}, ${host.capacity.pvCapFrom}); demand guessed ${mbps(demandMbps)}`
  }
  const throughput = abovePvMbps(demandMbps, host.lineRateMbps, pvCap)
  const bothWays = (vm.net.rxBps + vm.net.txBps) * 8e-6
  const backendWithVm = host.pvTrafficMbps + (vm.path === 'vf' ? bothWays : 0)
  const backendBusy = backendWithVm >= params.saturatedShare * backendCapacity
  const backend = backendBusy ? bothWays : 0
  const latency = params.latencyWeight * rateMbps
  const valueMbps = throughput + backend + latency
  // One string per VM, built without intermediate arrays: 400,000 of them at 10,000 hosts.
  const gained = throughput > 0 ? `${mbps(throughput)} above the PV path (${mbps(pvCap)}, ${host.capacity.pvCapFrom})` : 'nothing above the PV path'
  const relieved = backendBusy ? ` + ${mbps(backend)} off a PV backend near saturation (${mbps(backendWithVm)} of ${mbps(backendCapacity)}, ${host.capacity.backendFrom})` : ''
  const reason = `${demandWords}: a VF is worth ${mbps(valueMbps)} (${gained}${relieved} + latency ${mbps(latency)})`
  return {rateMbps, demandMbps, valueMbps, reason}
}

/** What a VM wanting `demandMbps` carries on a VF beyond what its PV path would, within the port's line rate. */
export function abovePvMbps(demandMbps: number, lineRateMbps: number, pvCapMbps: number): number {
  return Math.max(0, Math.min(demandMbps, lineRateMbps) - Math.min(demandMbps, pvCapMbps))
}

/**
 * The seed's hotspot test, except that a port whose latest `hotSamplesNeeded` samples all reach
 * the threshold is hot whatever the AR forecast says: fitted on a short de-meaned window, the
 * forecast reads a sudden step up (a flash crowd) as noise about to revert, for several samples.
 */
export function assessSovaHotspot(window: readonly number[], hotspot: HotspotParams): HotspotAssessment {
  const assessment = assessHotspot(window, hotspot)
  if (assessment.hot || window.length < hotspot.recent) return assessment
  const latest = window.slice(-hotspot.hotSamplesNeeded)
  if (latest.length === hotspot.hotSamplesNeeded && latest.every((sample) => sample >= hotspot.threshold)) {
    return {
      hot: true,
      forecast: assessment.forecast,
      reason: `the latest ${latest.length} samples all >= ${hotspot.threshold.toFixed(2)}: sustained (the AR forecast lags a step: ${assessment.reason})`,
    }
  }
  return assessment
}

/**
 * Spells of a condition of one host over the remembered samples (`reached` says whether a sample
 * shows it, undefined when the sample has no figure of the host), smoothed as the hotspot test smooths: a
 * sample is in a spell while `hotSamplesNeeded` of the latest `recent` show it, so one sample
 * without it does not split a spell in two.
 */
function spellsOf(entries: readonly HistoryEntry[], reached: (entry: HistoryEntry) => boolean | undefined, hotspot: HotspotParams) {
  const times: number[] = []
  const held: boolean[] = []
  const shown: boolean[] = []
  for (const entry of entries) {
    const shows = reached(entry)
    if (shows === undefined) continue
    times.push(entry.at)
    shown.push(shows)
    held.push(shown.slice(-hotspot.recent).filter(Boolean).length >= hotspot.hotSamplesNeeded)
  }
  // Whether a sample showed the condition absent: if none did, it held before anyone watched.
  return {...episodesOf(times, held), calmSeen: shown.includes(false), now: held.at(-1) === true}
}

/** A host's hot spells: samples whose busier port direction reaches the threshold. */
function hotSpells(entries: readonly HistoryEntry[], host: string, hotspot: HotspotParams) {
  return spellsOf(entries, (entry) => {
    const peak = ownValue(entry.knowledge?.peak, host)
    return peak === undefined ? undefined : peak >= hotspot.threshold
  }, hotspot)
}

/**
 * A host's busy-backend spells: samples in which its PV backend's CPU was at `saturatedShare` of
 * its cores or more; where the backend reports no CPU (libvirt), samples whose PV traffic reached
 * that share of a backend capacity the operator gave. An estimated capacity is no such evidence:
 * without a CPU figure it is at least the PV traffic seen, so traffic near it says nothing.
 * Undefined unless the backend is busy now (2 of the latest 3 samples).
 */
function backendBusy(entries: readonly HistoryEntry[], host: Host, capacity: HostCapacity, hotspot: HotspotParams, params: SovaParams): HostScore['backendBusy'] {
  const cores = host.backend?.cores
  const given = capacity.backendFrom === 'given' ? capacity.backendMbps : undefined
  const busy = ([pvMbps, busyCores]: readonly [number, number | null]): boolean | undefined => {
    if (cores !== undefined && cores > 0 && busyCores !== null) return busyCores >= params.saturatedShare * cores
    return given === undefined ? undefined : pvMbps >= params.saturatedShare * given
  }
  const sampleOf = (entry: HistoryEntry | undefined) => {
    const figures = ownValue(entry?.knowledge?.pv, host.name)
    return figures === undefined ? undefined : busy(figures)
  }
  // Cheap test first: at 10,000 hosts most backends are far from busy (neither of the latest two samples is).
  if (sampleOf(entries.at(-1)) !== true && sampleOf(entries.at(-2)) !== true) return undefined
  const spells = spellsOf(entries, sampleOf, hotspot)
  if (!spells.now) return undefined
  return {
    forSeconds: spells.ageSeconds,
    ...(spells.typicalSeconds === undefined ? {} : {spellSeconds: spells.typicalSeconds}),
    ...(spells.calmSeen ? {watchedSeconds: spells.watchedSeconds} : {}),
  }
}

/**
 * Scores of one document under sova. `entries` are the remembered samples, oldest first, this
 * one last (SampleHistory.window); prediction looks at the last max(recent, window) of them.
 */
export function scoreSova(
  doc: SovaDocument,
  entries: readonly HistoryEntry[],
  hotspot: HotspotParams,
  params: SovaParams,
  of: (host: string) => {hotspot: HotspotParams; sova: SovaParams} = () => ({hotspot, sova: params}),
  windowLength = Math.max(hotspot.recent, hotspot.window),
): Scores {
  const capacities = estimatePathCapacities(doc, entries, (host) => of(host).sova)
  // A VM is in need while its rate reaches what counts as saturating its host's PV path (a host
  // gone from this sample has no figure: its VMs' need is not timed there).
  const remembered = remember(entries, hotspot.recent, (host) => {
    const pvCap = capacities.get(host)?.pvCapMbps
    return pvCap === undefined ? Number.POSITIVE_INFINITY : of(host).sova.saturatedShare * pvCap
  })
  const memoryOf = memoryLookup(remembered)
  const shed = remembered.lastShedAt
  let position = 0 // the current sample's knowledge lists VMs in document order
  const series = seriesOf(entries, doc, 'peak', windowLength)
  const vms = namedRecord<VmScore>()
  const hosts = namedRecord<HostScore>()
  for (const host of doc.hosts) {
    const own = of(host.name)
    const capacity = capacities.get(host.name) as HostCapacity
    const context: HostContext = {lineRateMbps: host.nic.speedMbps, pvTrafficMbps: pvTrafficMbps(host), capacity}
    for (const vm of host.vms) {
      const memory = memoryOf(vm.name, position++)
      const value = vfValue(vm, memory, context, own.sova)
      const score: VmScore = {
        host: host.name,
        ioRatio: ioRatio(vm.cpu.usedRatio, vm.cpu.blockedRatio),
        netScore: netScore(vm.net.rxBps, vm.net.txBps, vm.net.activeRatio, doc.source.windowSeconds),
        rateMbps: value.rateMbps,
        demandMbps: value.demandMbps,
        vfValueMbps: value.valueMbps,
        memory,
        reason: value.reason,
      }
      vms[vm.name] = score
    }
    const peak = peakUtilisation(host)
    const window = (series.get(host.name) ?? [peak]).slice(-Math.max(own.hotspot.recent, own.hotspot.window))
    const assessment = assessSovaHotspot(window, own.hotspot)
    const lastShed = shed.get(host.name)
    // Only a hot host needs its spells timed (a migration is weighed against how long they last).
    const spells = assessment.hot ? hotSpells(entries, host.name, own.hotspot) : undefined
    // A port that is not hot may still hold its PV VMs back at the backend's CPU (balance moves one off).
    const busyBackend = assessment.hot ? undefined : backendBusy(entries, host, capacity, own.hotspot, own.sova)
    hosts[host.name] = {
      ...(lastShed === undefined ? {} : {lastShedAt: lastShed}),
      ...(spells === undefined ? {} : {hotForSeconds: spells.ageSeconds}),
      ...(spells?.calmSeen ? {watchedSeconds: spells.watchedSeconds} : {}),
      ...(spells === undefined || remembered.clusterBurstSeconds === undefined ? {} : {clusterBurstSeconds: remembered.clusterBurstSeconds}),
      ...(spells?.typicalSeconds === undefined ? {} : {hotSpellSeconds: spells.typicalSeconds}),
      utilisation: peak,
      window,
      forecast: assessment.forecast,
      predictor: own.hotspot.predictor,
      measure: 'peak',
      threshold: own.hotspot.threshold,
      ...(busyBackend === undefined ? {} : {backendBusy: busyBackend}),
      hot: assessment.hot,
      reason: `busier direction: ${assessment.reason}`,
      capacity,
    }
  }
  return {policy: 'sova', vms, hosts}
}
