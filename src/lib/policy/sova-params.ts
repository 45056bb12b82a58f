// The sova policy's parameters: defaults, one sentence of documentation each (for --help and the
// man page) and validation, beside each other so that flags and code cannot drift apart.

/** Parameters of the sova policy (the hotspot test's own parameters are shared with seed). */
export interface SovaParams {
  /** A target's busier port direction, forecast with the VM added and this cycle's reservations, must stay below. */
  targetBelow: number
  /** A target's CPU use after the move must stay within this share of its CPUs. */
  cpuHeadroom: number
  /** At most this many migrations per cycle in the whole cluster. */
  maxMigrationsPerCycle: number
  /** At most this many migrations out of, and into, any one host per cycle. */
  maxMigrationsPerHost: number
  /** A host that shed a VM sheds no other for this long, so the samples show the move's effect first (seconds). */
  hostSettleSeconds: number
  /** A VM that moved stays where it is at least this long (seconds). */
  cooldownSeconds: number
  /** Each further move within the backoff window multiplies the cooldown by this factor. */
  cooldownBackoff: number
  /** How far back moves count for the backoff (seconds); also how far back the policy remembers. */
  backoffWindowSeconds: number
  /** Benefits and costs are weighed over this horizon (seconds). */
  horizonSeconds: number
  /** A host that turned hot while the loop watched is moved off only once the loop has watched it this long (seconds). */
  watchBeforeMoveSeconds: number
  /** A VM whose VF was attached or detached keeps its path at least this long (seconds). */
  vfHoldSeconds: number
  /** A free VF goes only to a VM it is worth at least this much to (Mbit/s-equivalent). */
  vfMinValueMbps: number
  /** A VF moves from one VM to another only if the gain exceeds the loss by at least this much (Mbit/s). */
  vfSwapMarginMbps: number
  /** The PV path's capacity per direction, Mbit/s: above it a VM gains throughput from a VF. Absent: estimated per host (path-capacity.ts). */
  pvCapMbps?: number
  /** PV traffic (rx + tx, Mbit/s) a host's backend (netback, vhost) carries before its CPU saturates. Absent: estimated per host. */
  backendCapacityMbps?: number
  /** A PV VM at or above this share of pvCapMbps is taken as saturated (its demand is higher than it gets). */
  saturatedShare: number
  /** A saturated VM's demand is guessed as this multiple of its rate, until it has been seen on a VF. */
  saturatedDemandFactor: number
  /** Mbit/s of VF value per Mbit/s of traffic for lower latency and less host backend CPU. */
  latencyWeight: number
  /** Seconds a VF hot-plug keeps the VM on its PV path (the cost of a switch). */
  attachSeconds: number
}

/**
 * sova's hotspot threshold on the busier port direction. One direction at 85% of line rate is
 * where queueing starts to cost; the seed's 0.75 was against rx + tx summed (a different measure).
 */
export const SOVA_HOT_THRESHOLD = 0.85

/** sova calls a port hot after 2 of its last 3 samples (with the forecast): 20–30 s, not the seed's 30–50 s. */
export const SOVA_HOT_RECENT = Object.freeze({recent: 3, hotSamplesNeeded: 2})

/** The parameters sova has defaults for: every one but the two path figures it estimates unless told. */
export type SovaDefaults = Required<Omit<SovaParams, EstimatedParam>>

/** Parameters that are estimated per host unless a flag or the configuration gives them. */
export const ESTIMATED_PARAMS = ['pvCapMbps', 'backendCapacityMbps'] as const
export type EstimatedParam = (typeof ESTIMATED_PARAMS)[number]

export const SOVA_DEFAULTS: Readonly<SovaDefaults> = Object.freeze({
  targetBelow: 0.7,
  cpuHeadroom: 0.9,
  maxMigrationsPerCycle: 2,
  maxMigrationsPerHost: 1,
  hostSettleSeconds: 60,
  cooldownSeconds: 300,
  cooldownBackoff: 2,
  backoffWindowSeconds: 1800,
  horizonSeconds: 120,
  watchBeforeMoveSeconds: 120,
  vfHoldSeconds: 60,
  vfMinValueMbps: 10,
  vfSwapMarginMbps: 20,
  // pvCapMbps and backendCapacityMbps have no default: unless given, each host's are estimated from
  // what the samples show (path-capacity.ts), never copied from the simulator's constants.
  saturatedShare: 0.9,
  saturatedDemandFactor: 1.5,
  latencyWeight: 0.1,
  attachSeconds: 1.5,
})

