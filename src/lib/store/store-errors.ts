// How the state store refuses: a store this build cannot use (exit 65, with what to do), and a
// store another process kept locked past every retry (exit 75, try later).
import {EXIT, LockedError, SovaError} from '../errors.js'

/** The state store cannot be used as it is; the message says why, the remedy what to do. */
export class StoreUnusableError extends SovaError {
  constructor(message: string, remedy: string) {
    super(message, EXIT.badInput, remedy)
    this.name = 'StoreUnusableError'
  }
}

/** SQLite's words for a file that is damaged or not a database at all. */
export function isCorrupt(error: unknown): boolean {
  const code = (error as {code?: unknown})?.code
  return typeof code === 'string' && (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_'))
}

/** The refusal of a damaged store, naming the file and the way out. */
export function damaged(file: string, detail: string): StoreUnusableError {
  return new StoreUnusableError(
    `state store ${file} is damaged (${detail})`,
    `move it aside (mv ${file} ${file}.damaged, with its -wal and -shm files if any) and run sova again: it starts a new store, without the old journal and samples`,
  )
}

/**
 * SQLITE_BUSY and its extended codes (BUSY_RECOVERY, BUSY_SNAPSHOT, BUSY_TIMEOUT), and
 * SQLITE_PROTOCOL: what a reader gets once SQLite's own retries are spent while another process
 * rewrites the WAL index (or was stopped half-way through it, as a SIGSTOPped sova is). Both pass
 * once the other process gets on; neither is damage.
 */
export function isBusy(error: unknown): boolean {
  const code = (error as {code?: unknown})?.code
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_PROTOCOL')
}

/** The store stayed locked by another process for the whole retry budget. */
export class StoreBusyError extends LockedError {
  constructor(file: string, seconds: number) {
    super(`state store ${file} stayed busy for ${seconds} s (another sova process held its write lock, or was stopped half-way through a write, all that time)`)
    this.name = 'StoreBusyError'
  }
}
