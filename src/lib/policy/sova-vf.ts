// The sova policy's host level: each host's VFs go to the VMs they are worth most to (sova-score's
// VF value), bounded by the pool. A free VF goes to the most valuable VM without one; a held VF
// moves only when the gain beats the loss by a margin plus the hot-plug's cost over the horizon,
// and never from or to a VM whose path changed within the hold time (hysteresis: no flapping).
// The operator's rules (rules.ts) come first: a frozen VM (it or its host excluded) is left
// alone, a `vf: never` VM's VF is detached, a `vf: always` VM takes a free VF ahead of everyone
// and its VF is never taken back, and a host in maintenance hands no VF out.
// Pure: hosts as the migrations left them, scores, arrivals in; VF changes and the why out.
import {capRejected, formatMbps as mbps} from './format-figure.js'
import type {Host, PlannedVfChange, Scores, VmScore} from '../document/schema.js'
import {secondsSince} from './memory.js'
import {expectedRemainingSeconds} from './episodes.js'
import type {SovaParams} from './sova-params.js'
import {ownValue} from '../named.js'
import {scoredPvCapMbps} from './path-capacity.js'
import {vfRuleSaid} from './rule-checks.js'
import {vfHandOutBlocker, vfRuleOf} from './rules.js'

export interface SovaVfPlan {
  changes: PlannedVfChange[]
  rejected: string[]
  noop?: string
}


/**
 * Warm-up: a VF its holder uses is taken away only once the loop has watched the holder on its
 * host for this many seconds (first to latest sample): one sampling period of the prototype
 * (ALGORITHM.md §1). A first run, whose only sample may cover 2 seconds, takes no VF away on so
 * little evidence from a VM that carries as much as its PV path does: on PV it could lose
 * throughput. A holder whose traffic fits well within its PV path (below `saturatedShare` of it)
 * stands to lose latency only, while the VMs waiting for its VF lose their whole gain every second
 * of the wait: the warm-up does not hold that VF back (a misjudged holder takes one again after
 * the hold). Counted in time rather than samples, the warm-up costs a loop sampling every 10 s at
 * most one cycle.
 */
export const VF_TAKE_WARMUP_SECONDS = 10

interface Guest {
  name: string
  vf: string | null | undefined
  value: number
  score: VmScore
  /** Seconds its path must still be kept (hysteresis), 0 when free to change. */
  hold: number
}

/**
 * Seconds a VM must still keep its path (hysteresis against flapping). The hold counts from its
 * last path change or its last arrival, whichever is later: a VF given on arrival is held like any
 * other. A VM that lost its VF to a migration (the path change came with the move) may take one
 * on its new host at once: that is no flap.
 */
export function holdLeft(state: 'holds' | 'wants', score: VmScore, at: string, params: SovaParams): number {
  const memory = score.memory
  const lostToMove = state === 'wants' && memory?.lastPathChangeAt !== undefined && memory.lastPathChangeAt === memory.lastMoveAt
  if (lostToMove) return 0
  const since = Math.min(secondsSince(memory?.lastPathChangeAt, at), secondsSince(memory?.lastMoveAt, at))
  return Math.max(0, params.vfHoldSeconds - since)
}

