// The one place that runs external programs (STYLE.md §12). Always an argument array, never a
// shell string; always a timeout; never throws for a tool's own failure: the caller gets the exit
// code and the tool's words. Remote hosts are reached with `ssh -o BatchMode=yes` (the hypervisors'
// own remote management), and then every argument must pass the safe-word check, because ssh
// joins the remote argv with spaces for the remote shell.
import {readFile} from 'node:fs/promises'
import {UsageError} from './errors.js'
import {batchNonce, remoteBatchScript, type ShellCommand, splitBatchResult} from './remote-batch.js'

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
  /**
   * Runs read-only commands in one round trip to the host (ssh: one session), each with its own
   * result, in order. Absent where every run is local: then there is no round trip to save.
   */
  batch?(commands: ShellCommand[], options?: RunOptions): Promise<ToolResult[]>
}

/** How a remote host's files are read with its own tools: the command, and what its result means. */
export const REMOTE_READS = {
  text: (path: string): ShellCommand => ({file: 'cat', args: [path]}),
  list: (path: string): ShellCommand => ({file: 'ls', args: ['-1', path]}),
  link: (path: string): ShellCommand => ({file: 'readlink', args: [path]}),
  textOf: (result: ToolResult): string | undefined => (result.exitCode === 0 ? result.stdout : undefined),
  listOf: (result: ToolResult): string[] | undefined => (result.exitCode === 0 ? result.stdout.split('\n').filter(Boolean) : undefined),
  linkOf: (result: ToolResult): string | undefined => (result.exitCode === 0 && result.stdout.trim() !== '' ? result.stdout.trim().split('/').pop() : undefined),
}

/**
 * ssh connection sharing (ssh_config(5) ControlMaster): the first session to a host opens a
 * master connection whose socket is in `controlDir` (Sova's, mode 0700), later sessions ride on
 * it, and it closes itself `persistSeconds` after the last one ends.
 */
export interface SshMultiplexing {
  controlDir: string
  persistSeconds: number
}

/** The -o options of ssh connection sharing (none when `mux` is absent). */
export function multiplexOptions(mux: SshMultiplexing | undefined): string[] {
  if (!mux) return []
  // %C: a hash of this user, host, port and user there (40 hex digits), short enough for a socket path.
  return ['-o', 'ControlMaster=auto', '-o', `ControlPath=${mux.controlDir}/%C`, '-o', `ControlPersist=${mux.persistSeconds}`]
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

/**
 * A host reached with `ssh -o BatchMode=yes DEST -- argv` (no password prompt can hang a cron
 * run), its sessions sharing one connection when `mux` is given.
 */
export function sshShell(destination: string, runner: typeof runLocal = runLocal, mux?: SshMultiplexing): HostShell {
  // After `--` ssh would not read it as an option anyway; refusing it says so clearly.
  if (assertSafeWord(destination, 'ssh destination').startsWith('-')) throw new UsageError(`ssh destination "${destination}" cannot start with -`)
  const options = ['-o', 'BatchMode=yes', '-o', `ConnectTimeout=${SSH_CONNECT_TIMEOUT_S}`, ...multiplexOptions(mux)]
  const ssh = async (file: string, args: string[], runOptions?: RunOptions) =>
    runner('ssh', [...options, '--', destination, assertSafeWord(file, 'program'), ...args.map((arg) => assertSafeWord(arg))], runOptions)
  const read = (command: ShellCommand) => ssh(command.file, command.args)
  return {
    where: destination,
    run: ssh,
    readText: async (path) => REMOTE_READS.textOf(await read(REMOTE_READS.text(path))),
    list: async (path) => REMOTE_READS.listOf(await read(REMOTE_READS.list(path))),
    linkTarget: async (path) => REMOTE_READS.linkOf(await read(REMOTE_READS.link(path))),
    async batch(commands, runOptions) {
      if (commands.length === 0) return []
      const nonce = batchNonce()
      // One string for the remote shell, built from safe words and constant glue only (remote-batch.ts).
      const result = await runner('ssh', [...options, '--', destination, remoteBatchScript(commands, nonce)], runOptions)
      return splitBatchResult(result, commands, nonce)
    },
  }
}

/** True when the result says ssh could not reach the host (not that the remote tool failed). */
export function isSshFailure(result: ToolResult): boolean {
  return result.command[0] === 'ssh' && result.exitCode === SSH_FAILURE_EXIT
}
