// Actions on the simulated cluster as pure transitions: each returns a new cluster in which the
// hosts the action touches have run on by its modelled duration (their VMs keep running
// meanwhile), and the StepResult. Each host has its own clock (SimHost.clockMs): an action
// integrates only its hosts, from their clock on, so actions on different hosts overlap in
// simulated time and actions on one host queue on its clock; a migration first brings its source
// and target to the later of their clocks. The new cluster shares every host and VM the action did
// not touch with the old one, so an action costs the VMs of its hosts, not the cluster.
// A refused action leaves the cluster as it was, apart from the time the refusal took on the host
// it concerns (none for an unknown host). A call that passes its checks may still meet an injected
// fault (faults.ts) when the cluster has any.
import type {StepResult} from '../types.js'
import {type SimCluster, type SimHost, type SimVm, cloneForHosts, findVmNear, freeMemoryMiB, freeVfs, hostClockMs, hostNamed, reindexMove, vmsOfHost} from './cluster.js'
import {offeredDemand} from './demand.js'
import {FAULT_TIMEOUT_S, type FaultDecision, type FaultOp, decideFault, hasFaults} from './faults.js'
import {integrateHostsInPlace, migrationShareMbps, portUsableMbps, syncHostsInPlace} from './step.js'

/** A transition's outcome: the cluster afterwards and what happened. */
export interface Transition {
  cluster: SimCluster
  result: StepResult
}

const MBIT_PER_MIB = 8 * 1.048576

/**
 * Counts an action that completed at `atMs` (its host's clock) on the scoreboard, unless it
 * completed after the scoring window.
 */
function countAction(cluster: SimCluster, kind: 'vfSwitches' | 'migrations', atMs: number): void {
  if (cluster.scoreUntilMs === undefined || atMs <= cluster.scoreUntilMs) cluster.metrics[kind] += 1
}

/**
 * A refusal that took `ms` on `host` (its clock moves on, its VMs run meanwhile); without a host,
 * or for one the cluster does not have, no clock moves and the cluster is the one given.
 */
export function refuse(cluster: SimCluster, error: string, ms = cluster.physics.refusalMs, host?: string): Transition {
  const result = {ok: false, durationMs: ms, error}
  if (host === undefined || hostNamed(cluster, host) === undefined) return {cluster, result}
  const {cluster: next, touched} = cloneForHosts(cluster, [host])
  integrateHostsInPlace(next, touched, ms)
  return {cluster: next, result}
}

function unreachable(cluster: SimCluster, host: SimHost): Transition {
  return refuse(cluster, `${host.name}: unreachable (simulated outage)`, cluster.physics.unreachableTimeoutMs, host.name)
}

/** The next fault draw of a cluster with faults: the decision and the cluster with its counter moved on. */
function drawFault(cluster: SimCluster, op: FaultOp): {cluster: SimCluster; fault?: FaultDecision} {
  if (!hasFaults(cluster.faults)) return {cluster}
  const {rates, draws} = cluster.faults
  return {cluster: {...cluster, faults: {rates, draws: draws + 1}}, fault: decideFault(cluster.seed, draws, op, rates)}
}

/**
 * What a fault that is not a completed migration does: nothing happened, apart from an outage or a
 * vanished VM; the time it took passes on the acting host (the source).
 */
function faulted(cluster: SimCluster, fault: FaultDecision, op: FaultOp, verb: string, vmName: string, hosts: {source: string; target: string}, failMs: number, failure: string): Transition {
  switch (fault.kind) {
    case 'fail':
      return refuse(cluster, `${verb}: ${failure} (injected fault)`, failMs, hosts.source)
    case 'timeout':
      return refuse(cluster, `${verb}: timed out after ${FAULT_TIMEOUT_S[op]} s (injected fault)`, FAULT_TIMEOUT_S[op] * 1000, hosts.source)
    case 'outage': {
      const host = hosts[fault.host]
      const {cluster: down, touched} = cloneForHosts(cluster, [host])
      touched[0].host.reachable = false
      return refuse(down, `${verb}: ${host}: unreachable (injected outage; sova sim outage ${host} --clear ends it)`, cluster.physics.unreachableTimeoutMs, hosts.source)
    }
    case 'vanish': {
      // The VM's VF goes back to the pool with it: free VFs are the pool minus what VMs hold.
      const gone = {...cluster, vms: cluster.vms.filter((vm) => vm.name !== vmName)}
      return refuse(gone, `${verb}: no such domain '${vmName}': it was destroyed during the call (injected fault)`, undefined, hosts.source)
    }
  }
}

