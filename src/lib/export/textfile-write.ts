// Writing DIR/sova-export.prom for node_exporter's textfile collector: all or nothing (a new temporary
// file in DIR, mode 0644 whatever the umask, fsync, rename), so the collector never reads half a
// file and, running as another user, can read the whole one. The temporary name is hidden and does
// not end in .prom (files/safe-write.ts), so the collector never picks it up.
import * as nodeFs from 'node:fs'
import {join, resolve} from 'node:path'
import {EXIT, SovaError} from '../errors.js'
import {createTemporaryBeside, reasonOf, replaceFile, type SafeFs} from '../files/safe-write.js'

// Not sova.prom: that is the loop's own --metrics-file (contrib/systemd/sova.service), possibly in the same directory.
export const TEXTFILE_NAME = 'sova-export.prom'
/** Readable by node_exporter, which does not run as root on Debian. */
export const TEXTFILE_MODE = 0o644

/** A directory that cannot take the file: exit 65, one line naming it, nothing written. */
function refuse(dir: string, why: string): SovaError {
  return new SovaError(`--textfile ${dir}: ${why}; nothing was written`, EXIT.badInput, 'name node_exporter\'s textfile directory (--collector.textfile.directory), which must exist and be writable')
}

/**
 * Fails now, before the host is read, when `dir` cannot take the file: missing, not a directory, a
 * directory in the way of the file, or no file can be created in it (tried, not inferred from
 * modes: root passes every permission check yet cannot write a read-only mount). Returns the file's path.
 */
export function checkTextfileDir(dir: string): string {
  let stats: nodeFs.Stats
  try {
    stats = nodeFs.statSync(dir)
  } catch (error) {
    throw refuse(dir, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : `cannot be read (${reasonOf(error)})`)
  }
  if (!stats.isDirectory()) throw refuse(dir, 'not a directory')
  const path = join(resolve(dir), TEXTFILE_NAME)
  if (nodeFs.lstatSync(path, {throwIfNoEntry: false})?.isDirectory()) throw refuse(dir, `${TEXTFILE_NAME} in it is a directory`)
  try {
    const {temp, fd} = createTemporaryBeside(path, nodeFs, 0o600)
    nodeFs.closeSync(fd)
    nodeFs.rmSync(temp, {force: true})
  } catch (error) {
    throw refuse(dir, `not writable (${reasonOf(error)})`)
  }
  return path
}

/** The file operations of a write; a test passes its own to watch or fail one. */
export type TextfileFs = SafeFs

/** Replaces `path` with `text` at once; on failure the temporary file goes and `path` keeps its old content. */
export function writeTextfile(path: string, text: string, fs: TextfileFs = nodeFs): void {
  try {
    replaceFile(path, text, fs, TEXTFILE_MODE)
  } catch (error) {
    throw new SovaError(`cannot write ${path} (${reasonOf(error)}); its previous content is unchanged`, EXIT.internal)
  }
}
