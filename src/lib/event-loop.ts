// A signal's handler runs only when the event loop polls. Work that never waits for I/O (the
// simulated backend, a pause of 0 s, a long cycle of synchronous steps) would keep it from ever
// polling, so loops call letSignalsIn() between actions and cycles.
import {setImmediate as nextTurn} from 'node:timers/promises'

/**
 * Lets the event loop poll once. One setImmediate may run in the check phase just after a poll that
 * came too early; a second one, queued from that check phase, runs only after the next poll.
 */
export async function letSignalsIn(): Promise<void> {
  await nextTurn()
  await nextTurn()
}