/** The simulator's stable identity of a VM (its index), in the shape of a UUID as real hypervisors give one. */
export function simUuid(index: number): string {
  return `5e7a0000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`
}

const SIM_UUID = /^5e7a0000-0000-4000-8000-([0-9a-f]+)$/

/** The index whose simUuid is `uuid`, or undefined when no index has it (compared as numbers, not as a string per VM). */
export function simIndexOf(uuid: string): number | undefined {
  const match = SIM_UUID.exec(uuid)
  if (!match) return undefined
  const index = Number.parseInt(match[1], 16)
  return simUuid(index) === uuid ? index : undefined
}

/**
 * Why an action addressed to domain `uuid` meant for `name` must not run (looked for among the
 * VMs of `host`, the host the call goes to, first): no such domain, or it
 * bears another name now (a plan made before a rename or a re-creation). Undefined when it may.
 */
export function identityRefusal(cluster: SimCluster, ref: {name: string; uuid: string}, host?: string): string | undefined {
  const index = simIndexOf(ref.uuid)
  const near = index === undefined || host === undefined || hostNamed(cluster, host) === undefined ? undefined : vmsOfHost(cluster, host).find((candidate) => candidate.index === index)
  const vm = near ?? (index === undefined ? undefined : cluster.vms.find((candidate) => candidate.index === index))
  if (!vm) return `refused: no domain with UUID ${ref.uuid} (meant: ${ref.name})`
  if (vm.name !== ref.name) return `refused: domain ${ref.uuid} is named ${vm.name}, not ${ref.name}`
  return undefined
}

type Checked = {host: SimHost; vm: SimVm} | {refusal: Transition}

/** The checks attach and detach share: known, reachable host; known VM placed on it. */
function checkHostVm(cluster: SimCluster, hostName: string, vmName: string, verb: string): Checked {
  const host = hostNamed(cluster, hostName)
  if (!host) return {refusal: refuse(cluster, `${verb}: unknown host ${hostName}`)}
  if (!host.reachable) return {refusal: unreachable(cluster, host)}
  const vm = findVmNear(cluster, vmName, host.name)
  if (!vm) return {refusal: refuse(cluster, `${verb}: unknown VM ${vmName}`, undefined, host.name)}
  if (vm.host !== host.name) return {refusal: refuse(cluster, `${verb}: ${vm.name} runs on ${vm.host}, not on ${host.name}`, undefined, host.name)}
  return {host, vm}
}

/** Hot-plugs `vf` into `vm` on `host`; the guest's bond fails over to it once it is up. */
export function attachVf(cluster: SimCluster, hostName: string, vmName: string, vf: string): Transition {
  const verb = `attach ${vf} to ${vmName} on ${hostName}`
  const checked = checkHostVm(cluster, hostName, vmName, verb)
  if ('refusal' in checked) return checked.refusal
  const {host, vm} = checked
  if (vm.vf !== null) return refuse(cluster, `${verb}: ${vm.name} already holds VF ${vm.vf}`, undefined, host.name)
  if (!host.vfPool.includes(vf)) return refuse(cluster, `${verb}: ${vf} is not a VF of ${host.name}'s port`, undefined, host.name)
  const onHost = vmsOfHost(cluster, host.name)
  if (!freeVfs(cluster, host, onHost).includes(vf)) {
    const holder = onHost.find((other) => other.vf === vf)
    return refuse(cluster, `${verb}: ${vf} is not free (held by ${holder?.name ?? 'another VM'})`, undefined, host.name)
  }
  const drawn = drawFault(cluster, 'attach')
  if (drawn.fault) {
    const where = {source: host.name, target: host.name}
    return faulted(drawn.cluster, drawn.fault, 'attach', verb, vm.name, where, cluster.physics.attachMs, `hot-plug of PCI device ${vf} failed: device or resource busy`)
  }
  const {cluster: next, touched} = cloneForHosts(drawn.cluster, [host.name])
  const ms = next.physics.attachMs
  integrateHostsInPlace(next, touched, ms) // hot-plug in progress: the VM still runs on its PV NIC
  const moved = touched[0].vms.find((candidate) => candidate.name === vm.name) as SimVm
  moved.vf = vf
  moved.path = 'vf'
  countAction(next, 'vfSwitches', hostClockMs(next, touched[0].host))
  return {cluster: next, result: {ok: true, durationMs: ms}}
}

