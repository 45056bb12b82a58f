// Flags of the stages, defined once and listed per command. Policy flags come from the policy
// modules' own defaults and docs, so --help and the code cannot drift apart.
import * as Flags from '@oclif/core/flags'
import {UsageError} from '../errors.js'
import {SEED_BALANCE_DEFAULTS, SEED_BALANCE_PARAM_DOCS, validateSeedBalanceParams} from '../policy/balance-seed.js'
import {HOTSPOT_DEFAULTS, HOTSPOT_PARAM_DOCS, validateHotspotParams} from '../policy/hotspot.js'
import type {PolicyParams} from '../stages.js'
import {parseDuration} from './duration.js'

/** A duration flag (500ms, 10s, 5m) resolved to seconds. */
export const durationFlag = Flags.custom<number>({
  parse: async (input, _context, options) => parseDuration(input, options.name),
  helpValue: 'DURATION',
})

/** A decimal number flag (oclif only has integers). */
export const numberFlag = Flags.custom<number>({
  parse: async (input, _context, options) => {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${options.name}: expected a number, got "${input}"`)
    return value
  },
  helpValue: 'NUMBER',
})

export const backendFlags = {
  backend: Flags.option({
    options: ['sim'] as const,
    default: 'sim' as const,
    description: 'Backend: sim, the embedded simulated cluster (see sova sim reset).',
    helpGroup: 'BACKEND',
  })(),
}

export const dryRunFlag = {
  'dry-run': Flags.boolean({description: 'Plan only: output what would be done and touch nothing.'}),
}

const policy = Flags.option({
  options: ['seed'] as const,
  default: 'seed' as const,
  description: 'Policy: seed, the prototype\'s (ALGORITHM.md §1-2).',
  helpGroup: 'POLICY',
})

export const scoreFlags = {
  policy: policy(),
  threshold: numberFlag({description: HOTSPOT_PARAM_DOCS.threshold, default: HOTSPOT_DEFAULTS.threshold, helpGroup: 'POLICY'}),
  recent: Flags.integer({description: HOTSPOT_PARAM_DOCS.recent, default: HOTSPOT_DEFAULTS.recent, helpGroup: 'POLICY'}),
  'hot-samples': Flags.integer({description: HOTSPOT_PARAM_DOCS.hotSamplesNeeded, default: HOTSPOT_DEFAULTS.hotSamplesNeeded, helpGroup: 'POLICY'}),
  order: Flags.integer({description: HOTSPOT_PARAM_DOCS.order, default: HOTSPOT_DEFAULTS.order, helpGroup: 'POLICY'}),
  predictor: Flags.option({options: ['burg', 'lsq'] as const, default: HOTSPOT_DEFAULTS.predictor, description: HOTSPOT_PARAM_DOCS.predictor, helpGroup: 'POLICY'})(),
  window: Flags.integer({description: `${HOTSPOT_PARAM_DOCS.window} Default: ${HOTSPOT_DEFAULTS.window} for burg, 2 × order + 2 for lsq.`, helpGroup: 'POLICY'}),
}

export const balanceFlags = {
  policy: policy(),
  'target-below': numberFlag({description: SEED_BALANCE_PARAM_DOCS.targetBelow, default: SEED_BALANCE_DEFAULTS.targetBelow, helpGroup: 'POLICY'}),
}

type ScoreFlagValues = {threshold: number; recent: number; 'hot-samples': number; order: number; predictor: 'burg' | 'lsq'; window?: number}
type BalanceFlagValues = {'target-below': number}

/** Policy parameters from flags (absent flags give the defaults), every problem reported at once. */
export function policyParams(flags: Partial<ScoreFlagValues & BalanceFlagValues>): PolicyParams {
  const order = flags.order ?? HOTSPOT_DEFAULTS.order
  const predictor = flags.predictor ?? HOTSPOT_DEFAULTS.predictor
  const params: PolicyParams = {
    hotspot: {
      threshold: flags.threshold ?? HOTSPOT_DEFAULTS.threshold,
      recent: flags.recent ?? HOTSPOT_DEFAULTS.recent,
      hotSamplesNeeded: flags['hot-samples'] ?? HOTSPOT_DEFAULTS.hotSamplesNeeded,
      order,
      predictor,
      window: flags.window ?? (predictor === 'lsq' ? 2 * order + 2 : HOTSPOT_DEFAULTS.window),
    },
    balance: {targetBelow: flags['target-below'] ?? SEED_BALANCE_DEFAULTS.targetBelow},
  }
  const errors = [...validateHotspotParams(params.hotspot), ...validateSeedBalanceParams(params.balance)]
  if (errors.length > 0) throw new UsageError(`bad policy parameters: ${errors.join('; ')}`)
  return params
}
