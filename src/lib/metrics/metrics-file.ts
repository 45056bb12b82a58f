// --metrics-file: the metrics of each document, rewritten atomically (a new temporary file beside it,
// fsync, rename) so node_exporter's textfile collector never reads half a file. The temporary name is
// random, hidden and does not end in .prom, so the collector never reads it and nobody can plant a
// symlink at it (see files/safe-write.ts).
import {existsSync, mkdirSync} from 'node:fs'
import {dirname, resolve} from 'node:path'
import type {SovaDocument} from '../document/schema.js'
import {EXIT, SovaError, UsageError} from '../errors.js'
import {checkWritable, replaceFile, type SafeFs} from '../files/safe-write.js'
import {documentMetricsText, type JournalTotals} from './document-metrics.js'

/** The file operations a durable write uses; a test passes its own to fail one of them. */
export type DurableFs = SafeFs

/**
 * Exit codes of a failed write. A path that cannot be written (missing or read-only directory, a
 * directory in the way) is the user's flag being wrong: exit 2, as for any bad path. Anything else
 * (disk full, I/O error) is the machine failing, not the invocation: exit 70. Either way the
 * document is already on stdout, and the run's actions are done.
 */
const PATH_ERRORS = new Set(['EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EROFS', 'ENAMETOOLONG', 'ELOOP'])

function writeError(path: string, flag: string, error: unknown): SovaError {
  const code = (error as NodeJS.ErrnoException).code
  const message = `--${flag}: cannot write ${path} (${code ?? (error as Error).message}); the document was written to stdout`
  return code !== undefined && PATH_ERRORS.has(code) ? new UsageError(message) : new SovaError(message, EXIT.internal)
}

/** Writes `text` to `path` all or nothing; on failure the temporary file is removed and `path` keeps its old content. */
export function writeFileDurably(path: string, text: string, flag: string, fs?: DurableFs): void {
  try {
    replaceFile(path, text, fs)
  } catch (error) {
    throw writeError(path, flag, error)
  }
}

/** Writes one document's metrics; `cycleSeconds` is the wall-clock time its cycle took; `journal` the journal's totals, for the counters. */
export type MetricsWriter = (doc: SovaDocument, cycleSeconds: number, journal?: JournalTotals) => void

/**
 * The file's directory, made (like `install -D`, mode 0755 so node_exporter, another user, can read
 * it) when missing: a cron line or unit naming node_exporter's textfile directory then runs its
 * cycle on a host where node_exporter is not installed yet, and is read once it is.
 */
function ensureDirectory(path: string, flag: string): void {
  const dir = dirname(resolve(path))
  // One level at a time from the nearest existing ancestor: Node's recursive mkdir never returns
  // under /proc (it retries the parent for ever), and each step's error names what failed.
  const missing: string[] = []
  for (let at = dir; !existsSync(at) && dirname(at) !== at; at = dirname(at)) missing.unshift(at)
  try {
    for (const level of missing) mkdirSync(level, {mode: 0o755})
  } catch (error) {
    throw new UsageError(`--${flag}: cannot write ${path}: cannot create directory ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
}

/** The --metrics-file writer, its path checked now (its directory made if missing) so a bad one exits 2 before anything is locked or done. */
export function openMetricsFile(path: string, flag = 'metrics-file'): MetricsWriter {
  if (path !== '' && !path.endsWith('/')) ensureDirectory(path, flag)
  checkWritable(path, flag)
  return (doc, cycleSeconds, journal) => writeFileDurably(path, documentMetricsText(doc, cycleSeconds, journal), flag)
}