/** Fails the VM's bond over to its PV NIC, then unplugs the VF (which becomes free). */
export function detachVf(cluster: SimCluster, hostName: string, vmName: string, vf: string): Transition {
  const verb = `detach ${vf} from ${vmName} on ${hostName}`
  const checked = checkHostVm(cluster, hostName, vmName, verb)
  if ('refusal' in checked) return checked.refusal
  const {vm} = checked
  if (vm.vf !== vf) return refuse(cluster, `${verb}: ${vm.name} does not hold ${vf} (it holds ${vm.vf ?? 'no VF'})`, undefined, hostName)
  const drawn = drawFault(cluster, 'detach')
  if (drawn.fault) {
    const where = {source: hostName, target: hostName}
    return faulted(drawn.cluster, drawn.fault, 'detach', verb, vm.name, where, cluster.physics.detachMs, `guest did not release PCI device ${vf}: device still in use`)
  }
  const {cluster: next, touched} = cloneForHosts(drawn.cluster, [hostName])
  const moved = touched[0].vms.find((candidate) => candidate.name === vm.name) as SimVm
  moved.vf = null
  moved.path = 'pv'
  const ms = next.physics.detachMs
  integrateHostsInPlace(next, touched, ms)
  countAction(next, 'vfSwitches', hostClockMs(next, touched[0].host))
  return {cluster: next, result: {ok: true, durationMs: ms}}
}

/**
 * The modelled cost of migrating `vm` once both hosts are free (at the later of their clocks):
 * stream rate, pre-copy time, downtime (`vms`: the two hosts' VMs, when known).
 */
export function migrationPlan(
  cluster: SimCluster,
  vm: SimVm,
  from: SimHost,
  to: SimHost,
  vms?: {from: readonly SimVm[]; to: readonly SimVm[]},
): {mbps: number; precopyMs: number; downtimeMs: number} {
  const physics = cluster.physics
  const tick = Math.floor(Math.max(hostClockMs(cluster, from), hostClockMs(cluster, to)) / 1000)
  const load = Math.min(1, offeredDemand(cluster.seed, vm, tick).cpuCores / Math.max(1, vm.vcpus))
  const dirty = physics.dirtyBase + physics.dirtyPerCpu * load
  const mbps = Math.min(migrationShareMbps(cluster, from, to, vms), portUsableMbps(cluster, from), portUsableMbps(cluster, to))
  const precopyMs = Math.max(1, Math.round(((vm.memoryMiB * MBIT_PER_MIB) / mbps) * (1 + dirty) * 1000))
  const dirtyRange = Math.max(1e-9, physics.dirtyPerCpu)
  const downtimeMs = Math.round(
    physics.downtimeMinMs + (physics.downtimeMaxMs - physics.downtimeMinMs) * Math.min(1, (dirty - physics.dirtyBase) / dirtyRange),
  )
  return {mbps, precopyMs, downtimeMs}
}

/**
 * Pre-copy live migration: source and target first reach the later of their two clocks (a host
 * busy with an earlier action finishes it), then the stream loads the source's tx and the target's
 * rx while the VM keeps running on the source, then a short stop-and-copy, then the VM runs on the
 * target (PV path). Both hosts end at one clock.
 */
