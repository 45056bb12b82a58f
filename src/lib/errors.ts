// The only exit-code table (ARCHITECTURE.md §5) and the one error class that carries a code.
// Commands never pick exit numbers themselves: they throw a SovaError and the base command maps it.

export const EXIT = {
  ok: 0,
  actionsFailed: 1,
  usage: 2,
  badInput: 65,
  unreachable: 69,
  internal: 70,
  locked: 75,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

/** An error the user can act on: a one-line message, an exit code, and what to try next. */
export class SovaError extends Error {
  constructor(
    message: string,
    readonly exit: ExitCode,
    readonly remedy?: string,
  ) {
    super(message)
    this.name = 'SovaError'
  }
}

/** The input document is malformed or of another version: nothing was executed. */
export class InputError extends SovaError {
  constructor(message: string, remedy?: string) {
    super(message, EXIT.badInput, remedy)
    this.name = 'InputError'
  }
}

/** Bad usage: a flag, argument or name that cannot be right. */
export class UsageError extends SovaError {
  constructor(message: string, remedy?: string) {
    super(message, EXIT.usage, remedy)
    this.name = 'UsageError'
  }
}

/** A backend or host did not answer. */
export class UnreachableError extends SovaError {
  constructor(message: string, remedy?: string) {
    super(message, EXIT.unreachable, remedy)
    this.name = 'UnreachableError'
  }
}

/** Some hosts gave no readings: the command did its work on the others, and its output says which and why. */
export class HostsMissingError extends SovaError {
  constructor(hosts: string[]) {
    super(`${hosts.join(', ')} gave no readings, so nothing was decided about ${hosts.length === 1 ? 'it' : 'them'}; the other hosts were handled (see "missing" in the output)`, EXIT.unreachable)
    this.name = 'HostsMissingError'
  }
}

/** Another acting run holds the run lock. */
export class LockedError extends SovaError {
  constructor(message: string) {
    super(message, EXIT.locked, 'try again later; cron wrappers may treat exit 75 as "skipped"')
    this.name = 'LockedError'
  }
}

/** Some actions failed (and were undone); the document says which. */
export class ActionsFailedError extends SovaError {
  constructor(failed: number) {
    super(`${failed} action${failed === 1 ? '' : 's'} failed; see "actions" in the output`, EXIT.actionsFailed)
    this.name = 'ActionsFailedError'
  }
}

/** A check command (doctor, agent --check) found something not ready; its output says what and how to fix it. */
export class CheckFailedError extends SovaError {
  constructor(message: string) {
    super(message, EXIT.actionsFailed, 'see the fix column')
    this.name = 'CheckFailedError'
  }
}

/** Maps anything thrown to an exit code: our errors carry theirs, everything else is a bug. */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof SovaError) return error.exit
  return EXIT.internal
}
