// Keeping `journal_open` (the (run, VM) pairs that still owe something) true: refreshed for one
// pair in the transaction of every journal write, and filled again from a scan when rows were
// written past its mark by a sova that does not keep it (journal-sql.ts).
import {HEAL_OPEN, JOURNAL_OPEN_UPTO, PAIR_OPEN_SINCE, SET_JOURNAL_OPEN_UPTO} from './journal-sql.js'
import type {Sqlite} from './sqlite.js'

/** Keeps `journal_open` true for one (run, VM) after a write to its rows (call within that write's transaction). */
export function refreshOpen(sql: Sqlite, run: string, vm: string): void {
  const since = sql.get<{since: number | null}>(PAIR_OPEN_SINCE, {run, vm})?.since ?? null
  if (since === null) sql.run('DELETE FROM journal_open WHERE run_id = ? AND vm = ?', run, vm)
  else sql.run('INSERT INTO journal_open (run_id, vm, since) VALUES (?, ?, ?) ON CONFLICT (run_id, vm) DO UPDATE SET since = excluded.since', run, vm, since)
}

/** Fills `journal_open` again from a scan of the journal when rows were written past its mark; two look-ups otherwise. */
export function healOpen(sql: Sqlite): void {
  const last = () => sql.get<{id: number | null}>('SELECT max(id) AS id FROM journal')?.id ?? 0
  const stale = () => last() > (sql.get<{value: number}>(JOURNAL_OPEN_UPTO)?.value ?? 0)
  if (!stale()) return
  sql.transaction(() => {
    if (!stale()) return
    sql.run(HEAL_OPEN)
    sql.run(SET_JOURNAL_OPEN_UPTO, last())
  })
}
