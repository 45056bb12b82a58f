// The evacuation of one host for maintenance (`sova drain HOST`): every VM on it goes to another
// host chosen by headroom, biggest VM first, each placement reserved before the next is chosen (the
// same ledger idea as sova-balance's target choice: load, memory and CPU as the plan leaves them).
// The operator's rules decide what may move and where it may arrive; a VM that may not move, or
// that no host can take, is a blocker named with its reason, and the caller refuses the whole
// drain rather than leave the host half empty. Pure and deterministic: the document in, the plan out.
import type {Host, PlannedMigration, SovaDocument, Vm} from '../document/schema.js'
import {byName} from './format-figure.js'
import {arrivalBlocker, migrationBlocker, vfRuleOf} from './rules.js'

/** What a target must stay within once the VM is added (the policy's own parameters for that host). */
export interface DrainLimits {
  /** The target's busier port direction, with the VM added, must stay below this share of line rate. */
  targetBelow: number
  /** The target's CPU use, with the VM added, must stay within this share of its CPUs. */
  cpuHeadroom: number
}

export interface DrainPlan {
  migrations: PlannedMigration[]
  /** Why the drain cannot be done, one line per VM that cannot leave: empty when it can. */
  blockers: string[]
}

const MBIT = 8 / 1e6

/** A possible target as the plan leaves it: measured load plus the VMs already placed on it. */
interface Ledger {
  host: Host
  rxMbps: number
  txMbps: number
  freeMemoryMiB: number
  cpuUsed: number
  /** Free VFs not yet promised to an earlier arrival of this plan, lowest address first. */
  freeVfs: string[]
  /** The VMs on it as the plan leaves it: anti-affinity is checked against these. */
  residents: Vm[]
  limits: DrainLimits
}

function ledgerOf(host: Host, limits: DrainLimits): Ledger {
  return {
    host,
    rxMbps: host.nic.rxBps * MBIT,
    txMbps: host.nic.txBps * MBIT,
    freeMemoryMiB: host.memoryMiB.free,
    cpuUsed: host.vms.reduce((sum, vm) => sum + vm.cpu.usedRatio, 0),
    freeVfs: [...host.vfs.free].sort(),
    residents: [...host.vms],
    limits,
  }
}

/** The port share of the target's busier direction with the VM added. */
const loadWith = (ledger: Ledger, vm: Vm) =>
  Math.max(ledger.rxMbps + vm.net.rxBps * MBIT, ledger.txMbps + vm.net.txBps * MBIT) / ledger.host.nic.speedMbps

/** Why `ledger` cannot take `vm`, briefly; undefined when it can. */
function refusal(vm: Vm, ledger: Ledger): string | undefined {
  const name = ledger.host.name
  const ruled = arrivalBlocker(vm, ledger.host, ledger.residents)
  if (ruled) return ruled
  if (ledger.freeMemoryMiB < vm.memoryMiB) return `${name} has ${Math.round(ledger.freeMemoryMiB)} MiB free, needs ${vm.memoryMiB}`
  const cpu = ledger.cpuUsed + vm.cpu.usedRatio
  if (cpu > ledger.limits.cpuHeadroom * ledger.host.cpus) return `${name}'s CPU would reach ${cpu.toFixed(1)} of ${ledger.host.cpus}`
  const load = loadWith(ledger, vm)
  if (load >= ledger.limits.targetBelow) return `${name}'s port would reach ${load.toFixed(2)} ≥ ${ledger.limits.targetBelow.toFixed(2)}`
  return undefined
}

/** Whether the VM should get a VF where it arrives: it had one, or its rule says always (never: not). */
function wantsVf(vm: Vm, source: Host): boolean {
  const rule = vfRuleOf(vm, source)
  return rule === 'always' || (rule === 'auto' && Boolean(vm.vf))
}

/** Biggest first (memory, then traffic), so the hardest to place choose while there is most room. */
function biggestFirst(a: Vm, b: Vm): number {
  const traffic = (vm: Vm) => Math.max(vm.net.rxBps, vm.net.txBps)
  return b.memoryMiB - a.memoryMiB || traffic(b) - traffic(a) || byName(a, b)
}

/** At most this many hosts' refusals are spelled out per blocked VM; the rest are counted. */
const REFUSALS_SHOWN = 4

/**
 * The moves that empty `hostName`, or the blockers that prevent it. Hosts in `doc.hosts` other than
 * the drained one are the candidates (a host that did not answer is not in the document and never
 * chosen). `limitsOf` gives each target's limits.
 */
export function planDrain(doc: SovaDocument, hostName: string, limitsOf: (host: string) => DrainLimits): DrainPlan {
  const source = doc.hosts.find((host) => host.name === hostName)
  if (!source) throw new Error(`planDrain: ${hostName} is not in the document`)
  const ledgers = [...doc.hosts].sort(byName).filter((host) => host !== source).map((host) => ledgerOf(host, limitsOf(host.name)))
  const migrations: PlannedMigration[] = []
  const blockers: string[] = []
  for (const vm of [...source.vms].sort(biggestFirst)) {
    const pinned = migrationBlocker(vm, source)
    if (pinned) {
      blockers.push(pinned.startsWith(`${vm.name} `) ? pinned : `${vm.name}: ${pinned}`)
      continue
    }
    const refusals: string[] = []
    const fits: Ledger[] = []
    for (const ledger of ledgers) {
      const why = refusal(vm, ledger)
      if (why) refusals.push(why)
      else fits.push(ledger)
    }
    if (fits.length === 0) {
      const shown = refusals.slice(0, REFUSALS_SHOWN).join('; ')
      const more = refusals.length > REFUSALS_SHOWN ? `; and ${refusals.length - REFUSALS_SHOWN} more hosts` : ''
      blockers.push(`${vm.name}: no host can take it (${refusals.length === 0 ? `${hostName} is the only host that answered` : shown + more})`)
      continue
    }
    const vf = wantsVf(vm, source)
    // A VM that wants a VF goes where one is free, if any host that fits has one; then most headroom.
    const withVf = vf ? fits.filter((ledger) => ledger.freeVfs.length > 0) : []
    const pool = withVf.length > 0 ? withVf : fits
    let target = pool[0]
    for (const ledger of pool) if (ledger.limits.targetBelow - loadWith(ledger, vm) > target.limits.targetBelow - loadWith(target, vm)) target = ledger
    const headroom = target.limits.targetBelow - loadWith(target, vm)
    const giveVfOnArrival = vf && target.freeVfs.length > 0
    // Reserved before the next VM chooses: its load, memory, CPU, the VF it is promised, its place.
    target.rxMbps += vm.net.rxBps * MBIT
    target.txMbps += vm.net.txBps * MBIT
    target.freeMemoryMiB -= vm.memoryMiB
    target.cpuUsed += vm.cpu.usedRatio
    if (giveVfOnArrival) target.freeVfs.shift()
    target.residents.push(vm)
    const vfNote = giveVfOnArrival ? ', a VF on arrival' : vf ? `, no VF free there: runs on its PV NIC` : ''
    migrations.push({
      vm: vm.name, from: hostName, to: target.host.name, migrationFactor: 0, giveVfOnArrival, copyMiB: vm.memoryMiB,
      ...(vm.uuid === undefined ? {} : {uuid: vm.uuid}),
      reason: `drain ${hostName}: to ${target.host.name}, the most headroom (port ${(target.limits.targetBelow - headroom).toFixed(2)} < ${target.limits.targetBelow.toFixed(2)} after the move)${vfNote}`,
    })
  }
  return {migrations, blockers}
}
