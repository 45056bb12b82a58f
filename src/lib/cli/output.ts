// Writing to stdout with backpressure; a reader that went away (EPIPE, `| head`) ends output quietly.
let closed = false

/** True once stdout's reader has gone: producers stop instead of failing. */
export function isStdoutClosed(): boolean {
  return closed
}

process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') closed = true
})

/** Writes text to stdout and waits until it is handed to the OS (constant memory when streaming). */
export function writeStdout(text: string): Promise<void> {
  if (closed) return Promise.resolve()
  return new Promise((resolve) => {
    // The 'utf8' argument matters: @oclif/test's stub only calls a callback passed third (TOOLING.md).
    process.stdout.write(text, 'utf8', (error) => {
      if (error && (error as NodeJS.ErrnoException).code === 'EPIPE') closed = true
      resolve()
    })
  })
}

/** A log line for people: stderr, never stdout. */
export function logLine(text: string): void {
  process.stderr.write(`${text}\n`)
}
