// Actions on the simulated cluster as pure transitions: each returns a new cluster whose time has
// moved on by the action's modelled duration (the cluster keeps running meanwhile) and the
// StepResult. A refused action leaves the cluster as it was, apart from the time the refusal took.
import type {StepResult} from '../types.js'
import {type SimCluster, type SimHost, type SimVm, findHost, findVm, freeMemoryMiB, freeVfs} from './cluster.js'
import {offeredDemand} from './demand.js'
import {integrateInPlace, migrationShareMbps, portUsableMbps} from './step.js'

/** A transition's outcome: the cluster afterwards and what happened. */
export interface Transition {
  cluster: SimCluster
  result: StepResult
}

const MBIT_PER_MIB = 8 * 1.048576

function refuse(cluster: SimCluster, error: string, ms = cluster.physics.refusalMs): Transition {
  const next = structuredClone(cluster)
  integrateInPlace(next, ms)
  return {cluster: next, result: {ok: false, durationMs: ms, error}}
}

function unreachable(cluster: SimCluster, host: SimHost): Transition {
  return refuse(cluster, `${host.name}: unreachable (simulated outage)`, cluster.physics.unreachableTimeoutMs)
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
  const next = structuredClone(cluster)
  const ms = next.physics.attachMs
  integrateInPlace(next, ms) // hot-plug in progress: the VM still runs on its PV NIC
  const moved = findVm(next, vm.name) as SimVm
  moved.vf = vf
  moved.path = 'vf'
  next.metrics.vfSwitches += 1
  return {cluster: next, result: {ok: true, durationMs: ms}}
}

/** Fails the VM's bond over to its PV NIC, then unplugs the VF (which becomes free). */
export function detachVf(cluster: SimCluster, hostName: string, vmName: string, vf: string): Transition {
  const verb = `detach ${vf} from ${vmName} on ${hostName}`
  const checked = checkHostVm(cluster, hostName, vmName, verb)
  if ('refusal' in checked) return checked.refusal
  const {vm} = checked
  if (vm.vf !== vf) return refuse(cluster, `${verb}: ${vm.name} does not hold ${vf} (it holds ${vm.vf ?? 'no VF'})`)
  const next = structuredClone(cluster)
  const moved = findVm(next, vm.name) as SimVm
  moved.vf = null
  moved.path = 'pv'
  const ms = next.physics.detachMs
  integrateInPlace(next, ms)
  next.metrics.vfSwitches += 1
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
  const next = structuredClone(cluster)
  const flows = [{from: from.name, to: to.name, mbps}]
  integrateInPlace(next, precopyMs, {flows})
  integrateInPlace(next, downtimeMs, {flows, paused: new Set([vm.name]), pauseMs: downtimeMs})
  const moved = findVm(next, vm.name) as SimVm
  moved.host = to.name
  next.metrics.migrations += 1
  return {cluster: next, result: {ok: true, durationMs: precopyMs + downtimeMs}}
}
