// Runs the real CLI in a child process: the honest test of pipes, stdout/stderr and exit codes.
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa, type Result} from 'execa'
import {Store} from '../../src/lib/store/store.js'

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'run.js')

/** A fresh state directory, so tests never share (or touch the user's) simulated cluster. */
export function freshStateDir(): string {
  return mkdtempSync(join(tmpdir(), 'sova-test-'))
}

export interface RunOptions {
  state: string
  input?: string
  env?: Record<string, string>
}

/** `sova ARGS` with stdin from `input` (empty when absent); never throws on a non-zero exit. */
export function sova(args: string[], options: RunOptions): Promise<Result> {
  return execa(process.execPath, [BIN, ...args], {
    input: options.input ?? '',
    reject: false,
    env: {SOVA_STATE_DIR: options.state, NO_COLOR: '', ...options.env},
    extendEnv: true,
    stripFinalNewline: false,
  })
}

/** A shell pipeline of sova stages, e.g. ['collect', 'score'] -> `sova collect | sova score`. */
export function pipeline(stages: string[], options: RunOptions): Promise<Result> {
  const command = stages.map((stage) => `"${process.execPath}" "${BIN}" ${stage}`).join(' | ')
  return execa('bash', ['-o', 'pipefail', '-c', command], {
    input: options.input ?? '',
    reject: false,
    env: {SOVA_STATE_DIR: options.state},
    extendEnv: true,
  })
}

/** `fn` on the state store of `state`, opened for it and closed after. */
export function withStore<T>(state: string, fn: (store: Store) => T): T {
  const store = Store.open(state)
  try {
    return fn(store)
  } finally {
    store.close()
  }
}

/** NDJSON stdout as objects. */
export function documents(stdout: unknown): any[] {
  return String(stdout)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line))
}
