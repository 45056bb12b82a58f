// The rules operators set with `sova rule set` (one-off commands), kept per cluster in the state
// store: one row per (VM or host, key), so `rule unset VM vf` drops one key and `rule set` again
// replaces it. `seq` orders them: a rule set later wins over one set earlier.
import type {HostRule, RuleSet, VmRule} from '../policy/rules.js'
import type {Sqlite} from '../store/sqlite.js'

/** The store migration that adds the table (schema-sql.ts MIGRATIONS). */
export const RULES_SCHEMA = `CREATE TABLE rules (
     cluster TEXT NOT NULL,
     kind TEXT NOT NULL CHECK (kind IN ('vm', 'host')),
     target TEXT NOT NULL,
     key TEXT NOT NULL,
     value TEXT NOT NULL,
     set_at TEXT NOT NULL,
     seq INTEGER NOT NULL,
     PRIMARY KEY (cluster, kind, target, key)
   );`

export type RuleKind = 'vm' | 'host'
export const VM_RULE_KEYS = ['migrate', 'vf', 'exclude'] as const
export const HOST_RULE_KEYS = ['maintenance', 'exclude'] as const
export type RuleKey = (typeof VM_RULE_KEYS)[number] | (typeof HOST_RULE_KEYS)[number]

/** One key of one stored rule. */
export interface StoredRule {
  kind: RuleKind
  target: string
  key: RuleKey
  /** `never`, `always`, `auto`, `true`, `false`. */
  value: string
  setAt: string
}

/** Sets keys of one VM's or host's rule; returns the keys whose value changed (a repeat changes nothing). */
export function setRules(sql: Sqlite, cluster: string, kind: RuleKind, target: string, values: Partial<Record<RuleKey, string>>, at: string): RuleKey[] {
  return sql.transaction(() => {
    const changed: RuleKey[] = []
    for (const [key, value] of Object.entries(values) as [RuleKey, string][]) {
      const before = sql.get<{value: string}>('SELECT value FROM rules WHERE cluster = ? AND kind = ? AND target = ? AND key = ?', cluster, kind, target, key)
      if (before?.value === value) continue
      sql.run(`INSERT INTO rules (cluster, kind, target, key, value, set_at, seq)
          VALUES (?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM rules))
          ON CONFLICT (cluster, kind, target, key) DO UPDATE SET value = excluded.value, set_at = excluded.set_at, seq = excluded.seq`,
        cluster, kind, target, key, value, at)
      changed.push(key)
    }
    return changed
  })
}

/** Removes keys (all of them when `keys` is empty) of one VM's or host's rule; returns the keys removed. */
export function unsetRules(sql: Sqlite, cluster: string, kind: RuleKind, target: string, keys: readonly RuleKey[]): RuleKey[] {
  return sql.transaction(() => {
    const held = sql.all<{key: RuleKey}>('SELECT key FROM rules WHERE cluster = ? AND kind = ? AND target = ? ORDER BY key', cluster, kind, target).map((row) => row.key)
    const removed = keys.length === 0 ? held : held.filter((key) => keys.includes(key))
    for (const key of removed) sql.run('DELETE FROM rules WHERE cluster = ? AND kind = ? AND target = ? AND key = ?', cluster, kind, target, key)
    return removed
  })
}

/** The stored rules of a cluster, oldest first (the order of precedence). */
export function storedRules(sql: Sqlite, cluster: string): StoredRule[] {
  return sql.all<StoredRule>('SELECT kind, target, key, value, set_at AS setAt FROM rules WHERE cluster = ? ORDER BY seq', cluster)
}

const origin = (rule: StoredRule) => `sova rule set ${rule.setAt}`

/** Stored rules as a rule set: each key its own rule, in the order they were set. */
export function ruleSetOf(rules: readonly StoredRule[]): RuleSet {
  const vms: VmRule[] = []
  const hosts: HostRule[] = []
  for (const rule of rules) {
    if (rule.kind === 'vm') {
      // A VM name has no * or ?: as a glob it matches that one name.
      const said: VmRule = {match: {name: rule.target}, origin: origin(rule)}
      if (rule.key === 'migrate' && (rule.value === 'never' || rule.value === 'auto')) said.migrate = rule.value
      else if (rule.key === 'vf' && (rule.value === 'always' || rule.value === 'never' || rule.value === 'auto')) said.vf = rule.value
      else if (rule.key === 'exclude') said.exclude = rule.value === 'true'
      else continue
      vms.push(said)
    } else {
      const said: HostRule = {host: rule.target, origin: origin(rule)}
      if (rule.key === 'maintenance') said.maintenance = rule.value === 'true'
      else if (rule.key === 'exclude') said.exclude = rule.value === 'true'
      else continue
      hosts.push(said)
    }
  }
  return {vms, hosts}
}
