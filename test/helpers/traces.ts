// Where the shared traces are (../shared/traces/README: tests may read them, never commit them):
// SOVA_TRACES, else ../shared/traces/bitbrains-rnd beside the repository. Absent: tests skip, saying why.
import {existsSync} from 'node:fs'
import {join} from 'node:path'

const REPO = join(import.meta.dirname, '..', '..')

/** The shared trace directory, or the reason a test that needs it is skipped. */
export function sharedTraces(): {dir: string; skip: false | string} {
  const dir = process.env.SOVA_TRACES || join(REPO, '..', 'shared', 'traces', 'bitbrains-rnd')
  if (existsSync(join(dir, 'net_rx_KBps_5min.csv.gz')) || existsSync(join(dir, 'rnd'))) return {dir, skip: false}
  return {dir, skip: `no shared traces at ${dir} (set SOVA_TRACES to the Bitbrains trace directory)`}
}
