// What the `sova rule` commands share: the cluster whose rules they are (from the configuration or
// the simulator, never contacting a host), the store, and the last document to check names against.
import {backendFlags, configFlag} from './flags.js'
import {SovaCommand, type BackendFlagValues} from './base-command.js'
import type {ConfigFile} from '../config.js'
import type {SovaDocument} from '../document/schema.js'
import type {Store} from '../store/store.js'

export const ruleBackendFlags = {backend: backendFlags.backend, ...configFlag}

export interface RuleSession {
  store: Store
  config: ConfigFile
  cluster: string
  /** The last document of the cluster, if any command wrote one. */
  last: SovaDocument | undefined
}

export abstract class RuleCommand extends SovaCommand {
  /** Opens the store and names the cluster; the caller closes the store. */
  protected async openRules(flags: BackendFlagValues): Promise<RuleSession> {
    const [{loadConfig}] = await Promise.all([import('../config.js')])
    const config = loadConfig(flags.config)
    const store = await this.openStore(flags.state)
    try {
      // Building a backend contacts nothing (hosts are asked only for a snapshot): it names the cluster.
      const backend = await this.openBackendFor({...flags, quiet: true}, store)
      const cluster = await backend.clusterName()
      const stored = store.lastDocument(cluster)
      let last: SovaDocument | undefined
      try {
        last = stored ? (JSON.parse(stored.json) as SovaDocument) : undefined
      } catch {
        last = undefined // only used to warn about names; explain says what is wrong with it
      }
      return {store, config, cluster, last}
    } catch (error) {
      store.close()
      throw error
    }
  }
}
