// Short words for the rules in force, where space is short (a table cell): `pinned vf:always`,
// `maint excluded`. The full account, with where each rule was said, is in the document and explain.
import type {HostRules, VmRules} from '../document/schema.js'

export function vmRuleMarkers(rules: VmRules | undefined): string {
  if (!rules) return ''
  const words: string[] = []
  if (rules.exclude) words.push('excluded')
  if (rules.migrate === 'never') words.push('pinned')
  if (rules.vf) words.push(`vf:${rules.vf}`)
  for (const group of rules.antiAffinity ?? []) words.push(`anti:${group}`)
  return words.join(' ')
}

export function hostRuleMarkers(rules: HostRules | undefined): string {
  if (!rules) return ''
  return [rules.maintenance ? 'maint' : '', rules.exclude ? 'excluded' : ''].filter(Boolean).join(' ')
}