function planHost(host: Host, scores: Scores, arrivals: ReadonlySet<string>, at: string, params: SovaParams) {
  const changes: PlannedVfChange[] = []
  const rejected: string[] = []
  const guests: Guest[] = []
  const always: {name: string; value: number; said: string}[] = []
  const returned: string[] = []
  for (const vm of host.vms) {
    const rule = vfRuleOf(vm, host)
    if (rule === 'frozen') continue // its path is not Sova's to change
    if (rule === 'never') {
      if (vm.vf) {
        changes.push({host: host.name, vm: vm.name, op: 'detach', vf: vm.vf, reason: `${vfRuleSaid(vm)}: its VF ${vm.vf} returns to the pool`})
        returned.push(vm.vf)
      }
      continue
    }
    const score = ownValue(scores.vms, vm.name)
    if (rule === 'always') {
      // Its VF is never taken back; without one it goes first for a free VF, with no hold (no flap: it never loses one).
      if (!vm.vf && (arrivals.has(vm.name) || score?.host === undefined || score.host === host.name)) {
        always.push({name: vm.name, value: score?.vfValueMbps ?? 0, said: vfRuleSaid(vm)})
      }
      continue
    }
    if (!score) continue // no figures: left alone
    // An arrival keeps the VF its migration gave it; one that arrived without may take one now.
    const arrived = arrivals.has(vm.name)
    if (arrived ? Boolean(vm.vf) : score.host !== host.name) continue
    const hold = arrived ? 0 : holdLeft(vm.vf ? 'holds' : 'wants', score, at, params)
    guests.push({name: vm.name, vf: vm.vf, value: score.vfValueMbps ?? 0, score, hold})
  }
  const byValueDesc = (a: Guest, b: Guest) => b.value - a.value || (a.name < b.name ? -1 : 1)
  const wanting = guests.filter((guest) => !guest.vf && guest.value >= params.vfMinValueMbps).sort(byValueDesc)
  // Holders that may give their VF up, least valuable first; one that could lose throughput on PV, not before the warm-up.
  const pvCapMbps = scoredPvCapMbps(ownValue(scores.hosts, host.name), params, host.nic.speedMbps)
  const fillsPv = (guest: Guest) => (guest.score.demandMbps ?? Number.POSITIVE_INFINITY) >= params.saturatedShare * pvCapMbps
  const warmingUp = (guest: Guest) => watchedFor(guest) < VF_TAKE_WARMUP_SECONDS && fillsPv(guest)
  const warming = guests.filter((guest) => guest.vf && guest.hold === 0 && warmingUp(guest))
  const holders = guests.filter((guest) => guest.vf && guest.hold === 0 && !warmingUp(guest)).sort((a, b) => -byValueDesc(a, b))
  if (warming.length > 0) {
    const seen = warming.map((guest) => `${guest.name} (${mbps(guest.score.demandMbps ?? 0)}, ${Math.round(watchedFor(guest))} s so far)`).join(', ')
    rejected.push(
      `${host.name}: warm-up: no VF is taken from ${seen} until the loop has watched it for ${VF_TAKE_WARMUP_SECONDS} s on ${host.name}: ` +
        `it carries ${Math.round(params.saturatedShare * 100)}% or more of the PV path (${mbps(pvCapMbps)}), so it could lose throughput there`,
    )
  }
  const inWarmUp = warming.length > 0 ? ', in its warm-up' : ''
  const free = [...host.vfs.free, ...returned].sort()
  const handOut = vfHandOutBlocker(host)
  if (handOut) {
    const waiting = [...always.map((guest) => guest.name), ...wanting.map((guest) => guest.name)]
    if (waiting.length > 0) rejected.push(`${host.name}: no VF is handed out (${handOut}): ${waiting.join(', ')} stay(s) on PV`)
    return {changes, rejected}
  }
  // vf: always first, the most valuable of them first; those left over are said, with their rule.
  always.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : 1))
  for (const guest of always) {
    const vf = free.shift()
    if (vf !== undefined) {
      changes.push({host: host.name, vm: guest.name, op: 'attach', vf, reason: `${guest.said}: takes free VF ${vf} ahead of the VMs Sova ranks`})
      continue
    }
    rejected.push(`${host.name}: ${guest.name} (${mbps(guest.value)}) gets no VF: ${guest.said}, but no VF is free (none is taken from another VM for it)`)
  }
  for (const guest of wanting) {
    if (guest.hold > 0) {
      rejected.push(`${host.name}: ${guest.name} (${mbps(guest.value)}) waits ${Math.ceil(guest.hold)} s: its path changed within the ${params.vfHoldSeconds} s hold`)
      continue
    }
    const vf = free.shift()
    if (vf !== undefined) {
      changes.push({host: host.name, vm: guest.name, op: 'attach', vf, reason: `${guest.score.reason}; takes free VF ${vf}`})
      continue
    }
    const holder = holders[0]
    if (!holder) {
      rejected.push(`${host.name}: ${guest.name} (${mbps(guest.value)}) gets no VF: every VF is held by a VM within its hold time or already given this cycle${inWarmUp}`)
      continue
    }
    // A swap commits the VF for the hold: a need that came and went faster than that (demand that
    // flips) would leave the VF with the wrong VM by the time it may move again. Chasing it loses.
    const need = guest.score.memory
    if (need?.needEpisodeSeconds !== undefined) {
      // A need not yet confirmed by the samples (its first sample) is 0 s old.
      const age = need.needForSeconds ?? 0
      const lasting = expectedRemainingSeconds({ageSeconds: age, typicalSeconds: need.needEpisodeSeconds}, Number.POSITIVE_INFINITY)
      if (lasting <= params.vfHoldSeconds) {
        rejected.push(
          `${host.name}: ${guest.name} (${mbps(guest.value)}) does not displace ${holder.name}: its need has lasted ${Math.round(need.needEpisodeSeconds)} s ` +
            `(median of the latest episodes) and this one is ${Math.round(age)} s old, no longer than the ${params.vfHoldSeconds} s a swap commits the VF`,
        )
        continue
      }
    }
    // The hot-plug keeps the gainer on PV for attachSeconds: its value is lost that long.
    const switchCost = (guest.value * params.attachSeconds) / params.horizonSeconds
    const gain = guest.value - holder.value
    if (gain <= params.vfSwapMarginMbps + switchCost) {
      rejected.push(
        `${host.name}: ${guest.name} (${mbps(guest.value)}) does not displace ${holder.name} (${mbps(holder.value)}): ` +
          `gain ${mbps(gain)} ≤ margin ${mbps(params.vfSwapMarginMbps)} + hot-plug cost ${mbps(switchCost)}`,
      )
      // Holders are sorted least valuable first: nobody further down the list displaces anyone either.
      break
    }
    holders.shift()
    const vf2 = holder.vf as string
    changes.push({host: host.name, vm: holder.name, op: 'detach', vf: vf2, reason: `${holder.score.reason}; gives VF ${vf2} to ${guest.name}, worth ${mbps(gain)} more`})
    changes.push({host: host.name, vm: guest.name, op: 'attach', vf: vf2, reason: `${guest.score.reason}; takes VF ${vf2} from ${holder.name} (worth ${mbps(holder.value)} to it)`})
  }
  return {changes, rejected}
}

