// The sova policy's cluster level: migrate only when a port itself is predicted hot (its busier
// direction), pick the victim by the load its move takes off that direction against the memory it
// must copy, and the target by the headroom left after the move, reserving that headroom within
// the cycle so two hot hosts never pile onto one target. A target must not be predicted hot, must
// stay below `targetBelow` with the VM added, and have the memory, CPU and (if the VM needs one) a
// free VF. Cooldowns with backoff, per-cycle and per-host caps. Every rejected alternative is
// said. The operator's rules (rules.ts) hold throughout: a pinned or excluded VM is no victim, an
// excluded host neither sheds nor receives, a target in maintenance or holding a VM of the same
// anti-affinity group is refused, each refusal naming the rule. Pure: the document in, the plan out.
import type {Host, HostScore, PlannedMigration, Scores, SovaDocument, Vm, VmScore} from '../document/schema.js'
import {byName, capRejected, formatFigure, formatMbps as mbps} from './format-figure.js'
import type {HostParams, HostParamsOf} from './host-params.js'
import type {HotspotParams} from './hotspot.js'
import {LEVEL_SECONDS, secondsSince} from './memory.js'
import {expectedRemainingSeconds} from './episodes.js'
import {scoredPvCapMbps} from './path-capacity.js'
import {abovePvMbps} from './sova-score.js'
import {peakUtilisation, pvTrafficMbps} from '../loop/collect.js'
import type {SovaParams} from './sova-params.js'
import {ownValue} from '../named.js'
import {Residents, vfOnArrival} from './rule-checks.js'
import {arrivalBlocker, hostExcluded, migrationBlocker, vfRuleOf} from './rules.js'

export interface SovaMigrationPlan {
  migrations: PlannedMigration[]
  rejected: string[]
  noop?: string
}

type Direction = 'rx' | 'tx'

const MBIT = 8 / 1e6
const MBIT_PER_MIB = 8 * 1.048576

const rate = (vm: Vm, direction: Direction) => (direction === 'rx' ? vm.net.rxBps : vm.net.txBps) * MBIT
/** A VM's busier direction, Mbit/s. */
const busierMbps = (vm: Vm) => Math.max(rate(vm, 'rx'), rate(vm, 'tx'))
const share = (value: number) => value.toFixed(2)

/** A host as this cycle's plan leaves it: measured load plus what planned moves add or take away. */
interface Ledger {
  host: Host
  capacityMbps: number
  /** Expected load per direction: the larger of now and the forecast, then this cycle's moves. */
  rxMbps: number
  txMbps: number
  freeMemoryMiB: number
  cpuUsed: number
  /** Free VFs plus VFs held by VMs they are worth less than the swap margin to (switch-vf reclaims those). */
  availableVfs: number
  /** VFs free now and not yet promised to an arrival of this cycle: what the executor gives on arrival. */
  freeVfs: number
  hot: boolean
  out: number
  in: number
  /** This host's own parameters (its configuration overrides over the cluster's). */
  params: SovaParams
  hotThreshold: number
  /** The PV path's cap on this host as scoring took it (given, estimated or the prior). */
  pvCapMbps: number
  /** Its PV backend's capacity as scoring took it, and the PV traffic it carries now (rx + tx, Mbit/s). */
  backendMbps: number
  pvTrafficMbps: number
  /** Given when its port is not hot but its PV backend is busy (sova-score). */
  backendBusy?: HostScore['backendBusy']
}

function ledgerOf(host: Host, score: HostScore | undefined, vmScores: Scores['vms'], own: HostParams): Ledger {
  const params = own.sova
  const capacityMbps = host.nic.speedMbps
  const rxMbps = host.nic.rxBps * MBIT
  const txMbps = host.nic.txBps * MBIT
  // The forecast is of the busier direction; scaling both directions by it keeps their ratio.
  const peakNow = Math.max(rxMbps, txMbps) / capacityMbps
  const forecast = score?.forecast ?? null
  const grow = forecast !== null && peakNow > 0 && forecast > peakNow ? forecast / peakNow : 1
  return {
    host,
    capacityMbps,
    rxMbps: rxMbps * grow,
    txMbps: txMbps * grow,
    freeMemoryMiB: host.memoryMiB.free,
    cpuUsed: host.vms.reduce((sum, vm) => sum + vm.cpu.usedRatio, 0),
    freeVfs: host.vfs.free.length,
    availableVfs: host.vfs.free.length + host.vms.filter((vm) => vm.vf && reclaimable(vm, host, vmScores, params)).length,
    hot: score?.hot === true,
    out: 0,
    in: 0,
    params,
    hotThreshold: own.hotspot.threshold,
    pvCapMbps: scoredPvCapMbps(score, params, capacityMbps),
    backendMbps: score?.capacity?.backendMbps ?? Number.POSITIVE_INFINITY,
    pvTrafficMbps: pvTrafficMbps(host),
    ...(score?.backendBusy ? {backendBusy: score.backendBusy} : {}),
  }
}

