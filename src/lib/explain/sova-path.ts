// Why a VM has its path under sova: what a VF is worth to it against the free-VF minimum, the
// swap margin with the hot-plug's cost, and the hold; its demand against the PV path. Pure.
import type {Action} from '../document/schema.js'
import {formatMbps as mbps} from '../policy/format-figure.js'
import {SOVA_DEFAULTS} from '../policy/sova-params.js'
import {holdLeft} from '../policy/sova-vf.js'
import type {CycleView} from './cycle-view.js'
import {failure, type PathExplanation, type PathFacts, takesEffect, verb} from './path-facts.js'
import {formatLimit, formatThresholdValue, pvCapOf, type Threshold} from './thresholds.js'

/** The sova thresholds, all present for a sova document; the PV cap is the one `host` was scored with. */
function sovaLimits(view: CycleView, host?: string) {
  const t = view.thresholds as Required<CycleView['thresholds']>
  return {min: t.vfMinValue, margin: t.swapMargin, hold: t.hold, pvCap: host === undefined ? t.pvCap : pvCapOf(view.doc, host), saturated: t.saturatedShare}
}

/** The VF value a VM must beat a holder's by: the swap margin plus its hot-plug's cost over the horizon. */
function swapCost(value: number): number {
  return (value * SOVA_DEFAULTS.attachSeconds) / SOVA_DEFAULTS.horizonSeconds
}

const valueOf = (view: CycleView, vm: string) => view.vmScore(vm)?.vfValueMbps ?? 0

/** "gain 508 Mbit/s > swap margin 20 Mbit/s (sova default) + hot-plug cost 11 Mbit/s". */
function swapWords(gainer: number, loser: number, margin: Threshold): string {
  const gain = gainer - loser
  const cost = swapCost(gainer)
  const compared = gain > margin.value + cost ? '>' : '≤'
  return `gain ${mbps(gain)} ${compared} swap margin ${formatLimit(margin)} + hot-plug cost ${mbps(cost)}`
}

/** Why a VM holds a VF it had before the cycle. */
function sovaKeeps(facts: PathFacts, value: number): {text: string; short: string} {
  const {view, vm, host, vf} = facts
  const {min, margin, hold} = sovaLimits(view)
  const failed = facts.detach && !takesEffect(facts.detach) ? ` (${failure(facts.detach)})` : ''
  const about = view.rejectedVfAbout(vm)
  if (about.length > 0) return {text: `Keeps VF ${vf}${failed}: ${about.join('; ')}.`, short: `keeps VF: ${about[0].replace(/^[^:]*: /, '')}`}
  const left = facts.score ? holdLeft('holds', facts.score, view.doc.at, {...SOVA_DEFAULTS, vfHoldSeconds: hold.value}) : 0
  if (left > 0) {
    return {text: `Keeps VF ${vf}${failed}: its path changed within the path hold of ${formatLimit(hold)} (${Math.ceil(left)} s left).`, short: 'keeps VF: within its hold'}
  }
  const rivals = [...(view.after.get(vm)?.host.vms ?? [])]
    .filter((other) => !other.vf && valueOf(view, other.name) >= min.value)
    .sort((a, b) => valueOf(view, b.name) - valueOf(view, a.name) || (a.name < b.name ? -1 : 1))
  const rival = rivals[0]
  if (!rival) {
    const own = value < min.value ? ` (it is worth ${mbps(value)} to ${vm} itself; a held VF is taken back only for a VM that gains more)` : ''
    return {
      text: `Keeps VF ${vf}${failed}: no VM on ${host} without a VF is worth the free-VF minimum of ${formatLimit(min)}, so nobody claims it${own}.`,
      short: 'keeps VF: no VM without one claims it',
    }
  }
  const rivalValue = valueOf(view, rival.name)
  const rivalLines = view.rejectedVfAbout(rival.name)
  const beaten = rivalValue - value > margin.value + swapCost(rivalValue)
  if (beaten && rivalLines.length > 0) {
    return {text: `Keeps VF ${vf}${failed} (worth ${mbps(value)} to it): ${rival.name} (${mbps(rivalValue)}) wants one, but ${rivalLines[0]}.`, short: `keeps VF: ${rival.name} was refused`}
  }
  if (beaten) {
    // The figures say the rival would take it: say why it has not, never that it would gain too little.
    const planned = view.doc.plan !== undefined && (view.doc.plan.vf.length > 0 || view.doc.plan.noop?.vf !== undefined)
    const why = planned ? 'yet the VF plan of this document did not move it' : 'but this document has no VF plan yet (sova switch-vf makes it)'
    return {
      text: `Keeps VF ${vf}${failed} (worth ${mbps(value)} to it) for now: ${rival.name} (${mbps(rivalValue)}) would gain enough to take it (${swapWords(rivalValue, value, margin)}), ${why}.`,
      short: planned ? `keeps VF: not moved by the plan` : 'keeps VF: no VF plan yet',
    }
  }
  const why = `the most valuable VM without one, ${rival.name} (${mbps(rivalValue)}), would gain too little: ${swapWords(rivalValue, value, margin)}`
  return {text: `Keeps VF ${vf}${failed} (worth ${mbps(value)} to it): ${why}.`, short: `keeps VF: ${rival.name} would gain too little`}
}

