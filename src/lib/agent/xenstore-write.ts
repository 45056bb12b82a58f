// Publishes the agent's keys with the guest's own `xenstore-write` (INTERFACES.md §1.9): one call,
// one transaction. Relative paths resolve under the guest's home, /local/domain/<domid>/.
import {runLocal, toolError} from '../exec.js'
import {type XenstoreEntry, xenstoreWriteArgs} from './keys.js'

/** A write blocked on xenstored this long is given up; the next interval tries again. */
export const XENSTORE_WRITE_TIMEOUT_MS = 5_000

/** Writes the entries; undefined on success, else the tool's own words (toolError). */
export async function writeXenstore(entries: readonly XenstoreEntry[], run: typeof runLocal = runLocal): Promise<string | undefined> {
  const result = await run('xenstore-write', xenstoreWriteArgs(entries), {timeoutMs: XENSTORE_WRITE_TIMEOUT_MS})
  return result.exitCode === 0 && !result.timedOut && !result.notFound ? undefined : toolError(result)
}
