// The SQLite state store: samples (history for rates and prediction), the action journal,
// the simulator's cluster and the run lock. WAL mode; one writer at a time (busy timeout).
import {fstatSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {EXIT, LockedError, SovaError} from '../errors.js'
import type {SampleKnowledge} from '../history.js'
import {JOURNAL_COLUMNS, OPEN_CONTEXT_ROWS, OPEN_ROWS} from './journal-sql.js'
import {identityDiffers, processIdentity, type ProcessIdentity} from './process-identity.js'
import {MIGRATIONS} from './schema-sql.js'

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

/** Who holds the run lock: the process, the pipes that link it to its pipeline neighbours, and
 * (where /proc tells) its start time and boot, so a reused pid is not mistaken for the holder. */
export interface LockOwner {
  pid: number
  stdinPipe: number | null
  stdoutPipe: number | null
  identity?: ProcessIdentity
}

/** What a probe finds of a recorded holder: still running, gone, or its pid now another process's. */
export type HolderState = 'alive' | 'gone' | 'replaced'

/** A stale holder whose lock row was removed, for the command to log (the store does not print). */
export interface LockTakeover {
  pid: number
  command: string
  startedAt: string
  state: Exclude<HolderState, 'alive'>
}

/** The inode of a pipe on file descriptor `fd`, or null when it is not a pipe. */
function pipeInode(fd: number): number | null {
  try {
    const stat = fstatSync(fd)
    return stat.isFIFO() ? stat.ino : null
  } catch {
    return null
  }
}

/** This process as a lock holder: pid, pipes, and its identity so later runs can tell pid reuse. */
export function currentLockOwner(): LockOwner {
  return {pid: process.pid, stdinPipe: pipeInode(0), stdoutPipe: pipeInode(1), identity: processIdentity(process.pid)}
}

export interface StoredSample {
  at: string
  raw: string
  utilisation: Record<string, number>
  /** What the policy remembers of the sample (placement, paths, rates); absent in samples of older stores. */
  knowledge?: SampleKnowledge
}

/** A document as `saveLastDocument` kept it, with its cluster and when it was saved (wall-clock ISO time). */
export interface StoredDocument {
  cluster: string
  savedAt: string
  json: string
}

type SampleRow = {at: string; raw: string; utilisation: string; knowledge: string | null}

function fromRow(row: SampleRow): StoredSample {
  const sample: StoredSample = {at: row.at, raw: row.raw, utilisation: JSON.parse(row.utilisation)}
  if (row.knowledge !== null) sample.knowledge = JSON.parse(row.knowledge)
  return sample
}

export class Store {
  private constructor(private readonly db: Database.Database, readonly dir: string) {}

  /** Opens (creating if needed) the store in `dir`. */
  static open(dir: string): Store {
    let db: Database.Database
    try {
      mkdirSync(dir, {recursive: true})
      db = new Database(join(dir, 'state.db'))
      // Wait for a busy database first: even switching to WAL needs a lock when the file is new.
      db.pragma('busy_timeout = 10000')
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
    } catch (error) {
      throw new SovaError(
        `state store ${dir}: cannot open (${(error as Error).message})`,
        EXIT.internal,
        'check --state / SOVA_STATE_DIR points at a writable directory',
      )
    }
    return Store.migrated(db, dir)
  }

  /** A private store in memory (sova evaluate): same schema and code, gone when closed. */
  static openInMemory(): Store {
    return Store.migrated(new Database(':memory:'), ':memory:')
  }

  private static migrated(db: Database.Database, dir: string): Store {
    const version = () => db.pragma('user_version', {simple: true}) as number
    for (const [index, sql] of MIGRATIONS.entries()) {
      if (index < version()) continue
      db.transaction(() => {
        // The stages of a pipeline open a new store at the same moment: read the version again
        // under the write lock, so a step another process has just applied is not applied twice.
        if (index < version()) return
        db.exec(sql)
        db.pragma(`user_version = ${index + 1}`)
      }).immediate()
    }
    return new Store(db, dir)
  }

  /** Closes the store, giving back the run lock if this process took it. */
  close(): void {
    if (!this.db.open) return
    if (this.holdsLock) this.releaseRunLock()
    this.db.close()
  }

  private holdsLock = false

  /** Runs `fn` in one write transaction that takes the write lock up front. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate()
  }

  // --- samples -------------------------------------------------------------------------

  addSample(
    cluster: string,
    at: string,
    raw: string,
    utilisation: Record<string, number>,
    options: {keep?: number; knowledge?: SampleKnowledge} = {},
  ): void {
    const keep = options.keep ?? 500
    this.transaction(() => {
      this.db
        .prepare('INSERT INTO samples (cluster, at, at_ms, raw, utilisation, knowledge) VALUES (?, ?, ?, ?, ?, ?)')
        .run(cluster, at, Date.parse(at), raw, JSON.stringify(utilisation), options.knowledge ? JSON.stringify(options.knowledge) : null)
      this.db
        .prepare(`DELETE FROM samples WHERE cluster = ? AND id NOT IN
          (SELECT id FROM samples WHERE cluster = ? ORDER BY at_ms DESC, id DESC LIMIT ?)`)
        .run(cluster, cluster, keep)
    })
  }

  /** The newest sample of `cluster`, for turning counters into rates. */
  lastSample(cluster: string): StoredSample | undefined {
    const row = this.db
      .prepare('SELECT at, raw, utilisation, knowledge FROM samples WHERE cluster = ? ORDER BY at_ms DESC, id DESC LIMIT 1')
      .get(cluster) as SampleRow | undefined
    return row && fromRow(row)
  }

  /** Up to `limit` samples of `cluster` taken before `beforeAt`, oldest first. */
  samplesBefore(cluster: string, beforeAt: string, limit: number): StoredSample[] {
    const rows = this.db
      .prepare(`SELECT at, raw, utilisation, knowledge FROM samples WHERE cluster = ? AND at_ms < ?
        ORDER BY at_ms DESC, id DESC LIMIT ?`)
      .all(cluster, Date.parse(beforeAt), limit) as SampleRow[]
    return rows.reverse().map(fromRow)
  }

  /** The samples of `cluster` taken at or after `sinceAt` and before `beforeAt`, oldest first, without `raw`. */
  samplesSince(cluster: string, sinceAt: string, beforeAt: string): StoredSample[] {
    const rows = this.db
      .prepare(`SELECT at, '' AS raw, utilisation, knowledge FROM samples WHERE cluster = ? AND at_ms >= ? AND at_ms < ?
        ORDER BY at_ms, id`)
      .all(cluster, Date.parse(sinceAt), Date.parse(beforeAt)) as SampleRow[]
    return rows.map(fromRow)
  }

  clearSamples(): void {
    this.db.prepare('DELETE FROM samples').run()
  }

  // --- action journal ------------------------------------------------------------------

  journalPlanned(entry: {runId: string; kind: string; vm: string; uuid?: string; host: string; toHost?: string; vf?: string; reason: string}): number {
    const now = new Date().toISOString()
    const result = this.db
      .prepare(`INSERT INTO journal (run_id, created_at, updated_at, kind, vm, uuid, host, to_host, vf, status, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'planned', ?)`)
      .run(entry.runId, now, now, entry.kind, entry.vm, entry.uuid ?? null, entry.host, entry.toHost ?? null, entry.vf ?? null, entry.reason)
    return Number(result.lastInsertRowid)
  }

  /** Keeps the VF device a detach removed (JSON of a VfDevice), for giving it back as it was. */
  journalDevice(id: number, device: string): void {
    this.db.prepare('UPDATE journal SET device = ? WHERE id = ?').run(device, id)
  }

  journalUpdate(id: number, status: JournalStatus, error?: string): void {
    this.db
      .prepare('UPDATE journal SET status = ?, error = ?, updated_at = ? WHERE id = ?')
      .run(status, error ?? null, new Date().toISOString(), id)
  }

  /** The newest `limit` rows, oldest first (a view for people; never what reconciliation relies on). */
  journal(limit = 1000): JournalEntry[] {
    const rows = this.db.prepare(`SELECT ${JOURNAL_COLUMNS} FROM journal ORDER BY id DESC LIMIT ?`).all(limit) as JournalEntry[]
    return rows.reverse()
  }

  /**
   * Every row still owing something, whatever its age, oldest first: rows left planned or started,
   * and detaches whose migration did not happen with no VF given back; each with all the rows of
   * its run about that VM, so reconciliation knows the run's earlier and later steps.
   */
  journalOpen(): JournalEntry[] {
    return this.db.prepare(OPEN_ROWS).all() as JournalEntry[]
  }

  /** What `sova check` reads: the newest `window` rows, and every open row with what settles it, whatever its age. */
  journalForCheck(window: number): JournalEntry[] {
    const rows = new Map<number, JournalEntry>()
    for (const row of this.db.prepare(OPEN_CONTEXT_ROWS).all() as JournalEntry[]) rows.set(row.id, row)
    for (const row of this.journal(window)) rows.set(row.id, row)
    return [...rows.values()].sort((a, b) => a.id - b.id)
  }

  /** The journal for `sova history`: newest `limit` matching actions, oldest first; values bound, never spliced. */
  journalQuery(filter: {since?: string; vm?: string; host?: string; status?: JournalStatus; limit: number}): JournalEntry[] {
    const rows = this.db
      .prepare(`SELECT id, run_id AS runId, created_at AS createdAt, updated_at AS updatedAt, kind, vm, host,
        to_host AS toHost, vf, status, reason, error, uuid, device FROM journal
        WHERE (@since IS NULL OR updated_at >= @since) AND (@vm IS NULL OR vm = @vm)
          AND (@host IS NULL OR host = @host OR to_host = @host) AND (@status IS NULL OR status = @status)
        ORDER BY updated_at DESC, id DESC LIMIT @limit`)
      .all({since: filter.since ?? null, vm: filter.vm ?? null, host: filter.host ?? null, status: filter.status ?? null, limit: filter.limit}) as JournalEntry[]
    return rows.reverse()
  }

  /** Rows by kind and status: what the metrics file's counters come from. */
  journalTotals(): {kind: string; status: JournalStatus; count: number}[] {
    return this.db.prepare('SELECT kind, status, count(*) AS count FROM journal GROUP BY kind, status ORDER BY kind, status').all() as {kind: string; status: JournalStatus; count: number}[]
  }

  journalCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM journal').get() as {n: number}).n
  }

  // --- simulator state -----------------------------------------------------------------

  readSim(): string | undefined {
    const row = this.db.prepare("SELECT value FROM sim WHERE key = 'cluster'").get() as {value: string} | undefined
    return row?.value
  }

  writeSim(json: string): void {
    this.db.prepare("INSERT INTO sim (key, value) VALUES ('cluster', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(json)
  }

  // --- last document ---------------------------------------------------------------------

  /** Keeps `json` as the last document of `cluster`, replacing the one before: `sova explain` reads it. */
  saveLastDocument(cluster: string, json: string): void {
    // One statement: the next `saved` number and the upsert happen atomically.
    this.db
      .prepare(`INSERT INTO last_document (cluster, saved, saved_at, json)
        VALUES (?, (SELECT coalesce(max(saved), 0) + 1 FROM last_document), ?, ?)
        ON CONFLICT(cluster) DO UPDATE SET saved = excluded.saved, saved_at = excluded.saved_at, json = excluded.json`)
      .run(cluster, new Date().toISOString(), json)
  }

  /** The last document saved for `cluster`, or, without one, the most recently saved of any cluster. */
  lastDocument(cluster?: string): StoredDocument | undefined {
    const row = cluster === undefined
      ? this.db.prepare('SELECT cluster, saved_at AS savedAt, json FROM last_document ORDER BY saved DESC LIMIT 1').get()
      : this.db.prepare('SELECT cluster, saved_at AS savedAt, json FROM last_document WHERE cluster = ?').get(cluster)
    return row as StoredDocument | undefined
  }

  // --- run lock ------------------------------------------------------------------------

  /**
   * Takes the run lock for this process. Stages of one shell pipeline share it: a holder whose
   * stdout pipe is our stdin (or the other way round) is our neighbour in `migrate | switch-vf`.
   * Any other live holder makes this throw LockedError (exit 75). Holders whose process is gone
   * (kill -9) or whose pid now belongs to another process (`probe` says 'replaced') are stale:
   * removed, and returned so the command can say it took the lock over.
   */
  acquireRunLock(
    command: string,
    probe: (pid: number, recorded: ProcessIdentity) => HolderState,
    self: LockOwner = currentLockOwner(),
  ): LockTakeover[] {
    const takeovers: LockTakeover[] = []
    this.transaction(() => {
      const holders = this.db
        .prepare(
          `SELECT pid, stdin_pipe AS stdinPipe, stdout_pipe AS stdoutPipe, command, started_at AS startedAt,
                  start_ticks AS startTicks, boot_id AS bootId FROM run_lock`,
        )
        .all() as (LockOwner & ProcessIdentity & {command: string; startedAt: string})[]
      for (const holder of holders) {
        if (holder.pid === self.pid) continue
        const state = probe(holder.pid, {startTicks: holder.startTicks, bootId: holder.bootId})
        if (state !== 'alive') {
          this.db.prepare('DELETE FROM run_lock WHERE pid = ?').run(holder.pid)
          takeovers.push({pid: holder.pid, command: holder.command, startedAt: holder.startedAt, state})
          continue
        }
        const neighbour =
          (self.stdinPipe !== null && self.stdinPipe === holder.stdoutPipe) ||
          (self.stdoutPipe !== null && self.stdoutPipe === holder.stdinPipe)
        if (!neighbour) throw new LockedErrorFor(holder)
      }
      this.db
        .prepare(
          `INSERT OR REPLACE INTO run_lock (pid, stdin_pipe, stdout_pipe, command, started_at, start_ticks, boot_id)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(self.pid, self.stdinPipe, self.stdoutPipe, command, new Date().toISOString(), self.identity?.startTicks ?? null, self.identity?.bootId ?? null)
    })
    this.holdsLock = self.pid === process.pid
    return takeovers
  }

  releaseRunLock(pid = process.pid): void {
    if (pid === process.pid) this.holdsLock = false
    if (this.db.open) this.db.prepare('DELETE FROM run_lock WHERE pid = ?').run(pid)
  }
}


class LockedErrorFor extends LockedError {
  constructor(holder: {pid: number; command: string; startedAt: string}) {
    super(`another run holds the lock: "sova ${holder.command}" (pid ${holder.pid}, since ${holder.startedAt})`)
  }
}

/** True when a process with this pid exists (signal 0 probes without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The real probe of a recorded lock holder: gone when its pid is; replaced when the pid runs but
 * /proc shows another start time or boot (pid reuse, reboot). Without /proc the pid check decides.
 */
export function lockHolderState(pid: number, recorded: ProcessIdentity): HolderState {
  if (!isProcessAlive(pid)) return 'gone'
  return identityDiffers(recorded, processIdentity(pid)) ? 'replaced' : 'alive'
}

/** One line for stderr when a run took over a stale lock, naming the holder it replaced. */
export function describeTakeover(takeover: LockTakeover): string {
  const why = takeover.state === 'gone' ? 'that process is gone' : 'its pid now belongs to another process'
  return `took over a stale run lock from "sova ${takeover.command}" (pid ${takeover.pid}, since ${takeover.startedAt}): ${why}`
}