export const SOVA_PARAM_DOCS: Readonly<Record<keyof SovaParams, string>> = Object.freeze({
  targetBelow: "A target host's busier port direction, with the VM and this cycle's other moves added, must stay below this share of line rate.",
  cpuHeadroom: "A target host's CPU use after the move must stay within this share of its CPUs.",
  maxMigrationsPerCycle: 'At most this many migrations per cycle in the whole cluster.',
  maxMigrationsPerHost: 'At most this many migrations out of, and into, any one host per cycle.',
  hostSettleSeconds: "A host that shed a VM sheds no other for this many seconds, so its samples show the move's effect first.",
  cooldownSeconds: 'A VM that migrated stays on its host at least this many seconds.',
  cooldownBackoff: 'Each further migration of a VM within the backoff window multiplies its cooldown by this factor.',
  backoffWindowSeconds: 'Seconds over which earlier migrations count for the backoff.',
  horizonSeconds: 'Seconds over which a move\'s relief is weighed against the traffic it costs.',
  watchBeforeMoveSeconds: 'A host that turned hot while the loop watched it is moved off only once the loop has watched it this many seconds: before, a burst cannot be told from a lasting change (a host hot since its first sample is not held back).',
  vfHoldSeconds: 'A VM whose VF was attached or detached keeps its path at least this many seconds (hysteresis).',
  vfMinValueMbps: 'A free VF goes only to a VM it is worth at least this many Mbit/s to.',
  vfSwapMarginMbps: 'A VF moves between VMs only if the gain exceeds the loss by at least this many Mbit/s.',
  pvCapMbps: 'Throughput of the para-virtual path per direction, Mbit/s; above it a VF pays off. Given, it is used as known; unset, it is estimated from PV VMs that level off below what VFs carry (docs/path-capacity.md).',
  backendCapacityMbps: "PV traffic (rx + tx, Mbit/s) a host's backend (netback, vhost) carries before its CPU saturates; near it, every PV VM gains from a VF. Given, it is used as known; unset, it is estimated per host from the backend's CPU against its PV traffic (docs/path-capacity.md).",
  saturatedShare: 'A VM on its PV NIC at or above this share of the PV capacity counts as saturated.',
  saturatedDemandFactor: 'A saturated VM\'s demand is guessed as this multiple of its rate until it has been seen on a VF.',
  latencyWeight: 'Mbit/s of VF value per Mbit/s of traffic, for lower latency and less host backend CPU.',
  attachSeconds: 'Seconds a VF hot-plug keeps the VM on its PV path: the cost of a switch.',
})

/** Parameters that must be whole numbers; the rest are decimal. */
const WHOLE: ReadonlySet<keyof SovaParams> = new Set(['maxMigrationsPerCycle', 'maxMigrationsPerHost'])

/** Parameters that are shares of something (0..1]. */
const SHARES: ReadonlySet<keyof SovaParams> = new Set(['targetBelow', 'cpuHeadroom', 'saturatedShare'])

/** Every problem with a parameter set at once, each saying what was expected and what came in. */
export function validateSovaParams(params: SovaParams): string[] {
  const errors: string[] = []
  for (const key of Object.keys(SOVA_PARAM_DOCS) as (keyof SovaParams)[]) {
    const value = params[key]
    if (value === undefined && (ESTIMATED_PARAMS as readonly string[]).includes(key)) continue // estimated
    const shown = `${typeof value} ${String(value)}`
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      errors.push(`${key}: expected a number >= 0, got ${shown}`)
    } else if (WHOLE.has(key) && !Number.isInteger(value)) {
      errors.push(`${key}: expected a whole number >= 0, got ${shown}`)
    } else if (SHARES.has(key) && (value <= 0 || value > 1)) {
      errors.push(`${key}: expected a share greater than 0 and at most 1, got ${shown}`)
    } else if (key === 'cooldownBackoff' && value < 1) {
      errors.push(`${key}: expected a factor >= 1, got ${shown}`)
    } else if ((key === 'pvCapMbps' || key === 'backendCapacityMbps' || key === 'saturatedDemandFactor') && value <= 0) {
      errors.push(`${key}: expected a number > 0, got ${shown}`)
    }
  }
  return errors
}
