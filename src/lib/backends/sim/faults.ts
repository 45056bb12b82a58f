// Injected faults of the simulated cluster (`sova sim reset --faults`): the rates, their parser, and
// the pure decision "does this acting call fail, and how". Each decision is a hash of (seed, draw
// counter), the counter stored with the cluster, so the same scenario, seed and sequence of calls
// give the same faults, in one process or across a pipeline's processes.
import {UsageError} from '../../errors.js'
import {hashUnit} from './demand.js'

/** The fault kinds, in the order a draw is matched against them. */
export const FAULT_KINDS = ['attach', 'detach', 'migrate', 'timeout', 'outage', 'vanish'] as const

/** One kind of injected fault. */
export type FaultKind = (typeof FAULT_KINDS)[number]

/** Probability per acting call of each kind (absent = 0). */
export type FaultRates = Partial<Record<FaultKind, number>>

/** What a cluster stores: the rates and how many fault draws it has made so far. */
export interface SimFaults {
  rates: FaultRates
  draws: number
}

/** The acting calls a fault can hit. */
export type FaultOp = 'attach' | 'detach' | 'migrate'

/** How long a call waits before it reports a timeout, s: a client-side deadline. Assumption. */
export const FAULT_TIMEOUT_S: Record<FaultOp, number> = {attach: 30, detach: 30, migrate: 120}

/** A fault decided for one call; `moved` (timeout of a migration only): the VM moved anyway. */
export type FaultDecision =
  | {kind: 'fail' | 'timeout' | 'vanish'; moved?: boolean}
  | {kind: 'outage'; host: 'source' | 'target'}

// Hash channels, apart from the scenario's build-time channels (scenarios.ts) by their size.
const Channel = {Kind: 9101, Detail: 9102} as const

/** Parses `attach=0.1,timeout=0.02,...` or `none` into rates; a bad part is a usage error naming it. */
export function parseFaults(spec: string): FaultRates {
  const trimmed = spec.trim()
  if (trimmed === 'none') return {}
  const usage = `expected KIND=RATE[,KIND=RATE...] with KIND one of ${FAULT_KINDS.join(', ')} and RATE from 0 to 1, or none`
  if (trimmed === '') throw new UsageError(`--faults: empty; ${usage}`)
  const rates: FaultRates = {}
  for (const part of trimmed.split(',')) {
    const text = part.trim()
    const eq = text.indexOf('=')
    if (eq < 0) throw new UsageError(`--faults: "${text}" is not KIND=RATE; ${usage}`)
    const kind = text.slice(0, eq).trim()
    const value = text.slice(eq + 1).trim()
    if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new UsageError(`--faults: unknown fault kind "${kind}" in "${text}"; expected one of ${FAULT_KINDS.join(', ')}`)
    }
    const rate = value === '' ? Number.NaN : Number(value)
    if (!Number.isFinite(rate)) throw new UsageError(`--faults: rate "${value}" of ${kind} is not a number`)
    if (rate < 0 || rate > 1) throw new UsageError(`--faults: rate ${value} of ${kind} is outside 0..1`)
    if (kind in rates) throw new UsageError(`--faults: ${kind} is given twice`)
    rates[kind as FaultKind] = rate
  }
  return rates
}

/** The rates as a spec again (`none` when there are none): for summaries and round trips. */
export function formatFaults(rates: FaultRates | undefined): string {
  const parts = FAULT_KINDS.filter((kind) => (rates?.[kind] ?? 0) > 0).map((kind) => `${kind}=${rates?.[kind]}`)
  return parts.length > 0 ? parts.join(',') : 'none'
}

/** True when some rate is above 0: a cluster without faults never draws. */
export function hasFaults(faults: SimFaults | undefined): faults is SimFaults {
  return faults !== undefined && FAULT_KINDS.some((kind) => (faults.rates[kind] ?? 0) > 0)
}

/**
 * Draw number `draw` for an `op` call: one unit draw matched against the kinds that apply to the
 * call (its own kind, then timeout, outage, vanish) laid end to end, so each fires with its rate
 * (a sum above 1 cuts the later kinds short). A second draw picks the details.
 */
export function decideFault(seed: number, draw: number, op: FaultOp, rates: FaultRates): FaultDecision | undefined {
  const unit = hashUnit(seed, Channel.Kind, draw)
  const detail = hashUnit(seed, Channel.Detail, draw)
  let edge = 0
  for (const kind of [op, 'timeout', 'outage', 'vanish'] as const) {
    edge += rates[kind] ?? 0
    if (unit >= edge) continue
    if (kind === 'timeout') return op === 'migrate' ? {kind: 'timeout', moved: detail < 0.5} : {kind: 'timeout'}
    if (kind === 'outage') return {kind: 'outage', host: op === 'migrate' && detail >= 0.5 ? 'target' : 'source'}
    if (kind === 'vanish') return {kind: 'vanish'}
    return {kind: 'fail'}
  }
  return undefined
}
