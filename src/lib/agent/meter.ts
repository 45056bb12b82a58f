// The per-second meter of the in-guest agent, pure: counter readings in, per-interval and
// since-start tallies out. A second is "active" when both directions moved more than 128 bytes
// (the research prototype's definition, which dom0's Sova keeps).

/** The bond's cumulative byte counters as sysfs gives them (u64). */
export interface Counters {
  rxBytes: bigint
  txBytes: bigint
}

/** Bytes each way a second must exceed to count as active. */
export const ACTIVE_BYTES_THRESHOLD = 128

/** Seconds measured and what moved in them. */
export interface Tally {
  rxBytes: number
  txBytes: number
  activeSeconds: number
  seconds: number
}

/** Nothing measured yet. */
export const EMPTY_TALLY: Tally = {rxBytes: 0, txBytes: 0, activeSeconds: 0, seconds: 0}

/** The meter between two readings: a plain value, so each step is a pure function. */
export interface MeterState {
  /** The previous reading; undefined before the first one and after an unreadable second. */
  last: Counters | undefined
  /** Since the last published interval. */
  window: Tally
  /** Since the agent started: what dom0 differences into rates, so it never goes backwards. */
  total: Tally
}

/** A meter that has not read anything yet. */
export const EMPTY_METER: MeterState = {last: undefined, window: EMPTY_TALLY, total: EMPTY_TALLY}

/**
 * Bytes a counter moved between two readings. A counter that went backwards was reset (bond
 * re-created, driver reloaded) or wrapped: what it shows now is what moved since, a lower bound,
 * and never negative.
 */
export function counterDelta(previous: bigint, current: bigint): number {
  return Number(current >= previous ? current - previous : current)
}

/** Whether one second's traffic counts as active: both directions above the threshold. */
export function isActiveSecond(rxBytes: number, txBytes: number): boolean {
  return rxBytes > ACTIVE_BYTES_THRESHOLD && txBytes > ACTIVE_BYTES_THRESHOLD
}

/** Adds one measured second to a tally. */
export function addSecond(tally: Tally, rxBytes: number, txBytes: number): Tally {
  return {
    rxBytes: tally.rxBytes + rxBytes,
    txBytes: tally.txBytes + txBytes,
    activeSeconds: tally.activeSeconds + (isActiveSecond(rxBytes, txBytes) ? 1 : 0),
    seconds: tally.seconds + 1,
  }
}

/**
 * Takes one reading, a second after the previous one. The first reading (or the first after an
 * unreadable second, `undefined`) only sets the baseline: no second is counted without two ends.
 */
export function observe(state: MeterState, reading: Counters | undefined): MeterState {
  if (reading === undefined || state.last === undefined) return {...state, last: reading}
  const rx = counterDelta(state.last.rxBytes, reading.rxBytes)
  const tx = counterDelta(state.last.txBytes, reading.txBytes)
  return {last: reading, window: addSecond(state.window, rx, tx), total: addSecond(state.total, rx, tx)}
}

/** Ends the current interval: its tally, and the state with an empty window (totals kept). */
export function closeWindow(state: MeterState): {window: Tally; state: MeterState} {
  return {window: state.window, state: {...state, window: EMPTY_TALLY}}
}

/** Folds a whole sequence of per-second readings (tests, replays). */
export function meterOf(readings: (Counters | undefined)[], state: MeterState = EMPTY_METER): MeterState {
  return readings.reduce(observe, state)
}
