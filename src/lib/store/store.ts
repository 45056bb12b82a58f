// The SQLite state store: samples (history for rates and prediction), the action journal,
// the simulator's cluster and the run lock. WAL mode; one writer at a time; every call waits
// and retries while a neighbour holds the lock (sqlite.ts); a file it cannot trust is refused
// with what to do (open-db.ts).
import {randomBytes} from 'node:crypto'
import type {SampleKnowledge} from '../loop/history.js'
import {deleteHostMark, deleteHostMarksOf, type HostMark, readHostMarks, writeHostMark} from './host-marks.js'
import {healOpen, refreshOpen} from './journal-open.js'
import {documentFilesIn, documentsInMemory, type DocumentFiles, type StoredDocument} from './last-documents.js'

export type {StoredDocument} from './last-documents.js'
import {ADVANCE_JOURNAL_OPEN_UPTO, JOURNAL_COLUMNS, OPEN_CONTEXT_ROWS, OPEN_ROWS} from './journal-sql.js'
import {openDatabase, openMemoryDatabase, verify} from './open-db.js'
import {DEFAULT_RETENTION, pruneJournal, pruneSamples, type Retention} from './retention.js'
import type {ProcessIdentity} from './process-identity.js'
import {acquireRunLock, currentLockOwner, readRunLock, type HolderState, type LockHolder, type LockOwner, type LockTakeover} from './run-lock.js'
import type {Sqlite} from './sqlite.js'
import {type RuleKey, type RuleKind, setRules, type StoredRule, storedRules, unsetRules} from '../rules/rules-sql.js'

export {describeTakeover, isProcessAlive, lockHolderState, type HolderState, type LockHolder, type LockOwner, type LockTakeover} from './run-lock.js'

export type JournalStatus = 'planned' | 'started' | 'done' | 'failed' | 'rolled-back' | 'skipped'

export interface JournalEntry {
  id: number
  runId: string
  createdAt: string
  updatedAt: string
  kind: string
  vm: string
  host: string
  toHost: string | null
  vf: string | null
  status: JournalStatus
  reason: string
  error: string | null
  /** The domain the action was for (hypervisor UUID), when known. */
  uuid: string | null
  /** On a detach: the VF device as it was (JSON of a VfDevice), to give it back exactly. */
  device: string | null
}

export interface StoredSample {
  at: string
  raw: string
  utilisation: Record<string, number>
  /** What the policy remembers of the sample (placement, paths, rates); absent in samples of older stores. */
  knowledge?: SampleKnowledge
}

type SampleRow = {at: string; raw: string; utilisation: string; knowledge: string | null}

function fromRow(row: SampleRow): StoredSample {
  const sample: StoredSample = {at: row.at, raw: row.raw, utilisation: JSON.parse(row.utilisation)}
  if (row.knowledge !== null) sample.knowledge = JSON.parse(row.knowledge)
  return sample
}

export class Store {
  private constructor(
    private readonly sql: Sqlite,
    readonly dir: string,
    private readonly retention: Retention,
    private readonly documentFiles: DocumentFiles,
  ) {}

  /** Opens (creating if needed) the store in `dir`; refuses a store this build cannot use (exit 65). */
  static open(dir: string, retention: Retention = DEFAULT_RETENTION): Store {
    return new Store(openDatabase(dir), dir, retention, documentFilesIn(dir))
  }

  /** A private store in memory (sova evaluate): same schema and code, gone when closed. */
  static openInMemory(): Store {
    return new Store(openMemoryDatabase(), ':memory:', DEFAULT_RETENTION, documentsInMemory())
  }

  /** Refuses (exit 65, with what to do) a store whose pages SQLite finds damaged: acting commands and `check` ask first. */
  verify(): void {
    verify(this.sql)
  }

  private readonly closing: Array<() => void> = []

  /** Runs `fn` when the store closes, before anything else (what a user of the store leaves tidy). */
  whenClosing(fn: () => void): void {
    this.closing.push(fn)
  }

  /** Closes the store, giving back the run lock if this process took it. */
  close(): void {
    if (!this.sql.db.open) return
    for (const fn of this.closing.splice(0)) {
      try {
        fn()
      } catch {
        // Tidying is optional: what it would have written is already stored another way.
      }
    }
    if (this.holdsLock) this.releaseRunLock()
    this.sql.db.close()
  }

  private holdsLock = false

  /** Runs `fn` in one write transaction that takes the write lock up front. */
  transaction<T>(fn: () => T): T {
    return this.sql.transaction(fn)
  }

  /** Runs `fn` in one read transaction: what it reads is one state of the store, and it takes no write lock. */
  readTransaction<T>(fn: () => T): T {
    return this.sql.readTransaction(fn)
  }

  // --- samples -------------------------------------------------------------------------

