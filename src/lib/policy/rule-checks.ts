// How the planners apply the operator's rules (rules.ts): who is on each host as the plan leaves
// it (anti-affinity counts this cycle's arrivals and departures), whether an arrival gets a VF,
// and the phrases that name a VF rule. Pure.
import type {Host, Vm} from '../document/schema.js'
import {hostExcluded, said, vfHandOutBlocker} from './rules.js'

/** The VMs on each host as this cycle's plan leaves them: own VMs, minus planned departures, plus planned arrivals. */
export class Residents {
  private readonly on = new Map<string, Vm[]>()

  constructor(hosts: readonly Host[]) {
    for (const host of hosts) this.on.set(host.name, [...host.vms])
  }

  of(host: string): readonly Vm[] {
    return this.on.get(host) ?? []
  }

  move(vm: Vm, from: string, to: string): void {
    this.on.set(from, this.of(from).filter((resident) => resident.name !== vm.name))
    this.on.set(to, [...this.of(to), vm])
  }
}

/**
 * Whether a migration asks for a VF on arrival: never for a `vf: never` VM or on a host that
 * hands none out (maintenance, excluded); for a `vf: always` VM when one is free there; else
 * as the policy wants.
 */
export function vfOnArrival(vm: Vm, target: Host, freeOnTarget: number, policyWants: boolean): boolean {
  if (vm.rules?.vf === 'never' || vfHandOutBlocker(target) !== undefined) return false
  if (vm.rules?.vf === 'always') return freeOnTarget > 0
  return policyWants
}

/** `db1 has vf: never (configuration …)`: the VF rule of a VM, for reasons. */
export function vfRuleSaid(vm: Vm): string {
  return `${vm.name} has vf: ${vm.rules?.vf ?? 'auto'}${said(vm.rules?.by.vf)}`
}

/** Why a frozen VM's path is left alone (the VM or its host is excluded), naming the rule. */
export function frozenSaid(vm: Vm, host: Host): string {
  return hostExcluded(host) ?? `${vm.name} is excluded${said(vm.rules?.by.exclude)}`
}
