// What a configuration file sets for an evaluation, built in one place: `sova evaluate` builds it
// in its own thread, and each worker thread (workers.ts) builds the same from the same file's content.
import {actionBoundsOf} from '../config-bounds.js'
import type {ConfigFile} from '../config.js'
import type {ActionBounds} from '../loop/action-bounds.js'
import {policyParams} from '../cli/flags.js'
import type {PolicyName, PolicyParams} from '../policy/policies.js'
import type {RuleSet} from '../policy/rules.js'
import {rulesFromConfig} from '../rules/config-rules.js'
import {METADATA_RULES} from '../rules/in-force.js'

export interface EvaluationSetup {
  /** The configuration's rules: every loop policy evaluated honours them (one-off rules are of a real cluster's store). */
  rules: RuleSet
  /** Each loop policy's parameters: the configuration's tuning applies to every policy (its policy name does not). */
  paramsFor: (policy: PolicyName) => PolicyParams
  /** The configuration's bounds on actions at once, as `sova run` would act. */
  bounds: ActionBounds
}

/** The setup of `config`; bad policy parameters are refused here, before anything runs. */
export function evaluationSetup(config: ConfigFile): EvaluationSetup {
  const {name: _chosen, ...tuning} = config.policy ?? {}
  const paramsFor = (policy: PolicyName) => policyParams({policy}, tuning)
  paramsFor('sova')
  return {rules: rulesFromConfig(config.rules, METADATA_RULES), paramsFor, bounds: actionBoundsOf(config)}
}