/** A VF the VF plan would take back: from a `vf: never` VM, or an `auto` one it is worth too little to (never from `always` or a frozen VM). */
function reclaimable(vm: Vm, host: Host, vmScores: Scores['vms'], params: SovaParams): boolean {
  const rule = vfRuleOf(vm, host)
  if (rule === 'never') return true
  return rule === 'auto' && (ownValue(vmScores, vm.name)?.vfValueMbps ?? Number.POSITIVE_INFINITY) < params.vfSwapMarginMbps
}

const load = (ledger: Ledger, direction: Direction) => (direction === 'rx' ? ledger.rxMbps : ledger.txMbps)
/** A host's hot direction: its busier one. */
const busierDirection = (ledger: Ledger): Direction => (ledger.txMbps >= ledger.rxMbps ? 'tx' : 'rx')

/**
 * Seconds left of the VM's cooldown (0 when it may move): cooldown × backoff^(recent moves + recent
 * failed actions − 1), from the later of its last move and its last failed action. A failed
 * migration is not retried at once: each retry unplugs and replugs the guest's VF.
 */
export function cooldownLeft(score: VmScore | undefined, at: string, params: SovaParams): number {
  const memory = score?.memory
  const attempts = (memory?.recentMoves ?? 0) + (memory?.recentFailures ?? 0)
  if (!memory || attempts === 0) return 0
  const since = Math.min(secondsSince(memory.lastMoveAt, at), secondsSince(memory.lastFailureAt, at))
  if (!Number.isFinite(since)) return 0
  const cooldown = params.cooldownSeconds * params.cooldownBackoff ** (attempts - 1)
  return Math.max(0, cooldown - since)
}

/**
 * Whether a VM's known or estimated demand is above the PV path (its host's, as scored: the PV
 * path is taken to be one cluster-wide, path-capacity.ts): it needs a VF to keep its throughput.
 */
function needsVf(vm: Vm, score: VmScore | undefined, source: Ledger): boolean {
  const demand = score?.demandMbps ?? Math.max(vm.net.rxBps, vm.net.txBps) * MBIT
  return demand > source.params.saturatedShare * source.pvCapMbps
}

interface TargetChoice {
  target?: Ledger
  headroom?: number
  /** Why the other hosts were not taken, one phrase per reason with how many hosts and an example. */
  rejected: string[]
}

type Refusal = 'excluded' | 'maintenance' | 'anti-affinity' | 'hot' | 'backend' | 'full' | 'busy' | 'memory' | 'cpu' | 'vf'

/**
 * The target with the most port headroom left that takes `vm`. `backendRoomMbps`, for a move off a
 * busy backend: the PV traffic the VM brings, which the target's backend must carry below
 * targetBelow of its capacity.
 */
function chooseTarget(vm: Vm, source: Ledger, ledgers: Ledger[], wantsVf: boolean, residents: Residents, backendRoomMbps?: number): TargetChoice {
  // Counted per reason with the first example: at 10,000 hosts one phrase per host would be a book.
  const refused = new Map<Refusal, {count: number; example: string}>()
  const refuse = (why: Refusal, example: () => string) => {
    const seen = refused.get(why)
    if (seen) seen.count++
    else refused.set(why, {count: 1, example: example()})
  }
  let best: {target: Ledger; headroom: number} | undefined
  for (const ledger of ledgers) {
    if (ledger === source) continue
    const name = ledger.host.name
    const params = ledger.params
    const ruled = arrivalBlocker(vm, ledger.host, residents.of(name))
    if (ruled) {
      refuse(ledger.host.rules?.exclude ? 'excluded' : ledger.host.rules?.maintenance ? 'maintenance' : 'anti-affinity', () => ruled)
      continue
    }
    if (ledger.hot) {
      refuse('hot', () => `${name} is predicted hot itself`)
      continue
    }
    if (ledger.backendBusy) {
      refuse('backend', () => `${name}'s PV backend is busy itself`)
      continue
    }
    if (backendRoomMbps !== undefined && ledger.pvTrafficMbps + backendRoomMbps >= params.targetBelow * ledger.backendMbps) {
      refuse('backend', () => `${name}'s PV backend would carry ${mbps(ledger.pvTrafficMbps + backendRoomMbps)} with ${vm.name}, not below ${share(params.targetBelow)} of its ${mbps(ledger.backendMbps)}`)
      continue
    }
    if (ledger.in >= params.maxMigrationsPerHost) {
      refuse('full', () => `${name} already receives ${ledger.in} VM(s) this cycle`)
      continue
    }
    const after = Math.max(ledger.rxMbps + rate(vm, 'rx'), ledger.txMbps + rate(vm, 'tx')) / ledger.capacityMbps
    if (after >= params.targetBelow) {
      refuse('busy', () => `${name} would reach ${formatFigure(after, params.targetBelow)} ≥ ${share(params.targetBelow)} with ${vm.name}`)
      continue
    }
    if (ledger.freeMemoryMiB < vm.memoryMiB) {
      refuse('memory', () => `${name} has ${Math.round(ledger.freeMemoryMiB)} MiB free, ${vm.name} needs ${vm.memoryMiB}`)
      continue
    }
    const cpuAfter = ledger.cpuUsed + vm.cpu.usedRatio
    if (cpuAfter > params.cpuHeadroom * ledger.host.cpus) {
      refuse('cpu', () => `${name}'s CPU would reach ${cpuAfter.toFixed(1)} of ${ledger.host.cpus} (limit ${share(params.cpuHeadroom)})`)
      continue
    }
    // A `vf: always` VM moves only where a VF is free: the VF plan takes none back for it.
    if (vm.rules?.vf === 'always' && ledger.freeVfs <= 0) {
      refuse('vf', () => `${name} has no free VF and ${vm.name} has vf: always${vm.rules?.by.vf ? ` (${vm.rules.by.vf})` : ''}`)
      continue
    }
    if (wantsVf && ledger.availableVfs <= 0) {
      refuse('vf', () => `${name} has no VF to spare and ${vm.name}'s demand is above the PV path`)
      continue
    }
    const headroom = params.targetBelow - after
    if (!best || headroom > best.headroom) best = {target: ledger, headroom}
  }
  const rejected = [...refused.values()].map(({count, example}) => (count > 1 ? `${example} (and ${count - 1} more hosts alike)` : example))
  return {...best, rejected}
}

