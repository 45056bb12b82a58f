// What the loop reads of samples and documents: whether a previous sample can start the rate
// window, which hosts it has readings of, utilisation and what the loop remembers. Pure, and free
// of the schema checker, so that a stage reading documents does not load it (rates.ts turns two
// snapshots into a document, and checks each host against the schema's limits).
import type {MissingHost, RawSnapshot} from '../backends/types.js'
import type {Host, SovaDocument, Vm} from '../document/schema.js'
import type {SampleKnowledge} from './history.js'
import {namedRecord, namedRecordOf} from '../named.js'

/** A previous sample older than this is not used for rates: the window would say little about now. */
export const MAX_RATE_WINDOW_SECONDS = 600

/** Why `previous` cannot serve as the start of the rate window, or undefined when it can. */
export function unusablePrevious(previous: RawSnapshot | undefined, current: RawSnapshot): string | undefined {
  if (!previous) return 'no previous sample'
  if (previous.source.cluster !== current.source.cluster) return 'previous sample is of another cluster'
  const seconds = (Date.parse(current.at) - Date.parse(previous.at)) / 1000
  if (seconds <= 0) return 'previous sample is not older than this one'
  if (seconds > MAX_RATE_WINDOW_SECONDS) return `previous sample is ${Math.round(seconds)} s old`
  return undefined
}

/** Hosts of `current` that `previous` has no readings of: their counters cannot be differenced. */
export function hostsWithoutReadings(previous: RawSnapshot, current: RawSnapshot): string[] {
  const before = new Set(previous.hosts.map((host) => host.name))
  return current.hosts.filter((host) => !before.has(host.name)).map((host) => host.name)
}

/**
 * `current`'s missing hosts with when each was last sampled: `previous` had its readings, or had it
 * missing too and knew since when. Stored with the sample, so the date carries across an outage.
 */
export function dateMissing(missing: readonly MissingHost[], previous: RawSnapshot | undefined): MissingHost[] {
  const sampled = new Set(previous?.hosts.map((host) => host.name))
  const before = new Map(previous?.missing?.map((entry) => [entry.host, entry.lastSampleAt]))
  return missing.map((entry) => {
    const lastSampleAt = sampled.has(entry.host) ? previous?.at : (entry.lastSampleAt ?? before.get(entry.host))
    return lastSampleAt === undefined ? {...entry} : {...entry, lastSampleAt}
  })
}

/** Host name -> utilisation, the part of a sample that prediction history needs. */
export function utilisationOf(doc: SovaDocument): Record<string, number> {
  return namedRecordOf(doc.hosts.map((host) => [host.name, host.nic.utilisation] as const))
}

const MBIT = 8 / 1e6

/** The busier direction of a host's port as a share of its line rate (the bottleneck of a full-duplex port). */
export function peakUtilisation(host: Host): number {
  return (Math.max(host.nic.rxBps, host.nic.txBps) * MBIT) / host.nic.speedMbps
}

/** PV traffic (rx + tx) of a host, Mbit/s: what its backend carries. */
export function pvTrafficMbps(host: Host): number {
  return host.vms.reduce((sum, vm) => (vm.path === 'pv' ? sum + (vm.net.rxBps + vm.net.txBps) * MBIT : sum), 0)
}

/** A VM's busier direction, Mbit/s. */
export function vmRateMbps(vm: Vm): number {
  return Math.max(vm.net.rxBps, vm.net.txBps) * MBIT
}

/** The compact part of a sample the loop remembers: host peaks and PV load, VM placement, paths and rates. */
export function knowledgeOf(doc: SovaDocument): SampleKnowledge {
  const knowledge: SampleKnowledge = {peak: namedRecord<number>(), vms: [], pv: namedRecord<[number, number | null]>()}
  const pv = knowledge.pv as Record<string, [number, number | null]>
  for (const host of doc.hosts) {
    knowledge.peak[host.name] = peakUtilisation(host)
    for (const vm of host.vms) knowledge.vms.push([vm.name, host.name, vm.path, vmRateMbps(vm)])
    pv[host.name] = [pvTrafficMbps(host), host.backend?.busyCores ?? null]
  }
  return knowledge
}
