// Writing to stdout with backpressure; a reader that went away (EPIPE, `| head`) ends output quietly.
import {fstatSync} from 'node:fs'

let closed = false

/** True once stdout's reader has gone: producers stop instead of failing. */
export function isStdoutClosed(): boolean {
  return closed
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') closed = true
})

/** Writes text to stdout and waits until it is handed to the OS (constant memory when streaming). */
export function writeStdout(text: string | Uint8Array): Promise<void> {
  if (closed) return Promise.resolve()
  return new Promise((resolve) => {
    // The 'utf8' argument matters: @oclif/test's stub only calls a callback passed third (TOOLING.md).
    process.stdout.write(text, 'utf8', (error) => {
      if (error && (error as NodeJS.ErrnoException).code === 'EPIPE') closed = true
      resolve()
    })
  })
}

/** syslog priorities of the lines Sova writes on stderr: an error, a warning (a skipped run), a note. */
export const PRIORITY = {err: 3, warning: 4, info: 6} as const
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY]

let journalStderr: boolean | undefined

/**
 * True when stderr is the systemd journal's stream: $JOURNAL_STREAM names its device and inode
 * (systemd.exec(5)). Then each line carries its priority as `<N>` (sd-daemon(3)), so that
 * `journalctl -p err` shows Sova's errors; anywhere else lines are left as they are.
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env, stat: () => {dev: number; ino: number} = () => fstatSync(2)): boolean {
  const stream = env.JOURNAL_STREAM
  if (!stream) return false
  try {
    const {dev, ino} = stat()
    return stream === `${dev}:${ino}`
  } catch {
    return false
  }
}

/** A log line for people: stderr, never stdout; with its priority when stderr is the journal. */
export function logLine(text: string, priority: Priority = PRIORITY.info): void {
  journalStderr ??= stderrIsJournal()
  process.stderr.write(journalStderr ? `${text.split('\n').map((line) => `<${priority}>${line}`).join('\n')}\n` : `${text}\n`)
}
