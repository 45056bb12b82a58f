// Writing the plot: checked before the (long) evaluation starts, written atomically at its end,
// so a bad path fails fast and a failure never leaves half a file behind.
import {accessSync, constants, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {basename, dirname, join, resolve} from 'node:path'
import {UsageError} from '../errors.js'

function reasonOf(error: unknown): string {
  const e = error as NodeJS.ErrnoException
  return e.code ?? e.message
}

/** Fails now (exit 2) when `path` could not be written later: missing or read-only directory, or a directory. */
export function checkWritable(path: string, flag: string): void {
  const dir = dirname(resolve(path))
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), {code: 'ENOTDIR'})
    accessSync(dir, constants.W_OK)
  } catch (error) {
    throw new UsageError(`--${flag}: cannot write ${path}: directory ${dir} is not writable (${reasonOf(error)})`)
  }
  try {
    if (statSync(path).isDirectory()) throw new UsageError(`--${flag}: cannot write ${path}: it is a directory`)
  } catch (error) {
    if (error instanceof UsageError) throw error
  }
}

/** Writes `text` to `path` through a temporary file in the same directory and a rename. */
export function writeFileAtomic(path: string, text: string, flag: string): void {
  const temp = join(dirname(resolve(path)), `.${basename(path)}.${process.pid}.tmp`)
  try {
    writeFileSync(temp, text)
    renameSync(temp, path)
  } catch (error) {
    rmSync(temp, {force: true})
    throw new UsageError(`--${flag}: cannot write ${path} (${reasonOf(error)})`)
  }
}
