// The agent's loop: one reading a second, one xenstore write an interval. Every effect (clock,
// sleep, counters, xenstore, log) comes in through AgentIo, so the loop runs in tests on a fake clock.
import {UnreachableError, UsageError} from '../errors.js'
import {type XenstoreEntry, xenstoreEntries} from './keys.js'
import {type Counters, EMPTY_METER, type MeterState, closeWindow, observe} from './meter.js'

/** Every effect the loop has, injected so tests run it on a fake clock. */
export interface AgentIo {
  /** The bond's counters; throws (a SovaError naming the path) when they cannot be read. */
  readCounters(): Promise<Counters>
  /** Writes the entries; undefined on success, else the tool's words. */
  publish(entries: readonly XenstoreEntry[]): Promise<string | undefined>
  /** Milliseconds, wall clock. */
  now(): number
  /** Sleeps until the given time, or less when a stop is requested. */
  sleepUntil(ms: number): Promise<void>
  stopRequested(): boolean
  log(line: string): void
}

/** What --interval and --once ask for. */
export interface LoopOptions {
  /** Whole seconds per published interval. */
  intervalSeconds: number
  /** One interval, one write, then return what was written; a failed write throws. */
  once: boolean
}

const SECOND_MS = 1000

/** The research prototype's publishing interval. */
export const DEFAULT_INTERVAL_SECONDS = 10

/** The meter counts whole seconds, so an interval is a whole number of them (at least one). */
export function intervalSecondsOf(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 1) throw new UsageError(`--interval: expected whole seconds, at least 1s, got ${seconds} s`)
  return seconds
}

/**
 * The next reading time: one second after the previous one, so the grid does not drift. When a
 * whole second was missed (a paused or migrating guest), start again from now instead of catching up.
 */
export function nextTick(previous: number, now: number): number {
  const next = previous + SECOND_MS
  return next + SECOND_MS <= now ? now : next
}

/** Runs until stopped (or one interval with `once`); returns what the last write wrote, if any. */
export async function measureAndPublish(io: AgentIo, options: LoopOptions): Promise<XenstoreEntry[] | undefined> {
  // The baseline reading doubles as the "is the bond there" check: its error reaches the caller.
  let state: MeterState = observe(EMPTY_METER, await io.readCounters())
  let tick = io.now()
  let readable = true
  let written: XenstoreEntry[] | undefined
  while (!io.stopRequested()) {
    tick = nextTick(tick, io.now())
    await io.sleepUntil(tick)
    if (io.stopRequested()) break
    let reading: Counters | undefined
    try {
      reading = await io.readCounters()
      if (!readable) io.log('agent: counters readable again; measuring')
      readable = true
    } catch (error) {
      if (options.once) throw error
      if (readable) io.log(`agent: ${(error as Error).message}; retrying every second`)
      readable = false
    }
    state = observe(state, reading)
    if (state.window.seconds < options.intervalSeconds) continue
    const closed = closeWindow(state)
    state = closed.state
    const entries = xenstoreEntries(closed.window, state.total, io.now() / 1000)
    const failure = await io.publish(entries)
    if (options.once) {
      if (failure !== undefined) throw new UnreachableError(`xenstore-write failed: ${failure}`, 'run it in a Xen guest that has xenstore-write, e.g. from xenstore-utils')
      return entries
    }
    if (failure === undefined) written = entries
    else io.log(`agent: xenstore-write failed: ${failure}; trying again in ${options.intervalSeconds} s`)
  }
  return written
}
