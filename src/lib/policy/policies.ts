// The policies Sova can run, by name. Each is a choice of analysis (scores), cluster-level plan
// (migrations) and host-level plan (VF changes); the stages call these and never know which
// policy runs. `clairvoyant` and `bound` exist only inside `sova evaluate` (they need the
// simulator's true demand).
import type {Host, PlannedMigration, PlannedVfChange, Scores, SovaDocument} from '../document/schema.js'
import type {HistoryEntry} from '../loop/history.js'
import {seriesOf} from '../loop/history.js'
import {planSeedMigrations, type SeedBalanceParams} from './balance-seed.js'
import {allHostParams, type HostOverrides, hostParamsResolver, type HostParamsOf} from './host-params.js'
import type {HotspotParams} from './hotspot.js'
import {scoreDocument} from './score.js'
import {planSovaMigrations} from './sova-balance.js'
import type {SovaParams} from './sova-params.js'
import {scoreSova} from './sova-score.js'
import {planSovaVf} from './sova-vf.js'
import {planStaticPv, planStaticVf} from './static.js'
import {planSeedVf} from './vf-seed.js'

/** Policies the loop can run (collect | score | balance | migrate | switch-vf, and run). */
export const POLICY_NAMES = ['static-pv', 'static-vf', 'dsriov', 'vlm', 'seed', 'sova'] as const
export type PolicyName = (typeof POLICY_NAMES)[number]

/** The default policy of every command. */
export const DEFAULT_POLICY: PolicyName = 'sova'

/** What `sova evaluate` compares: the loop's policies, a clairvoyant heuristic and the upper bound. */
export const EVALUATION_POLICIES = [...POLICY_NAMES, 'clairvoyant', 'bound'] as const
export type EvaluationPolicyName = (typeof EVALUATION_POLICIES)[number]

/** One line per policy, for --help and listings. */
export const POLICY_DOCS: Readonly<Record<EvaluationPolicyName, string>> = Object.freeze({
  'static-pv': 'every VM on its para-virtual NIC: VFs are detached and never given; no migration',
  'static-vf': 'free VFs go to VMs first come first served and are never taken back; no migration',
  dsriov: "the seed's host level only: VFs follow the 2/3-of-2/3 ranking; no migration",
  vlm: "the seed's cluster level only: hotspot migrations; VFs stay where they are (an arrival gets a free one)",
  seed: "the research prototype's policy: dynamic SR-IOV and hotspot migration (README: Policies)",
  sova: 'VFs to the VMs they are worth most to, with hysteresis; migration by relief vs cost with reserved headroom, cooldowns and caps',
  clairvoyant: 'evaluation only, a heuristic (not a bound): knows each second\'s demand, switches and moves instantly and for free',
  bound: 'evaluation only, not a policy: the most traffic (and least response time) any policy could reach under the simulator\'s rules (docs/bound.md)',
})

/** Everything a policy decides with, from flags and defaults. */
export interface PolicyParams {
  policy: PolicyName
  /** False when the policy was not chosen: balance and switch-vf then follow the document's scores. */
  explicitPolicy: boolean
  hotspot: HotspotParams
  balance: SeedBalanceParams
  sova: SovaParams
  /** Hosts' own parameters (the configuration's hosts[].policy), by host name. */
  hosts?: Readonly<Record<string, HostOverrides>>
}

/** Each host's parameters: its overrides over the cluster's. */
export function hostParamsOf(params: PolicyParams): HostParamsOf {
  return hostParamsResolver(params, params.hosts)
}

/** The longest prediction window any host needs. */
function longestWindow(params: PolicyParams): number {
  return Math.max(...allHostParams(params, params.hosts).map(({hotspot}) => Math.max(hotspot.recent, hotspot.window)))
}

/** What a policy's plan stage returns: the plan items, why nothing (if so), what it rejected. */
export interface StagePlan<T> {
  items: T[]
  noop?: string
  rejected?: string[]
}

/**
 * What the policy's analysis looks back on: the last `samples` samples (prediction) and, for
 * sova, every sample of the last `seconds` (cooldowns, holds, backoff), counted in time, not in
 * samples, because a cycle that migrates takes longer than one period.
 */
export function historyNeeds(params: PolicyParams): {samples: number; seconds: number} {
  const samples = longestWindow(params)
  if (params.policy !== 'sova') return {samples, seconds: 0}
  const seconds = allHostParams(params, params.hosts).map(({sova}) =>
    Math.max(sova.backoffWindowSeconds, sova.cooldownSeconds, sova.vfHoldSeconds, sova.hostSettleSeconds, sova.watchBeforeMoveSeconds),
  )
  return {samples, seconds: Math.max(...seconds)}
}

/** The analysis of one document: per-VM and per-host scores. */
export function scorePolicy(doc: SovaDocument, entries: readonly HistoryEntry[], params: PolicyParams): Scores {
  if (params.policy === 'sova') return scoreSova(doc, entries, params.hotspot, params.sova, hostParamsOf(params), longestWindow(params))
  const series = seriesOf(entries, doc, 'sum', longestWindow(params))
  return {...scoreDocument(doc, series, params.hotspot, hostParamsOf(params)), policy: params.policy}
}

/** The cluster-level plan: which VMs migrate where. */
export function planMigrations(doc: SovaDocument, params: PolicyParams): StagePlan<PlannedMigration> {
  switch (params.policy) {
    case 'static-pv':
    case 'static-vf':
    case 'dsriov':
      return {items: [], noop: `${params.policy} never migrates`}
    case 'vlm':
    case 'seed': {
      const plan = planSeedMigrations(doc, params.balance, hostParamsOf(params))
      return {items: plan.migrations, noop: plan.noop, rejected: plan.skipped}
    }
    case 'sova': {
      const plan = planSovaMigrations(doc, params.hotspot, params.sova, hostParamsOf(params))
      return {items: plan.migrations, noop: plan.noop, rejected: plan.rejected}
    }
  }
}

/** The host-level plan on the cluster as the migrations left it: which VFs to attach or detach. */
export function planVf(
  hosts: readonly Host[],
  scores: Scores,
  arrivals: ReadonlySet<string>,
  at: string,
  params: PolicyParams,
): StagePlan<PlannedVfChange> {
  switch (params.policy) {
    case 'static-pv':
      return planStaticPv(hosts)
    case 'static-vf':
      return planStaticVf(hosts, arrivals)
    case 'vlm':
      return {items: [], noop: 'vlm never reallocates VFs (an arriving VM got a free one with its migration)'}
    case 'dsriov':
    case 'seed': {
      const plan = planSeedVf(hosts, scores.vms as Record<string, {ioRatio: number; netScore: number}>, arrivals)
      return {items: plan.changes, noop: plan.noop, rejected: plan.skipped}
    }
    case 'sova': {
      const plan = planSovaVf(hosts, scores, arrivals, at, params.sova, hostParamsOf(params))
      return {items: plan.changes, noop: plan.noop, rejected: plan.rejected}
    }
  }
}
