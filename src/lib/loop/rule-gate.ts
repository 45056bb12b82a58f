// The executor's last look at the operator's rules: the rules in force now (a pin set after the
// plan was made, a host put in maintenance since) decide whether a planned action may start. The
// live snapshot carries no rules, so they are resolved here on it. Pure.
import type {Host, PlannedMigration, PlannedVfChange} from '../document/schema.js'
import {frozenSaid, vfRuleSaid} from '../policy/rule-checks.js'
import {arrivalBlocker, hostRulesOf, migrationBlocker, type RuleSet, vfHandOutBlocker, vfRuleOf, vmRulesOf} from '../policy/rules.js'
import {locateVm} from './plan-steps.js'

type Vm = Host['vms'][number]

const REFUSED = 'refused by the rules in force now'

const ruledVm = (vm: Vm, rules: RuleSet): Vm => ({...vm, rules: vmRulesOf(vm, rules.vms)})
const ruledHost = (host: Host, rules: RuleSet): Host => ({...host, rules: hostRulesOf(host.name, rules.hosts)})

/** Why the rules forbid the move now (the VM pinned or excluded, the target excluded, in maintenance or holding a VM of its anti-affinity group). */
export function migrationRefusal(rules: RuleSet, item: PlannedMigration, hosts: Host[]): string | undefined {
  const where = locateVm(hosts, item.vm)
  const target = hosts.find((host) => host.name === item.to)
  if (!where || !target) return undefined // the preconditions say why
  const vm = ruledVm(where.vm, rules)
  const residents = target.vms.map((resident) => ruledVm(resident, rules))
  const blocker = migrationBlocker(vm, ruledHost(where.host, rules)) ?? arrivalBlocker(vm, ruledHost(target, rules), residents)
  return blocker && `${REFUSED}: ${blocker}`
}

/** The item without a VF on arrival when the rules forbid one now (vf: never, a target that hands none out). */
export function vfOnArrivalAllowed(rules: RuleSet, item: PlannedMigration, hosts: Host[]): PlannedMigration {
  const where = locateVm(hosts, item.vm)
  const target = hosts.find((host) => host.name === item.to)
  if (!item.giveVfOnArrival || !where || !target) return item
  const refused = ruledVm(where.vm, rules).rules?.vf === 'never' || vfHandOutBlocker(ruledHost(target, rules)) !== undefined
  return refused ? {...item, giveVfOnArrival: false} : item
}

/** Why the rules forbid the VF change now: a frozen path, vf: never for an attach, vf: always for a detach, a host that hands none out. */
export function vfChangeRefusal(rules: RuleSet, change: PlannedVfChange, hosts: Host[]): string | undefined {
  const where = locateVm(hosts, change.vm)
  if (!where) return undefined
  const vm = ruledVm(where.vm, rules)
  const host = ruledHost(where.host, rules)
  const rule = vfRuleOf(vm, host)
  let blocker: string | undefined
  if (rule === 'frozen') blocker = frozenSaid(vm, host)
  else if (change.op === 'attach') blocker = rule === 'never' ? vfRuleSaid(vm) : vfHandOutBlocker(host)
  else if (rule === 'always') blocker = `${vfRuleSaid(vm)}: its VF is not taken back`
  return blocker && `${REFUSED}: ${blocker}`
}