/**
 * Plans sova's migrations. `doc.scores` must be sova's (busier-direction hotspots, VF values,
 * memory). Hot hosts are handled most urgent first (highest forecast).
 */
export function planSovaMigrations(
  doc: SovaDocument,
  hotspot: HotspotParams,
  params: SovaParams,
  of: HostParamsOf = () => ({hotspot, sova: params, balance: {targetBelow: params.targetBelow}}),
): SovaMigrationPlan {
  const scores = doc.scores
  if (!scores) throw new Error('balance needs scores: run sova score first')
  const ledgers = [...doc.hosts].sort(byName).map((host) => ledgerOf(host, ownValue(scores.hosts, host.name), scores.vms, of(host.name)))
  const rejected: string[] = []
  const migrations: PlannedMigration[] = []
  const residents = new Residents(doc.hosts)
  const blocked: string[] = []

  // Coordination: a host whose rx + tx looks busy but whose busier direction has room is not
  // port-bound; the host level (VF reallocation) relieves it without moving anything.
  for (const ledger of ledgers) {
    const score = ownValue(scores.hosts, ledger.host.name)
    if (!ledger.hot && score && ledger.host.nic.utilisation >= ledger.hotThreshold && score.utilisation < ledger.hotThreshold) {
      rejected.push(
        `${ledger.host.name}: rx + tx at ${share(ledger.host.nic.utilisation)} of line rate, but the busier direction is at ` +
          `${share(score.utilisation)}: the port is not the bottleneck, so no migration (VF reallocation relieves it locally)`,
      )
    }
  }

  const hot = ledgers
    .filter((ledger) => ledger.hot)
    .sort((a, b) => (ownValue(scores.hosts, b.host.name)?.forecast ?? 0) - (ownValue(scores.hosts, a.host.name)?.forecast ?? 0) || byName(a.host, b.host))
  // Busiest backend first (PV traffic against capacity).
  const busyBackends = ledgers
    .filter((ledger) => ledger.backendBusy)
    .sort((a, b) => b.pvTrafficMbps / b.backendMbps - a.pvTrafficMbps / a.backendMbps || byName(a.host, b.host))
  if (hot.length === 0 && busyBackends.length === 0) return finish(migrations, rejected, 'no host predicted hot (busier port direction) and no PV backend busy')

  for (const source of hot) {
    const name = source.host.name
    const own = source.params
    const limit = share(source.hotThreshold)
    const excluded = hostExcluded(source.host)
    if (excluded) {
      blocked.push(`${name}: hotspot blocked: ${excluded}`)
      rejected.push(blocked[blocked.length - 1])
      continue
    }
    const hostScore = ownValue(scores.hosts, name)
    const settling = own.hostSettleSeconds - secondsSince(hostScore?.lastShedAt, doc.at)
    if (settling > 0) {
      rejected.push(`${name}: predicted hot, but it shed a VM ${Math.round(own.hostSettleSeconds - settling)} s ago; waits ${Math.ceil(settling)} s for the samples to show the effect`)
      continue
    }
    // A move relieves only from when it completes, and only while the spell lasts. How long the
    // cluster's VMs' bursts lasted is what a burst of a VM never seen to end one is expected to last.
    const clusterBurstSeconds = hostScore?.clusterBurstSeconds
    const bursts = burstSpellSeconds(source, scores.vms, busierDirection(source), source.hotThreshold * source.capacityMbps, clusterBurstSeconds)
    const lasting = spellLasting(hotSpellOf(hostScore), own.watchBeforeMoveSeconds, bursts)
    if (!lasting) {
      rejected.push(
        `${name}: predicted hot, but its spell began ${Math.round(hostScore?.hotForSeconds ?? 0)} s ago and the loop has watched it for ${Math.round(hostScore?.watchedSeconds ?? 0)} s, ` +
          `less than the ${own.watchBeforeMoveSeconds} s it watches a host before moving off it (--watch-before-move): too early to tell a burst from a lasting spell`,
      )
      continue
    }
    while (source.out < own.maxMigrationsPerHost) {
      if (migrations.length >= params.maxMigrationsPerCycle) {
        rejected.push(`${name}: predicted hot, but the cycle's limit of ${params.maxMigrationsPerCycle} migration(s) is reached`)
        break
      }
      const direction = busierDirection(source)
      const goal = source.hotThreshold * source.capacityMbps
      const needed = load(source, direction) - goal
      if (needed <= 0) {
        if (source.out === 0) rejected.push(`${name}: predicted hot, but planned moves already bring its ${direction} below ${limit}`)
        break
      }
      const planned = planOne(doc, source, ledgers, direction, needed, residents, lasting, clusterBurstSeconds)
      rejected.push(...planned.rejected)
      if (planned.blocked) blocked.push(planned.blocked)
      if (!planned.migration) break
      migrations.push(planned.migration)
    }
  }
  // Port hotspots first: a busy backend holds back PV VMs only, a hot port every VM of the host.
  for (const source of busyBackends) {
    if (migrations.length >= params.maxMigrationsPerCycle) {
      rejected.push(`${source.host.name}: its PV backend is busy, but the cycle's limit of ${params.maxMigrationsPerCycle} migration(s) is reached`)
      break
    }
    const planned = planBackendRelief(doc, source, ledgers, residents)
    rejected.push(...planned.rejected)
    if (planned.blocked) blocked.push(planned.blocked)
    if (planned.migration) migrations.push(planned.migration)
  }
  return finish(migrations, rejected, undefined, blocked)
}

