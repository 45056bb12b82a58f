// What the state store keeps (README "State store"). Samples: rates need the raw counters of
// the newest sample only; the policy's memory (prediction windows, cooldowns, backoff) needs each
// sample's utilisation and knowledge over its longest window (30 min by default). Settled journal
// rows are history for people and metrics. Everything beyond is pruned as each sample is stored;
// a row still unsettled, a VF still owed, and the rows that tell whether it was given back, never.
import {PROTECTED_PAIRS} from './journal-sql.js'
import type {Sqlite} from './sqlite.js'

export interface Retention {
  samples: {
    /** Samples kept per cluster, newest first. */
    count: number
    /** None older than this before the cluster's newest sample (its own clock, simulated or not). */
    maxAgeSeconds: number
    /** Utilisation and knowledge kept per cluster, in bytes (the newest sample is always kept). */
    maxBytes: number
    /** Samples that keep their raw counters (rates are taken from the newest). */
    rawKept: number
  }
  journal: {
    /** Settled rows kept, newest first. */
    maxRows: number
    /** Settled rows kept this long after they settled. */
    maxAgeSeconds: number
    /** Pruned with every this many samples stored (a prune reads the journal's open rows: not every cycle). */
    everySamples: number
  }
}

export const DEFAULT_RETENTION: Retention = {
  samples: {count: 500, maxAgeSeconds: 24 * 3600, maxBytes: 256 * 2 ** 20, rawKept: 2},
  journal: {maxRows: 100_000, maxAgeSeconds: 90 * 24 * 3600, everySamples: 64},
}

/** Prunes the samples of `cluster` to the retention; never its newest sample. */
export function pruneSamples(sql: Sqlite, cluster: string, keep: Retention['samples']): void {
  sql.run(
    `UPDATE samples SET raw = '' WHERE id IN (
       SELECT id FROM samples WHERE cluster = ? ORDER BY at_ms DESC, id DESC LIMIT -1 OFFSET ?) AND raw <> ''`,
    cluster, keep.rawKept,
  )
  sql.run(
    `DELETE FROM samples WHERE id IN (
       SELECT id FROM (
         SELECT id, at_ms, row_number() OVER newest_first AS n, sum(coalesce(bytes, 0)) OVER newest_first AS total,
                first_value(at_ms) OVER newest_first AS newest
         FROM samples WHERE cluster = ? WINDOW newest_first AS (ORDER BY at_ms DESC, id DESC))
       WHERE n > 1 AND (n > ? OR at_ms < newest - ? OR total > ?))`,
    cluster, keep.count, keep.maxAgeSeconds * 1000, keep.maxBytes,
  )
}

/**
 * Prunes settled journal rows beyond the newest `maxRows` or settled more than `maxAgeSeconds`
 * before `now`; rows of a (run, VM) that still owes something, or that tells whether it was
 * given back, stay whatever their age. Returns how many rows went.
 */
export function pruneJournal(sql: Sqlite, keep: Retention['journal'], now: Date): number {
  const beyondCount = sql.get<{id: number}>('SELECT id FROM journal ORDER BY id DESC LIMIT 1 OFFSET ?', keep.maxRows)?.id ?? 0
  const settledBefore = new Date(now.getTime() - keep.maxAgeSeconds * 1000).toISOString()
  // The common case, nothing old enough: two index look-ups, no scan.
  if (beyondCount === 0 && !sql.get('SELECT 1 FROM journal WHERE updated_at < ? LIMIT 1', settledBefore)) return 0
  const prunable = `(id <= ? OR updated_at < ?) AND status NOT IN ('planned', 'started')
       AND NOT EXISTS (SELECT 1 FROM protected p WHERE p.run_id = journal.run_id AND p.vm = journal.vm)`
  // What goes is counted first: the metrics' journal counters (journalTotals) never go down.
  sql.run(
    `WITH ${PROTECTED_PAIRS}
     INSERT INTO journal_pruned (kind, status, count)
       SELECT kind, status, count(*) FROM journal WHERE ${prunable} GROUP BY kind, status
     ON CONFLICT (kind, status) DO UPDATE SET count = count + excluded.count`,
    beyondCount, settledBefore,
  )
  return sql.run(`WITH ${PROTECTED_PAIRS} DELETE FROM journal WHERE ${prunable}`, beyondCount, settledBefore).changes
}

/**
 * Schema step: each sample's size (what maxBytes counts; indexed with its time, so pruning never
 * reads the samples themselves), raw counters dropped but the newest, journal rows found by age.
 */
export const RETENTION_SCHEMA = `ALTER TABLE samples ADD COLUMN bytes INTEGER;
   UPDATE samples SET bytes = length(utilisation) + length(coalesce(knowledge, ''));
   UPDATE samples SET raw = '' WHERE id NOT IN (SELECT max(id) FROM samples GROUP BY cluster);
   DROP INDEX samples_cluster_at;
   CREATE INDEX samples_cluster_at_size ON samples (cluster, at_ms, id, bytes);
   CREATE INDEX journal_updated ON journal (updated_at);`

/** Schema step: rows retention removed, counted by kind and status (the journal counters stay monotonic). */
export const JOURNAL_PRUNED_SCHEMA = `CREATE TABLE journal_pruned (
     kind TEXT NOT NULL, status TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (kind, status)
   );`
