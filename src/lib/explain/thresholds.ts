// The thresholds a decision was measured against: read from the document's own reasons where
// they state them (so a run with other flags or a configuration is explained with its figures),
// else the policy's defaults, and always saying which of the two it is. Pure.
import type {SovaDocument} from '../document/schema.js'
import {SEED_BALANCE_DEFAULTS} from '../policy/balance-seed.js'
import {HOTSPOT_DEFAULTS} from '../policy/hotspot.js'
import {PATH_CAPACITY} from '../policy/path-capacity.js'
import {SOVA_DEFAULTS, SOVA_HOT_THRESHOLD} from '../policy/sova-params.js'
import {ownValue} from '../named.js'

/** How a threshold's value reads: a share of line rate, a percentage, Mbit/s, seconds, a rank cut-off or a guest count. */
export type ThresholdUnit = 'share' | 'percent' | 'Mbit/s' | 's' | 'rank' | 'guests'

/** One limit a decision was measured against, and where its value comes from. */
export interface Threshold {
  /** What it bounds, in words (e.g. "free-VF minimum"). */
  what: string
  /** The flag that sets it (the configuration key has the same name in camelCase); empty for a fixed rule. */
  flag: string
  value: number
  unit: ThresholdUnit
  /** "document" when the document's reasons state it; else the default it was taken from, e.g. "sova default". */
  source: string
}

/** The thresholds of one document that do not depend on the host. */
export interface PolicyThresholds {
  targetBelow?: Threshold
  vfMinValue?: Threshold
  swapMargin?: Threshold
  hold?: Threshold
  pvCap?: Threshold
  saturatedShare?: Threshold
  cooldown?: Threshold
}

/** The `source` of a threshold the document states. */
export const FROM_DOCUMENT = 'document'

const NUMBER = String.raw`(\d+(?:\.\d+)?)`

/** Every reason the document carries, lazily: the policies write the limits they used into them. */
function* reasonsOf(doc: SovaDocument): Generator<string> {
  for (const score of Object.values(doc.scores?.hosts ?? {})) yield score.reason
  for (const move of doc.plan?.migrations ?? []) yield move.reason
  for (const change of doc.plan?.vf ?? []) yield change.reason
  yield* doc.plan?.rejected?.migrations ?? []
  yield* doc.plan?.rejected?.vf ?? []
  for (const score of Object.values(doc.scores?.vms ?? {})) yield score.reason
}

/** The first figure any of `patterns` captures in the document's reasons. */
function stated(doc: SovaDocument, patterns: RegExp[]): number | undefined {
  for (const reason of reasonsOf(doc)) {
    for (const pattern of patterns) {
      const match = pattern.exec(reason)
      if (match) return Number(match[1])
    }
  }
  return undefined
}

/** The default family a policy's thresholds come from when the document does not state them. */
function defaultsName(policy: string): string {
  return policy === 'sova' ? 'sova default' : 'seed default'
}

function threshold(
  what: string, flag: string, unit: ThresholdUnit, found: number | undefined, fallback: number, policy: string,
): Threshold {
  return found === undefined
    ? {what, flag, value: fallback, unit, source: defaultsName(policy)}
    : {what, flag, value: found, unit, source: FROM_DOCUMENT}
}

/** The port utilisation at which `host` counts as hot: its score's threshold, else its hotspot reason's, else the default. */
export function hotThresholdOf(doc: SovaDocument, host: string, policy: string): Threshold {
  const score = ownValue(doc.scores?.hosts, host)
  // Scores since the threshold field say it outright (the tables show the same figure); older ones in the reason.
  const match = score?.threshold === undefined ? new RegExp(`>= ${NUMBER}`).exec(score?.reason ?? '') : undefined
  const stated = score?.threshold ?? (match ? Number(match[1]) : undefined)
  const fallback = policy === 'sova' ? SOVA_HOT_THRESHOLD : HOTSPOT_DEFAULTS.threshold
  return threshold('hotspot threshold', '--threshold', 'share', stated, fallback, policy)
}

// Reasons say "≥ 90% of PV"; the parameter is a share.
const percentToShare = (percent: number | undefined) => (percent === undefined ? undefined : percent / 100)

