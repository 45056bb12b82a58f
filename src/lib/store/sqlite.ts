// The one door to the SQLite file: cached statements, and no process dies of a neighbour's
// lock. SQLite's busy timeout waits inside a call, but some waits it does not cover (a lock
// held past the timeout: a big sample written under load, a checkpoint; a WAL being recovered):
// every call is retried, with a growing pause, until a budget is spent, and only then refused
// with exit 75 ("busy, try later"). A BUSY means the statement did nothing, so a retry is safe.
import type Database from 'better-sqlite3'
import {damaged, isBusy, isCorrupt, StoreBusyError} from './store-errors.js'

/** How long one SQLite call waits for a lock before it returns BUSY to us (then we retry). */
export const BUSY_TIMEOUT_MS = 5_000

/** How long a call keeps retrying a busy store before giving up (exit 75). */
export const BUSY_BUDGET_MS = 300_000

/** Blocks the thread for `ms` (better-sqlite3 is synchronous, and so must our wait be). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

export interface BusyPolicy {
  budgetMs: number
  sleep: (ms: number) => void
  now: () => number
}

export const DEFAULT_BUSY: BusyPolicy = {budgetMs: BUSY_BUDGET_MS, sleep: sleepSync, now: () => performance.now()}

/** `fn`, retried while the store is busy (isBusy: SQLITE_BUSY, SQLITE_PROTOCOL), pausing 10 ms, 20 ms, ... up to 1 s, until the budget is spent. */
export function retryBusy<T>(fn: () => T, file: string, policy: BusyPolicy = DEFAULT_BUSY): T {
  const start = policy.now()
  for (let attempt = 0; ; attempt++) {
    try {
      return fn()
    } catch (error) {
      if (!isBusy(error)) throw error
      if (policy.now() - start >= policy.budgetMs) throw new StoreBusyError(file, Math.round(policy.budgetMs / 1000))
      // Jitter, so that processes refused together do not all come back together.
      policy.sleep(Math.min(1000, 10 * 2 ** Math.min(attempt, 7)) * (0.5 + Math.random() / 2))
    }
  }
}

/** Statements of one connection, prepared once, each call retried while the store is busy. */
export class Sqlite {
  private readonly statements = new Map<string, Database.Statement>()

  constructor(
    readonly db: Database.Database,
    readonly file: string,
    private readonly busy: BusyPolicy = DEFAULT_BUSY,
  ) {}

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  /**
   * `fn` retried while busy (for calls the helpers below do not cover: pragmas, exec); a damaged
   * file is refused with what to do, never an internal error.
   */
  retry<T>(fn: () => T): T {
    try {
      // Inside a transaction we hold the write lock: a BUSY there would be a bug, not a neighbour.
      return this.db.inTransaction ? fn() : retryBusy(fn, this.file, this.busy)
    } catch (error) {
      throw isCorrupt(error) ? damaged(this.file, (error as Error).message) : error
    }
  }

  run(sql: string, ...params: unknown[]): Database.RunResult {
    return this.retry(() => this.statement(sql).run(...params))
  }

  get<T>(sql: string, ...params: unknown[]): T | undefined {
    return this.retry(() => this.statement(sql).get(...params) as T | undefined)
  }

  all<T>(sql: string, ...params: unknown[]): T[] {
    return this.retry(() => this.statement(sql).all(...params) as T[])
  }

  /**
   * `fn` in one read transaction: its reads see one state of the file however others write
   * meanwhile (WAL), and it takes no write lock. Nested in another transaction, just `fn`.
   */
  readTransaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn()
    try {
      // A read that meets BUSY (a WAL being recovered) is retried whole: it changed nothing.
      return retryBusy(() => {
        this.db.exec('BEGIN DEFERRED')
        try {
          const result = fn()
          this.db.exec('COMMIT')
          return result
        } catch (error) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK')
          throw error
        }
      }, this.file, this.busy)
    } catch (error) {
      throw isCorrupt(error) ? damaged(this.file, (error as Error).message) : error
    }
  }

  /**
   * `fn` in one write transaction that takes the write lock up front (BEGIN IMMEDIATE, retried
   * while busy: nothing has happened yet). Nested calls become savepoints of the outer one.
   */
  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.db.transaction(fn)()
    this.retry(() => this.db.exec('BEGIN IMMEDIATE'))
    try {
      const result = fn()
      // COMMIT may wait for readers in rollback-journal mode; a busy COMMIT leaves the transaction open to retry.
      retryBusy(() => this.db.exec('COMMIT'), this.file, this.busy)
      return result
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK')
      throw isCorrupt(error) ? damaged(this.file, (error as Error).message) : error
    }
  }
}
