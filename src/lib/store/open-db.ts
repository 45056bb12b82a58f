// Opening the state store file, and refusing one this build cannot trust: a store of a newer
// schema (a newer sova wrote it), a damaged one (SQLite says corrupt, or not a database), or an
// empty file where a store was (truncated: its journal is gone). Each refusal says which file and
// what to do, exit 65 like any input sova cannot use; sova never starts over by itself.
import {constants, copyFileSync, existsSync, linkSync, mkdirSync, statSync, unlinkSync} from 'node:fs'
import {randomBytes} from 'node:crypto'
import {join} from 'node:path'
import Database from 'better-sqlite3'
import {EXIT, SovaError} from '../errors.js'
import {MIGRATIONS} from './schema-sql.js'
import {BUSY_TIMEOUT_MS, Sqlite} from './sqlite.js'
import {damaged, isCorrupt, StoreUnusableError} from './store-errors.js'

export const STORE_FILE = 'state.db'

/** The refusal of a store a newer sova wrote. */
function newer(file: string, version: number): StoreUnusableError {
  return new StoreUnusableError(
    `state store ${file} has schema version ${version}, but this sova knows versions up to ${MIGRATIONS.length}: a newer sova wrote it`,
    'upgrade sova, or point --state / SOVA_STATE_DIR at another directory',
  )
}

/** Applies the schema steps `db` has not had yet, each in one write transaction. */
function migrate(sql: Sqlite): void {
  const version = () => sql.retry(() => sql.db.pragma('user_version', {simple: true}) as number)
  if (version() > MIGRATIONS.length) throw newer(sql.file, version())
  for (const [index, step] of MIGRATIONS.entries()) {
    if (index < version()) continue
    sql.transaction(() => {
      // The stages of a pipeline open a new store at the same moment: read the version again
      // under the write lock, so a step another process has just applied is not applied twice.
      if (index < version()) return
      sql.db.exec(step)
      sql.db.pragma(`user_version = ${index + 1}`)
    })
  }
}

/**
 * Makes a new store at `file`, complete with its schema, in one step: built under a private name
 * and linked into place, so an empty `state.db` is never one of ours in the making. When another
 * process links its own first, that one is used.
 */
function create(dir: string, file: string): void {
  const building = join(dir, `.${STORE_FILE}.new-${process.pid}-${randomBytes(6).toString('hex')}`)
  const db = new Database(building)
  try {
    db.pragma('journal_mode = WAL')
    migrate(new Sqlite(db, building))
  } finally {
    db.close()
  }
  try {
    linkInPlace(building, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  } finally {
    unlinkSync(building)
  }
}

/** `to` made `from`, failing with EEXIST when it exists: a hard link, or a copy where the filesystem has none. */
function linkInPlace(from: string, to: string): void {
  try {
    linkSync(from, to)
  } catch (error) {
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
    copyFileSync(from, to, constants.COPYFILE_EXCL)
  }
}

/** Opens (creating if there is none) the store of `dir`, its schema brought up to date. */
export function openDatabase(dir: string): Sqlite {
  const file = join(dir, STORE_FILE)
  let db: Database.Database
  try {
    mkdirSync(dir, {recursive: true})
    if (!existsSync(file)) create(dir, file)
    if (statSync(file).size === 0) {
      throw new StoreUnusableError(
        `state store ${file} is an empty file: it was truncated, and the journal and samples it held are gone`,
        `restore it from a backup, or remove it (rm ${file}) and run sova again to start a new store`,
      )
    }
    db = new Database(file, {fileMustExist: true, timeout: BUSY_TIMEOUT_MS})
  } catch (error) {
    if (error instanceof SovaError) throw error
    throw new SovaError(`state store ${dir}: cannot open (${(error as Error).message})`, EXIT.internal, 'check --state / SOVA_STATE_DIR points at a writable directory')
  }
  const sql = new Sqlite(db, file)
  try {
    sql.retry(() => db.pragma('journal_mode = WAL'))
    db.pragma('synchronous = NORMAL')
    migrate(sql)
    return sql
  } catch (error) {
    db.close()
    throw isCorrupt(error) ? damaged(file, (error as Error).message) : error
  }
}

/** Opens a private store in memory (sova evaluate). */
export function openMemoryDatabase(): Sqlite {
  const sql = new Sqlite(new Database(':memory:'), ':memory:')
  migrate(sql)
  return sql
}

/** Refuses a store whose pages SQLite finds damaged (PRAGMA quick_check: a read of every page, cheap at the store's retained size). */
export function verify(sql: Sqlite): void {
  const problems = sql.retry(() => sql.db.pragma('quick_check(3)') as {quick_check: string}[]).map((row) => row.quick_check)
  if (problems.length !== 1 || problems[0] !== 'ok') throw damaged(sql.file, `quick_check: ${problems.join('; ')}`)
}
