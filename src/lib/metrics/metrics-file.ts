// --metrics-file: the metrics of each document, rewritten atomically (temporary file in the same
// directory, fsync, rename) so node_exporter's textfile collector never reads half a file. The
// temporary name starts with a dot and does not end in .prom, so the collector never reads it either.
import * as nodeFs from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import type {SovaDocument} from '../document/schema.js'
import {EXIT, SovaError, UsageError} from '../errors.js'
import {checkWritable} from '../evaluate/write-file.js'
import {documentMetricsText, type JournalTotals} from './document-metrics.js'

/** The file operations a durable write uses; a test passes its own to fail one of them. */
export type DurableFs = Pick<typeof nodeFs, 'openSync' | 'writeFileSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync'>

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

/** The temporary file a write of `path` goes through (hidden, same directory, so the rename is atomic). */
export function temporaryPathFor(path: string): string {
  return join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`)
}

/** Writes `text` to `path` all or nothing: temporary file, fsync, rename; on failure the temporary file is removed and `path` keeps its old content. */
export function writeFileDurably(path: string, text: string, flag: string, fs: DurableFs = nodeFs): void {
  const temp = temporaryPathFor(path)
  let fd: number | undefined
  try {
    fd = fs.openSync(temp, 'w', 0o644)
    fs.writeFileSync(fd, text)
    fs.fsyncSync(fd)
    fs.closeSync(fd)
    fd = undefined
    fs.renameSync(temp, path)
  } catch (error) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd)
      } catch {
        // Already failing: the write's error is the one to report.
      }
    }
    fs.rmSync(temp, {force: true})
    throw writeError(path, flag, error)
  }
  syncDirectory(dirname(resolve(path)))
}

/** Makes the rename itself durable; best effort, since not every file system lets a directory be fsynced. */
function syncDirectory(dir: string): void {
  try {
    const fd = nodeFs.openSync(dir, 'r')
    try {
      nodeFs.fsyncSync(fd)
    } finally {
      nodeFs.closeSync(fd)
    }
  } catch {
    // The file is complete and renamed; only its survival of a power cut is less certain.
  }
}

/** Writes one document's metrics; `cycleSeconds` is the wall-clock time its cycle took; `journal` the journal's totals, for the counters. */
export type MetricsWriter = (doc: SovaDocument, cycleSeconds: number, journal?: JournalTotals) => void

/** The --metrics-file writer, its path checked now so a bad one exits 2 before anything is locked or done. */
export function openMetricsFile(path: string, flag = 'metrics-file'): MetricsWriter {
  checkWritable(path, flag)
  return (doc, cycleSeconds, journal) => writeFileDurably(path, documentMetricsText(doc, cycleSeconds, journal), flag)
}
