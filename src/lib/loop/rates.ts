// Turns two raw snapshots (cumulative counters) into a document of rates. Pure.
import type {MissingHost, RawHost, RawPort, RawSnapshot, RawVm} from '../backends/types.js'
import type {Host, Missing, SovaDocument, Vm} from '../document/schema.js'
import {Check} from '@sinclair/typebox/value'
import {DOCUMENT_VERSION, Host as HostSchema} from '../document/schema.js'
import {schemaErrorLine} from '../document/schema-errors.js'
import {hostsWithoutReadings} from './collect.js'

// Counters can restart (a domain re-created after migration): a negative delta counts as 0.
const delta = (now: number, before: number | undefined): number => Math.max(0, now - (before ?? now))

function vmRates(vm: RawVm, previous: RawVm | undefined, seconds: number): Vm {
  // A CPU counter that went back means a new process (libvirt after a migration, a restarted
  // domain): none of its counters can be differenced with the old ones this once.
  // Another domain that took the name (another UUID) is not the same VM either.
  const sameDomain = previous !== undefined && (previous.uuid === undefined || previous.uuid === vm.uuid)
  const before = previous && sameDomain && vm.counters.cpuSeconds >= previous.counters.cpuSeconds ? previous : undefined
  const c = vm.counters
  const b = before?.counters
  // Traffic counted on another basis than before (a VF came or went, the guest agent stopped or
  // started): no traffic rates this once, rather than the difference of two unrelated counters.
  const n = b?.basis === c.basis ? b : undefined
  const rxBps = delta(c.rxBytes, n?.rxBytes) / seconds
  const txBps = delta(c.txBytes, n?.txBytes) / seconds
  const activeRatio =
    c.activeSeconds === undefined
      ? Number(rxBps > 128 && txBps > 128)
      : Math.min(1, delta(c.activeSeconds, n?.activeSeconds) / seconds)
  return {
    name: vm.name,
    id: vm.id,
    uuid: vm.uuid,
    vcpus: vm.vcpus,
    memoryMiB: vm.memoryMiB,
    cpu: {
      usedRatio: delta(c.cpuSeconds, b?.cpuSeconds) / seconds,
      // Real backends estimate blocked time against their own clock: keep it a share of the window.
      blockedRatio: Math.min(1, delta(c.blockedSeconds, b?.blockedSeconds) / seconds),
    },
    net: {rxBps, txBps, activeRatio},
    path: vm.path,
    vf: vm.vf,
    ...(vm.tags && vm.tags.length > 0 ? {tags: [...vm.tags]} : {}),
  }
}

/** A port's basis by today's name: samples stored before the basis was recorded, or as `pf`, are the PF's own counters. */
const portBasis = (port: RawPort): string => (port.basis === undefined || port.basis === 'pf' ? 'pf-only' : port.basis)

/**
 * The port's byte counts over the window, or why there are none this once. Only between readings of
 * one basis (docs/port-counters.md, or vms); on `vms`, the sum of the deltas of the VMs in both
 * readings (each within its own basis): the difference of two sums would read a VM that left, or
 * one that came, as traffic. A basis changes with the configuration (vms) or with what the host
 * could read this time (ethtool installed or gone): the message says which, blaming neither.
 */
function portDeltas(now: RawPort, before: RawPort): {rx: number; tx: number} | string {
  const basis = portBasis(now)
  const was = portBasis(before)
  if (basis !== was) {
    const cause = basis === 'vms' || was === 'vms' ? 'port.counters changed in the configuration' : `now: ${now.basisWhy ?? basis}`
    return `its port counters changed basis (${was} -> ${basis}: ${cause}), and no rate can be taken between two different counters (rates from the next sample)`
  }
  if (basis === 'vms' && now.parts && before.parts) {
    const earlier = new Map(before.parts.map((part) => [part.id, part]))
    let rx = 0
    let tx = 0
    for (const part of now.parts) {
      const then = earlier.get(part.id)
      if (!then || then.basis !== part.basis) continue
      rx += delta(part.rxBytes, then.rxBytes)
      tx += delta(part.txBytes, then.txBytes)
    }
    return {rx, tx}
  }
  return {rx: delta(now.rxBytes, before.rxBytes), tx: delta(now.txBytes, before.txBytes)}
}

/** What a real host's port counters stand on, for the document (absent on the simulator and in labs summing VMs). */
function nicBasis(port: RawPort): {basis?: 'port-counters' | 'pf+vfs' | 'pf-only'; basisWhy?: string} {
  if (port.basis !== 'port-counters' && port.basis !== 'pf+vfs' && port.basis !== 'pf-only') return {}
  return {basis: port.basis, ...(port.basisWhy === undefined ? {} : {basisWhy: port.basisWhy})}
}

