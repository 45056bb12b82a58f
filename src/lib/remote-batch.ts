// Several read-only commands of one host in one ssh session: one round trip instead of one each.
// ssh hands the remote shell one string whatever Sova passes, so the string is built here and only
// here, from argument arrays: every word must be a safe word (exec.ts: nothing a POSIX shell reads
// as more than itself, so no quoting is needed), and the glue between commands is constant text.
// Each command's stdout and stderr end with a marker line naming it and (stdout) its exit status,
// tagged with a nonce drawn for this batch: a command's output (a guest's xenstore values, say)
// cannot forge a marker it does not know, and the split is strict.
import {randomBytes} from 'node:crypto'
import {EXIT, SovaError} from './errors.js'
import {assertSafeWord, type ToolResult} from './exec.js'

/** One command of a batch: a program and its arguments, as for HostShell.run. */
export interface ShellCommand {
  file: string
  args: string[]
}

/** A batch's output that does not split into its commands' (a broken remote shell): the host's readings cannot be used. */
export class BatchOutputError extends SovaError {
  constructor(message: string) {
    super(message, EXIT.unreachable, 'run "sova doctor" on this host; its login shell must be a POSIX shell')
    this.name = 'BatchOutputError'
  }
}

/** A fresh nonce: 16 hex digits. */
export function batchNonce(): string {
  return randomBytes(8).toString('hex')
}

/** The marker word of command `index` of a batch. */
export const batchTag = (nonce: string, index: number) => `sova-${nonce}-${index}`

/**
 * The remote shell's command line for `commands`: `cmd args; s=$?; echo; echo TAG:$s; echo >&2;
 * echo TAG >&2` for each, in order. Throws UsageError for any word that is not a safe word.
 */
export function remoteBatchScript(commands: ShellCommand[], nonce: string): string {
  if (!/^[0-9a-f]{16}$/.test(nonce)) throw new Error(`batch nonce ${JSON.stringify(nonce)} is not 16 hex digits`)
  return commands
    .map(({file, args}, i) => {
      if (assertSafeWord(file, 'program').startsWith('-')) throw new Error(`program "${file}" cannot start with -`)
      const words = [file, ...args.map((arg) => assertSafeWord(arg))].join(' ')
      return `${words}; s=$?; echo; echo ${batchTag(nonce, i)}:$s; echo >&2; echo ${batchTag(nonce, i)} >&2`
    })
    .join('; ')
}

/**
 * The text of each marked part of `text`, in order, as far as the markers go: part i is what
 * precedes `headOf(i)`; `withCode` reads an exit status and a newline after the head.
 */
export function cutAtMarkers(text: string, nonce: string, count: number, headOf: (i: number) => string, withCode: boolean): {parts: {text: string; code?: number}[]; rest: string} {
  const parts: {text: string; code?: number}[] = []
  let cursor = 0
  for (let i = 0; i < count; i++) {
    const head = headOf(i)
    const at = text.indexOf(head, cursor)
    if (at < 0) break
    const part = text.slice(cursor, at)
    let next = at + head.length
    let code: number | undefined
    if (withCode) {
      const status = /^(\d{1,3})\n/.exec(text.slice(next))
      if (!status) throw new BatchOutputError(`marker ${i} of the batch has no exit status`)
      code = Number(status[1])
      next += status[0].length
    }
    if (part.includes(`sova-${nonce}-`)) throw new BatchOutputError(`command ${i}'s output holds another command's marker`)
    parts.push(withCode ? {text: part, code} : {text: part})
    cursor = next
  }
  return {parts, rest: text.slice(cursor)}
}

/**
 * Each command's own result from the batch's `result`. A command the batch never reached (ssh
 * failed, timed out, or the session broke) gets the batch's own failure, so isSshFailure and the
 * timeout still read as they would for a command run alone.
 */
export function splitBatchResult(result: ToolResult, commands: ShellCommand[], nonce: string): ToolResult[] {
  // Each marker's newline is the batch's own `echo`: the part before it is the command's output exactly.
  const out = cutAtMarkers(result.stdout, nonce, commands.length, (i) => `\n${batchTag(nonce, i)}:`, true)
  const err = cutAtMarkers(result.stderr, nonce, commands.length, (i) => `\n${batchTag(nonce, i)}\n`, false)
  const complete = out.parts.length === commands.length
  if (complete && (out.rest !== '' || err.parts.length !== commands.length)) throw new BatchOutputError(`the batch's output has more than its ${commands.length} commands printed`)
  if (!complete && result.exitCode === 0 && !result.timedOut) throw new BatchOutputError(`the batch ended after ${out.parts.length} of its ${commands.length} commands`)
  const durationMs = result.durationMs / commands.length
  return commands.map(({file, args}, i) => {
    const part = out.parts[i]
    if (part === undefined || err.parts[i] === undefined) return {...result, stdout: '', stderr: i === out.parts.length ? err.rest : result.stderr}
    return {command: [file, ...args], exitCode: part.code, stdout: part.text, stderr: err.parts[i].text, timedOut: false, notFound: false, durationMs}
  })
}
