// Flags of the stages, defined once and listed per command. Policy flags come from the policy
// modules' own defaults and docs, so --help and the code cannot drift apart.
import * as Flags from '@oclif/core/flags'
import type {OptionFlag} from '@oclif/core/interfaces'
import {BACKEND_NAMES} from '../backends/index.js'
import type {Backend} from '../backends/types.js'
import {UsageError} from '../errors.js'
import {DEFAULT_MAX_SAMPLE_AGE_SECONDS, type Freshness} from '../loop/freshness.js'
import {SEED_BALANCE_DEFAULTS, SEED_BALANCE_PARAM_DOCS, validateSeedBalanceParams} from '../policy/balance-seed.js'
import {HOTSPOT_DEFAULTS, HOTSPOT_PARAM_DOCS, validateHotspotParams} from '../policy/hotspot.js'
import type {ConfigFile, PolicyConfig} from '../config.js'
import type {HostOverrides} from '../policy/host-params.js'
import {DEFAULT_POLICY, POLICY_NAMES, type PolicyName, type PolicyParams} from '../policy/policies.js'
import {SOVA_DEFAULTS, SOVA_HOT_RECENT, SOVA_HOT_THRESHOLD, SOVA_PARAM_DOCS, type SovaParams, validateSovaParams} from '../policy/sova-params.js'
import {formatDuration, parseDuration} from './duration.js'
import {namedRecord} from '../named.js'

const durationBase = Flags.custom<number>({
  parse: async (input, _context, options) => parseDuration(input, options.name),
  helpValue: 'DURATION',
})

interface DurationOptions {
  description?: string
  helpGroup?: string
  dependsOn?: string[]
  exclusive?: string[]
}

/** A duration flag (500ms, 10s, 5m) resolved to seconds; its default is shown with its unit (`[default: 10s]`). */
export function durationFlag(options: DurationOptions & {default: number}): OptionFlag<number>
export function durationFlag(options?: DurationOptions): OptionFlag<number | undefined>
export function durationFlag(options: DurationOptions & {default?: number} = {}): OptionFlag<number> | OptionFlag<number | undefined> {
  const {default: seconds, ...rest} = options
  if (seconds === undefined) return durationBase({...rest})
  return durationBase({...rest, default: seconds, defaultHelp: async () => formatDuration(seconds)})
}

