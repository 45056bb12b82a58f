// The operator's rules: what Sova may touch. A rule set (from the configuration, one-off
// commands, drain and the hypervisors' metadata, in that order of precedence: later wins per key)
// is resolved once into each VM's and host's `rules` in the document, so every stage, `explain`,
// the tables and the metrics read the same answer and can name the rule and where it was said.
// The predicates below are what the policies and the executor ask. Pure: data in, data out.
import type {Host, HostRules, SovaDocument, Vm, VmRules} from '../document/schema.js'

/** Which VMs a rule selects: every key given must match (an exact name or a glob with * and ?, a hypervisor tag). */
export interface VmMatch {
  name?: string
  tag?: string
}

/** One rule about VMs. `auto` and `false` undo an earlier rule's key. */
export interface VmRule {
  match: VmMatch
  /** The group the rule defines (anti-affinity and reports name it). */
  group?: string
  migrate?: 'never' | 'auto'
  vf?: 'always' | 'never' | 'auto'
  exclude?: boolean
  /** No two VMs of `group` on one host (needs `group`). */
  antiAffinity?: boolean
  /** Where it was said, for reports: `configuration rules.groups[0] "databases"`, `sova rule set`, ... */
  origin: string
}

/** One rule about a host. `false` undoes an earlier rule's key. */
export interface HostRule {
  host: string
  maintenance?: boolean
  exclude?: boolean
  origin: string
}

/** Every rule in force, in order of precedence (later wins per key). */
export interface RuleSet {
  vms: readonly VmRule[]
  hosts: readonly HostRule[]
}

export const NO_RULES: RuleSet = Object.freeze({vms: [], hosts: []})

