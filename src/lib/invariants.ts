// The safety invariants of ARCHITECTURE.md §8, as far as one raw snapshot shows them. Used by
// tests of every backend (and by fault-injection runs) to prove no action broke the cluster,
// and by `sova check` (which wants each violation as a record: which invariant, where).
// PCI addresses are per host: the same address on two hosts is two different VFs.
import type {RawSnapshot} from './backends/types.js'

/** One broken invariant, located: `detail` is the whole sentence (what checkInvariants returns). */
export interface InvariantViolation {
  invariant: string
  host: string
  vm: string
  vf: string
  detail: string
}

/** Every invariant the snapshot violates, located; empty means the snapshot is safe. */
export function snapshotViolations(snapshot: RawSnapshot, expectedVms?: ReadonlySet<string>): InvariantViolation[] {
  const problems: InvariantViolation[] = []
  const add = (invariant: string, host: string, vm: string, vf: string, detail: string) =>
    problems.push({invariant, host, vm, vf, detail})
  const placement = new Map<string, string[]>()

  for (const host of snapshot.hosts) {
    const free = new Set<string>()
    for (const vf of host.vfs.free) {
      if (free.has(vf)) add('vf-count', host.name, '', vf, `${host.name}: VF ${vf} is listed free twice`)
      free.add(vf)
    }
    const holders = new Map<string, string[]>()
    for (const vm of host.vms) {
      placement.set(vm.name, [...(placement.get(vm.name) ?? []), host.name])
      const hasVf = vm.vf !== null && vm.vf !== undefined && vm.vf !== ''
      if (vm.path === 'vf' && !hasVf) add('vf-path', host.name, vm.name, '', `${host.name}: ${vm.name} is on the VF path but holds no VF`)
      if (vm.path !== 'vf' && hasVf) add('vf-path', host.name, vm.name, vm.vf as string, `${host.name}: ${vm.name} holds VF ${vm.vf} but is on the ${vm.path} path`)
      if (!hasVf) continue
      const vf = vm.vf as string
      holders.set(vf, [...(holders.get(vf) ?? []), vm.name])
      if (free.has(vf)) add('vf-count', host.name, vm.name, vf, `${host.name}: VF ${vf} is held by ${vm.name} and also listed free`)
    }
    for (const [vf, vms] of holders) {
      if (vms.length > 1) add('vf-single-owner', host.name, vms.join(' '), vf, `${host.name}: VF ${vf} is assigned to ${vms.length} VMs (${vms.join(', ')})`)
    }
    const inUse = holders.size
    if (inUse > host.vfs.total) {
      add('vf-count', host.name, '', '', `${host.name}: ${inUse} VFs in use but the port has ${host.vfs.total}`)
    } else if (inUse + free.size > host.vfs.total) {
      add('vf-count', host.name, '', '', `${host.name}: ${inUse} VFs in use + ${free.size} free exceed the pool of ${host.vfs.total} (a VF outside the pool)`)
    }
  }

  for (const [vm, hosts] of placement) {
    if (hosts.length > 1) add('vm-duplicated', hosts.join(' '), vm, '', `${vm} is listed ${hosts.length} times, on ${hosts.join(', ')}: a VM runs on exactly one host`)
    if (expectedVms && !expectedVms.has(vm)) add('vm-appeared', hosts.join(' '), vm, '', `${vm} appeared: it was not in the cluster before`)
  }
  if (expectedVms) {
    for (const vm of [...expectedVms].sort()) {
      if (!placement.has(vm)) add('vm-lost', '', vm, '', `${vm} is lost: it is on no host`)
    }
  }
  return problems
}

/** Every invariant the snapshot violates, in words; empty means the snapshot is safe. */
export function checkInvariants(snapshot: RawSnapshot, expectedVms?: ReadonlySet<string>): string[] {
  return snapshotViolations(snapshot, expectedVms).map((violation) => violation.detail)
}
