// The policies Sova can run, by name. Each is a choice of scoring, cluster-level and host-level
// planning; `oracle` exists only inside `sova evaluate` (it needs the simulator's true demand).

/** Policies the loop can run (collect | score | balance | migrate | switch-vf, and run). */
export const POLICY_NAMES = ['static-pv', 'static-vf', 'dsriov', 'vlm', 'seed', 'sova'] as const
export type PolicyName = (typeof POLICY_NAMES)[number]

/** The default policy of every command. */
export const DEFAULT_POLICY: PolicyName = 'sova'

/** What `sova evaluate` compares: the loop's policies and the oracle upper bound. */
export const EVALUATION_POLICIES = [...POLICY_NAMES, 'oracle'] as const
export type EvaluationPolicyName = (typeof EVALUATION_POLICIES)[number]