/**
 * A host whose port is not hot but whose PV backend is busy: its PV VMs are held back by the
 * backend's CPU, not by the port. The VF plan relieves it first (a VF takes a VM's traffic off the
 * backend); once no VF is left to hand out there, moving a PV VM to a host whose backend has room
 * does: the VM gets its demand there, the VMs left behind the backend time it used. One move per
 * cycle and host, the cheapest copy that brings the backend below its busy share, else the most
 * relief; the next cycle sees its effect.
 */
function planBackendRelief(doc: SovaDocument, source: Ledger, ledgers: Ledger[], residents: Residents): {rejected: string[]; migration?: PlannedMigration; blocked?: string} {
  const params = source.params
  const scores = doc.scores as NonNullable<SovaDocument['scores']>
  const name = source.host.name
  const busy = source.backendBusy as NonNullable<HostScore['backendBusy']>
  const load = `${mbps(source.pvTrafficMbps)} of PV traffic, capacity ${mbps(source.backendMbps)}`
  const excluded = hostExcluded(source.host)
  if (excluded) {
    const blocked = `${name}: busy PV backend blocked: ${excluded}`
    return {rejected: [blocked], blocked}
  }
  if (source.availableVfs > 0) {
    return {rejected: [`${name}: its PV backend is busy (${load}), but ${source.availableVfs} VF(s) there can still take PV traffic off it: the VF plan relieves it without a move`]}
  }
  const settling = params.hostSettleSeconds - secondsSince(ownValue(scores.hosts, name)?.lastShedAt, doc.at)
  if (settling > 0) return {rejected: [`${name}: its PV backend is busy, but it shed a VM ${Math.round(params.hostSettleSeconds - settling)} s ago; waits ${Math.ceil(settling)} s for the samples to show the effect`]}
  const lasting = spellLasting(busy, params.watchBeforeMoveSeconds)
  if (!lasting) {
    return {rejected: [
      `${name}: its PV backend has been busy (${load}) for ${Math.round(busy.forSeconds)} s and the loop has watched it for ${Math.round(busy.watchedSeconds ?? 0)} s, ` +
        `less than the ${params.watchBeforeMoveSeconds} s it watches a host before moving off it (--watch-before-move)`,
    ]}
  }
  const needed = source.pvTrafficMbps - params.saturatedShare * source.backendMbps
  if (needed <= 0) return {rejected: [`${name}: its PV backend is busy by its CPU, but its PV traffic (${load}) is below ${share(params.saturatedShare)} of the capacity: no move would tell`]}
  const rejected: string[] = []
  const held: string[] = []
  const streamMbps = copyRateMbps(source)
  const candidates: {vm: Vm; score: VmScore | undefined; relief: number; copyMiB: number}[] = []
  for (const vm of [...residents.of(name)].sort(byName)) {
    if (vm.path !== 'pv') continue // a VM on its VF puts no load on the backend
    const pvMbps = rate(vm, 'rx') + rate(vm, 'tx')
    const blocker = migrationBlocker(vm, source.host)
    if (blocker) {
      if (pvMbps > 0) held.push(blocker)
      continue
    }
    const score = ownValue(scores.vms, vm.name)
    if (cooldownLeft(score, doc.at, params) > 0) continue
    // Only the traffic that lasts counts (memory's sustained rate against its busier rate now).
    const busier = busierMbps(vm)
    const sustained = score?.memory?.sustainedMbps
    const relief = busier <= 0 || sustained === undefined ? pvMbps : pvMbps * Math.min(1, sustained / busier)
    if (relief <= 0) continue
    const copyMiB = copyMiBOf(vm)
    const copySeconds = (copyMiB * MBIT_PER_MIB) / streamMbps
    // The port is not hot: the copy displaces only what its tx cannot fit beside the stream.
    const displacedMbit = Math.max(0, source.txMbps + streamMbps - source.capacityMbps) * copySeconds
    const reliefSeconds = Math.min(params.horizonSeconds, Math.max(0, lasting.seconds - copySeconds))
    if (Math.min(relief, needed) * reliefSeconds <= displacedMbit) continue
    candidates.push({vm, score, relief, copyMiB})
  }
  candidates.sort(cheapestEnough(needed, (candidate) => candidate.copyMiB))
  for (const {vm, score, relief, copyMiB} of candidates) {
    const choice = chooseTarget(vm, source, ledgers, false, residents, rate(vm, 'rx') + rate(vm, 'tx'))
    if (!choice.target || choice.headroom === undefined) {
      rejected.push(`${name}: ${vm.name} (${mbps(relief)} of PV traffic) has no target with room on its PV backend: ${choice.rejected.join('; ') || 'no other host'}`)
      continue
    }
    const target = choice.target
    const wantsVf = vm.rules?.vf !== 'never' && needsVf(vm, score, source)
    const giveVf = vfOnArrival(vm, target.host, target.freeVfs, wantsVf && target.freeVfs > 0)
    const booked = book(source, target, vm, giveVf, residents, relief, copyMiB)
    return {
      rejected,
      migration: {
        ...booked,
        reason:
          `${name}'s PV backend is busy (${load}; its port's busier direction at ${share(peakUtilisation(source.host))}) for ${Math.round(busy.forSeconds)} s and no VF is left there to take traffic off it; ` +
          `${vm.name} takes ${mbps(relief)} of PV traffic off it, ${enoughSaid(relief, needed)}, copying ~${Math.round(copyMiB)} MiB; ` +
          `${target.host.name} keeps the most port headroom (${share(choice.headroom)} below ${share(target.params.targetBelow)} after the move) and has room on its backend` +
          (giveVf ? ', and a free VF for it' : '') + othersSaid(choice),
      } satisfies PlannedMigration,
    }
  }
  if (candidates.length === 0 && held.length > 0) {
    const blocked = `${name}: busy PV backend blocked: no PV VM that may move relieves it (${held.join('; ')})`
    return {rejected: [...rejected, blocked], blocked}
  }
  if (candidates.length === 0) rejected.push(`${name}: its PV backend is busy (${load}), but no PV VM may move or pays back its copy`)
  return {rejected}
}

