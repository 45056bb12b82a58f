// SIGINT/SIGTERM mean "finish the current action, then stop"; a second signal stops at once.
// Their handler runs only when the event loop polls: see event-loop.ts.
import {letSignalsIn} from '../event-loop.js'

let stopping = false
let installed = false

/** Exit status of a process ended by `signal`, as a shell reports it (128 + the signal's number). */
const EXIT_BY_SIGNAL: Partial<Record<NodeJS.Signals, number>> = {SIGINT: 130, SIGTERM: 143}

/** Starts listening; loops then ask stopRequested() between steps. */
export function stopGracefully(onFirst: () => void): void {
  if (installed) return
  installed = true
  const handler = (signal: NodeJS.Signals) => {
    // The second signal: the operator will not wait for the action under way. Its journal row
    // stays "started", and the next acting run settles it from what the hypervisor shows.
    if (stopping) process.exit(EXIT_BY_SIGNAL[signal] ?? 1)
    stopping = true
    onFirst()
  }
  process.on('SIGINT', handler)
  process.on('SIGTERM', handler)
}

export function stopRequested(): boolean {
  return stopping
}

/** Sleeps, waking early when a stop is requested; even a pause of 0 s lets a signal in. */
export async function pause(seconds: number): Promise<void> {
  await letSignalsIn()
  const until = Date.now() + seconds * 1000
  while (!stopping && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(200, until - Date.now())))
  }
}
