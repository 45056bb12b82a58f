// The journal queries that must see every row still owing something, whatever its age: a run
// that died mid-action, or a VF detached for a migration that never happened, may be 10,000
// rows back when its host comes back. A table of the open (run, VM) pairs, kept true on every
// journal write, and indexes find them; no window of the newest rows is ever trusted to hold them.

/** The columns of a JournalEntry, of the table aliased `table` when one is given (joins). */
function columns(table = ''): string {
  const t = table ? `${table}.` : ''
  return `${t}id, ${t}run_id AS runId, ${t}created_at AS createdAt, ${t}updated_at AS updatedAt, ${t}kind, ${t}vm, ${t}host,
  ${t}to_host AS toHost, ${t}vf, ${t}status, ${t}reason, ${t}error, ${t}uuid, ${t}device`
}

export const JOURNAL_COLUMNS = columns()

/**
 * Detach rows that may still be owed back (a superset of reconcile.ts owedDetaches): done to
 * migrate a VM whose first later migrate of that run is not done, and no VF attached to it by
 * the run since. `d` is the detach row.
 */
const OWED_DETACH = `d.kind = 'detach-vf' AND d.status = 'done' AND d.reason LIKE 'detach before migrating%'
  AND NOT EXISTS (SELECT 1 FROM journal a WHERE a.run_id = d.run_id AND a.vm = d.vm AND a.id > d.id
                  AND a.kind = 'attach-vf' AND a.status = 'done')
  AND coalesce((SELECT m.status FROM journal m WHERE m.run_id = d.run_id AND m.vm = d.vm AND m.id > d.id
                AND m.kind = 'migrate' ORDER BY m.id LIMIT 1), '') <> 'done'`

/**
 * The (run, VM) pairs with an unsettled row or an owed detach, and the first such row's id, found
 * by reading every unsettled row and every done detach: how `journal_open` is first filled, and
 * what the tests hold it to.
 */
export const SCAN_OPEN_PAIRS = `SELECT run_id, vm, min(id) AS since FROM (
    SELECT run_id, vm, id FROM journal WHERE status IN ('planned', 'started')
    UNION ALL
    SELECT d.run_id, d.vm, d.id FROM journal d WHERE ${OWED_DETACH}
  ) GROUP BY run_id, vm`

/** The first open row of one pair (@run, @vm), or NULL when it owes nothing: what keeps `journal_open` true on each write. */
export const PAIR_OPEN_SINCE = `SELECT min(id) AS since FROM (
    SELECT id FROM journal WHERE run_id = @run AND vm = @vm AND status IN ('planned', 'started')
    UNION ALL
    SELECT d.id FROM journal d WHERE d.run_id = @run AND d.vm = @vm AND ${OWED_DETACH}
  )`

/**
 * The open pairs, as kept in `journal_open`: written in the same transaction as every journal
 * row, so finding them reads only them, however long the journal.
 */
export const OPEN_PAIRS = 'SELECT run_id, vm, since FROM journal_open'

/**
 * Schema step: the table of open pairs, filled from the journal as it is, and up to which journal
 * row it is known complete (`meta.journal_open_upto`): a row written by a sova that does not keep
 * the table (an older one, run against this store before it refused newer stores) is past that
 * mark, and the table is filled again from a scan before it is read (HEAL_OPEN).
 */
export const JOURNAL_OPEN_SCHEMA = `CREATE TABLE journal_open (
     run_id TEXT NOT NULL,
     vm TEXT NOT NULL,
     since INTEGER NOT NULL,
     PRIMARY KEY (run_id, vm)
   ) WITHOUT ROWID;
   INSERT INTO journal_open (run_id, vm, since) ${SCAN_OPEN_PAIRS};
   CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
   INSERT INTO meta (key, value) SELECT 'journal_open_upto', coalesce(max(id), 0) FROM journal;`

/** Up to which journal row `journal_open` is complete (never lowered). */
export const JOURNAL_OPEN_UPTO = "SELECT value FROM meta WHERE key = 'journal_open_upto'"
export const SET_JOURNAL_OPEN_UPTO = `INSERT INTO meta (key, value) VALUES ('journal_open_upto', ?)
  ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`
/** The mark moves past row @id, just written and kept, only from the row before it: never over a row it has not seen. */
export const ADVANCE_JOURNAL_OPEN_UPTO = "UPDATE meta SET value = @id WHERE key = 'journal_open_upto' AND value = @id - 1"

/** Adds to `journal_open` every open pair a scan finds (the WHERE keeps SQLite from reading ON as a join's). */
export const HEAL_OPEN = `INSERT INTO journal_open (run_id, vm, since) SELECT run_id, vm, since FROM (${SCAN_OPEN_PAIRS}) WHERE true
  ON CONFLICT (run_id, vm) DO UPDATE SET since = min(since, excluded.since)`

/** Every row of every open pair, oldest first: what reconciliation settles, with each run's earlier steps. */
export const OPEN_ROWS = `WITH open AS (${OPEN_PAIRS})
  SELECT ${columns('j')} FROM open o CROSS JOIN journal j ON j.run_id = o.run_id AND j.vm = o.vm
  ORDER BY j.id`

/**
 * The CTEs `open` (OPEN_PAIRS) and `protected`: the open pairs, and the whole (run, VM) groups of
 * any later VF given to such a VM (any run gives a VF back) and of any later row with an error (a
 * hypervisor saying the domain is gone): what `sova check` judges an open pair by, and what
 * retention never prunes. Whole groups, so every per-run invariant sees a run's rows for that
 * VM complete.
 */
export const PROTECTED_PAIRS = `open AS (${OPEN_PAIRS}),
  later AS (
    SELECT j.run_id, j.vm FROM open o CROSS JOIN journal j ON j.vm = o.vm AND j.id > o.since
    WHERE (j.kind = 'attach-vf' AND j.status = 'done') OR j.error IS NOT NULL
  ),
  protected AS (SELECT run_id, vm FROM open UNION SELECT run_id, vm FROM later)`

/** Every row of the protected pairs, oldest first: what `sova check` reads besides the newest rows. */
export const OPEN_CONTEXT_ROWS = `WITH ${PROTECTED_PAIRS}
  SELECT ${columns('j')} FROM protected p CROSS JOIN journal j ON j.run_id = p.run_id AND j.vm = p.vm
  ORDER BY j.id`

/** Indexes that make the queries above independent of the journal's length (schema step 6). */
export const JOURNAL_INDEXES = `CREATE INDEX journal_unsettled ON journal (id) WHERE status IN ('planned', 'started');
   CREATE INDEX journal_detached ON journal (id) WHERE kind = 'detach-vf' AND status = 'done';
   CREATE INDEX journal_run_vm ON journal (run_id, vm, id);
   CREATE INDEX journal_vm ON journal (vm, id);`