/**
 * A VM's burst under way, and how long it is expected to last: as its own earlier bursts did, else
 * as the cluster's VMs' bursts did (`clusterBurstSeconds`), and in any case no longer than what is
 * left of LEVEL_SECONDS from its start; undefined when it is not bursting or no burst was yet seen
 * to end.
 */
function burstOf(score: VmScore | undefined, clusterBurstSeconds: number | undefined): {remainingSeconds: number; floorMbps: number} | undefined {
  const memory = score?.memory
  const typicalSeconds = memory?.burstEpisodeSeconds ?? clusterBurstSeconds
  if (memory?.burstForSeconds === undefined || typicalSeconds === undefined || memory.floorMbps === undefined) return undefined
  // A burst falls back within LEVEL_SECONDS or becomes a level (memory.ts): one that has outlived
  // earlier bursts is not expected to last as long again as it has, only to the end of that time.
  const ageSeconds = memory.burstForSeconds
  const remainingSeconds = Math.min(expectedRemainingSeconds({ageSeconds, typicalSeconds}, Number.POSITIVE_INFINITY), Math.max(0, LEVEL_SECONDS - ageSeconds))
  return {remainingSeconds, floorMbps: memory.floorMbps}
}

/**
 * How long a spell made of bursts is expected to last (s): when `direction` of the port would be
 * below `goal` without the part above their floor of its VMs' bursts under way (those whose length
 * can be told), the spell ends as soon as enough of them have ended to bring it there, soonest
 * first (not with the last of them: the port cools once the bursts left fit under the goal).
 * Undefined otherwise: load that is no burst, or a burst of a kind never seen to end, gives
 * nothing to go by.
 */
function burstSpellSeconds(source: Ledger, vmScores: Scores['vms'], direction: Direction, goal: number, clusterBurstSeconds: number | undefined): number | undefined {
  const bursts: {aboveFloorMbps: number; remainingSeconds: number}[] = []
  for (const vm of source.host.vms) {
    const burst = burstOf(ownValue(vmScores, vm.name), clusterBurstSeconds)
    const busier = busierMbps(vm)
    if (!burst || busier <= 0) continue
    const aboveFloorMbps = rate(vm, direction) * Math.max(0, 1 - burst.floorMbps / busier)
    if (aboveFloorMbps > 0) bursts.push({aboveFloorMbps, remainingSeconds: burst.remainingSeconds})
  }
  let loadLeft = load(source, direction)
  for (const burst of bursts.sort((a, b) => a.remainingSeconds - b.remainingSeconds)) {
    loadLeft -= burst.aboveFloorMbps
    if (loadLeft < goal) return burst.remainingSeconds
  }
  return undefined
}

