// Actions on the simulated cluster as pure transitions: each returns a new cluster whose time has
// moved on by the action's modelled duration (the cluster keeps running meanwhile) and the
// StepResult. A refused action leaves the cluster as it was, apart from the time the refusal took.
// A call that passes its checks may still meet an injected fault (faults.ts) when the cluster has any.
import type {StepResult} from '../types.js'
import {type SimCluster, type SimHost, type SimVm, cloneCluster, findHost, findVm, freeMemoryMiB, freeVfs} from './cluster.js'
import {offeredDemand} from './demand.js'
import {FAULT_TIMEOUT_S, type FaultDecision, type FaultOp, decideFault, hasFaults} from './faults.js'
import {integrateInPlace, migrationShareMbps, portUsableMbps, scoring} from './step.js'

/** A transition's outcome: the cluster afterwards and what happened. */
export interface Transition {
  cluster: SimCluster
  result: StepResult
}

const MBIT_PER_MIB = 8 * 1.048576

/** Counts an action that completed now on the scoreboard, unless it completed after the scoring window. */
function countAction(cluster: SimCluster, kind: 'vfSwitches' | 'migrations'): void {
  if (scoring(cluster) || cluster.timeMs === cluster.scoreUntilMs) cluster.metrics[kind] += 1
}

export function refuse(cluster: SimCluster, error: string, ms = cluster.physics.refusalMs): Transition {
  const next = cloneCluster(cluster)
  integrateInPlace(next, ms)
  return {cluster: next, result: {ok: false, durationMs: ms, error}}
}

function unreachable(cluster: SimCluster, host: SimHost): Transition {
  return refuse(cluster, `${host.name}: unreachable (simulated outage)`, cluster.physics.unreachableTimeoutMs)
}

/** The next fault draw of a cluster with faults: the decision and the cluster with its counter moved on. */
function drawFault(cluster: SimCluster, op: FaultOp): {cluster: SimCluster; fault?: FaultDecision} {
  if (!hasFaults(cluster.faults)) return {cluster}
  const {rates, draws} = cluster.faults
  return {cluster: {...cluster, faults: {rates, draws: draws + 1}}, fault: decideFault(cluster.seed, draws, op, rates)}
}

