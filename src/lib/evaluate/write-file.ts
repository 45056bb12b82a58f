// Writing the plot: checked before the (long) evaluation starts, written atomically at its end,
// so a bad path fails fast and a failure never leaves half a file behind.
import {UsageError} from '../errors.js'
import {checkWritable, replaceFile} from '../files/safe-write.js'

export {checkWritable}

/** Writes `text` to `path` through a new temporary file beside it (random name, exclusive create) and a rename. */
export function writeFileAtomic(path: string, text: string, flag: string): void {
  try {
    replaceFile(path, text)
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    throw new UsageError(`--${flag}: cannot write ${path} (${e.code ?? e.message})`)
  }
}
