// The one host `sova export` reads: the configuration's host named by --host, else the one named
// as this machine is; read once, as collect reads a host, through its backend's driver (the
// simulator's host from the simulated cluster, for trying it without a hypervisor).
import type {BackendName} from '../backends/index.js'
import {chooseBackend} from '../backends/index.js'
import type {RawHost} from '../backends/types.js'
import type {ConfigFile, HostEntry} from '../config.js'
import {UnreachableError, UsageError} from '../errors.js'
import type {Store} from '../store/store.js'

/**
 * The host of `names` this machine is: `flag` when given (it must be one), else the name equal to
 * `hostname` or to its first label (`xen1` for `xen1.example.org`). Usage error (exit 2) otherwise.
 */
export function pickHost(names: readonly string[], flag: string | undefined, hostname: string, where: string): string {
  const list = names.join(', ')
  if (flag !== undefined) {
    if (names.includes(flag)) return flag
    throw new UsageError(`--host ${flag}: not a host of ${where} (hosts: ${list})`)
  }
  const short = hostname.split('.')[0]
  const found = names.find((name) => name === hostname) ?? names.find((name) => name === short)
  if (found !== undefined) return found
  throw new UsageError(`no host of ${where} is named ${JSON.stringify(hostname)} (this machine's hostname)`, `pass --host NAME, one of: ${list}`)
}

/**
 * The host's entry as this machine reads itself: its own tools instead of ssh, and its libvirt
 * URI without the remote part (`qemu+ssh://root@kvm1/system` is `qemu:///system` here). A timer
 * on each host then needs no ssh key to itself.
 */
export function localEntry(host: HostEntry): HostEntry {
  const {ssh: _ssh, uri, ...rest} = host
  if (uri === undefined) return rest
  const parts = /^([a-z0-9]+)(?:\+[a-z0-9]+)?:\/\/[^/?]*(\/[^?]*)?/.exec(uri)
  return {...rest, uri: parts ? `${parts[1]}://${parts[2] ?? '/'}` : uri}
}

export interface LocalHostOptions {
  backend: BackendName | undefined
  config: ConfigFile
  configSource: string
  host: string | undefined
  hostname: string
  /** The state store, opened only for the simulator (a real host's reading needs none). */
  simStore: () => Promise<Store>
  /** Read the host over its configured ssh or URI, as collect does, not with this machine's tools. */
  remote?: boolean
}

/** One reading of the chosen host, with every VF's own counters the driver can read. */
export async function readLocalHost(options: LocalHostOptions): Promise<RawHost> {
  const kind = chooseBackend(options.backend, options.config, options.configSource)
  if (kind === 'sim') {
    const {SimBackend, readSimCluster} = await import('../backends/sim/backend.js')
    const store = await options.simStore()
    const names = readSimCluster(store).hosts.map((host) => host.name)
    const name = pickHost(names, options.host, options.hostname, 'the simulated cluster')
    const snapshot = await new SimBackend(store).snapshot()
    const host = snapshot.hosts.find((candidate) => candidate.name === name)
    if (host) return host
    throw new UnreachableError(`${name} ${snapshot.missing?.find((entry) => entry.host === name)?.reason ?? 'did not answer'}`)
  }
  const {HostsBackend} = await import('../backends/hosts/hosts-backend.js')
  const hosts = options.config.hosts ?? []
  const name = pickHost(hosts.map((host) => host.name), options.host, options.hostname, options.configSource)
  const config = options.remote ? options.config : {...options.config, hosts: hosts.map((host) => (host.name === name ? localEntry(host) : host))}
  return (await new HostsBackend(config, {readAllVfCounters: true}).driver(name)).snapshot()
}