  /**
   * Stores a sample of `cluster`, then prunes samples and settled journal rows to the retention
   * (retention.ts); `keep` overrides how many samples are kept.
   */
  addSample(
    cluster: string,
    at: string,
    raw: string,
    utilisation: Record<string, number>,
    options: {keep?: number; knowledge?: SampleKnowledge} = {},
  ): void {
    const utilisationJson = JSON.stringify(utilisation)
    const knowledgeJson = options.knowledge ? JSON.stringify(options.knowledge) : null
    this.transaction(() => {
      const {lastInsertRowid} = this.sql.run('INSERT INTO samples (cluster, at, at_ms, raw, utilisation, knowledge, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)',
        cluster, at, Date.parse(at), raw, utilisationJson, knowledgeJson, utilisationJson.length + (knowledgeJson?.length ?? 0))
      pruneSamples(this.sql, cluster, {...this.retention.samples, count: options.keep ?? this.retention.samples.count})
      if (Number(lastInsertRowid) % this.retention.journal.everySamples === 0) {
        healOpen(this.sql)
        pruneJournal(this.sql, this.retention.journal, new Date())
      }
    })
  }

  /** The newest sample of `cluster` with its raw counters, for turning counters into rates. */
  lastSample(cluster: string): StoredSample | undefined {
    const row = this.sql.get(`SELECT at, raw, utilisation, knowledge FROM samples WHERE cluster = ? AND raw <> ''
      ORDER BY at_ms DESC, id DESC LIMIT 1`, cluster) as SampleRow | undefined
    return row && fromRow(row)
  }

  /** Up to `limit` samples of `cluster` taken before `beforeAt`, oldest first (raw counters only on the newest: retention). */
  samplesBefore(cluster: string, beforeAt: string, limit: number): StoredSample[] {
    const rows = this.sql.all(`SELECT at, raw, utilisation, knowledge FROM samples WHERE cluster = ? AND at_ms < ?
        ORDER BY at_ms DESC, id DESC LIMIT ?`, cluster, Date.parse(beforeAt), limit) as SampleRow[]
    return rows.reverse().map(fromRow)
  }

  /** The samples of `cluster` taken at or after `sinceAt` and before `beforeAt`, oldest first, without `raw`. */
  samplesSince(cluster: string, sinceAt: string, beforeAt: string): StoredSample[] {
    const rows = this.sql.all<SampleRow>(`SELECT at, '' AS raw, utilisation, knowledge FROM samples WHERE cluster = ? AND at_ms >= ? AND at_ms < ?
        ORDER BY at_ms, id`, cluster, Date.parse(sinceAt), Date.parse(beforeAt))
    return rows.map(fromRow)
  }

  clearSamples(): void {
    this.sql.run('DELETE FROM samples')
  }

  // --- action journal ------------------------------------------------------------------

  journalPlanned(entry: {runId: string; kind: string; vm: string; uuid?: string; host: string; toHost?: string; vf?: string; reason: string}): number {
    const now = new Date().toISOString()
    return this.transaction(() => {
      const result = this.sql.run(`INSERT INTO journal (run_id, created_at, updated_at, kind, vm, uuid, host, to_host, vf, status, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?)`, entry.runId, now, now, entry.kind, entry.vm, entry.uuid ?? null, entry.host, entry.toHost ?? null, entry.vf ?? null, entry.reason)
      refreshOpen(this.sql, entry.runId, entry.vm)
      this.sql.run(ADVANCE_JOURNAL_OPEN_UPTO, {id: result.lastInsertRowid})
      return Number(result.lastInsertRowid)
    })
  }

  /** Dates a failed action on the cluster's clock, so it counts for its VM's backoff (failuresSince). */
  journalFailedAt(id: number, cluster: string, atMs: number): void {
    this.sql.run('UPDATE journal SET cluster = ?, failed_at_ms = ? WHERE id = ?', cluster, atMs, id)
  }

  /** Per VM, the actions on `cluster` that failed since `sinceMs` (cluster clock): how many, and the last one's time. */
  failuresSince(cluster: string, sinceMs: number): Map<string, {count: number; lastMs: number}> {
    const rows = this.sql.all<{vm: string; count: number; lastMs: number}>(
      `SELECT vm, count(*) AS count, max(failed_at_ms) AS lastMs FROM journal
        WHERE cluster = ? AND failed_at_ms IS NOT NULL AND failed_at_ms >= ? GROUP BY vm`,
      cluster, sinceMs,
    )
    return new Map(rows.map((row) => [row.vm, {count: row.count, lastMs: row.lastMs}]))
  }

  /** Keeps the VF device a detach removed (JSON of a VfDevice), for giving it back as it was. */
  journalDevice(id: number, device: string): void {
    this.sql.run('UPDATE journal SET device = ? WHERE id = ?', device, id)
  }

