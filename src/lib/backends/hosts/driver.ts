// A real host behind one hypervisor toolstack (xl or virsh). The cluster backend (hosts-backend.ts)
// fans out over drivers; a driver knows one host and never decides anything.
import type {HostEntry} from '../../config.js'
import type {MigrationSettings} from '../../config-migration.js'
import {EXIT, SovaError} from '../../errors.js'
import type {HostShell} from '../../exec.js'
import {type ByteCounters, readVfCounters, type SriovFacts} from '../../linux/host-facts.js'
import type {RawHost, StepResult, VfDevice, VmRef} from '../types.js'

/** One readiness check of `sova doctor`: what was checked, whether it passed, and how to fix it. */
export interface DoctorCheck {
  host: string
  check: string
  ok: boolean
  detail: string
  /** What to do when it failed. */
  fix?: string
  /** Not run: a check it depends on failed (`detail` says which); neither a pass nor a failure of its own. */
  notChecked?: boolean
}

/** Time limits for the tools a driver runs. */
export interface DriverTimeouts {
  toolMs: number
  migrateMs: number
}

export const DEFAULT_TIMEOUTS: DriverTimeouts = {toolMs: 30_000, migrateMs: 300_000}

export interface HostDriverContext {
  host: HostEntry
  /** Where this host's own files and tools are (sysfs, /proc, ip, xl): here or over ssh. */
  shell: HostShell
  timeouts: DriverTimeouts
  /** The configuration's top-level migration section (a host's own overrides it); absent: the tools' defaults. */
  migration?: MigrationSettings
  /** Unix time in seconds, injected so parsers and tests need no clock. */
  now: () => number
  /**
   * Read every VF's own counters even when no VM needs them (RawHost.vfCounters): `sova export`
   * publishes them; collect leaves it off, to spare a host a tool call per cycle.
   */
  readAllVfCounters?: boolean
}

export interface HostDriver {
  readonly name: string
  /** This host's counters now. Throws UnreachableError when the host does not answer. */
  snapshot(): Promise<RawHost>
  /**
   * Hot-plugs `vf` into the domain `vm.uuid` (refused unless it bears `vm.name`) and confirms it is
   * there; `restore` gives back a device exactly as it was detached.
   */
  attachVf(vm: VmRef, vf: string, restore?: VfDevice): Promise<StepResult>
  /** Hot-unplugs `vf` from `vm` and confirms it is gone (a tool's rc 0 alone does not prove it); a done result carries the device as it was. */
  detachVf(vm: VmRef, vf: string): Promise<StepResult>
  /** Live-migrates `vm` to `target` (same backend kind); refused while a VF is attached. */
  migrate(vm: VmRef, target: HostEntry): Promise<StepResult>
  /** `sova doctor`'s checks of this host. */
  checks(): Promise<DoctorCheck[]>
}

/** The StepResult of an action that took `startedMs` (performance.now()) until now. */
export function stepResult(startedMs: number, error?: string): StepResult {
  const durationMs = Math.round(performance.now() - startedMs)
  return error === undefined ? {ok: true, durationMs} : {ok: false, durationMs, error}
}

/**
 * A host answered, but a tool of it printed what cannot be read (truncated JSON, say): its
 * readings cannot be used. Exit 69 when no host gave usable readings, like a host that is down.
 */
export class UnreadableOutputError extends SovaError {
  constructor(message: string) {
    super(message, EXIT.unreachable, 'run the tool on the host by hand; "sova doctor" checks that it works')
    this.name = 'UnreadableOutputError'
  }
}

/**
 * The host's per-VF counters; `ip` failing or printing what cannot be read leaves the host out of
 * the sample (UnreadableOutputError, naming host and command), never reads as VFs without traffic.
 */
export async function readVfCountersOf(ctx: HostDriverContext, sriov: SriovFacts, seen?: (json: string) => void): Promise<Map<string, ByteCounters>> {
  try {
    return await readVfCounters(ctx.shell, ctx.host.port.device, sriov, ctx.timeouts.toolMs, seen)
  } catch (error) {
    if (error instanceof SovaError) throw error
    throw new UnreadableOutputError(`${ctx.host.name}: ${(error as Error).message}`)
  }
}

/**
 * `parse(output)` of a host's tool, with a failure to parse said as such: the host and the tool
 * named (`xen1: xl list -l printed output that could not be parsed: ...`). Sova's own refusals
 * (a SovaError, e.g. an output format to be changed in the host's config) pass through.
 */
export function parseToolOutput<T>(ctx: HostDriverContext, tool: string, output: string, parse: (output: string) => T): T {
  try {
    return parse(output)
  } catch (error) {
    if (error instanceof SovaError) throw error
    throw new UnreadableOutputError(`${ctx.host.name}: ${tool} printed output that could not be parsed: ${(error as Error).message}`)
  }
}