/** What a fault that is not a completed migration does: nothing happened, apart from an outage or a vanished VM. */
function faulted(cluster: SimCluster, fault: FaultDecision, op: FaultOp, verb: string, vmName: string, hosts: {source: string; target: string}, failMs: number, failure: string): Transition {
  switch (fault.kind) {
    case 'fail':
      return refuse(cluster, `${verb}: ${failure} (injected fault)`, failMs)
    case 'timeout':
      return refuse(cluster, `${verb}: timed out after ${FAULT_TIMEOUT_S[op]} s (injected fault)`, FAULT_TIMEOUT_S[op] * 1000)
    case 'outage': {
      const host = hosts[fault.host]
      const down = cloneCluster(cluster)
      ;(findHost(down, host) as SimHost).reachable = false
      return refuse(down, `${verb}: ${host}: unreachable (injected outage; sova sim outage ${host} --clear ends it)`, cluster.physics.unreachableTimeoutMs)
    }
    case 'vanish': {
      // The VM's VF goes back to the pool with it: free VFs are the pool minus what VMs hold.
      const gone = {...cluster, vms: cluster.vms.filter((vm) => vm.name !== vmName)}
      return refuse(gone, `${verb}: no such domain '${vmName}': it was destroyed during the call (injected fault)`)
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
 * Why an action addressed to domain `uuid` meant for `name` must not run: no such domain, or it
 * bears another name now (a plan made before a rename or a re-creation). Undefined when it may.
 */
export function identityRefusal(cluster: SimCluster, ref: {name: string; uuid: string}): string | undefined {
  const index = simIndexOf(ref.uuid)
  const vm = index === undefined ? undefined : cluster.vms.find((candidate) => candidate.index === index)
  if (!vm) return `refused: no domain with UUID ${ref.uuid} (meant: ${ref.name})`
  if (vm.name !== ref.name) return `refused: domain ${ref.uuid} is named ${vm.name}, not ${ref.name}`
  return undefined
}

type Checked = {host: SimHost; vm: SimVm} | {refusal: Transition}

/** The checks attach and detach share: known, reachable host; known VM placed on it. */
function checkHostVm(cluster: SimCluster, hostName: string, vmName: string, verb: string): Checked {
  const host = findHost(cluster, hostName)
  if (!host) return {refusal: refuse(cluster, `${verb}: unknown host ${hostName}`)}
  if (!host.reachable) return {refusal: unreachable(cluster, host)}
  const vm = findVm(cluster, vmName)
  if (!vm) return {refusal: refuse(cluster, `${verb}: unknown VM ${vmName}`)}
  if (vm.host !== host.name) return {refusal: refuse(cluster, `${verb}: ${vm.name} runs on ${vm.host}, not on ${host.name}`)}
  return {host, vm}
}

/** Hot-plugs `vf` into `vm` on `host`; the guest's bond fails over to it once it is up. */
export function attachVf(cluster: SimCluster, hostName: string, vmName: string, vf: string): Transition {
  const verb = `attach ${vf} to ${vmName} on ${hostName}`
  const checked = checkHostVm(cluster, hostName, vmName, verb)
  if ('refusal' in checked) return checked.refusal
  const {host, vm} = checked
  if (vm.vf !== null) return refuse(cluster, `${verb}: ${vm.name} already holds VF ${vm.vf}`)
  if (!host.vfPool.includes(vf)) return refuse(cluster, `${verb}: ${vf} is not a VF of ${host.name}'s port`)
  if (!freeVfs(cluster, host).includes(vf)) {
    const holder = cluster.vms.find((other) => other.host === host.name && other.vf === vf)
    return refuse(cluster, `${verb}: ${vf} is not free (held by ${holder?.name ?? 'another VM'})`)
  }
  const drawn = drawFault(cluster, 'attach')
  if (drawn.fault) {
    const where = {source: host.name, target: host.name}
    return faulted(drawn.cluster, drawn.fault, 'attach', verb, vm.name, where, cluster.physics.attachMs, `hot-plug of PCI device ${vf} failed: device or resource busy`)
  }
  const next = cloneCluster(drawn.cluster)
  const ms = next.physics.attachMs
  integrateInPlace(next, ms) // hot-plug in progress: the VM still runs on its PV NIC
  const moved = findVm(next, vm.name) as SimVm
  moved.vf = vf
  moved.path = 'vf'
  countAction(next, 'vfSwitches')
  return {cluster: next, result: {ok: true, durationMs: ms}}
}

/** Fails the VM's bond over to its PV NIC, then unplugs the VF (which becomes free). */
export function detachVf(cluster: SimCluster, hostName: string, vmName: string, vf: string): Transition {
  const verb = `detach ${vf} from ${vmName} on ${hostName}`
  const checked = checkHostVm(cluster, hostName, vmName, verb)
  if ('refusal' in checked) return checked.refusal
  const {vm} = checked
  if (vm.vf !== vf) return refuse(cluster, `${verb}: ${vm.name} does not hold ${vf} (it holds ${vm.vf ?? 'no VF'})`)
  const drawn = drawFault(cluster, 'detach')
  if (drawn.fault) {
    const where = {source: hostName, target: hostName}
    return faulted(drawn.cluster, drawn.fault, 'detach', verb, vm.name, where, cluster.physics.detachMs, `guest did not release PCI device ${vf}: device still in use`)
  }
  const next = cloneCluster(drawn.cluster)
  const moved = findVm(next, vm.name) as SimVm
  moved.vf = null
  moved.path = 'pv'
  const ms = next.physics.detachMs
  integrateInPlace(next, ms)
  countAction(next, 'vfSwitches')
  return {cluster: next, result: {ok: true, durationMs: ms}}
}

/** The modelled cost of migrating `vm` now: stream rate, pre-copy time, downtime. */
export function migrationPlan(cluster: SimCluster, vm: SimVm, from: SimHost, to: SimHost): {mbps: number; precopyMs: number; downtimeMs: number} {
  const physics = cluster.physics
  const tick = Math.floor(cluster.timeMs / 1000)
  const load = Math.min(1, offeredDemand(cluster.seed, vm, tick).cpuCores / Math.max(1, vm.vcpus))
  const dirty = physics.dirtyBase + physics.dirtyPerCpu * load
  const mbps = Math.min(migrationShareMbps(cluster, from, to), portUsableMbps(cluster, from), portUsableMbps(cluster, to))
  const precopyMs = Math.max(1, Math.round(((vm.memoryMiB * MBIT_PER_MIB) / mbps) * (1 + dirty) * 1000))
  const dirtyRange = Math.max(1e-9, physics.dirtyPerCpu)
  const downtimeMs = Math.round(
    physics.downtimeMinMs + (physics.downtimeMaxMs - physics.downtimeMinMs) * Math.min(1, (dirty - physics.dirtyBase) / dirtyRange),
  )
  return {mbps, precopyMs, downtimeMs}
}

/**
 * Pre-copy live migration: the stream loads the source's tx and the target's rx while the VM keeps
 * running on the source, then a short stop-and-copy, then the VM runs on the target (PV path).
 */
export function migrate(cluster: SimCluster, vmName: string, fromName: string, toName: string): Transition {
  const verb = `migrate ${vmName} ${fromName} -> ${toName}`
  const vm = findVm(cluster, vmName)
  if (!vm) return refuse(cluster, `${verb}: unknown VM ${vmName}`)
  const from = findHost(cluster, fromName)
  if (!from) return refuse(cluster, `${verb}: unknown source host ${fromName}`)
  if (!from.reachable) return unreachable(cluster, from)
  if (vm.host !== from.name) return refuse(cluster, `${verb}: ${vm.name} runs on ${vm.host}, not on ${from.name}`)
  const to = findHost(cluster, toName)
  if (!to) return refuse(cluster, `${verb}: unknown target host ${toName}`)
  if (to.name === from.name) return refuse(cluster, `${verb}: source and target are the same host`)
  if (!to.reachable) return unreachable(cluster, to)
  if (vm.vf !== null) return refuse(cluster, `${verb}: ${vm.name} still holds VF ${vm.vf}; detach the VF first`)
  const free = freeMemoryMiB(cluster, to)
  if (free < vm.memoryMiB) {
    return refuse(cluster, `${verb}: ${to.name} has ${free} MiB free, ${vm.name} needs ${vm.memoryMiB} MiB`)
  }
  const {mbps, precopyMs, downtimeMs} = migrationPlan(cluster, vm, from, to)
  const flows = [{from: from.name, to: to.name, mbps}]
  const {cluster: drawnCluster, fault} = drawFault(cluster, 'migrate')
  if (fault?.kind === 'fail') {
    // Aborted half-way through pre-copy: the stream loaded both ports, the VM never left the source.
    const next = cloneCluster(drawnCluster)
    const ms = Math.max(1, Math.round(precopyMs / 2))
    integrateInPlace(next, ms, {flows})
    return {cluster: next, result: {ok: false, durationMs: ms, error: `${verb}: migration aborted: connection to ${to.name} reset during pre-copy (injected fault)`}}
  }
  if (fault && !(fault.kind === 'timeout' && fault.moved)) {
    return faulted(drawnCluster, fault, 'migrate', verb, vm.name, {source: from.name, target: to.name}, 0, '')
  }
  const next = cloneCluster(drawnCluster)
  integrateInPlace(next, precopyMs, {flows})
  integrateInPlace(next, downtimeMs, {flows, paused: new Set([vm.name]), pauseMs: downtimeMs})
  const moved = findVm(next, vm.name) as SimVm
  moved.host = to.name
  countAction(next, 'migrations')
  if (!fault) return {cluster: next, result: {ok: true, durationMs: precopyMs + downtimeMs}}
  // A timeout after which the VM had moved anyway: the migration completed, the reply was lost, and the
  // client gave up at its deadline (or at once, when the migration outlasted it).
  const deadlineMs = FAULT_TIMEOUT_S.migrate * 1000
  const waitMs = Math.max(0, deadlineMs - (precopyMs + downtimeMs))
  integrateInPlace(next, waitMs)
  const seconds = Math.ceil((precopyMs + downtimeMs + waitMs) / 1000)
  return {cluster: next, result: {ok: false, durationMs: precopyMs + downtimeMs + waitMs, error: `${verb}: timed out after ${seconds} s (injected fault)`}}
}