/** How long a hot host's spell is expected to last (s), and on what evidence (for the reasons given). */
interface Lasting {
  seconds: number
  basis: string
}

/** A spell of a hot port or a busy backend: its age, its earlier spells' median length, how long the loop watched (sova-score). */
type Spell = NonNullable<HostScore['backendBusy']>

/**
 * How long a spell is expected to last (episodes.ts): as its earlier spells did; if it is made of
 * bursts expected to end within `burstsSeconds`, no longer; with neither yet seen to end, for the
 * horizon. Undefined at a cold start: the spell began while the loop watched, and the loop has
 * watched the host for less than watchBeforeMoveSeconds, too little to tell a burst from a lasting
 * change. (`watchedSeconds` is given only once a sample showed the condition absent: a host in a
 * spell since its first sample was in it before anyone watched, and is not held back.)
 */
function spellLasting(spell: Spell, watchBeforeMoveSeconds: number, burstsSeconds?: number): Lasting | undefined {
  const typical = spell.spellSeconds === undefined ? undefined : expectedRemainingSeconds({ageSeconds: spell.forSeconds, typicalSeconds: spell.spellSeconds}, Number.POSITIVE_INFINITY)
  if (burstsSeconds !== undefined && (typical === undefined || burstsSeconds < typical)) return {seconds: burstsSeconds, basis: "as its VMs' bursts are expected to"}
  if (typical !== undefined) return {seconds: typical, basis: 'as its earlier spells did'}
  if ((spell.watchedSeconds ?? Number.POSITIVE_INFINITY) < watchBeforeMoveSeconds) return undefined
  return {seconds: Number.POSITIVE_INFINITY, basis: 'no spell or burst seen to end'}
}

/** A hot port's spell, as its score gives it. */
function hotSpellOf(hostScore: HostScore | undefined): Spell {
  return {
    forSeconds: hostScore?.hotForSeconds ?? 0,
    ...(hostScore?.hotSpellSeconds === undefined ? {} : {spellSeconds: hostScore.hotSpellSeconds}),
    ...(hostScore?.watchedSeconds === undefined ? {} : {watchedSeconds: hostScore.watchedSeconds}),
  }
}

interface Candidate {
  vm: Vm
  score: VmScore | undefined
  relief: number
  /** Its rate in the hot direction now: relief is the part of it that lasts. */
  now: number
  copyMiB: number
  /** Mbit the move costs: what its copy displaces on the hot direction, plus what the VM loses on PV while it copies. */
  costMbit: number
}

/**
 * What a VM on a VF loses each second it runs on its PV path instead (while its memory copies: the
 * VF is detached first), Mbit/s: its own demand above the PV path, its latency term, and what its
 * PV traffic pushes the source's backend beyond its capacity (the other PV VMs lose that).
 */
function withoutVfLossMbps(vm: Vm, score: VmScore | undefined, source: Ledger): number {
  const params = source.params
  const busier = score?.rateMbps ?? busierMbps(vm)
  const demand = score?.demandMbps ?? busier
  const above = abovePvMbps(demand, source.capacityMbps, source.pvCapMbps)
  const onPv = Math.min(rate(vm, 'rx'), source.pvCapMbps) + Math.min(rate(vm, 'tx'), source.pvCapMbps)
  const overflow = Math.max(0, source.pvTrafficMbps + onPv - Math.max(source.pvTrafficMbps, source.backendMbps))
  return above + params.latencyWeight * busier + overflow
}

/** MiB a live migration of `vm` copies: pre-copy resends dirty pages, more for a busier VM (ALGORITHM.md §4). */
function copyMiBOf(vm: Vm): number {
  return vm.memoryMiB * (1.1 + 0.4 * Math.min(1, vm.cpu.usedRatio / Math.max(1, vm.vcpus)))
}

/**
 * What a migration stream leaving `source` can expect, Mbit/s: what its tx has spare, and never
 * less than a max-min fair share of the port among the VMs that send and the stream (a stream
 * competing with greedy flows gets at least that much).
 */
function copyRateMbps(source: Ledger): number {
  const senders = source.host.vms.reduce((count, vm) => (vm.net.txBps > 0 ? count + 1 : count), 0)
  return Math.max(source.capacityMbps - source.txMbps, source.capacityMbps / (senders + 1))
}

/**
 * The best move off `source`, if any pays: its relief counts from when its copy is done, for the
 * horizon, or for what is left then of the time the hot spell is expected to last (`lasting`).
 */
