// Files Sova writes for an operator (--metrics-file, --plot) often sit in directories others can
// write (a textfile collector's directory, /tmp), while Sova runs as root. A temporary file with a
// name one can guess, opened so that it follows a symlink, would let whoever writes that directory
// make root overwrite any file. So the temporary file has a random name and is created exclusively
// (O_EXCL refuses any entry already there, a symlink included; O_NOFOLLOW too where the platform has it),
// and the rename replaces the entry at the target's name, never what a symlink there points to.
import {randomBytes} from 'node:crypto'
import * as nodeFs from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {UsageError} from '../errors.js'

/** The file operations a safe write uses; a test passes its own to fail one of them. */
export type SafeFs = Pick<typeof nodeFs, 'openSync' | 'fchmodSync' | 'writeFileSync' | 'fsyncSync' | 'closeSync' | 'renameSync' | 'rmSync'>

const CREATE_EXCLUSIVE = nodeFs.constants.O_WRONLY | nodeFs.constants.O_CREAT | nodeFs.constants.O_EXCL | (nodeFs.constants.O_NOFOLLOW ?? 0)

/** Names tried before giving up: a clash of 96 random bits is a planted file, not chance. */
const ATTEMPTS = 8

/** A temporary name beside `path`: hidden (leading dot) and not ending like `path`, so a collector globbing `*.prom` never reads it. */
export function temporaryNameFor(path: string): string {
  return join(dirname(resolve(path)), `.${basename(resolve(path))}.${randomBytes(12).toString('hex')}.tmp`)
}

/** Creates a new temporary file beside `path`, never opening anything already there; returns its name and descriptor. */
export function createTemporaryBeside(path: string, fs: Pick<SafeFs, 'openSync'> = nodeFs, mode = 0o644): {temp: string; fd: number} {
  for (let attempt = 1; ; attempt++) {
    const temp = temporaryNameFor(path)
    try {
      return {temp, fd: fs.openSync(temp, CREATE_EXCLUSIVE, mode)}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= ATTEMPTS) throw error
    }
  }
}

/**
 * Writes `text` to `path` all or nothing: a new temporary file beside it, fsync, rename. On failure the
 * temporary file is removed, `path` keeps its old content, and the error is thrown as it came. With
 * `mode`, the file has that mode whatever the umask (a reader running as another user needs it).
 * `durable: false` skips both fsyncs, for a copy whose loss in a power cut costs nothing: a reader
 * still sees the old content or the new, never part of one.
 */
export function replaceFile(path: string, text: string | Uint8Array, fs: SafeFs = nodeFs, mode?: number, {durable = true}: {durable?: boolean} = {}): void {
  let temp: string | undefined
  let fd: number | undefined
  try {
    ;({temp, fd} = createTemporaryBeside(path, fs, mode))
    if (mode !== undefined) fs.fchmodSync(fd, mode)
    fs.writeFileSync(fd, text)
    if (durable) fs.fsyncSync(fd)
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
    if (temp !== undefined) fs.rmSync(temp, {force: true})
    throw error
  }
  if (durable) syncDirectory(dirname(resolve(path)))
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

/** An error's code (ENOSPC) or, without one, its message: what a one-line refusal quotes. */
export function reasonOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  return e.code ?? e.message
}

/**
 * Fails now (exit 2) when `path` could not be written later, so a command refuses before it acts:
 * a name that can only be a directory (trailing slash, `.`), a missing directory, a directory in the
 * way, or a directory in which no file can be created. The last is tried, not inferred from modes
 * (root passes every permission check, yet cannot create files in /proc or on a read-only mount):
 * a temporary file is created the safe way and removed at once.
 */
export function checkWritable(path: string, flag: string): void {
  const refuse = (why: string) => new UsageError(`--${flag}: cannot write ${path}: ${why}`)
  if (path === '' || path.endsWith('/') || ['.', '..'].includes(basename(path))) throw refuse('it names a directory, not a file')
  const dir = dirname(resolve(path))
  try {
    if (!nodeFs.statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), {code: 'ENOTDIR'})
  } catch (error) {
    throw refuse(`directory ${dir} is not writable (${reasonOf(error)})`)
  }
  let existing: nodeFs.Stats | undefined
  try {
    existing = nodeFs.lstatSync(path)
  } catch {
    // Not there yet: the write creates it.
  }
  if (existing?.isDirectory()) throw refuse('it is a directory')
  try {
    const {temp, fd} = createTemporaryBeside(path, nodeFs, 0o600)
    nodeFs.closeSync(fd)
    nodeFs.rmSync(temp, {force: true})
  } catch (error) {
    throw refuse(`directory ${dir} is not writable (${reasonOf(error)})`)
  }
}