/** Why a VM without a VF before the cycle got one. */
function sovaAttached(facts: PathFacts, attach: Action, value: number): {text: string; short: string} {
  const {view, vm} = facts
  const {min, margin, pvCap, saturated} = sovaLimits(view, facts.score?.host)
  if (attach.reason.startsWith('arrived from')) {
    const demand = facts.score?.demandMbps ?? 0
    const needs = `its demand ${mbps(demand)} is above the PV path (${saturated.value.toFixed(2)} × ${formatLimit(pvCap)} = ${mbps(saturated.value * pvCap.value)})`
    return {text: `${verb(attach, 'Given', 'Would be given')} free VF ${attach.vf} on arrival (${attach.reason}): ${needs}.`, short: 'VF on arrival'}
  }
  const holder = /takes VF \S+ from (\S+) \(/.exec(attach.reason)?.[1]
  if (holder) {
    return {
      text: `${verb(attach, 'Took', 'Would take')} VF ${attach.vf} from ${holder} (worth ${mbps(valueOf(view, holder))} to it): ` +
        `${swapWords(value, valueOf(view, holder), margin)}.`,
      short: `took VF from ${holder}`,
    }
  }
  return {
    text: `${verb(attach, 'Took', 'Would take')} free VF ${attach.vf}: worth ${mbps(value)} to ${vm}, at least the free-VF minimum of ${formatLimit(min)}.`,
    short: 'took a free VF',
  }
}

/** Why a VM that held a VF before the cycle lost it. */
function sovaDetached(facts: PathFacts, detach: Action, value: number): {text: string; short: string} {
  const {view} = facts
  const {margin, pvCap, saturated} = sovaLimits(view, facts.score?.host)
  const to = /^detach before migrating to (\S+)/.exec(detach.reason)?.[1]
  if (to) {
    const move = view.migrationOf(facts.vm)
    const demand = facts.score?.demandMbps ?? 0
    const arrival = move?.giveVfOnArrival
      ? `none was free on ${to} on arrival`
      : `none was given on arrival: its demand ${mbps(demand)} is not above the PV path (${saturated.value.toFixed(2)} × ${formatLimit(pvCap)})`
    return {text: `${verb(detach, 'Its VF', 'Its VF would be')} ${detach.vf} ${verb(detach, 'was detached', 'detached')} to migrate to ${to} (a VF never migrates); ${arrival}.`, short: `VF detached to migrate`}
  }
  const gainer = /gives VF \S+ to (\S+), worth/.exec(detach.reason)?.[1]
  if (gainer) {
    const gainerValue = valueOf(view, gainer)
    return {
      text: `${verb(detach, 'Gave', 'Would give')} VF ${detach.vf} to ${gainer}, worth ${mbps(gainerValue)} to it against ${mbps(value)} to this VM: ` +
        `${swapWords(gainerValue, value, margin)}.`,
      short: `VF given to ${gainer}`,
    }
  }
  return {text: `${verb(detach, 'Lost', 'Would lose')} VF ${detach.vf}: ${detach.reason}.`, short: 'VF detached'}
}

/**
 * Why a VM worth a VF got none although no rejected line names it: the planner says only why the
 * most valuable claimant was refused, and the VMs below it are refused alike.
 */
function sovaOutbid(facts: PathFacts, value: number): {text: string; short: string} | undefined {
  const {view} = facts
  const {margin, hold} = sovaLimits(view)
  const host = view.after.get(facts.vm)?.host
  if (!host || host.vfs.free.length > 0) return undefined
  if (host.vfs.total === 0) return {text: `${host.name} has no VFs`, short: 'no VFs on its host'}
  const params = {...SOVA_DEFAULTS, vfHoldSeconds: hold.value}
  const holders = host.vms
    .filter((other) => other.vf)
    .filter((other) => {
      const score = view.vmScore(other.name)
      return !score || holdLeft('holds', score, view.doc.at, params) === 0
    })
    .sort((a, b) => valueOf(view, a.name) - valueOf(view, b.name) || (a.name < b.name ? -1 : 1))
  const least = holders[0]
  if (!least) return {text: `every VF of ${host.name} is held by a VM within the path hold of ${formatLimit(hold)}`, short: 'every VF held within its hold'}
  const leastValue = valueOf(view, least.name)
  const held = host.vfs.total === 1 ? `the only VF of ${host.name} is held` : `all ${host.vfs.total} VFs of ${host.name} are held`
  if (value - leastValue > margin.value + swapCost(value)) {
    return {text: `${held}, and those that changed hands went to VMs worth more`, short: 'VFs went to VMs worth more'}
  }
  return {
    text: `${held}; taking the least valuable holder's, ${least.name}'s ` +
      `(${mbps(leastValue)}), would not pay: ${swapWords(value, leastValue, margin)}`,
    short: `outbids no VF holder (least: ${least.name}, ${mbps(leastValue)})`,
  }
}

/** Whether the document's plan went through switch-vf (its VF plan, a no-op or rejections are there). */
const vfPlanned = (view: CycleView) =>
  (view.doc.plan?.vf.length ?? 0) > 0 || view.doc.plan?.noop?.vf !== undefined || view.doc.plan?.rejected?.vf !== undefined

/** Why a VM without a VF stays on PV. */
function sovaStaysPv(facts: PathFacts, value: number): {text: string; short: string} {
  const {view, vm} = facts
  const {min} = sovaLimits(view)
  const failed = facts.attach && !takesEffect(facts.attach) ? ` (${failure(facts.attach)})` : ''
  const about = view.rejectedVfAbout(vm)
  if (about.length > 0) return {text: `Stays on PV${failed}: ${about.join('; ')}.`, short: `PV: ${about[0].replace(/^[^:]*: \S+ \([^)]*\) /, '')}`}
  if (failed) return {text: `Stays on PV: ${failure(facts.attach as Action)}.`, short: 'PV: VF hot-plug failed'}
  if (value < min.value) {
    return {text: `Stays on PV: a VF is worth ${mbps(value)} to ${vm}, below the free-VF minimum of ${formatLimit(min)}.`, short: 'PV: worth less than the minimum'}
  }
  if (!vfPlanned(view)) return {text: 'Stays on PV: the document has no VF plan yet (sova switch-vf, or sova run, makes it).', short: 'PV: no VF plan yet'}
  const outbid = sovaOutbid(facts, value)
  if (outbid) return {text: `Stays on PV: ${outbid.text}.`, short: `PV: ${outbid.short}`}
  const noop = view.doc.plan?.noop?.vf
  return {text: `Stays on PV: no VF change planned for it${noop ? ` (${noop})` : ''}.`, short: 'PV: no VF change planned'}
}

/** Why the VM has its path under sova, with the figures against the thresholds. */
export function explainSova(facts: PathFacts): PathExplanation {
  const {view, score, vf} = facts
  // The PV cap of the host the VM was scored on: the one its value and any migration were decided with.
  const {min, margin, hold, pvCap, saturated} = sovaLimits(view, score?.host)
  const thresholds = [min, margin, hold, pvCap, saturated]
  if (score?.vfValueMbps === undefined) {
    return {decidedBy: 'no VF value in the document', text: 'The document has no VF value for it (run sova score).', short: 'no figures', thresholds}
  }
  const value = score.vfValueMbps
  const demand = score.demandMbps ?? score.rateMbps ?? 0
  const decidedBy = `VF worth ${mbps(value)} ${value >= min.value ? '≥' : '<'} minimum ${formatThresholdValue(min)}; ` +
    `demand ${mbps(demand)} ${demand > pvCap.value ? '>' : '≤'} PV cap ${formatThresholdValue(pvCap)}`
  let why: {text: string; short: string}
  if (vf) why = facts.attach && takesEffect(facts.attach) ? sovaAttached(facts, facts.attach, value) : sovaKeeps(facts, value)
  else if (facts.detach && takesEffect(facts.detach)) why = sovaDetached(facts, facts.detach, value)
  else why = sovaStaysPv(facts, value)
  return {decidedBy, ...why, thresholds}
}
