// What the operator's rules say about a VM and its host, in sentences naming where each was said,
// and which of them is why the VM was not moved or its path not changed. Pure.
import type {Host, Vm} from '../document/schema.js'

const from = (origin: string | undefined) => (origin ? ` (${origin})` : '')

/** Every rule in force for the VM and its host, one sentence each; empty when Sova decides everything. */
export function rulesSaid(vm: Vm, host: Host): string[] {
  const said: string[] = []
  const rules = vm.rules
  if (rules?.exclude) said.push(`${vm.name} is excluded: Sova neither moves it nor changes its path${from(rules.by.exclude)}`)
  if (rules?.migrate === 'never') said.push(`${vm.name} is pinned to its host: never migrated${from(rules.by.migrate)}`)
  if (rules?.vf === 'always') said.push(`${vm.name} keeps or gets a VF whenever one is free (vf: always)${from(rules.by.vf)}`)
  if (rules?.vf === 'never') said.push(`${vm.name} never holds a VF (vf: never)${from(rules.by.vf)}`)
  const anti = new Set(rules?.antiAffinity)
  for (const group of rules?.groups ?? []) said.push(`member of group ${group}${anti.has(group) ? `: anti-affinity, no two of its VMs on one host${from(rules?.by.antiAffinity)}` : ''}`)
  if (host.rules?.maintenance) said.push(`${host.name} is in maintenance: no VM moves in, no VF is handed out there${from(host.rules.by.maintenance)}`)
  if (host.rules?.exclude) said.push(`${host.name} is excluded: no VM moved in or out, no VF changed there${from(host.rules.by.exclude)}`)
  return said
}

/** The rule that kept the VM where it is, when one did: for "why no action". */
export function ruleThatHeld(vm: Vm, host: Host): string | undefined {
  if (host.rules?.exclude) return `${host.name} is excluded${from(host.rules.by.exclude)}`
  if (vm.rules?.exclude) return `excluded${from(vm.rules.by.exclude)}`
  if (vm.rules?.migrate === 'never') return `pinned by never-migrate${from(vm.rules.by.migrate)}`
  return undefined
}

/** The rule that decides the VM's path, when one does: for "why no VF change". */
export function pathRuleOf(vm: Vm, host: Host): string | undefined {
  if (host.rules?.exclude) return `${host.name} is excluded${from(host.rules.by.exclude)}`
  if (vm.rules?.exclude) return `excluded${from(vm.rules.by.exclude)}`
  if (vm.rules?.vf) return `vf: ${vm.rules.vf}${from(vm.rules.by.vf)}`
  return undefined
}
