// Which VFs of a Xen host are Sova's to give, which are free and which are in use. Pure.
import {canonicalPci} from '../../identifiers.js'

export interface VfPoolInputs {
  /** `xl pci-assignable-list`: devices bound to pciback and not assigned to any domain. */
  assignable: string[]
  /** The PF's VFs from sysfs (`virtfnN`); undefined when sysfs did not answer. */
  pfVfs: string[] | undefined
  /** `vfs.allow` from the host's config; undefined when every assignable VF may be used. */
  allow: string[] | undefined
  /** The PCI devices each domain holds now. */
  assigned: string[]
}

export interface VfPool {
  free: string[]
  inUse: string[]
  total: number
  /** True for an address that belongs to this pool (to tell a VF from another passed-through device). */
  has(address: string): boolean
}

/**
 * The pool: assignable devices that are VFs of this host's PF (when sysfs says which) and allowed
 * by the config. Assigned devices leave the assignable list, so the pool's addresses held by
 * domains are its in-use part, and total = free + in use. With neither sysfs nor an allow list,
 * every passed-through device counts as a VF: set vfs.allow on hosts that pass through other devices.
 */
export function computeVfPool(inputs: VfPoolInputs): VfPool {
  const pf = inputs.pfVfs && new Set(inputs.pfVfs.map((vf) => canonicalPci(vf)))
  const allow = inputs.allow && new Set(inputs.allow.map((vf) => canonicalPci(vf, 'vfs.allow entry')))
  const has = (address: string) => (!pf || pf.has(address)) && (!allow || allow.has(address))
  const free = [...new Set(inputs.assignable.filter(has))].sort()
  const freeSet = new Set(free)
  const inUse = [...new Set(inputs.assigned.filter((address) => has(address) && !freeSet.has(address)))].sort()
  return {free, inUse, total: free.length + inUse.length, has}
}
