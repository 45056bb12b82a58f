// The one place that runs external programs (STYLE.md §12). Always an argument array, never a
// shell string; always a timeout; never throws for a tool's own failure: the caller gets the exit
// code and the tool's words. Remote hosts are reached with `ssh -o BatchMode=yes` (the hypervisors'
// own remote management), and then every argument must pass the safe-word check, because ssh
// joins the remote argv with spaces for the remote shell.
import {readFile} from 'node:fs/promises'
import {UsageError} from './errors.js'

/** What one run of a program came to. */
export interface ToolResult {
  /** The argv that ran, for messages and tests. */
  command: string[]
  exitCode: number | undefined
  stdout: string
  stderr: string
  timedOut: boolean
  /** The program could not be started at all (not installed, not executable). */
  notFound: boolean
  durationMs: number
}

export interface RunOptions {
  timeoutMs?: number
  input?: string
}

/** Default time a tool may take before it is killed; migrations pass their own. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000

/** A word that means the same to a remote POSIX shell as it does here: no quoting needed. */
const SAFE_WORD = /^[A-Za-z0-9_./:@%+=,-]+$/

/** Refuses anything a remote shell could read as more than one plain word. */
export function assertSafeWord(word: string, what = 'argument'): string {
  if (!SAFE_WORD.test(word)) throw new UsageError(`${what} "${word}" contains characters Sova does not pass to a remote shell`)
  return word
}

/** The last lines of a tool's stderr (or stdout), trimmed: the words an action failure carries. */
export function toolError(result: ToolResult, maxLines = 20): string {
  if (result.notFound) return `${result.command[0]}: not found (is it installed and on PATH?)`
  if (result.timedOut) return `${result.command.join(' ')}: timed out after ${Math.round(result.durationMs / 1000)} s`
  const text = (result.stderr.trim() || result.stdout.trim()).split('\n').map((line) => line.trim()).filter(Boolean)
  const tail = text.slice(-maxLines).join('; ')
  return tail === '' ? `${result.command[0]} exited with ${result.exitCode}` : tail
}

/** Runs `file args` here. */
export async function runLocal(file: string, args: string[], options: RunOptions = {}): Promise<ToolResult> {
  const {execa} = await import('execa')
  const started = performance.now()
  const result = await execa(file, args, {
    reject: false,
    timeout: options.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    stripFinalNewline: false,
    env: {LC_ALL: 'C'},
  })
  const notFound = (result as {code?: string}).code === 'ENOENT'
  return {
    command: [file, ...args],
    exitCode: result.exitCode,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    timedOut: Boolean(result.timedOut),
    notFound,
    durationMs: performance.now() - started,
  }
}

/** Where a host's tools run: this machine, or an ssh destination. */
export interface HostShell {
  /** `local`, or the ssh destination. */
  readonly where: string
  run(file: string, args: string[], options?: RunOptions): Promise<ToolResult>
  /** Reads a (small, text) file of that host; undefined when it cannot be read. */
  readText(path: string): Promise<string | undefined>
  /** Lists a directory of that host (names only); undefined when it cannot be listed. */
  list(path: string): Promise<string[] | undefined>
  /** Resolves a symlink of that host to the last part of its target; undefined when it is not one. */
  linkTarget(path: string): Promise<string | undefined>
}

/** ssh gives up after this long when a host does not answer (the tool's own timeout still applies). */
const SSH_CONNECT_TIMEOUT_S = 10

/** Exit code ssh itself uses for its own failures (unreachable, refused, auth). */
export const SSH_FAILURE_EXIT = 255

export function localShell(): HostShell {
  return {
    where: 'local',
    run: runLocal,
    async readText(path) {
      try {
        return await readFile(path, 'utf8')
      } catch {
        return undefined
      }
    },
    async list(path) {
      const {readdir} = await import('node:fs/promises')
      try {
        return await readdir(path)
      } catch {
        return undefined
      }
    },
    async linkTarget(path) {
      const {readlink} = await import('node:fs/promises')
      try {
        return (await readlink(path)).split('/').pop()
      } catch {
        return undefined
      }
    },
  }
}

/** A host reached with `ssh -o BatchMode=yes DEST -- argv` (no password prompt can hang a cron run). */
export function sshShell(destination: string, runner: typeof runLocal = runLocal): HostShell {
  // After `--` ssh would not read it as an option anyway; refusing it says so clearly.
  if (assertSafeWord(destination, 'ssh destination').startsWith('-')) throw new UsageError(`ssh destination "${destination}" cannot start with -`)
  const ssh = async (file: string, args: string[], options?: RunOptions) =>
    runner(
      'ssh',
      ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${SSH_CONNECT_TIMEOUT_S}`, '--', destination, assertSafeWord(file, 'program'), ...args.map((arg) => assertSafeWord(arg))],
      options,
    )
  return {
    where: destination,
    run: ssh,
    async readText(path) {
      const result = await ssh('cat', [path])
      return result.exitCode === 0 ? result.stdout : undefined
    },
    async list(path) {
      const result = await ssh('ls', ['-1', path])
      return result.exitCode === 0 ? result.stdout.split('\n').filter(Boolean) : undefined
    },
    async linkTarget(path) {
      const result = await ssh('readlink', [path])
      return result.exitCode === 0 && result.stdout.trim() !== '' ? result.stdout.trim().split('/').pop() : undefined
    },
  }
}

/** True when the result says ssh could not reach the host (not that the remote tool failed). */
export function isSshFailure(result: ToolResult): boolean {
  return result.command[0] === 'ssh' && result.exitCode === SSH_FAILURE_EXIT
}
