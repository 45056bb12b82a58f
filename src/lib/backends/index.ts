// Picks the backend; the rest of the program only sees the Backend interface. With no --backend,
// the configuration's hosts are the cluster when it lists any, else the embedded simulator runs
// (ARCHITECTURE.md §6).
import type {ConfigFile} from '../config.js'
import {UsageError} from '../errors.js'
import type {Store} from '../store/store.js'
import type {HostsBackendOptions} from './hosts/hosts-backend.js'
import type {Backend} from './types.js'

export const BACKEND_NAMES = ['sim', 'xen', 'libvirt'] as const
export type BackendName = (typeof BACKEND_NAMES)[number]

export interface OpenBackendOptions extends HostsBackendOptions {
  config?: ConfigFile
  /** Names the configuration in messages. */
  configSource?: string
  /** --prometheus URL: sense through Prometheus (over the configuration's sensing.prometheus.url). */
  prometheus?: string
  /** Notes for stderr. */
  log?: (line: string) => void
}

/** Which backend runs: the flag, else the configuration's hosts, else sim. */
export function chooseBackend(flag: BackendName | undefined, config: ConfigFile = {}, configSource = 'the configuration'): BackendName {
  const kind = config.hosts?.[0]?.backend
  if (flag === undefined) return kind ?? 'sim'
  if (flag !== 'sim' && kind !== flag) {
    throw new UsageError(
      kind === undefined
        ? `--backend ${flag}: ${configSource} lists no hosts`
        : `--backend ${flag}: the hosts of ${configSource} are ${kind} hosts`,
      'list the hosts in the configuration file (see sova config check)',
    )
  }
  return flag
}

/** Opens a backend. Loaded lazily so commands that don't act pay nothing for it. */
export async function openBackend(flag: BackendName | undefined, store: Store, options: OpenBackendOptions = {}): Promise<Backend> {
  const name = chooseBackend(flag, options.config, options.configSource)
  if (name === 'sim' && options.prometheus !== undefined) {
    throw new UsageError(`--prometheus: ${options.configSource ?? 'the configuration'} lists no hosts`, 'Prometheus sensing reads the hosts of the configuration and acts on them with their tools')
  }
  if (name === 'sim') {
    const {SimBackend} = await import('./sim/backend.js')
    return new SimBackend(store)
  }
  const {HostsBackend} = await import('./hosts/hosts-backend.js')
  const hosts = new HostsBackend(options.config ?? {}, options)
  const sensing = options.prometheus === undefined ? options.config?.sensing?.prometheus : {...options.config?.sensing?.prometheus, url: options.prometheus}
  if (sensing === undefined) return hosts
  // Read through Prometheus; act through the hosts' tools.
  const {PrometheusSensing} = await import('../sensing/prometheus.js')
  return new PrometheusSensing(hosts, options.config?.hosts ?? [], sensing, {log: options.log})
}