/** A host's rates over the window, or why it has none this once. */
function hostRates(host: RawHost, before: RawHost, vmsBefore: Map<string, RawVm>, seconds: number): Host | string {
  const port = portDeltas(host.nic, before.nic)
  if (typeof port === 'string') return port
  const rxBps = port.rx / seconds
  const txBps = port.tx / seconds
  return {
    name: host.name,
    nic: {
      device: host.nic.device,
      speedMbps: host.nic.speedMbps,
      rxBps,
      txBps,
      // The seed measure: rx and tx summed against one link speed (can exceed 1).
      utilisation: (8 * (rxBps + txBps)) / (host.nic.speedMbps * 1e6),
      ...nicBasis(host.nic),
    },
    vfs: {total: host.vfs.total, free: [...host.vfs.free]},
    cpus: host.cpus,
    memoryMiB: {...host.memoryMiB},
    vms: host.vms.map((vm) => vmRates(vm, vmsBefore.get(vm.name), seconds)),
    ...backendRates(host, before, seconds),
  }
}

/** The PV backend's busy cores over the window, when both readings have its CPU time and it did not restart (went back). */
function backendRates(host: RawHost, before: RawHost, seconds: number): Pick<Host, 'backend'> {
  const now = host.backend
  const then = before.backend
  if (!now || !then || now.cpuSeconds < then.cpuSeconds) return {}
  const backend: NonNullable<Host['backend']> = {busyCores: (now.cpuSeconds - then.cpuSeconds) / seconds, cores: now.cores}
  if (now.includes !== undefined) backend.includes = now.includes
  return {backend}
}

/** Why a host's figures cannot go into a document (limits.ts: a counter that jumped, a port faster than any), or undefined. */
function beyondLimits(host: Host): string | undefined {
  return Check(HostSchema, host) ? undefined : schemaErrorLine(HostSchema, host)
}

/** A missing host as the document states it: why, how old its last sample is, and that nothing is decided about it. */
function missingEntry(entry: MissingHost, at: string): Missing {
  const age = entry.lastSampleAt === undefined ? 'no earlier sample of it is known' : `its last sample is ${Math.round((Date.parse(at) - Date.parse(entry.lastSampleAt)) / 1000)} s old`
  const stated: Missing = {host: entry.host, reason: `${entry.reason}; ${age}: no decision about ${entry.host} or its VMs`}
  if (entry.lastSampleAt !== undefined) stated.lastSampleAt = entry.lastSampleAt
  return stated
}

/**
 * The document for `current`, with rates over the window since `previous`. A host without readings
 * in both is missing from it (with why), never given rates of 0 that would make it look idle.
 */
export function toDocument(previous: RawSnapshot, current: RawSnapshot): SovaDocument {
  const seconds = (Date.parse(current.at) - Date.parse(previous.at)) / 1000
  const hostsBefore = new Map(previous.hosts.map((host) => [host.name, host]))
  // VMs are matched by name across hosts: a VM that migrated keeps its counters.
  const vmsBefore = new Map(previous.hosts.flatMap((host) => host.vms.map((vm) => [vm.name, vm] as const)))
  const missing: MissingHost[] = [
    ...(current.missing ?? []),
    ...hostsWithoutReadings(previous, current).map((host) => ({
      host,
      reason: `it answered, but the start of the window has no readings of it to take rates from (rates from the next sample)`,
      lastSampleAt: previous.missing?.find((entry) => entry.host === host)?.lastSampleAt,
    })),
  ]
  const doc: SovaDocument = {
    sova: DOCUMENT_VERSION,
    at: current.at,
    source: {...current.source, windowSeconds: seconds},
    hosts: [],
  }
  for (const host of current.hosts) {
    const before = hostsBefore.get(host.name)
    if (!before) continue
    const rated = hostRates(host, before, vmsBefore, seconds)
    const beyond = typeof rated === 'string' ? undefined : beyondLimits(rated)
    if (typeof rated === 'string') missing.push({host: host.name, reason: rated, lastSampleAt: previous.at})
    else if (beyond === undefined) doc.hosts.push(rated)
    else missing.push({host: host.name, reason: `its readings are beyond what a document may claim (${beyond}): a counter glitch, not a measurement`, lastSampleAt: previous.at})
  }
  if (missing.length > 0) doc.missing = missing.map((entry) => missingEntry(entry, current.at))
  if (current.unmanaged && current.unmanaged.length > 0) doc.unmanaged = current.unmanaged.map((entry) => ({...entry}))
  return doc
}

/** Where everything is now, as hosts with zero rates: what preconditions and one-off plans need. */
export function placementOf(snapshot: RawSnapshot): Host[] {
  return toDocument({...snapshot, at: new Date(Date.parse(snapshot.at) - 1000).toISOString()}, snapshot).hosts
}