/** A glob (`*` any run, `?` one character) as an anchored regular expression. */
function globPattern(glob: string): RegExp {
  const escaped = glob.replaceAll(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')
  return new RegExp(`^${escaped}$`)
}

export function matchesVm(match: VmMatch, vm: Pick<Vm, 'name' | 'tags'>): boolean {
  if (match.name === undefined && match.tag === undefined) return false
  if (match.name !== undefined && !globPattern(match.name).test(vm.name)) return false
  if (match.tag !== undefined && !(vm.tags ?? []).includes(match.tag)) return false
  return true
}

/** The rules in force for one VM, or undefined when Sova decides everything about it. */
export function vmRulesOf(vm: Pick<Vm, 'name' | 'tags'>, rules: readonly VmRule[]): VmRules | undefined {
  const resolved: VmRules = {by: {}}
  const groups = new Set<string>()
  const antiAffinity = new Map<string, string>()
  for (const rule of rules) {
    if (!matchesVm(rule.match, vm)) continue
    if (rule.group !== undefined) {
      groups.add(rule.group)
      if (rule.antiAffinity === true) antiAffinity.set(rule.group, rule.origin)
      if (rule.antiAffinity === false) antiAffinity.delete(rule.group)
    }
    if (rule.migrate === 'never') [resolved.migrate, resolved.by.migrate] = ['never', rule.origin]
    if (rule.migrate === 'auto') [resolved.migrate, resolved.by.migrate] = [undefined, undefined]
    if (rule.vf === 'always' || rule.vf === 'never') [resolved.vf, resolved.by.vf] = [rule.vf, rule.origin]
    if (rule.vf === 'auto') [resolved.vf, resolved.by.vf] = [undefined, undefined]
    if (rule.exclude === true) [resolved.exclude, resolved.by.exclude] = [true, rule.origin]
    if (rule.exclude === false) [resolved.exclude, resolved.by.exclude] = [undefined, undefined]
  }
  if (groups.size > 0) resolved.groups = [...groups].sort()
  if (antiAffinity.size > 0) {
    resolved.antiAffinity = [...antiAffinity.keys()].sort()
    resolved.by.antiAffinity = [...new Set(antiAffinity.values())].join('; ')
  }
  return compact(resolved)
}

/** The rules in force for one host, or undefined. */
export function hostRulesOf(host: string, rules: readonly HostRule[]): HostRules | undefined {
  const resolved: HostRules = {by: {}}
  for (const rule of rules) {
    if (rule.host !== host) continue
    if (rule.maintenance === true) [resolved.maintenance, resolved.by.maintenance] = [true, rule.origin]
    if (rule.maintenance === false) [resolved.maintenance, resolved.by.maintenance] = [undefined, undefined]
    if (rule.exclude === true) [resolved.exclude, resolved.by.exclude] = [true, rule.origin]
    if (rule.exclude === false) [resolved.exclude, resolved.by.exclude] = [undefined, undefined]
  }
  return compact(resolved)
}

/** Drops undefined keys; undefined when no rule is left. */
function compact<T extends {by: Record<string, string | undefined>}>(rules: T): T | undefined {
  for (const key of Object.keys(rules) as (keyof T)[]) if (rules[key] === undefined) delete rules[key]
  for (const key of Object.keys(rules.by)) if (rules.by[key] === undefined) delete rules.by[key]
  return Object.keys(rules).length > 1 ? rules : undefined
}

/**
 * The document with every VM's and host's `rules` as this rule set says (replacing any the
 * document carried: the rules in force now are the ones that count, not those of the sample).
 */
export function withRules(doc: SovaDocument, ruleSet: RuleSet): SovaDocument {
  return {
    ...doc,
    hosts: doc.hosts.map((host) => {
      const {rules: _hostRules, ...bareHost} = host
      const hostRules = hostRulesOf(host.name, ruleSet.hosts)
      const vms = host.vms.map((vm) => {
        const {rules: _vmRules, ...bareVm} = vm
        const vmRules = vmRulesOf(vm, ruleSet.vms)
        return vmRules ? {...bareVm, rules: vmRules} : bareVm
      })
      return hostRules ? {...bareHost, vms, rules: hostRules} : {...bareHost, vms}
    }),
  }
}

/** ` (where it was said)`, or nothing when no origin is known. */
export const said = (origin: string | undefined) => (origin ? ` (${origin})` : '')

/** Why nothing leaves, enters or changes on this host (it is excluded), naming the rule; undefined when it is not. */
export function hostExcluded(host: Host): string | undefined {
  return host.rules?.exclude ? `${host.name} is excluded${said(host.rules.by.exclude)}` : undefined
}

/** Why the VM may not leave its host, naming the rule; undefined when it may. */
export function migrationBlocker(vm: Vm, host: Host): string | undefined {
  const excluded = hostExcluded(host)
  if (excluded) return excluded
  if (vm.rules?.exclude) return `${vm.name} is excluded${said(vm.rules.by.exclude)}`
  if (vm.rules?.migrate === 'never') return `${vm.name} is pinned to ${host.name} by never-migrate${said(vm.rules.by.migrate)}`
  return undefined
}

/**
 * Why the VM may not arrive on `target`, naming the rule; undefined when it may. `residents` are
 * the VMs on the target as the plan leaves it (its own VMs and this cycle's earlier arrivals).
 */
export function arrivalBlocker(vm: Vm, target: Host, residents: readonly Vm[]): string | undefined {
  const excluded = hostExcluded(target)
  if (excluded) return excluded
  if (target.rules?.maintenance) return `${target.name} is in maintenance${said(target.rules.by.maintenance)}`
  const groups = vm.rules?.antiAffinity ?? []
  if (groups.length === 0) return undefined
  for (const resident of residents) {
    if (resident.name === vm.name) continue
    const shared = (resident.rules?.antiAffinity ?? []).find((group) => groups.includes(group))
    if (shared !== undefined) return `anti-affinity group ${shared}: ${resident.name} is already on ${target.name}${said(vm.rules?.by.antiAffinity)}`
  }
  return undefined
}

/** What the rules say about the VM's path: `frozen` (excluded VM or host: no change at all), or its VF rule. */
export function vfRuleOf(vm: Vm, host: Host): 'frozen' | 'always' | 'never' | 'auto' {
  if (vm.rules?.exclude || host.rules?.exclude) return 'frozen'
  return vm.rules?.vf ?? 'auto'
}

/** Why no VF may be handed out on this host now (maintenance or excluded); undefined when one may. */
export function vfHandOutBlocker(host: Host): string | undefined {
  const excluded = hostExcluded(host)
  if (excluded) return excluded
  if (host.rules?.maintenance) return `${host.name} is in maintenance${said(host.rules.by.maintenance)}`
  return undefined
}
