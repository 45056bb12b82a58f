// What `sova rule set|unset|list` say: the values a command line sets, and every rule in force as a
// flat record (one per rule, in order of precedence) with the VMs or host it selects now.
import type {SovaDocument} from '../document/schema.js'
import {UsageError} from '../errors.js'
import {type HostRule, matchesVm, type RuleSet, type VmRule} from '../policy/rules.js'
import type {FlatRecord} from '../render/records.js'
import {HOST_RULE_KEYS, type RuleKey, type RuleKind, VM_RULE_KEYS} from './rules-sql.js'

/** The flags of `sova rule set` that carry a value. */
export interface RuleFlags {
  migrate?: 'never' | 'auto'
  vf?: 'always' | 'never' | 'auto'
  exclude?: boolean
  maintenance?: boolean
}

/** The keys the flags set for a VM or a host; a key that is not one of its kind is a usage error. */
export function ruleValues(kind: RuleKind, flags: RuleFlags): Partial<Record<RuleKey, string>> {
  const values: Partial<Record<RuleKey, string>> = {}
  if (flags.migrate !== undefined) values.migrate = flags.migrate
  if (flags.vf !== undefined) values.vf = flags.vf
  if (flags.exclude !== undefined) values.exclude = String(flags.exclude)
  if (flags.maintenance !== undefined) values.maintenance = String(flags.maintenance)
  const allowed: readonly string[] = kind === 'vm' ? VM_RULE_KEYS : HOST_RULE_KEYS
  const foreign = Object.keys(values).filter((key) => !allowed.includes(key))
  if (foreign.length > 0) {
    throw new UsageError(`--${foreign[0]} is a rule of ${kind === 'vm' ? 'hosts (use --host HOST)' : 'VMs (name the VM instead of --host)'}; a ${kind === 'vm' ? 'VM' : 'host'} takes ${allowed.map((key) => `--${key}`).join(', ')}`)
  }
  if (Object.keys(values).length === 0) throw new UsageError(`nothing to set: give ${allowed.map((key) => `--${key}`).join(', ')}`)
  return values
}

/** The keys `sova rule unset` names, checked against the kind. */
export function ruleKeys(kind: RuleKind, keys: readonly string[]): RuleKey[] {
  const allowed: readonly string[] = kind === 'vm' ? VM_RULE_KEYS : HOST_RULE_KEYS
  const odd = keys.find((key) => !allowed.includes(key))
  if (odd !== undefined) throw new UsageError(`"${odd}" is not a rule of a ${kind === 'vm' ? 'VM' : 'host'} (${allowed.join(', ')})`)
  return keys as RuleKey[]
}

/** A VM rule's settings in words: `migrate=never vf=always exclude anti-affinity`. */
export function vmRuleText(rule: VmRule): string {
  const parts: string[] = []
  if (rule.migrate !== undefined) parts.push(`migrate=${rule.migrate}`)
  if (rule.vf !== undefined) parts.push(`vf=${rule.vf}`)
  if (rule.exclude !== undefined) parts.push(rule.exclude ? 'exclude' : 'no-exclude')
  if (rule.antiAffinity !== undefined) parts.push(rule.antiAffinity ? 'anti-affinity' : 'no-anti-affinity')
  return parts.length === 0 ? 'member' : parts.join(' ')
}

export function hostRuleText(rule: HostRule): string {
  const parts: string[] = []
  if (rule.maintenance !== undefined) parts.push(rule.maintenance ? 'maintenance' : 'no-maintenance')
  if (rule.exclude !== undefined) parts.push(rule.exclude ? 'exclude' : 'no-exclude')
  return parts.join(' ')
}

const matchText = (rule: VmRule) => [rule.match.name === undefined ? '' : `name ${rule.match.name}`, rule.match.tag === undefined ? '' : `tag ${rule.match.tag}`].filter(Boolean).join(', ')

/** One rule in force, for `sova rule list`. */
export interface RuleRecord extends FlatRecord {
  for: 'vm' | 'host'
  match: string
  group: string
  rule: string
  origin: string
  selects: string
}

/**
 * Every rule in force as a record, in order of precedence (a later one wins per key). `selects`:
 * the VMs or the host of `doc` (the last document) it applies to, when there is one.
 */
export function ruleRecords(rules: RuleSet, doc: SovaDocument | undefined): RuleRecord[] {
  const vms = doc?.hosts.flatMap((host) => host.vms) ?? []
  const hosts = new Set(doc?.hosts.map((host) => host.name))
  const selects = (names: string[]) => (doc === undefined ? '' : names.length === 0 ? '(none now)' : names.join(' '))
  return [
    ...rules.vms.map((rule) => ({
      for: 'vm' as const, match: matchText(rule), group: rule.group ?? '', rule: vmRuleText(rule), origin: rule.origin,
      selects: selects(vms.filter((vm) => matchesVm(rule.match, vm)).map((vm) => vm.name)),
    })),
    ...rules.hosts.map((rule) => ({
      for: 'host' as const, match: `host ${rule.host}`, group: '', rule: hostRuleText(rule), origin: rule.origin,
      selects: selects(hosts.has(rule.host) ? [rule.host] : []),
    })),
  ]
}

/** The records of rules that concern one VM (its own, and its groups' as the last document says) or one host. */
export function rulesConcerning(records: readonly RuleRecord[], kind: RuleKind, target: string): RuleRecord[] {
  return records.filter((record) =>
    kind === 'host' ? record.match === `host ${target}` : record.for === 'vm' && (record.match === `name ${target}` || record.selects.split(' ').includes(target)))
}