function planOne(doc: SovaDocument, source: Ledger, ledgers: Ledger[], direction: Direction, needed: number, residents: Residents, lasting: Lasting, clusterBurstSeconds: number | undefined) {
  const params = source.params
  const scores = doc.scores as NonNullable<SovaDocument['scores']>
  const name = source.host.name
  const rejected: string[] = []
  const candidates: Candidate[] = []
  let cooling = 0
  // VMs whose move would relieve the port, but not for long enough to pay back their copy.
  let unpaid = 0
  // The rules that hold back a VM carrying load in the hot direction: named if nothing else can go.
  const held: string[] = []
  const streamMbps = copyRateMbps(source)
  for (const vm of [...residents.of(name)].sort(byName)) {
    const blocker = migrationBlocker(vm, source.host)
    if (blocker) {
      if (rate(vm, direction) > 0) {
        held.push(blocker)
        rejected.push(`${name}: ${vm.name} stays: ${blocker}`)
      }
      continue
    }
    const score = ownValue(scores.vms, vm.name)
    const wait = cooldownLeft(score, doc.at, params)
    if (wait > 0) {
      cooling++
      const failures = score?.memory?.recentFailures ? `, ${score.memory.recentFailures} failed action(s), the last at ${score.memory.lastFailureAt}` : ''
      rejected.push(`${name}: ${vm.name} stays: cooling down for ${Math.ceil(wait)} s more (${score?.memory?.recentMoves} recent move(s)${failures})`)
      continue
    }
    const copyMiB = copyMiBOf(vm)
    // Leaving through the hot port's tx, the copy adds to the very direction that is hot.
    const extraMbit = direction === 'tx' ? copyMiB * MBIT_PER_MIB : 0
    // The relief only starts once the copy is done, and the copy leaves through the source's tx.
    const copySeconds = (copyMiB * MBIT_PER_MIB) / streamMbps
    // Only the load that lasts counts: a burst that ends on its own is no reason to move; one
    // expected to end before the copy does leaves only the VM's floor to relieve.
    const now = rate(vm, direction)
    const busier = busierMbps(vm)
    const sustained = score?.memory?.sustainedMbps
    const burst = burstOf(score, clusterBurstSeconds)
    const lastingMbps = Math.min(sustained ?? busier, burst && burst.remainingSeconds <= copySeconds ? burst.floorMbps : busier)
    const relief = busier <= 0 ? now : now * Math.min(1, lastingMbps / busier)
    if (relief <= 0) continue
    const reliefSeconds = Math.min(params.horizonSeconds, Math.max(0, lasting.seconds - copySeconds))
    const benefitMbit = Math.min(relief, needed) * reliefSeconds
    // A VF is detached before the copy and given back on arrival: meanwhile the VM runs on its PV path.
    const withoutVfMbps = vm.vf ? withoutVfLossMbps(vm, score, source) : 0
    const vfLossMbit = withoutVfMbps * (copySeconds + params.attachSeconds)
    const costMbit = extraMbit + vfLossMbit
    if (benefitMbit <= costMbit) {
      unpaid++
      const copy = `its ~${Math.round(copySeconds)} s copy`
      const over = reliefSeconds < params.horizonSeconds
        ? `the ${Math.round(reliefSeconds)} s left of the spell once ${copy} is done (the spell is expected to last ${Math.round(lasting.seconds)} s more, ${lasting.basis})`
        : `${params.horizonSeconds} s after ${copy}`
      const lost = vfLossMbit > 0 ? `, plus the ${mbps(withoutVfMbps)} it and its host's PV VMs lose while it copies without its VF` : ''
      rejected.push(`${name}: ${vm.name} stays: its ${mbps(relief)} of ${direction} over ${over} relieves less than its ${Math.round(copyMiB)} MiB copy adds to that ${direction}${lost}`)
      continue
    }
    candidates.push({vm, score, relief, now, copyMiB, costMbit})
  }
  // Cheapest move (copy, and VF time lost) that relieves enough; if none does alone, the most
  // relief (the next cycle can add another).
  candidates.sort(cheapestEnough(needed, (candidate) => candidate.costMbit))
  for (const candidate of candidates) {
    const {vm, score, relief, now, copyMiB} = candidate
    const wantsVf = vm.rules?.vf !== 'never' && needsVf(vm, score, source)
    let choice = chooseTarget(vm, source, ledgers, wantsVf, residents)
    let ontoPv = ''
    if (!choice.target && wantsVf && vm.rules?.vf !== 'always') {
      // No target has a VF for it: on another host's PV path it loses what it carries above that
      // path, but the hot port may gain more. It moves when the port gains more than it loses.
      const plain = chooseTarget(vm, source, ledgers, false, residents)
      const lossMbps = Math.max(0, (score?.demandMbps ?? now) - source.pvCapMbps)
      const gainMbps = Math.min(relief, needed)
      if (plain.target && gainMbps > lossMbps) {
        ontoPv = `; no target has a VF to spare, so it runs on its PV NIC there: it loses up to ${mbps(lossMbps)} above the PV path while the port gains ${mbps(gainMbps)}`
        choice = {...plain, rejected: choice.rejected}
      } else if (plain.target) {
        choice = {...choice, rejected: [...choice.rejected, `on a PV path elsewhere it would lose ${mbps(lossMbps)}, more than the ${mbps(gainMbps)} the port gains`]}
      }
    }
    if (!choice.target || choice.headroom === undefined) {
      rejected.push(`${name}: ${vm.name} (${mbps(relief)} of ${direction}) has no target: ${choice.rejected.join('; ') || 'no other host'}`)
      continue
    }
    const target = choice.target
    const giveVf = vfOnArrival(vm, target.host, target.freeVfs, wantsVf && !ontoPv)
    const promise = giveVf ? vfPromise(target, score?.demandMbps ?? relief) : ''
    const booked = book(source, target, vm, giveVf, residents, relief, copyMiB)
    const score0 = ownValue(scores.hosts, name)
    return {
      rejected,
      migration: {
        ...booked,
        reason:
          `${name} predicted hot (${score0?.reason ?? 'hot'}); ${vm.name} takes ${mbps(relief)} off its ${direction}` +
          (Math.round(relief) < Math.round(now) ? ` (the part of its ${mbps(now)} now that lasts)` : '') +
          `, ${enoughSaid(relief, needed)}, ` +
          `copying ~${Math.round(copyMiB)} MiB; ${target.host.name} keeps the most headroom (${share(choice.headroom)} below ` +
          `${share(target.params.targetBelow)} after the move)` +
          promise + ontoPv + othersSaid(choice),
      } satisfies PlannedMigration,
    }
  }
  let blocked: string | undefined
  if (candidates.length === 0 && held.length > 0) {
    blocked = `${name}: hotspot blocked: no VM that may move relieves its ${direction} (${held.join('; ')})`
    rejected.push(blocked)
  } else if (candidates.length === 0 && cooling === 0) {
    rejected.push(unpaid > 0 ? `${name}: predicted hot, but no VM's move pays back its copy while the load lasts` : `${name}: predicted hot, but no VM's move would relieve its ${direction}`)
  }
  return {rejected, migration: undefined, blocked}
}

