// Why a VM has its network path (VF or PV) after a cycle, with the figures and thresholds that
// decided it: sova's in sova-path.ts, the seed's tiers in seed-path.ts, the fixed rules of the
// other policies here. Pure.
import type {Action} from '../document/schema.js'
import type {CycleView} from './cycle-view.js'
import {factsOf, type PathExplanation, type PathFacts} from './path-facts.js'
import {explainSeed} from './seed-path.js'
import {explainSova} from './sova-path.js'

export type {PathExplanation} from './path-facts.js'

/** A policy whose VF rule is fixed: the actions it took, or the rule. */
function explainFixed(facts: PathFacts, decidedBy: string, rule: string): PathExplanation {
  const {vf, attach, detach} = facts
  const acted = [attach, detach].filter((action): action is Action => action !== undefined)
  const text = acted.length > 0
    ? acted.map((action) => `${action.kind} ${action.vf ?? ''} ${action.status}: ${action.reason}${action.error ? ` (${action.error})` : ''}`).join('; ') + '.'
    : `${vf ? `Keeps VF ${vf}` : 'Stays on PV'}: ${rule}.`
  return {decidedBy, text, short: vf ? 'keeps VF' : 'PV', thresholds: []}
}

/** Why `vm` has its path after the document's cycle. */
export function explainPath(view: CycleView, vm: string): PathExplanation {
  const facts = factsOf(view, vm)
  switch (view.policy) {
    case 'sova':
      return explainSova(facts)
    case 'seed':
    case 'dsriov':
      return explainSeed(facts)
    case 'vlm':
      return explainFixed(facts, 'vlm: VFs stay where they are', 'vlm never reallocates VFs; only an arriving VM gets a free one')
    case 'static-vf':
      return explainFixed(facts, 'static-vf: first come first served', 'static-vf hands out free VFs first come first served and never takes one back')
    case 'static-pv':
      return explainFixed(facts, 'static-pv: no VFs', 'static-pv runs every VM on its para-virtual NIC')
    case 'operator':
      return explainFixed(facts, 'operator request', 'only the operator\'s request was acted on')
    default:
      return explainFixed(facts, 'no scores (run sova score, or sova run)', 'the document has no scores or plan to explain it')
  }
}
