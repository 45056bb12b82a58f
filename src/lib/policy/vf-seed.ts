// The seed's host level (ALGORITHM.md §1, dynamic SR-IOV): rank each host's guests into tiers
// and move VFs to list1. Unlike the prototype, every VF is accounted for: a VF is only handed
// out from the host's free list or from a detach in this same plan, never to two guests, and a
// detached VF not handed on stays free (no leak). The operator's rules (rules.ts) are not the
// prototype's but win: only `auto` VMs are ranked; a frozen VM is left alone, a `vf: never` VM's
// VF is detached, a `vf: always` VM keeps its VF and takes a free one before list1, and a host in
// maintenance hands none out.
import type {Host, PlannedVfChange} from '../document/schema.js'
import {byName} from './format-figure.js'
import {rankSeedTiers, sortByNetScore} from './seed-scores.js'
import {ownValue} from '../named.js'
import {vfRuleSaid} from './rule-checks.js'
import {vfHandOutBlocker, vfRuleOf} from './rules.js'

/** The seed figures of one VM (from `sova score`). */
export interface SeedVmFigures {
  ioRatio: number
  netScore: number
}

/** The seed's VF changes; `skipped` names list1 guests left without a VF because none was free. */
export interface SeedVfPlan {
  changes: PlannedVfChange[]
  skipped: string[]
  noop?: string
}


// Only the two figures the ranking reads (a score record may carry more).
const pick = (figures: SeedVmFigures): SeedVmFigures => ({ioRatio: figures.ioRatio, netScore: figures.netScore})

// The changes for one host; detaches first, so the VFs they free can be attached after.
function planHost(host: Host, vmScores: Readonly<Record<string, SeedVmFigures>>, arrivals: ReadonlySet<string>) {
  const changes: PlannedVfChange[] = []
  const detached = new Set<string>()
  const rule = (vm: Host['vms'][number]) => vfRuleOf(vm, host)
  for (const vm of [...host.vms].sort(byName)) {
    if (rule(vm) !== 'never' || !vm.vf) continue
    detached.add(vm.name)
    changes.push({host: host.name, vm: vm.name, op: 'detach', vf: vm.vf, reason: `${vfRuleSaid(vm)}: its VF ${vm.vf} returns to the pool`})
  }
  // vf: always VMs without a VF claim free VFs first, the highest net score first.
  const figuresOf = (vm: Host['vms'][number]) => pick(ownValue(vmScores, vm.name) ?? {ioRatio: 0, netScore: 0})
  const always = sortByNetScore(host.vms.filter((vm) => rule(vm) === 'always' && !vm.vf && !arrivals.has(vm.name)).map((vm) => ({name: vm.name, ...figuresOf(vm)})))
  // Arrivals keep what they got this cycle (rule 4); VMs without figures are left alone.
  const ranked = host.vms.filter((vm) => rule(vm) === 'auto' && !arrivals.has(vm.name) && Object.hasOwn(vmScores, vm.name))
  const ranks = rankSeedTiers(ranked.map((vm) => ({name: vm.name, ...pick(ownValue(vmScores, vm.name) as SeedVmFigures)})))
  for (const vm of [...ranked].sort(byName)) {
    const rank = ranks.get(vm.name)
    if (!rank || rank.tier === 'list1' || !vm.vf) continue
    detached.add(vm.name)
    changes.push({host: host.name, vm: vm.name, op: 'detach', vf: vm.vf, reason: `${rank.reason}; not list1, so its VF returns to the pool`})
  }
  // Free = the host's free list plus this plan's detaches, minus anything a remaining VM holds.
  const stillHeld = new Set(host.vms.filter((vm) => vm.vf && !detached.has(vm.name)).map((vm) => vm.vf))
  const returned = changes.map((change) => change.vf)
  const free = [...new Set([...host.vfs.free, ...returned])].filter((vf) => !stillHeld.has(vf)).sort()
  const wanting = sortByNetScore(
    ranked.filter((vm) => !vm.vf && ranks.get(vm.name)?.tier === 'list1').map((vm) => ({name: vm.name, ...pick(ownValue(vmScores, vm.name) as SeedVmFigures)})),
  )
  const unserved: string[] = []
  const handOut = vfHandOutBlocker(host)
  if (handOut) {
    const waiting = [...always, ...wanting].map((guest) => guest.name)
    return {changes, unserved: [], ruled: waiting.length > 0 ? [`${host.name}: no VF is handed out (${handOut}): ${waiting.join(', ')} stay(s) on PV`] : []}
  }
  const ruled: string[] = []
  for (const guest of always) {
    const vf = free.shift()
    const said = vfRuleSaid(host.vms.find((vm) => vm.name === guest.name) as Host['vms'][number])
    if (vf === undefined) ruled.push(`${host.name}: ${guest.name} gets no VF: ${said}, but no VF is free (none is taken from another VM for it)`)
    else changes.push({host: host.name, vm: guest.name, op: 'attach', vf, reason: `${said}: takes the lowest free VF ahead of the ranking`})
  }
  for (const guest of wanting) {
    const vf = free.shift()
    if (vf === undefined) {
      unserved.push(guest.name)
      continue
    }
    const reason = `${ranks.get(guest.name)?.reason}; list1 without a VF, takes the lowest free VF`
    changes.push({host: host.name, vm: guest.name, op: 'attach', vf, reason})
  }
  return {changes, unserved, ruled}
}

/**
 * Plans the seed's VF moves on each host: guests outside list1 lose their VF, list1 guests
 * without one get a free VF (net score order, lowest address first) while VFs last; with fewer
 * than 4 ranked guests every guest is list1. `hosts` is the state after this cycle's migrations;
 * `arrivals` (VMs that migrated in this cycle) are neither ranked nor touched.
 */
export function planSeedVf(
  hosts: readonly Host[],
  vmScores: Readonly<Record<string, SeedVmFigures>>,
  arrivals: ReadonlySet<string>,
): SeedVfPlan {
  const changes: PlannedVfChange[] = []
  const skipped: string[] = []
  for (const host of hosts) {
    const planned = planHost(host, vmScores, arrivals)
    changes.push(...planned.changes)
    skipped.push(...planned.ruled)
    if (planned.unserved.length > 0) skipped.push(`${host.name}: no free VF for list1 ${planned.unserved.join(', ')}`)
  }
  if (changes.length > 0) return {changes, skipped}
  if (skipped.length > 0) return {changes, skipped, noop: `no change possible: ${skipped.join('; ')}`}
  return {changes, skipped, noop: "every host's VFs already match the ranking"}
}
