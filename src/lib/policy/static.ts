// The static baselines of the evaluation: static-pv (no VM ever holds a VF) and static-vf (VFs are
// handed out first come first served and never taken back). The operator's rules (rules.ts) win
// over the baselines, as over every policy: a frozen VM (it or its host excluded) is left alone, a
// `vf: never` VM's VF is detached, a `vf: always` VM keeps its VF and takes a free one first (even
// under static-pv), and a host in maintenance hands no VF out. Pure.
import type {Host, PlannedVfChange} from '../document/schema.js'
import {vfRuleSaid} from './rule-checks.js'
import {vfHandOutBlocker, vfRuleOf} from './rules.js'

type Vm = Host['vms'][number]

const numericFirst = new Intl.Collator('en', {numeric: true})
/** The order the VMs were started: backend id, then name. */
const byStart = (a: Vm, b: Vm) => numericFirst.compare(a.id, b.id) || numericFirst.compare(a.name, b.name)

export interface StaticPlan {
  items: PlannedVfChange[]
  noop?: string
  rejected?: string[]
}

/** Detaches the VFs `vf: never` VMs hold (the rule wins over every baseline). */
function neverDetaches(host: Host): PlannedVfChange[] {
  return host.vms
    .filter((vm) => vm.vf && vfRuleOf(vm, host) === 'never')
    .map((vm) => ({host: host.name, vm: vm.name, op: 'detach' as const, vf: vm.vf as string, reason: `${vfRuleSaid(vm)}: its VF ${vm.vf} returns to the pool`}))
}

/** Free VFs to `waiting` in order while they last (none on a host that hands none out); what is left said. */
function handOut(host: Host, waiting: Vm[], free: string[], reasonOf: (vm: Vm, vf: string) => string, rejected: string[]): PlannedVfChange[] {
  const items: PlannedVfChange[] = []
  const blocker = vfHandOutBlocker(host)
  if (blocker) {
    if (waiting.length > 0) rejected.push(`${host.name}: no VF is handed out (${blocker}): ${waiting.map((vm) => vm.name).join(', ')} stay(s) on PV`)
    return items
  }
  for (const vm of waiting) {
    const vf = free.shift()
    if (vf !== undefined) items.push({host: host.name, vm: vm.name, op: 'attach', vf, reason: reasonOf(vm, vf)})
    else if (vm.rules?.vf === 'always') rejected.push(`${host.name}: ${vm.name} gets no VF: ${vfRuleSaid(vm)}, but no VF is free (none is taken from another VM for it)`)
  }
  return items
}

const withRejected = (plan: StaticPlan, rejected: string[]): StaticPlan => (rejected.length > 0 ? {...plan, rejected} : plan)

/** static-pv: every VF held is detached; none is ever attached; except as the operator's rules say. */
export function planStaticPv(hosts: readonly Host[]): StaticPlan {
  const items: PlannedVfChange[] = []
  const rejected: string[] = []
  for (const host of hosts) {
    for (const vm of host.vms) {
      const rule = vfRuleOf(vm, host)
      if (vm.vf && rule === 'auto') items.push({host: host.name, vm: vm.name, op: 'detach', vf: vm.vf, reason: 'static-pv: every VM runs on its para-virtual NIC'})
    }
    const detaches = neverDetaches(host)
    items.push(...detaches)
    const always = host.vms.filter((vm) => !vm.vf && vfRuleOf(vm, host) === 'always').sort(byStart)
    items.push(...handOut(host, always, [...host.vfs.free, ...detaches.map((change) => change.vf)].sort(), (vm, vf) => `${vfRuleSaid(vm)} (it wins over static-pv): takes free VF ${vf}`, rejected))
  }
  return withRejected(items.length > 0 ? {items} : {items, noop: 'static-pv: no VM holds a VF'}, rejected)
}

/**
 * static-vf: a VM without a VF gets a free one, in the order the VMs were started (backend id,
 * then name); a VF once given is never taken back. `vf: always` VMs go first; `vf: never` and
 * frozen VMs get none.
 */
export function planStaticVf(hosts: readonly Host[], arrivals: ReadonlySet<string>): StaticPlan {
  const items: PlannedVfChange[] = []
  const rejected: string[] = []
  for (const host of hosts) {
    const detaches = neverDetaches(host)
    items.push(...detaches)
    const free = [...host.vfs.free, ...detaches.map((change) => change.vf)].sort()
    const rank = (vm: Vm) => (vm.rules?.vf === 'always' ? 0 : 1)
    const waiting = host.vms
      .filter((vm) => !vm.vf && !arrivals.has(vm.name) && ['auto', 'always'].includes(vfRuleOf(vm, host)))
      .sort((a, b) => rank(a) - rank(b) || byStart(a, b))
    const reasonOf = (vm: Vm, vf: string) =>
      vm.rules?.vf === 'always' ? `${vfRuleSaid(vm)}: takes free VF ${vf} first, for good` : `static-vf: first come first served, takes free VF ${vf} for good`
    items.push(...handOut(host, waiting, free, reasonOf, rejected))
  }
  return withRejected(items.length > 0 ? {items} : {items, noop: 'static-vf: no free VF, or every VM holds one; VFs are never taken back'}, rejected)
}