/** The cluster-wide thresholds the policy that scored `doc` decides with (none for the static policies). */
export function policyThresholds(doc: SovaDocument, policy: string): PolicyThresholds {
  if (policy === 'sova') {
    return {
      targetBelow: threshold('a target must stay below', '--target-below', 'share',
        stated(doc, [new RegExp(` below ${NUMBER} after the move`), new RegExp(` ≥ ${NUMBER} with `)]), SOVA_DEFAULTS.targetBelow, policy),
      vfMinValue: threshold('free-VF minimum', '--vf-min-value', 'Mbit/s', undefined, SOVA_DEFAULTS.vfMinValueMbps, policy),
      swapMargin: threshold('swap margin', '--vf-swap-margin', 'Mbit/s',
        stated(doc, [new RegExp(`margin ${NUMBER} Mbit/s`)]), SOVA_DEFAULTS.vfSwapMarginMbps, policy),
      hold: threshold('path hold', '--vf-hold', 's', stated(doc, [new RegExp(`within the ${NUMBER} s hold`)]), SOVA_DEFAULTS.vfHoldSeconds, policy),
      pvCap: clusterPvCap(doc),
      saturatedShare: threshold('PV counts as saturated from', '--saturated-share', 'percent',
        percentToShare(stated(doc, [new RegExp(`≥ ${NUMBER}% of PV`)])), SOVA_DEFAULTS.saturatedShare, policy),
      cooldown: threshold('cooldown after a move', '--cooldown', 's', undefined, SOVA_DEFAULTS.cooldownSeconds, policy),
    }
  }
  if (policy === 'seed' || policy === 'vlm') {
    return {
      targetBelow: threshold('a target must be below', '--target-below', 'share',
        stated(doc, [new RegExp(`lowest utilisation \\S+ < ${NUMBER}`), new RegExp(`no target below ${NUMBER}`)]), SEED_BALANCE_DEFAULTS.targetBelow, policy),
    }
  }
  return {}
}

const PV_CAP = 'PV path capacity'

/**
 * The PV cap sova scored `host` with: given, estimated (and from what) or the prior, as its score
 * says (docs/path-capacity.md); the cluster's figure when the score carries none.
 */
export function pvCapOf(doc: SovaDocument, host: string): Threshold {
  const capacity = ownValue(doc.scores?.hosts, host)?.capacity
  return capacity ? {what: PV_CAP, flag: '--pv-cap', value: capacity.pvCapMbps, unit: 'Mbit/s', source: capacity.pvCapWhy} : clusterPvCap(doc)
}

/**
 * The PV cap across the document's hosts: one figure when they share it (it is pooled, unless a
 * host's own is given), else the lowest with the range; from the reasons of scores that predate the
 * estimate; else the estimator's prior (the line rate), said as such.
 */
function clusterPvCap(doc: SovaDocument): Threshold {
  const capacities = Object.values(doc.scores?.hosts ?? {}).flatMap((score) => (score.capacity ? [score.capacity] : []))
  if (capacities.length > 0) {
    const values = capacities.map((capacity) => capacity.pvCapMbps)
    const low = Math.min(...values)
    const high = Math.max(...values)
    const first = capacities[values.indexOf(low)]
    const source = low === high ? first.pvCapWhy : `per host, ${Math.round(low)}–${Math.round(high)} Mbit/s; the lowest: ${first.pvCapWhy}`
    return {what: PV_CAP, flag: '--pv-cap', value: low, unit: 'Mbit/s', source}
  }
  const found = stated(doc, [new RegExp(`of PV ${NUMBER} Mbit/s`)])
  if (found !== undefined) return {what: PV_CAP, flag: '--pv-cap', value: found, unit: 'Mbit/s', source: FROM_DOCUMENT}
  const lineRate = doc.hosts[0]?.nic.speedMbps ?? 0
  return {what: PV_CAP, flag: '--pv-cap', value: PATH_CAPACITY.pvCapPriorShare * lineRate, unit: 'Mbit/s', source: 'sova prior: the line rate, nothing estimated in this document'}
}

/** A threshold's value as people read it: 0.85, 90%, 10 Mbit/s, 60 s. */
export function formatThresholdValue(limit: Threshold): string {
  if (limit.unit === 'share') return limit.value.toFixed(2)
  if (limit.unit === 'percent') return `${Math.round(limit.value * 100)}%`
  if (limit.unit === 'rank') return `top ${limit.value}`
  if (limit.unit === 'guests') return `${limit.value} guests`
  return `${Math.round(limit.value)} ${limit.unit}`
}

/** "free-VF minimum 10 Mbit/s (sova default)": the limit, its value and where the value comes from. */
export function formatThreshold(limit: Threshold): string {
  const source = limit.source === FROM_DOCUMENT ? 'from the document' : limit.source
  return `${limit.what} ${formatThresholdValue(limit)} (${source})`
}

/** "10 Mbit/s (sova default)": a value with its source, for sentences that name the limit themselves. */
export function formatLimit(limit: Threshold): string {
  const source = limit.source === FROM_DOCUMENT ? 'from the document' : limit.source
  return `${formatThresholdValue(limit)} (${source})`
}