/** A decimal number flag (oclif only has integers). */
export const numberFlag = Flags.custom<number>({
  parse: async (input, _context, options) => {
    const value = Number(input)
    if (input.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${options.name}: expected a number, got "${input}"`)
    return value
  },
  helpValue: 'NUMBER',
})

/** --config: the file the hosts, policy and its parameters come from. */
export const configFlag = {
  config: Flags.string({
    description: 'Configuration file: the hosts of a real cluster, the policy and its parameters (flags win). YAML (.yaml, .yml) or JSON. Default: $SOVA_CONFIG, else $XDG_CONFIG_HOME/sova/config.{yaml,yml,json}, else /etc/sova/config.{yaml,yml,json} (sova config path says which).',
    helpValue: 'FILE',
    helpGroup: 'BACKEND',
  }),
}

export const backendFlags = {
  backend: Flags.option({
    options: BACKEND_NAMES,
    description: 'Backend: sim (the embedded simulated cluster, see sova sim reset), xen or libvirt (the hosts of the configuration file). Default: the configuration\'s hosts if it lists any, else sim.',
    helpGroup: 'BACKEND',
  })(),
  ...configFlag,
  concurrency: Flags.integer({
    min: 1,
    default: 16,
    description: 'Hosts sampled at the same time (real backends).',
    helpGroup: 'BACKEND',
  }),
}

/** --prometheus: sense through Prometheus (collect and run); acting stays with the hosts' tools. */
export const prometheusFlag = {
  prometheus: Flags.string({
    description: 'Read the cluster from this Prometheus (http(s)://host:port) instead of each host\'s tools; the configuration\'s sensing.prometheus gives the rest (docs/prometheus.md). Acting still uses the hosts\' tools.',
    helpValue: 'URL',
    helpGroup: 'BACKEND',
  }),
}

export const dryRunFlag = {
  'dry-run': Flags.boolean({description: 'Plan only: output what would be done and touch nothing.'}),
}

/** --metrics-file: Prometheus series for node_exporter's textfile collector, beside the document on stdout. */
export const metricsFileFlag = {
  'metrics-file': Flags.string({
    description: 'Also write each document\'s metrics here in the Prometheus text format (for node_exporter\'s textfile collector), atomically replaced after each document. A path that cannot be written exits 2 before anything runs.',
    helpValue: 'FILE',
    helpGroup: 'OUTPUT',
  }),
}

/** --max-sample-age: the acting stages take no decision on a sample older than this. */
export const maxSampleAgeFlag = {
  'max-sample-age': durationFlag({
    description: `Take no decision on a sample older than this by the cluster's clock (simulated time on sim): a plan from an older document is not executed, and no VF change is decided on it. Default: the configuration's maxSampleAgeSeconds, else ${DEFAULT_MAX_SAMPLE_AGE_SECONDS}s.`,
    helpGroup: 'POLICY',
  }),
}

/** The sample-age limit of an acting command, s: its flag, else the configuration's, else the default. Checked before anything runs. */
export async function resolveMaxSampleAge(flags: {'max-sample-age'?: number; config?: string}): Promise<number> {
  const {loadConfig} = await import('../config.js')
  const maxAgeSeconds = flags['max-sample-age'] ?? loadConfig(flags.config).maxSampleAgeSeconds ?? DEFAULT_MAX_SAMPLE_AGE_SECONDS
  if (!(maxAgeSeconds > 0)) throw new UsageError(`--max-sample-age: expected a duration above 0, got ${flags['max-sample-age']} s`)
  return maxAgeSeconds
}

/** The limit with the backend's clock to judge a document's age by; `onStale` hears each refusal. */
export function freshnessOf(maxAgeSeconds: number, backend: Pick<Backend, 'now'>, onStale?: (problem: string) => void): Freshness {
  return {maxAgeSeconds, now: () => backend.now(), onStale}
}

const POLICY_HELP = `Policy: ${POLICY_NAMES.join(', ')}.`

/** `score` and `run` choose the policy (default sova). */
const choosingPolicy = Flags.option({options: POLICY_NAMES, description: `${POLICY_HELP} Default: the configuration file's policy.name, else ${DEFAULT_POLICY}.`, helpGroup: 'POLICY'})

/** `balance` and `switch-vf` follow the policy that scored the document unless told otherwise. */
const followingPolicy = Flags.option({
  options: POLICY_NAMES,
  description: `${POLICY_HELP} Default: the policy that scored the document (scores.policy); another one is refused.`,
  helpGroup: 'POLICY',
})

/** A parameter's unit, from its name: the default in --help says it (60 s, 20 Mbit/s). */
const unitOf = (key: string) => (/Seconds$/.test(key) ? ' s' : /Mbps$/.test(key) ? ' Mbit/s' : '')
const sovaHelp = (key: keyof SovaParams) =>
  `${SOVA_PARAM_DOCS[key]} sova only; default ${key === 'pvCapMbps' || key === 'backendCapacityMbps' ? 'estimated per host' : `${+SOVA_DEFAULTS[key].toFixed(2)}${unitOf(key)}`}.`
const sovaNumber = (key: keyof SovaParams) => numberFlag({description: sovaHelp(key), helpGroup: 'POLICY (SOVA)'})
const sovaWhole = (key: keyof SovaParams) => Flags.integer({description: sovaHelp(key), min: 0, helpGroup: 'POLICY (SOVA)'})
const sovaSeconds = (key: keyof SovaParams) => durationFlag({description: sovaHelp(key), helpGroup: 'POLICY (SOVA)'})

/** Flag name → sova parameter, for each stage that reads it. */
const SOVA_SCORE_FLAGS = {
  'pv-cap': ['pvCapMbps', sovaNumber('pvCapMbps')],
  'backend-capacity': ['backendCapacityMbps', sovaNumber('backendCapacityMbps')],
  'saturated-share': ['saturatedShare', sovaNumber('saturatedShare')],
  'saturated-demand-factor': ['saturatedDemandFactor', sovaNumber('saturatedDemandFactor')],
  'latency-weight': ['latencyWeight', sovaNumber('latencyWeight')],
  'backoff-window': ['backoffWindowSeconds', sovaSeconds('backoffWindowSeconds')],
} as const
const SOVA_BALANCE_FLAGS = {
  'cpu-headroom': ['cpuHeadroom', sovaNumber('cpuHeadroom')],
  'max-migrations': ['maxMigrationsPerCycle', sovaWhole('maxMigrationsPerCycle')],
  'max-migrations-per-host': ['maxMigrationsPerHost', sovaWhole('maxMigrationsPerHost')],
  cooldown: ['cooldownSeconds', sovaSeconds('cooldownSeconds')],
  'host-settle': ['hostSettleSeconds', sovaSeconds('hostSettleSeconds')],
  'cooldown-backoff': ['cooldownBackoff', sovaNumber('cooldownBackoff')],
  horizon: ['horizonSeconds', sovaSeconds('horizonSeconds')],
  'watch-before-move': ['watchBeforeMoveSeconds', sovaSeconds('watchBeforeMoveSeconds')],
} as const
const SOVA_VF_FLAGS = {
  'vf-hold': ['vfHoldSeconds', sovaSeconds('vfHoldSeconds')],
  'vf-min-value': ['vfMinValueMbps', sovaNumber('vfMinValueMbps')],
  'vf-swap-margin': ['vfSwapMarginMbps', sovaNumber('vfSwapMarginMbps')],
  'attach-seconds': ['attachSeconds', sovaNumber('attachSeconds')],
  horizon: ['horizonSeconds', sovaSeconds('horizonSeconds')],
} as const
/** Every sova parameter with its flag (--target-below, shared with seed, aside). */
export const ALL_SOVA_FLAGS = {...SOVA_SCORE_FLAGS, ...SOVA_BALANCE_FLAGS, ...SOVA_VF_FLAGS}

const flagsOf = <T extends Record<string, readonly [keyof SovaParams, unknown]>>(table: T) =>
  Object.fromEntries(Object.entries(table).map(([name, [, flag]]) => [name, flag])) as {[K in keyof T]: T[K][1]}

const hotspotFlags = {
  threshold: numberFlag({
    description: `${HOTSPOT_PARAM_DOCS.threshold} Measure and default: (rx + tx) / line rate, ${HOTSPOT_DEFAULTS.threshold}, under seed-based policies; the busier direction / line rate, ${SOVA_HOT_THRESHOLD}, under sova.`,
    helpGroup: 'POLICY',
  }),
  recent: Flags.integer({description: `${HOTSPOT_PARAM_DOCS.recent} Default: ${HOTSPOT_DEFAULTS.recent} (seed-based), ${SOVA_HOT_RECENT.recent} (sova).`, helpGroup: 'POLICY'}),
  'hot-samples': Flags.integer({description: `${HOTSPOT_PARAM_DOCS.hotSamplesNeeded} Default: ${HOTSPOT_DEFAULTS.hotSamplesNeeded} (seed-based), ${SOVA_HOT_RECENT.hotSamplesNeeded} (sova).`, helpGroup: 'POLICY'}),
  order: Flags.integer({description: `${HOTSPOT_PARAM_DOCS.order} Default: ${HOTSPOT_DEFAULTS.order}.`, helpGroup: 'POLICY'}),
  predictor: Flags.option({options: ['burg', 'lsq'] as const, description: `${HOTSPOT_PARAM_DOCS.predictor} Default: ${HOTSPOT_DEFAULTS.predictor}.`, helpGroup: 'POLICY'})(),
  window: Flags.integer({description: `${HOTSPOT_PARAM_DOCS.window} Default: ${HOTSPOT_DEFAULTS.window} for burg, 2 × order + 2 for lsq.`, helpGroup: 'POLICY'}),
}

const targetBelowFlag = {
  'target-below': numberFlag({
    description: `${SEED_BALANCE_PARAM_DOCS.targetBelow} Default: ${SEED_BALANCE_DEFAULTS.targetBelow} (seed, vlm; current sample, rx + tx), ${SOVA_DEFAULTS.targetBelow} (sova; busier direction with the VM added).`,
    helpGroup: 'POLICY',
  }),
}

export const scoreFlags = {...configFlag, policy: choosingPolicy(), ...hotspotFlags, ...flagsOf(SOVA_SCORE_FLAGS)}
export const balanceFlags = {...configFlag, policy: followingPolicy(), ...targetBelowFlag, ...flagsOf(SOVA_BALANCE_FLAGS)}
export const switchVfFlags = {...configFlag, policy: followingPolicy(), ...flagsOf(SOVA_VF_FLAGS)}
export const runFlags = {...configFlag, policy: choosingPolicy(), ...hotspotFlags, ...targetBelowFlag, ...flagsOf(ALL_SOVA_FLAGS)}

type HotspotFlagValues = {threshold: number; recent: number; 'hot-samples': number; order: number; predictor: 'burg' | 'lsq'; window?: number}
type PolicyFlagValues = Partial<HotspotFlagValues> & {policy?: PolicyName; 'target-below'?: number} & {[K in keyof typeof ALL_SOVA_FLAGS]?: number}

/** A policy parameter that cannot be right: the section it belongs to, its key, and what is wrong (`key: expected ...`). */
export interface ParamProblem {
  section: 'hotspot' | 'seed' | 'sova'
  key: string
  message: string
}

/** Every problem of a parameter set, by section: one validator for flags and the configuration file. */
export function policyParamProblems(params: PolicyParams): ParamProblem[] {
  const of = (section: ParamProblem['section'], errors: string[]) => errors.map((message) => ({section, key: message.slice(0, message.indexOf(':')), message}))
  return [...of('hotspot', validateHotspotParams(params.hotspot)), ...of('seed', validateSeedBalanceParams(params.balance)), ...of('sova', validateSovaParams(params.sova))]
}

/**
 * Policy parameters: a flag wins over the configuration file, which wins over the policy's
 * default; every problem is reported at once. A policy left out by the flags means, for the
 * stages that follow scores, "the one that scored the document".
 */
export function policyParams(flags: PolicyFlagValues, config: PolicyConfig = {}): PolicyParams {
  const params = unvalidatedPolicyParams(flags, config)
  const problems = policyParamProblems(params)
  if (problems.length > 0) throw new UsageError(`bad policy parameters: ${problems.map((problem) => problem.message).join('; ')}`)
  return params
}

/** The parameters flags and a policy section give, not yet validated. */
export function unvalidatedPolicyParams(flags: PolicyFlagValues, config: PolicyConfig = {}): PolicyParams {
  const file = config.hotspot ?? {}
  const policy = flags.policy ?? config.name ?? DEFAULT_POLICY
  const sova = policy === 'sova'
  const order = flags.order ?? file.order ?? HOTSPOT_DEFAULTS.order
  const predictor = flags.predictor ?? file.predictor ?? HOTSPOT_DEFAULTS.predictor
  const sovaParams: SovaParams = {...SOVA_DEFAULTS, ...(config.sova as Partial<SovaParams> | undefined)}
  for (const [name, [key]] of Object.entries(ALL_SOVA_FLAGS)) {
    const value = flags[name as keyof typeof ALL_SOVA_FLAGS]
    if (value !== undefined) sovaParams[key] = value
  }
  if (flags['target-below'] !== undefined) sovaParams.targetBelow = flags['target-below']
  return {
    policy,
    explicitPolicy: flags.policy !== undefined,
    hotspot: {
      threshold: flags.threshold ?? file.threshold ?? (sova ? SOVA_HOT_THRESHOLD : HOTSPOT_DEFAULTS.threshold),
      recent: flags.recent ?? file.recent ?? (sova ? SOVA_HOT_RECENT.recent : HOTSPOT_DEFAULTS.recent),
      hotSamplesNeeded: flags['hot-samples'] ?? file.hotSamplesNeeded ?? (sova ? SOVA_HOT_RECENT.hotSamplesNeeded : HOTSPOT_DEFAULTS.hotSamplesNeeded),
      order,
      predictor,
      window: flags.window ?? file.window ?? (predictor === 'lsq' ? 2 * order + 2 : HOTSPOT_DEFAULTS.window),
    },
    balance: {targetBelow: flags['target-below'] ?? config.seed?.targetBelow ?? SEED_BALANCE_DEFAULTS.targetBelow},
    sova: sovaParams,
  }
}

/** A host's policy section: its own values over the file's policy section. */
export function hostPolicyConfig(section: PolicyConfig, own: NonNullable<NonNullable<ConfigFile['hosts']>[number]['policy']>): PolicyConfig {
  return {
    ...section,
    hotspot: {...section.hotspot, ...own.hotspot},
    seed: {...section.seed, ...own.seed},
    sova: {...section.sova, ...own.sova},
  }
}

/**
 * The cluster's parameters and each configured host's own: a host's `policy` section overrides the
 * file's policy section for that host, and a flag still wins over both (it is this run's choice).
 */
export function clusterPolicyParams(flags: PolicyFlagValues, config: ConfigFile = {}): PolicyParams {
  const params = policyParams(flags, config.policy)
  const hosts = namedRecord<HostOverrides>()
  for (const host of config.hosts ?? []) {
    if (!host.policy) continue
    let own: PolicyParams
    try {
      own = policyParams({...flags, policy: params.policy}, hostPolicyConfig(config.policy ?? {}, host.policy))
    } catch (error) {
      throw new UsageError(`host ${host.name}: ${(error as Error).message}`)
    }
    hosts[host.name] = {hotspot: own.hotspot, balance: own.balance, sova: own.sova}
  }
  return Object.keys(hosts).length > 0 ? {...params, hosts} : params
}

/** The policy parameters in effect for a command: its flags over the configuration file. */
export async function resolvePolicyParams(flags: PolicyFlagValues & {config?: string}): Promise<PolicyParams> {
  // Without a configuration file a stage need not load the file's reader (YAML and its checks): loadConfig would say {} too.
  const {locateConfig} = await import('../config-path.js')
  if (locateConfig(flags.config).path === undefined) return clusterPolicyParams(flags, {})
  const {loadConfig} = await import('../config.js')
  return clusterPolicyParams(flags, loadConfig(flags.config))
}
