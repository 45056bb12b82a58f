// --metrics-file: the metrics of each document, rewritten atomically (a new temporary file beside it,
// fsync, rename) so node_exporter's textfile collector never reads half a file. The temporary name is
// random, hidden and does not end in .prom, so the collector never reads it and nobody can plant a
// symlink at it (see files/safe-write.ts).
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

/** The --metrics-file writer, its path checked now so a bad one exits 2 before anything is locked or done. */
export function openMetricsFile(path: string, flag = 'metrics-file'): MetricsWriter {
  checkWritable(path, flag)
  return (doc, cycleSeconds, journal) => writeFileDurably(path, documentMetricsText(doc, cycleSeconds, journal), flag)
}
