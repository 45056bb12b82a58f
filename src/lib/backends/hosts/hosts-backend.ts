// The backend of a real cluster: the hosts of the configuration file, each behind its own driver
// (xl or virsh), sampled in parallel with a bounded concurrency. It only fans out and gathers;
// what a host is and how to act on it is the driver's business.
import {setTimeout as sleep} from 'node:timers/promises'
import type {ConfigFile, HostEntry} from '../../config.js'
import {UnreachableError, UsageError} from '../../errors.js'
import {type HostShell, localShell, sshShell, type SshMultiplexing} from '../../exec.js'
import {mapSettled} from '../../concurrency.js'
import type {Backend, BackendCapabilities, RawSnapshot, StepResult, VfDevice, VmRef} from '../types.js'
import {DEFAULT_TIMEOUTS, UnreadableOutputError, type DriverTimeouts, type HostDriver, type HostDriverContext} from './driver.js'
import {sshMultiplexing} from './ssh-control.js'
import {liftUnmanaged} from './unmanaged.js'

export const DEFAULT_CONCURRENCY = 16

export interface HostsBackendOptions {
  concurrency?: number
  /** Called as hosts answer during a snapshot: (answered, total). */
  onProgress?: (answered: number, total: number) => void
  /** Unix seconds; injected for tests. */
  now?: () => number
  /** Sova's state directory: the hosts' shared ssh connections live in its ssh/ folder (ssh-control.ts). */
  stateDir?: string
  /** Builds a host's driver; the default picks xen or libvirt by the host's backend. */
  createDriver?: (context: HostDriverContext) => Promise<HostDriver>
  /** Every driver reads all VF counters (HostDriverContext.readAllVfCounters). */
  readAllVfCounters?: boolean
}

/**
 * Where a host's own files and tools are: its ssh destination, the host of a qemu+ssh URI, or
 * here. `mux`: the sessions of one host share a connection.
 */