  journalUpdate(id: number, status: JournalStatus, error?: string): void {
    this.transaction(() => {
      this.sql.run('UPDATE journal SET status = ?, error = ?, updated_at = ? WHERE id = ?', status, error ?? null, new Date().toISOString(), id)
      const row = this.sql.get<{runId: string; vm: string}>('SELECT run_id AS runId, vm FROM journal WHERE id = ?', id)
      if (row) refreshOpen(this.sql, row.runId, row.vm)
    })
  }

  /** The newest `limit` rows, oldest first (a view for people; never what reconciliation relies on). */
  journal(limit = 1000): JournalEntry[] {
    const rows = this.sql.all(`SELECT ${JOURNAL_COLUMNS} FROM journal ORDER BY id DESC LIMIT ?`, limit) as JournalEntry[]
    return rows.reverse()
  }

  /**
   * Every row still owing something, whatever its age, oldest first: rows left planned or started,
   * and detaches whose migration did not happen with no VF given back; each with all the rows of
   * its run about that VM, so reconciliation knows the run's earlier and later steps.
   */
  journalOpen(): JournalEntry[] {
    healOpen(this.sql)
    return this.sql.all<JournalEntry>(OPEN_ROWS)
  }

  /** What `sova check` reads: the newest `window` rows, and every open row with what settles it, whatever its age. */
  journalForCheck(window: number): JournalEntry[] {
    const rows = new Map<number, JournalEntry>()
    healOpen(this.sql)
    for (const row of this.sql.all<JournalEntry>(OPEN_CONTEXT_ROWS)) rows.set(row.id, row)
    for (const row of this.journal(window)) rows.set(row.id, row)
    return [...rows.values()].sort((a, b) => a.id - b.id)
  }

  /** The journal for `sova history`: newest `limit` matching actions, oldest first; values bound, never spliced. */
  journalQuery(filter: {since?: string; vm?: string; host?: string; status?: JournalStatus; limit: number}): JournalEntry[] {
    const rows = this.sql.all(`SELECT id, run_id AS runId, created_at AS createdAt, updated_at AS updatedAt, kind, vm, host,
        to_host AS toHost, vf, status, reason, error, uuid, device FROM journal
        WHERE (@since IS NULL OR updated_at >= @since) AND (@vm IS NULL OR vm = @vm)
          AND (@host IS NULL OR host = @host OR to_host = @host) AND (@status IS NULL OR status = @status)
        ORDER BY updated_at DESC, id DESC LIMIT @limit`, {since: filter.since ?? null, vm: filter.vm ?? null, host: filter.host ?? null, status: filter.status ?? null, limit: filter.limit}) as JournalEntry[]
    return rows.reverse()
  }

  /** Rows by kind and status: what the metrics file's counters come from. */
  journalTotals(): {kind: string; status: JournalStatus; count: number}[] {
    // Rows retention pruned still count: these totals feed counters that must never go down.
    return this.sql.all(
      `SELECT kind, status, sum(count) AS count FROM (
         SELECT kind, status, count(*) AS count FROM journal GROUP BY kind, status
         UNION ALL SELECT kind, status, count FROM journal_pruned)
       GROUP BY kind, status ORDER BY kind, status`,
    ) as {kind: string; status: JournalStatus; count: number}[]
  }

  journalCount(): number {
    return (this.sql.get('SELECT count(*) AS n FROM journal') as {n: number}).n
  }

  // --- simulator state -----------------------------------------------------------------

  // The cluster is kept as a full copy (JSON) and a log of the calls made on it since, each a row
  // (sim_log): what the copy plus the log replayed gives is the cluster now (backends/sim/backend.ts).

  /** The full copy of the simulated cluster (JSON), without the calls logged since; undefined when there is none. */
  readSim(): string | undefined {
    return this.simValue('cluster')
  }

  /** Whether the store holds a simulated cluster (without reading it). */
  hasSim(): boolean {
    return this.sql.get("SELECT 1 AS one FROM sim WHERE key = 'cluster'") !== undefined
  }

  /** Replaces the simulated cluster with `json`: a new copy under a new epoch, and no log. */
  writeSim(json: string): void {
    this.transaction(() => {
      this.setSimValue('cluster', json)
      this.setSimValue('epoch', randomBytes(8).toString('hex'))
      this.setSimValue('base', '0')
      this.sql.run('DELETE FROM sim_log')
    })
  }

  /**
   * Where the stored cluster stands: the epoch of its full copy (a store written before the log
   * existed: 'legacy'), the last logged call that copy includes, and the last call logged.
   */
  simPosition(): {epoch: string; base: number; head: number} {
    const base = Number(this.simValue('base') ?? '0')
    const head = this.sql.get<{head: number | null}>('SELECT max(seq) AS head FROM sim_log')?.head ?? base
    return {epoch: this.simValue('epoch') ?? 'legacy', base, head: Math.max(base, head)}
  }