/**
 * Seconds the loop has watched the VM on its host. Scores that carry no such figure (a document
 * scored by another tool or an older version) vouch for their own figures: no warm-up is imposed on them.
 */
const watchedFor = (guest: Guest) => guest.score.memory?.secondsOnHost ?? Number.POSITIVE_INFINITY

/**
 * Plans sova's VF moves on every host. `hosts` is the cluster after this cycle's migrations;
 * `arrivals` (VMs that migrated in this cycle) keep a VF given on arrival, else may take one; `at` is the
 * document's time, against which hold times are counted.
 */
export function planSovaVf(
  hosts: readonly Host[],
  scores: Scores,
  arrivals: ReadonlySet<string>,
  at: string,
  params: SovaParams,
  of: (host: string) => {sova: SovaParams} = () => ({sova: params}),
): SovaVfPlan {
  const changes: PlannedVfChange[] = []
  const rejected: string[] = []
  for (const host of hosts) {
    const planned = planHost(host, scores, arrivals, at, of(host.name).sova)
    changes.push(...planned.changes)
    rejected.push(...planned.rejected)
  }
  const kept = capRejected(rejected)
  if (changes.length > 0) return {changes, rejected: kept}
  if (rejected.some((line) => /: warm-up: /.test(line))) {
    return {changes, rejected: kept, noop: `no VF change: warm-up (no VF is taken from a VM that carries as much as its PV path before the loop has watched it for ${VF_TAKE_WARMUP_SECONDS} s on its host), and every other alternative was rejected (see plan.rejected.vf)`}
  }
  return {
    changes,
    rejected: kept,
    noop: kept.length > 0 ? 'no beneficial VF change: every alternative was rejected (see plan.rejected.vf)' : 'every VF is already with a VM it is worth most to',
  }
}
