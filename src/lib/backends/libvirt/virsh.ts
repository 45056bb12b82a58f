// The one way the libvirt driver runs virsh: always here (remoteness is in the URI), always as an
// argument array with a timeout: `virsh -c URI <one command> <args>`, or for a snapshot's reads a
// batch, several commands on one connection (one round trip to a remote host) in virsh's own
// command string, built by virshBatchScript alone. virsh exits 1 for every failure and says why
// on stderr (INTERFACES.md §2.1).
import type {HostEntry} from '../../config.js'
import {UnreachableError} from '../../errors.js'
import {assertSafeWord, runLocal, type ToolResult, toolError} from '../../exec.js'
import {BatchOutputError, batchNonce, batchTag, cutAtMarkers} from '../../remote-batch.js'

/** The host's libvirt URI: `uri`, else `qemu+ssh://<ssh>/system` when ssh is set, else qemu:///system. */
export function libvirtUri(host: HostEntry): string {
  if (host.uri) return host.uri
  if (host.ssh) return `qemu+ssh://${host.ssh}/system`
  return 'qemu:///system'
}

/** A virsh bound to one connection. */
export interface Virsh {
  /** The URI as configured (messages say this one). */
  readonly uri: string
  run(args: string[], timeoutMs?: number): Promise<ToolResult>
  /** Read-only commands on one connection, each with its own result, in order. */
  batch(commands: string[][], timeoutMs?: number): Promise<ToolResult[]>
}

/**
 * virsh's command string for `commands`: each command, then `echo --err TAG; echo TAG` (virsh 9's
 * echo --err writes `error: TAG` to stderr and a newline to stdout). Every word must be a safe
 * word (exec.ts), which virsh's parser takes as it is (no quote, backslash, `;`, `#` or space).
 */
export function virshBatchScript(commands: string[][], nonce: string): string {
  if (!/^[0-9a-f]{16}$/.test(nonce)) throw new Error(`batch nonce ${JSON.stringify(nonce)} is not 16 hex digits`)
  return commands
    .map(([command, ...args], i) => {
      if (!/^[a-z][a-z-]*$/.test(command ?? '')) throw new Error(`virsh command ${JSON.stringify(command)} is not a command name`)
      return [command, ...args.map((arg) => assertSafeWord(arg)), `; echo --err ${batchTag(nonce, i)}; echo ${batchTag(nonce, i)}`].join(' ')
    })
    .join('; ')
}

/**
 * Each command's result from one batch run. virsh runs on after a failed command and exits with the
 * last one's status, so a command failed when its own stderr has an `error:` line. Commands the
 * batch never reached (no connection) get the batch's own result, as a single call would have.
 */
export function splitVirshBatch(result: ToolResult, commands: string[][], nonce: string): ToolResult[] {
  const out = cutAtMarkers(result.stdout, nonce, commands.length, (i) => `${batchTag(nonce, i)}\n`, false)
  const err = cutAtMarkers(result.stderr, nonce, commands.length, (i) => `error: ${batchTag(nonce, i)}\n`, false)
  const reached = Math.min(out.parts.length, err.parts.length)
  if (reached < commands.length && result.exitCode === 0 && !result.timedOut) throw new BatchOutputError(`virsh ran ${reached} of the batch's ${commands.length} commands`)
  if (reached === commands.length && out.rest.trim() !== '') throw new BatchOutputError(`virsh printed more than the batch's ${commands.length} commands`)
  return commands.map((args, i) => {
    if (i >= reached) return {...result, stderr: i === reached ? err.rest || result.stderr : result.stderr, stdout: ''}
    const stderr = err.parts[i].text
    return {command: [...result.command.slice(0, 3), ...args], exitCode: /^error: /m.test(stderr) ? 1 : 0, stdout: out.parts[i].text, stderr, timedOut: false, notFound: false, durationMs: result.durationMs / commands.length}
  })
}

/**
 * virsh on `uri`, with `toolMs` as the default time limit of each call; `connectUri` is what
 * virsh connects to (the URI with Sova's ssh for libvirt's transport: ssh-control.ts).
 */
export function createVirsh(uri: string, toolMs: number, connectUri = uri): Virsh {
  return {
    uri,
    run: (args, timeoutMs = toolMs) => runLocal('virsh', ['-c', connectUri, ...args], {timeoutMs}),
    async batch(commands, timeoutMs = toolMs) {
      if (commands.length === 0) return []
      const nonce = batchNonce()
      const result = await runLocal('virsh', ['-c', connectUri, virshBatchScript(commands, nonce)], {timeoutMs})
      return splitVirshBatch(result, commands, nonce)
    },
  }
}

/** True when the connection itself failed (or virsh is missing, or the call hung): the host did not answer. */
export function isUnreachable(result: ToolResult): boolean {
  return result.notFound || result.timedOut || /failed to connect to the hypervisor/i.test(result.stderr)
}

/** QEMU refused a hot-unplug because the guest's PCIe slot is still settling: worth a retry. */
export function isGuestBusy(result: ToolResult): boolean {
  return /guest is busy/i.test(result.stderr)
}

/** A domain UUID as libvirt prints it: the only way Sova names a domain to virsh. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * True for a domain UUID. virsh resolves a domain argument as an id, then a UUID, then a name: a
 * name could be another domain's id (`6`) or UUID, a UUID is never an id, so only a UUID is safe.
 */
export function isDomainUuid(value: string): boolean {
  return UUID.test(value)
}

/** True when virsh says the domain does not exist (it may have left between two calls). */
export function isNoSuchDomain(result: ToolResult): boolean {
  return /failed to get domain|domain not found|no domain with matching/i.test(result.stderr)
}

/** virsh's own words for a failure (its `error:` lines), as an action's error carries them. */
export function virshError(result: ToolResult): string {
  return toolError(result)
}

/** The error a failed query becomes: `<host>: <virsh's error>` (UnreachableError, exit 69). */
export function queryFailure(virsh: Virsh, hostName: string, args: string[], result: ToolResult): UnreachableError {
  const remedy = result.notFound ? 'install the libvirt client (virsh) on this machine' : `check that libvirtd answers: virsh -c ${virsh.uri} version`
  if (isUnreachable(result)) return new UnreachableError(`${hostName}: ${virshError(result)}`, remedy)
  return new UnreachableError(`${hostName}: virsh ${args[0]} failed: ${virshError(result)}`, remedy)
}

/** Runs a read-only virsh command whose answer the driver needs: its stdout, or queryFailure thrown. */
export async function queryVirsh(virsh: Virsh, hostName: string, args: string[]): Promise<string> {
  const result = await virsh.run(args)
  if (result.exitCode === 0 && !result.timedOut) return result.stdout
  throw queryFailure(virsh, hostName, args, result)
}
