// The one host `sova export` reads: the configuration's host named by --host, else the one named
// as this machine is; read once, as collect reads a host, through its backend's driver (the
// simulator's host from the simulated cluster, for trying it without a hypervisor).
import type {BackendName} from '../backends/index.js'
import {chooseBackend} from '../backends/index.js'
import type {RawHost} from '../backends/types.js'
import type {ConfigFile} from '../config.js'
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

export interface LocalHostOptions {
  backend: BackendName | undefined
  config: ConfigFile
  configSource: string
  host: string | undefined
  hostname: string
  /** The state store, opened only for the simulator (a real host's reading needs none). */
  simStore: () => Promise<Store>
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
  const backend = new HostsBackend(options.config, {readAllVfCounters: true})
  const name = pickHost(backend.hostNames(), options.host, options.hostname, options.configSource)
  return (await backend.driver(name)).snapshot()
}
