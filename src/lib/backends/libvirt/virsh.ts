// The one way the libvirt driver runs virsh: always here (remoteness is in the URI), always
// `virsh -c URI <one command> <args>` as an argument array with a timeout, never a `virsh "a; b"`
// multi-command string. virsh exits 1 for every failure and says why on stderr (INTERFACES.md §2.1).
import type {HostEntry} from '../../config.js'
import {UnreachableError} from '../../errors.js'
import {runLocal, type ToolResult, toolError} from '../../exec.js'

/** The host's libvirt URI: `uri`, else `qemu+ssh://<ssh>/system` when ssh is set, else qemu:///system. */
export function libvirtUri(host: HostEntry): string {
  if (host.uri) return host.uri
  if (host.ssh) return `qemu+ssh://${host.ssh}/system`
  return 'qemu:///system'
}

/** A virsh bound to one connection. */
export interface Virsh {
  readonly uri: string
  run(args: string[], timeoutMs?: number): Promise<ToolResult>
}

/** virsh on `uri`, with `toolMs` as the default time limit of each call. */
export function createVirsh(uri: string, toolMs: number): Virsh {
  return {
    uri,
    run: (args, timeoutMs = toolMs) => runLocal('virsh', ['-c', uri, ...args], {timeoutMs}),
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
