// The last document each cluster's commands wrote, for `sova explain` and `sova status` when
// nothing is piped in: one file per cluster under <state>/last-documents/, beside state.db, and
// in the store which cluster saved when (store.ts). Every stage of a pipeline keeps its document,
// so at 1,000 hosts this is 25 MB a stage: as a file it is the bytes the stage writes to stdout
// anyway, written once (a SQLite row wrote them twice, WAL then checkpoint, and cost a stage about
// as much as serialising the document).
//
// Each save replaces the file by rename, so a reader sees the old document or the new one, never
// part of one. It is not fsynced: the file is a copy of what went to stdout, and losing the newest
// one in a power cut costs only explain's default input (which then says what is wrong with it).
import {mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {replaceFile} from '../files/safe-write.js'

export const LAST_DOCUMENTS_DIR = 'last-documents'

/** Where the documents themselves are kept. */
export interface DocumentFiles {
  write(cluster: string, json: string | Uint8Array): void
  /** The document's text, or undefined when there is none. */
  read(cluster: string): string | undefined
}

/** The file of `cluster`'s document: its name in hex, so that any name is a safe file name. */
function fileNameOf(cluster: string): string {
  return `${Buffer.from(cluster, 'utf8').toString('hex')}.json`
}

/** The documents of a state directory, in files (mode 0600, in a directory of mode 0700). */
export function documentFilesIn(stateDir: string): DocumentFiles {
  const dir = join(stateDir, LAST_DOCUMENTS_DIR)
  return {
    write(cluster, json) {
      mkdirSync(dir, {recursive: true, mode: 0o700})
      replaceFile(join(dir, fileNameOf(cluster)), json, undefined, 0o600, {durable: false})
    },
    read(cluster) {
      try {
        return readFileSync(join(dir, fileNameOf(cluster)), 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
    },
  }
}

/** The documents of a store in memory (sova evaluate): gone with the process. */
export function documentsInMemory(): DocumentFiles {
  const kept = new Map<string, string>()
  return {
    write: (cluster, json) => void kept.set(cluster, typeof json === 'string' ? json : Buffer.from(json).toString('utf8')),
    read: (cluster) => kept.get(cluster),
  }
}
