// The static baselines of the evaluation: static-pv (no VM ever holds a VF) and static-vf (VFs are
// handed out first come first served and never taken back). Pure.
import type {Host, PlannedVfChange} from '../document/schema.js'

const numericFirst = new Intl.Collator('en', {numeric: true})

/** static-pv: every VF held is detached; none is ever attached. */
export function planStaticPv(hosts: readonly Host[]): {items: PlannedVfChange[]; noop?: string} {
  const items: PlannedVfChange[] = []
  for (const host of hosts) {
    for (const vm of host.vms) {
      if (vm.vf) items.push({host: host.name, vm: vm.name, op: 'detach', vf: vm.vf, reason: 'static-pv: every VM runs on its para-virtual NIC'})
    }
  }
  return items.length > 0 ? {items} : {items, noop: 'static-pv: no VM holds a VF'}
}

/**
 * static-vf: a VM without a VF gets a free one, in the order the VMs were started (backend id,
 * then name); a VF once given is never taken back.
 */
export function planStaticVf(hosts: readonly Host[], arrivals: ReadonlySet<string>): {items: PlannedVfChange[]; noop?: string} {
  const items: PlannedVfChange[] = []
  for (const host of hosts) {
    const free = [...host.vfs.free].sort()
    const waiting = host.vms
      .filter((vm) => !vm.vf && !arrivals.has(vm.name))
      .sort((a, b) => numericFirst.compare(a.id, b.id) || numericFirst.compare(a.name, b.name))
    for (const vm of waiting) {
      const vf = free.shift()
      if (vf === undefined) break
      items.push({host: host.name, vm: vm.name, op: 'attach', vf, reason: `static-vf: first come first served, takes free VF ${vf} for good`})
    }
  }
  return items.length > 0 ? {items} : {items, noop: 'static-vf: no free VF, or every VM holds one; VFs are never taken back'}
}
