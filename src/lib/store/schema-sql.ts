// Schema migrations of the state store, applied in order; PRAGMA user_version counts them.
import {JOURNAL_INDEXES, JOURNAL_OPEN_SCHEMA} from './journal-sql.js'
import {JOURNAL_PRUNED_SCHEMA, RETENTION_SCHEMA} from './retention.js'
import {HOST_MARKS_SCHEMA} from './host-marks.js'
import {RULES_SCHEMA} from '../rules/rules-sql.js'

export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE samples (
     id INTEGER PRIMARY KEY,
     cluster TEXT NOT NULL,
     at TEXT NOT NULL,
     at_ms INTEGER NOT NULL,
     raw TEXT NOT NULL,
     utilisation TEXT NOT NULL
   );
   CREATE INDEX samples_cluster_at ON samples (cluster, at_ms);
   CREATE TABLE journal (
     id INTEGER PRIMARY KEY,
     run_id TEXT NOT NULL,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     kind TEXT NOT NULL,
     vm TEXT NOT NULL,
     host TEXT NOT NULL,
     to_host TEXT,
     vf TEXT,
     status TEXT NOT NULL,
     reason TEXT NOT NULL,
     error TEXT
   );
   CREATE TABLE sim (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE run_lock (
     pid INTEGER PRIMARY KEY,
     stdin_pipe INTEGER,
     stdout_pipe INTEGER,
     command TEXT NOT NULL,
     started_at TEXT NOT NULL
   );`,
  // What the policy remembers of each sample (placement, paths, rates): cooldowns and hysteresis.
  `ALTER TABLE samples ADD COLUMN knowledge TEXT;`,
  // The last document each cluster's loop produced, for `sova explain` when nothing is piped in;
  // `saved` grows with every save, so the newest of any cluster is the one with the largest.
  `CREATE TABLE last_document (
     cluster TEXT PRIMARY KEY,
     saved INTEGER NOT NULL,
     saved_at TEXT NOT NULL,
     json TEXT NOT NULL
   );`,
  // The lock holder's start time (/proc/<pid>/stat field 22) and boot id: a reused pid or a reboot
  // makes the row stale. Rows from before (NULLs) fall back to the pid check.
  `ALTER TABLE run_lock ADD COLUMN start_ticks INTEGER;
   ALTER TABLE run_lock ADD COLUMN boot_id TEXT;`,
  // The domain an action was for (the hypervisor's UUID), and the VF device as it was when detached
  // (JSON of a VfDevice), so that what is given back is exactly what was taken.
  `ALTER TABLE journal ADD COLUMN uuid TEXT;
   ALTER TABLE journal ADD COLUMN device TEXT;`,
  // Rows still owing something are found by index, whatever their age (journal-sql.ts).
  JOURNAL_INDEXES,
  // The pipeline stage a lock holder is (migrate, switch-vf reading a stream), or NULL: only
  // neighbouring stages of one pipeline share the lock.
  `ALTER TABLE run_lock ADD COLUMN stage TEXT;`,
  // What retention needs: each sample's size, and journal rows by when they settled.
  RETENTION_SCHEMA,
  // The (run, VM) pairs still owing something, kept on every journal write (journal-sql.ts).
  JOURNAL_OPEN_SCHEMA,
  // The cluster an action was on and its time on the cluster's clock (simulated time on the
  // simulator) when it failed: a failed action counts for the VM's backoff like a move does.
  `ALTER TABLE journal ADD COLUMN cluster TEXT;
   ALTER TABLE journal ADD COLUMN failed_at_ms INTEGER;
   CREATE INDEX journal_failures ON journal (cluster, failed_at_ms) WHERE failed_at_ms IS NOT NULL;`,
  // Journal rows retention removed, counted, so the metrics' journal counters never go down.
  JOURNAL_PRUNED_SCHEMA,
  // Hosts taken out of service by `sova drain` (draining, then maintenance) until `sova undrain`.
  HOST_MARKS_SCHEMA,
  // The rules operators set with `sova rule set`, per cluster (rules/rules-sql.ts).
  RULES_SCHEMA,
  // The last documents moved to files beside the store (last-documents.ts): a stage wrote each
  // document twice here (WAL, then checkpoint). What stays is which cluster saved when, in order.
  // The next command to write a document writes it anew.
  `DROP TABLE last_document;
   CREATE TABLE last_document_saved (
     cluster TEXT PRIMARY KEY,
     saved INTEGER NOT NULL,
     saved_at TEXT NOT NULL
   );`,
  // Which cluster saved last, and when, moved to the files too (last-documents.ts): a stage that
  // only reads the store then writes nothing to it.
  `DROP TABLE last_document_saved;`,
  // The simulator's state as its last full copy (sim 'cluster') plus the calls made on it since,
  // one row each: an action writes its call, not the whole cluster again (backends/sim/backend.ts).
  // 'epoch' names the full copy a log continues; 'base' is the last call it includes.
  `CREATE TABLE IF NOT EXISTS sim_log (seq INTEGER PRIMARY KEY, op TEXT NOT NULL);`,
]