export function migrate(cluster: SimCluster, vmName: string, fromName: string, toName: string): Transition {
  const verb = `migrate ${vmName} ${fromName} -> ${toName}`
  // A refusal takes its time on the source, the host the call goes to (none when it is unknown).
  const no = (error: string) => refuse(cluster, `${verb}: ${error}`, undefined, fromName)
  const vm = findVmNear(cluster, vmName, hostNamed(cluster, fromName)?.name)
  if (!vm) return no(`unknown VM ${vmName}`)
  const from = hostNamed(cluster, fromName)
  if (!from) return no(`unknown source host ${fromName}`)
  if (!from.reachable) return unreachable(cluster, from)
  if (vm.host !== from.name) return no(`${vm.name} runs on ${vm.host}, not on ${from.name}`)
  const to = hostNamed(cluster, toName)
  if (!to) return no(`unknown target host ${toName}`)
  if (to.name === from.name) return no('source and target are the same host')
  if (!to.reachable) return refuse(cluster, `${to.name}: unreachable (simulated outage)`, cluster.physics.unreachableTimeoutMs, from.name)
  if (vm.vf !== null) return no(`${vm.name} still holds VF ${vm.vf}; detach the VF first`)
  const free = freeMemoryMiB(cluster, to, vmsOfHost(cluster, to.name))
  if (free < vm.memoryMiB) return no(`${to.name} has ${free} MiB free, ${vm.name} needs ${vm.memoryMiB} MiB`)
  const {cluster: drawnCluster, fault} = drawFault(cluster, 'migrate')
  if (fault && fault.kind !== 'fail' && !(fault.kind === 'timeout' && fault.moved)) {
    return faulted(drawnCluster, fault, 'migrate', verb, vm.name, {source: from.name, target: to.name}, 0, '')
  }
  const {cluster: next, touched} = cloneForHosts(drawnCluster, [from.name, to.name])
  const [source, target] = touched
  syncHostsInPlace(next, touched)
  const moving = source.vms.find((candidate) => candidate.name === vm.name) as SimVm
  const {mbps, precopyMs, downtimeMs} = migrationPlan(next, moving, source.host, target.host, {from: source.vms, to: target.vms})
  const flows = [{from: from.name, to: to.name, mbps}]
  if (fault?.kind === 'fail') {
    // Aborted half-way through pre-copy: the stream loaded both ports, the VM never left the source.
    const ms = Math.max(1, Math.round(precopyMs / 2))
    integrateHostsInPlace(next, touched, ms, {flows})
    return {cluster: next, result: {ok: false, durationMs: ms, error: `${verb}: migration aborted: connection to ${to.name} reset during pre-copy (injected fault)`}}
  }
  integrateHostsInPlace(next, touched, precopyMs, {flows})
  integrateHostsInPlace(next, touched, downtimeMs, {flows, paused: new Set([vm.name]), pauseMs: downtimeMs})
  moving.host = to.name
  reindexMove(next, moving, from.name, to.name)
  countAction(next, 'migrations', hostClockMs(next, source.host))
  if (!fault) return {cluster: next, result: {ok: true, durationMs: precopyMs + downtimeMs}}
  // A timeout after which the VM had moved anyway: the migration completed, the reply was lost, and the
  // client gave up at its deadline (or at once, when the migration outlasted it).
  const deadlineMs = FAULT_TIMEOUT_S.migrate * 1000
  const waitMs = Math.max(0, deadlineMs - (precopyMs + downtimeMs))
  const placed = [source.host, target.host].map((host) => ({host, vms: vmsOfHost(next, host.name)}))
  integrateHostsInPlace(next, placed, waitMs)
  const seconds = Math.ceil((precopyMs + downtimeMs + waitMs) / 1000)
  return {cluster: next, result: {ok: false, durationMs: precopyMs + downtimeMs + waitMs, error: `${verb}: timed out after ${seconds} s (injected fault)`}}
}