  /** The calls logged after `seq`, in order. */
  simLogAfter(seq: number): {seq: number; op: string}[] {
    return this.sql.all<{seq: number; op: string}>('SELECT seq, op FROM sim_log WHERE seq > ? ORDER BY seq', seq)
  }

  /** Logs one call on the simulated cluster (JSON); returns its sequence number. */
  appendSimOp(op: string): number {
    const {head} = this.simPosition()
    this.sql.run('INSERT INTO sim_log (seq, op) VALUES (?, ?)', head + 1, op)
    return head + 1
  }

  /** Stores `json`, the cluster after call `seq` of the current epoch, as its full copy, and drops the calls it includes. */
  compactSim(json: string, seq: number): void {
    this.transaction(() => {
      this.setSimValue('cluster', json)
      this.setSimValue('base', String(seq))
      this.sql.run('DELETE FROM sim_log WHERE seq <= ?', seq)
    })
  }

  private simValue(key: string): string | undefined {
    return this.sql.get<{value: string}>('SELECT value FROM sim WHERE key = ?', key)?.value
  }

  private setSimValue(key: string, value: string): void {
    this.sql.run('INSERT INTO sim (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value', key, value)
  }

  // --- last document ---------------------------------------------------------------------

  /** Keeps `json` as the last document of `cluster`, replacing the one before: `sova explain` reads it (last-documents.ts). */
  saveLastDocument(cluster: string, json: string | Uint8Array): void {
    this.documentFiles.write(cluster, json)
  }

  /** The last document saved for `cluster`, or, without one, the most recently saved of any cluster. */
  lastDocument(cluster?: string): StoredDocument | undefined {
    return this.documentFiles.read(cluster)
  }

  // --- hosts out of service (sova drain) -------------------------------------------------

  /** The hosts of `cluster` that `sova drain` marked draining or in maintenance, by name. */
  hostMarks(cluster: string): HostMark[] {
    return readHostMarks(this.sql, cluster)
  }

  setHostMark(cluster: string, mark: HostMark): void {
    writeHostMark(this.sql, cluster, mark)
  }

  /** Ends a host's mark (`sova undrain`); true when it had one. */
  clearHostMark(cluster: string, host: string): boolean {
    return deleteHostMark(this.sql, cluster, host)
  }

  /** Forgets the marks of the clusters whose id starts with `prefix` (a simulated cluster started over). */
  clearHostMarksOf(prefix: string): void {
    deleteHostMarksOf(this.sql, prefix)
  }

  // --- operators' rules (sova rule set) ---------------------------------------------------

  /** Sets keys of a VM's or host's rule of `cluster`; returns the keys that changed. */
  setRules(cluster: string, kind: RuleKind, target: string, values: Partial<Record<RuleKey, string>>, at: string): RuleKey[] {
    return setRules(this.sql, cluster, kind, target, values, at)
  }

  /** Removes keys (all when none are named) of a VM's or host's rule; returns the keys removed. */
  unsetRules(cluster: string, kind: RuleKind, target: string, keys: readonly RuleKey[]): RuleKey[] {
    return unsetRules(this.sql, cluster, kind, target, keys)
  }

  /** The rules set for `cluster`, in the order they were set. */
  storedRules(cluster: string): StoredRule[] {
    return storedRules(this.sql, cluster)
  }

  // --- run lock ------------------------------------------------------------------------

  /** Takes the run lock for this process (run-lock.ts says who shares it); LockedError (exit 75) when held. */
  acquireRunLock(
    command: string,
    probe: (pid: number, recorded: ProcessIdentity) => HolderState,
    self: LockOwner = currentLockOwner(),
  ): LockTakeover[] {
    const takeovers = acquireRunLock(this.sql, command, probe, self)
    this.holdsLock = self.pid === process.pid
    return takeovers
  }

  /** Who holds the run lock (and whether each holder still runs), for `sova status`: reads, takes nothing. */
  runLockHolders(probe: (pid: number, recorded: ProcessIdentity) => HolderState): LockHolder[] {
    return readRunLock(this.sql, probe)
  }

  /** How many samples of `cluster` the store keeps. */
  sampleCount(cluster: string): number {
    return (this.sql.get('SELECT count(*) AS n FROM samples WHERE cluster = ?', cluster) as {n: number}).n
  }

  releaseRunLock(pid = process.pid): void {
    if (pid === process.pid) this.holdsLock = false
    if (this.sql.db.open) this.sql.run('DELETE FROM run_lock WHERE pid = ?', pid)
  }
}
