// The configuration's `rules` section: groups of VMs by name glob and/or hypervisor tag, rules per
// VM and per host. Its schema (strict, like the rest of the file), the checks the schema cannot
// say, and the RuleSet it contributes, each rule naming the key that said it.
import {type Static, Type} from '@sinclair/typebox'
import {NAME_EXPECTED, NAME_PATTERN, TAG_PATTERN} from '../document/schema.js'
import type {HostRule, RuleSet, VmRule} from '../policy/rules.js'

const strict = {additionalProperties: false} as const

/** A VM name glob: the characters of a name plus `*` (any run) and `?` (one character). */
export const GLOB_PATTERN = '^[A-Za-z0-9_.:@+*?-]{1,64}$'
const GLOB_EXPECTED = 'a VM name or a glob of one (letters, digits, . _ : @ + - and the wildcards * and ?)'

const migrate = Type.Optional(Type.Union([Type.Literal('never'), Type.Literal('auto')], {description: 'never: pinned to its host (no migration, drain included); auto: Sova decides (undoes an earlier rule)', expected: 'never or auto'}))
const vf = Type.Optional(Type.Union([Type.Literal('always'), Type.Literal('never'), Type.Literal('auto')], {description: 'always: keeps or gets a VF; never: never holds one; auto: Sova decides', expected: 'always, never or auto'}))
const exclude = (what: string) => Type.Optional(Type.Boolean({description: `true: Sova neither moves ${what} nor changes its path; its load still counts. false undoes an earlier rule`}))

const VmRuleEntry = Type.Object({migrate, vf, exclude: exclude('the VM')}, strict)

const GroupEntry = Type.Object(
  {
    name: Type.Optional(Type.String({pattern: NAME_PATTERN, description: 'the group\'s name (reports and anti-affinity name it)', expected: NAME_EXPECTED})),
    match: Type.Object(
      {
        name: Type.Optional(Type.String({pattern: GLOB_PATTERN, description: 'VM names this glob matches', expected: GLOB_EXPECTED})),
        tag: Type.Optional(Type.String({pattern: TAG_PATTERN, description: 'VMs whose hypervisor metadata carries this tag', expected: 'a tag of letters, digits and . _ : @ + - (at most 64)'})),
      },
      {...strict, description: 'which VMs: every key given must match'},
    ),
    migrate,
    vf,
    exclude: exclude('the VMs'),
    antiAffinity: Type.Optional(Type.Boolean({description: 'true: no two VMs of the group on one host (needs name)'})),
  },
  strict,
)

const HostRuleEntry = Type.Object(
  {
    maintenance: Type.Optional(Type.Boolean({description: 'true: no VM moves in and no VF is handed out here'})),
    exclude: exclude('VMs in or out of the host'),
  },
  strict,
)

const byName = <T extends ReturnType<typeof Type.Object>>(entry: T, what: string) =>
  Type.Optional(Type.Record(Type.String({pattern: NAME_PATTERN}), entry, {additionalProperties: false, description: `rules by ${what} name`, expected: `an object keyed by ${what} name`}))

export const RulesSection = Type.Object(
  {
    groups: Type.Optional(Type.Array(GroupEntry, {description: 'groups of VMs, in order of precedence (a later group wins per key)'})),
    vms: byName(VmRuleEntry, 'VM'),
    hosts: byName(HostRuleEntry, 'host'),
  },
  {...strict, description: 'what Sova may touch (README "Rules: what Sova may touch")'},
)
export type RulesSection = Static<typeof RulesSection>

export interface RulesProblem {
  pointer: string
  line: string
}

/** What the schema cannot say: a match that selects nothing, anti-affinity of a group without a name. */
export function rulesProblems(rules: RulesSection | undefined): RulesProblem[] {
  const problems: RulesProblem[] = []
  for (const [index, group] of (rules?.groups ?? []).entries()) {
    if (group.match.name === undefined && group.match.tag === undefined) {
      problems.push({pointer: `/rules/groups/${index}/match`, line: `rules.groups[${index}].match: selects no VM: give name (a glob) and/or tag`})
    }
    if (group.antiAffinity === true && group.name === undefined) {
      problems.push({pointer: `/rules/groups/${index}/antiAffinity`, line: `rules.groups[${index}].antiAffinity: needs the group's name (anti-affinity is of a named group)`})
    }
  }
  return problems
}

const groupOrigin = (index: number, name: string | undefined) => `configuration rules.groups[${index}]${name === undefined ? '' : ` "${name}"`}`

/**
 * The configuration's rules, in their order of precedence: groups in file order, then the rules
 * of the hypervisors' metadata (`metadata`: what a domain's own config says, more specific than a
 * name pattern), then the per-VM entries (a VM's own entry wins over both); hosts by their entries.
 */
export function rulesFromConfig(rules: RulesSection | undefined, metadata: readonly VmRule[] = []): RuleSet {
  const vms: VmRule[] = []
  for (const [index, group] of (rules?.groups ?? []).entries()) {
    vms.push({
      match: {...group.match},
      ...(group.name === undefined ? {} : {group: group.name}),
      ...keysOf(group),
      ...(group.antiAffinity === undefined ? {} : {antiAffinity: group.antiAffinity}),
      origin: groupOrigin(index, group.name),
    })
  }
  vms.push(...metadata)
  // Own entries only (Object.entries): a VM named __proto__ is a key like any other.
  for (const [vm, entry] of Object.entries(rules?.vms ?? {})) vms.push({match: {name: vm}, ...keysOf(entry), origin: `configuration rules.vms.${vm}`})
  const hosts: HostRule[] = Object.entries(rules?.hosts ?? {}).map(([host, entry]) => ({
    host,
    ...(entry.maintenance === undefined ? {} : {maintenance: entry.maintenance}),
    ...(entry.exclude === undefined ? {} : {exclude: entry.exclude}),
    origin: `configuration rules.hosts.${host}`,
  }))
  return {vms, hosts}
}

function keysOf(entry: {migrate?: 'never' | 'auto'; vf?: 'always' | 'never' | 'auto'; exclude?: boolean}): Pick<VmRule, 'migrate' | 'vf' | 'exclude'> {
  return {
    ...(entry.migrate === undefined ? {} : {migrate: entry.migrate}),
    ...(entry.vf === undefined ? {} : {vf: entry.vf}),
    ...(entry.exclude === undefined ? {} : {exclude: entry.exclude}),
  }
}
