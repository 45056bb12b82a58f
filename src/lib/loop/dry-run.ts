// Actions as a dry run states them, apart from the Executor (apply.ts), so that a stage that only
// plans does not load what acting needs.
import type {Action} from '../document/schema.js'
import type {Step} from './plan-steps.js'

/** Action records of a plan that is not applied (dry run): same steps, nothing touched. */
export function dryRunActions(steps: Step[]): Action[] {
  return steps.map((step) => ({...step, status: 'dry-run' as const}))
}