export function shellFor(host: HostEntry, mux?: SshMultiplexing): HostShell {
  if (host.ssh) return sshShell(host.ssh, undefined, mux)
  const viaSsh = host.uri?.match(/^[a-z0-9]+\+ssh:\/\/([^/?]+)\//)
  if (viaSsh) return sshShell(viaSsh[1].replace(/:\d+$/, ''), undefined, mux)
  return localShell()
}

async function defaultDriver(context: HostDriverContext): Promise<HostDriver> {
  if (context.host.backend === 'xen') {
    const {createXenDriver} = await import('../xen/driver.js')
    return createXenDriver(context)
  }
  const {createLibvirtDriver} = await import('../libvirt/driver.js')
  return createLibvirtDriver(context)
}

function timeoutsOf(config: ConfigFile): DriverTimeouts {
  return {
    toolMs: (config.timeouts?.toolSeconds ?? DEFAULT_TIMEOUTS.toolMs / 1000) * 1000,
    migrateMs: (config.timeouts?.migrateSeconds ?? DEFAULT_TIMEOUTS.migrateMs / 1000) * 1000,
  }
}

/** Why a host is missing from a snapshot, without repeating its name (drivers' messages often start with it). */
function missingReason(host: string, error: Error): string {
  const message = error.message.startsWith(`${host}: `) ? error.message.slice(host.length + 2) : error.message
  return error instanceof UnreachableError ? `did not answer: ${message}` : `its readings could not be used: ${message}`
}

/**
 * No host gave usable readings: exit 69 when each did not answer or printed what cannot be read,
 * with the first reason; otherwise the first other error (a configuration problem, or a bug: 70).
 */
function noReadings(failures: {host: string; error: Error}[]): Error {
  const [first] = failures
  const others = failures.length > 1 ? ` (and ${failures.length - 1} more: ${failures.slice(1).map((f) => f.host).join(', ')})` : ''
  if (failures.every((f) => f.error instanceof UnreachableError)) return new UnreachableError(`no host answered: ${first.error.message}${others}`)
  const unusable = (error: Error) => error instanceof UnreachableError || error instanceof UnreadableOutputError
  const other = failures.find((f) => !unusable(f.error))
  if (other) return other.error
  return new UnreachableError(`no host gave readings Sova could use: ${first.error.message}${others}`, (first.error as UnreadableOutputError).remedy)
}

export class HostsBackend implements Backend {
  readonly name: string
  readonly capabilities: BackendCapabilities = {canMigrate: true, canSwitchVf: true}
  private readonly hosts: HostEntry[]
  private readonly drivers = new Map<string, Promise<HostDriver>>()
  private mux: SshMultiplexing | undefined | null = null

  constructor(
    private readonly config: ConfigFile,
    private readonly options: HostsBackendOptions = {},
  ) {
    this.hosts = config.hosts ?? []
    if (this.hosts.length === 0) throw new UsageError('the configuration lists no hosts')
    this.name = this.hosts[0].backend
  }

  /** The cluster's name: samples and the journal are kept per cluster. */
  get cluster(): string {
    return this.config.cluster ?? 'default'
  }

  async clusterName(): Promise<string> {
    return this.cluster
  }

  /** Every host now; with `only`, just those of them (the hosts an action touches). */
  async snapshot(only?: readonly string[]): Promise<RawSnapshot> {
    let answered = 0
    const hosts = only === undefined ? this.hosts : only.map((name) => this.entry(name))
    const results = await mapSettled(hosts, this.options.concurrency ?? DEFAULT_CONCURRENCY, async (host) => {
      const raw = await (await this.driver(host.name)).snapshot()
      this.options.onProgress?.(++answered, hosts.length)
      return raw
    })
    const failures = results.flatMap((result, i) => (result.status === 'rejected' ? [{host: hosts[i].name, error: result.reason as Error}] : []))
    if (failures.length === hosts.length) throw noReadings(failures)
    const snapshot: RawSnapshot = {
      at: new Date(this.unixNow() * 1000).toISOString(),
      source: {backend: this.name, cluster: this.cluster},
      hosts: results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])),
    }
    // One host that does not answer, or whose tools print what cannot be read, must not stop the
    // others being managed: it is listed as missing, with why, and nothing is decided about it.
    if (failures.length > 0) snapshot.missing = failures.map(({host, error}) => ({host, reason: missingReason(host, error)}))
    return liftUnmanaged(snapshot)
  }

  async now(): Promise<string> {
    return new Date(this.unixNow() * 1000).toISOString()
  }

  /** A real cluster's time passes by itself. */
  async nextSample(): Promise<void> {}

  async wait(seconds: number): Promise<void> {
    await sleep(seconds * 1000)
  }

  async attachVf(host: string, vm: VmRef, vf: string, restore?: VfDevice): Promise<StepResult> {
    return (await this.driver(host)).attachVf(vm, vf, restore)
  }

  async detachVf(host: string, vm: VmRef, vf: string): Promise<StepResult> {
    return (await this.driver(host)).detachVf(vm, vf)
  }

  async migrate(vm: VmRef, from: string, to: string): Promise<StepResult> {
    const target = this.entry(to)
    return (await this.driver(from)).migrate(vm, target)
  }

  close(): void {}

  private unixNow(): number {
    return this.options.now?.() ?? Date.now() / 1000
  }

  private entry(name: string): HostEntry {
    const host = this.hosts.find((h) => h.name === name)
    if (!host) throw new UsageError(`${name} is not a host of the configuration (hosts: ${this.hosts.map((h) => h.name).join(', ')})`)
    return host
  }

  /** Each host's driver, built once. */
  driver(name: string): Promise<HostDriver> {
    let driver = this.drivers.get(name)
    if (!driver) {
      const host = this.entry(name)
      // Made once, when the first host is reached: a backend that only plans never touches the folder.
      if (this.mux === null) this.mux = sshMultiplexing(this.options.stateDir)
      const context: HostDriverContext = {host, shell: shellFor(host, this.mux), ...(this.mux ? {mux: this.mux} : {}), timeouts: timeoutsOf(this.config), migration: this.config.migration, now: () => this.unixNow()}
      if (this.options.readAllVfCounters) context.readAllVfCounters = true
      driver = (this.options.createDriver ?? defaultDriver)(context)
      this.drivers.set(name, driver)
    }
    return driver
  }

  /** The configured hosts, in file order. */
  hostNames(): string[] {
    return this.hosts.map((host) => host.name)
  }
}
