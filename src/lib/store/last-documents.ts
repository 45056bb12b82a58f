// The last document each cluster's commands wrote, for `sova explain` and `sova status` when
// nothing is piped in: one file per cluster under <state>/last-documents/, beside state.db, and a
// file `latest` naming the cluster that saved last. Every stage of a pipeline keeps its document,
// so at 1,000 hosts this is 25 MB a stage: as a file it is the bytes the stage writes to stdout
// anyway, written once (a SQLite row wrote them twice, WAL then checkpoint, and cost a stage about
// as much as serialising the document). Nothing of it is in SQLite: a stage that only reads the
// store (score, balance) then writes nothing there, and a write transaction with the checkpoint at
// close cost a small stage 5-15 ms.
//
// Each save replaces the files by rename, so a reader sees the old document or the new one, never
// part of one. They are not fsynced: the file is a copy of what went to stdout, and losing the newest
// one in a power cut costs only explain's default input (which then says what is wrong with it).
// A document's save time is its file's modification time.
import {closeSync, fstatSync, mkdirSync, openSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {replaceFile} from '../files/safe-write.js'

export const LAST_DOCUMENTS_DIR = 'last-documents'

/** A kept document, with its cluster and when it was saved (wall-clock ISO time). */
export interface StoredDocument {
  cluster: string
  savedAt: string
  json: string
}

/** Where the documents are kept. */
export interface DocumentFiles {
  write(cluster: string, json: string | Uint8Array): void
  /** `cluster`'s document, or without a cluster the one saved last of any; undefined when there is none. */
  read(cluster?: string): StoredDocument | undefined
}

/** The file naming the cluster whose document was saved last. */
const LATEST = 'latest'

/** The file of `cluster`'s document: its name in hex, so that any name is a safe file name. */
function fileNameOf(cluster: string): string {
  return `${Buffer.from(cluster, 'utf8').toString('hex')}.json`
}

/** The text of `path` and when it was last written, read through one descriptor (a rename meanwhile changes neither); undefined when there is no such file. */
function readWithTime(path: string): {text: string; savedAt: string} | undefined {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    return {savedAt: fstatSync(fd).mtime.toISOString(), text: readFileSync(fd, 'utf8')}
  } finally {
    closeSync(fd)
  }
}

/** The documents of a state directory, in files (mode 0600, in a directory of mode 0700). */
export function documentFilesIn(stateDir: string): DocumentFiles {
  const dir = join(stateDir, LAST_DOCUMENTS_DIR)
  return {
    write(cluster, json) {
      mkdirSync(dir, {recursive: true, mode: 0o700})
      replaceFile(join(dir, fileNameOf(cluster)), json, undefined, 0o600, {durable: false})
      // After the document: whoever reads `latest` finds that cluster's file in place.
      replaceFile(join(dir, LATEST), cluster, undefined, 0o600, {durable: false})
    },
    read(cluster) {
      const named = cluster ?? readWithTime(join(dir, LATEST))?.text
      if (named === undefined) return undefined
      const kept = readWithTime(join(dir, fileNameOf(named)))
      return kept && {cluster: named, savedAt: kept.savedAt, json: kept.text}
    },
  }
}

/** The documents of a store in memory (sova evaluate): gone with the process. */
export function documentsInMemory(): DocumentFiles {
  const kept = new Map<string, StoredDocument>()
  let latest: string | undefined
  return {
    write(cluster, json) {
      kept.set(cluster, {cluster, savedAt: new Date().toISOString(), json: typeof json === 'string' ? json : Buffer.from(json).toString('utf8')})
      latest = cluster
    },
    read: (cluster) => kept.get(cluster ?? latest ?? ''),
  }
}
