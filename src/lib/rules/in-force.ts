// The rules in force: one rule set from every source, in the order of precedence (later wins per
// key): the configuration's groups in file order, what a domain's own hypervisor config says (Xen
// nomigrate=1), the configuration's per-VM and per-host entries, the one-off rules of `sova rule
// set` in the order they were set, then host rules from elsewhere (drain's maintenance). Other
// hypervisor tags are no rules by themselves: they are what a group's match.tag selects.
import type {ConfigFile} from '../config.js'
import type {HostRule, RuleSet, VmRule} from '../policy/rules.js'
import type {Store} from '../store/store.js'
import {rulesFromConfig} from './config-rules.js'
import {ruleSetOf} from './rules-sql.js'
import {XEN_NOMIGRATE_TAG} from './tags.js'

/** Rules the hypervisors' own domain configuration states. */
export const METADATA_RULES: readonly VmRule[] = [
  {match: {tag: XEN_NOMIGRATE_TAG}, migrate: 'never', origin: 'Xen domain config nomigrate=1'},
]

/** Concatenates rule sets: each later one after (over) the earlier. */
export function joinRuleSets(...sets: readonly RuleSet[]): RuleSet {
  return {vms: sets.flatMap((set) => set.vms), hosts: sets.flatMap((set) => set.hosts)}
}

/** Every rule in force for `cluster` now. `extraHosts`: host rules of other sources (drain), last. */
export function rulesInForce(config: ConfigFile, store: Pick<Store, 'storedRules'>, cluster: string, extraHosts: readonly HostRule[] = []): RuleSet {
  return joinRuleSets(rulesFromConfig(config.rules, METADATA_RULES), ruleSetOf(store.storedRules(cluster)), {vms: [], hosts: extraHosts})
}