/**
 * What the reason may promise about a VF on arrival: a free one only when the target has one not
 * yet promised this cycle; else one the VF plan takes from a VM it is worth less to, after arrival.
 */
function vfPromise(target: Ledger, demandMbps: number): string {
  if (target.freeVfs > 0) return `, and a free VF for its estimated demand of ${mbps(demandMbps)}`
  return `, and a VF for its estimated demand of ${mbps(demandMbps)} once the VF plan takes one from a VM it is worth less to (none is free on ${target.host.name} now: it arrives on its PV NIC)`
}

/**
 * Victims in order: the cheapest of those whose move alone relieves `needed`; if none does, the
 * most relief (the next cycle can add another), ties by cost, then name.
 */
function cheapestEnough<C extends {vm: Vm; relief: number}>(needed: number, cost: (candidate: C) => number): (a: C, b: C) => number {
  return (a, b) => {
    const aEnough = a.relief >= needed
    const bEnough = b.relief >= needed
    if (aEnough !== bEnough) return aEnough ? -1 : 1
    if (aEnough) return cost(a) - cost(b) || byName(a.vm, b.vm)
    return b.relief - a.relief || cost(a) - cost(b) || byName(a.vm, b.vm)
  }
}

const enoughSaid = (relief: number, needed: number) => (relief >= needed ? `enough alone (needs ${mbps(needed)})` : `the most relief on offer (needs ${mbps(needed)})`)
const othersSaid = (choice: TargetChoice) => (choice.rejected.length > 0 ? `; other targets rejected: ${choice.rejected.join('; ')}` : '')

/** Books a chosen move (ledgers and residents), and gives the planned migration's figures. */
function book(source: Ledger, target: Ledger, vm: Vm, giveVf: boolean, residents: Residents, relief: number, copyMiB: number): Omit<PlannedMigration, 'reason'> {
  reserve(source, target, vm, giveVf)
  residents.move(vm, source.host.name, target.host.name)
  return {vm: vm.name, from: source.host.name, to: target.host.name, reliefMbps: relief, copyMiB: Math.round(copyMiB), giveVfOnArrival: giveVf}
}

/** Books a planned move into both ledgers, so later choices in this cycle see it. */
function reserve(source: Ledger, target: Ledger, vm: Vm, wantsVf: boolean): void {
  const rx = rate(vm, 'rx')
  const tx = rate(vm, 'tx')
  source.rxMbps -= rx
  source.txMbps -= tx
  source.freeMemoryMiB += vm.memoryMiB
  source.cpuUsed -= vm.cpu.usedRatio
  if (vm.path === 'pv') source.pvTrafficMbps -= rx + tx
  source.out++
  target.rxMbps += rx
  target.txMbps += tx
  target.freeMemoryMiB -= vm.memoryMiB
  target.cpuUsed += vm.cpu.usedRatio
  if (!wantsVf) target.pvTrafficMbps += rx + tx
  if (wantsVf) target.availableVfs--
  if (wantsVf && target.freeVfs > 0) target.freeVfs--
  target.in++
}

function finish(migrations: PlannedMigration[], rejected: string[], noop: string | undefined, blocked: string[] = []): SovaMigrationPlan {
  const kept = capRejected(rejected)
  if (noop) return {migrations, rejected: kept, noop}
  if (migrations.length === 0) {
    // The rules come first: an operator reading the noop sees which of theirs kept the hotspot.
    const ruled = blocked.length > 0 ? `${blocked.join('; ')}; ` : ''
    const every = ruled ? 'every other alternative' : 'every alternative'
    return {migrations, rejected: kept, noop: `no beneficial migration: ${ruled}${every} was rejected (see plan.rejected.migrations)`}
  }
  return {migrations, rejected: kept}
}
