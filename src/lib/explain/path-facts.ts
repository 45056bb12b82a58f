// What every policy's path explanation starts from: the VM's path after the cycle, its score,
// and the VF actions the cycle took on it. Pure.
import type {Action, VmScore} from '../document/schema.js'
import type {CycleView} from './cycle-view.js'
import type {Threshold} from './thresholds.js'

/** Why the VM has its path. */
export interface PathExplanation {
  /** The decisive figures against their thresholds, in a few words. */
  decidedBy: string
  /** In full. */
  text: string
  /** In a few words, for a table row without actions. */
  short: string
  /** The thresholds the decision was measured against. */
  thresholds: Threshold[]
}

/** The facts every policy's explanation starts from. */
export interface PathFacts {
  view: CycleView
  vm: string
  host: string
  vf: string | null | undefined
  score: VmScore | undefined
  attach?: Action
  detach?: Action
  arrived: boolean
}

/** Whether an action changed (or, in a dry run, would change) the VM's path. */
export const takesEffect = (action: Action | undefined) => action?.status === 'done' || action?.status === 'dry-run'
/** The verb for an action done, or for one a dry run only planned. */
export const verb = (action: Action, done: string, dryRun: string) => (action.status === 'dry-run' ? dryRun : done)
/** "the attach-vf failed (why)": an action that did not take effect. */
export const failure = (action: Action) => `the ${action.kind} ${action.status === 'failed' ? 'failed' : 'was skipped'}${action.error ? ` (${action.error})` : ''}`

/** The facts of `vm` in the document's cycle. */
export function factsOf(view: CycleView, vm: string): PathFacts {
  const placed = view.after.get(vm) ?? view.before.get(vm)
  const actions = view.actionsOf(vm)
  const last = (kind: Action['kind']) => actions.findLast((action) => action.kind === kind)
  return {
    view,
    vm,
    host: placed?.host.name ?? '?',
    vf: placed?.vm.vf,
    score: view.vmScore(vm),
    attach: last('attach-vf'),
    detach: last('detach-vf'),
    arrived: actions.some((action) => action.kind === 'migrate' && takesEffect(action)),
  }
}
