// The options a migration tool is given from the configuration's migration settings (config-migration.ts):
// how the move is done comes from the source host's settings (the cluster's, overridden by its own),
// where the memory goes from the target's. Nothing is added for a setting that is absent, so an
// unconfigured cluster runs exactly the command it always did. Every value is checked again here,
// before it reaches a tool, whoever built the settings.
import {isIP} from 'node:net'
import {addressProblem, type MigrationSettings, migrationSettings} from '../config-migration.js'
import type {HostEntry} from '../config.js'
import {UsageError} from '../errors.js'

const SAFE_COMMAND = /^[A-Za-z0-9_./][A-Za-z0-9_./:@%+=,-]{0,255}$/

function checkedAddress(value: string, what: string, ipOnly = false): string {
  const wrong = addressProblem(value, ipOnly)
  if (wrong) throw new UsageError(`${what}: ${wrong}`)
  return value
}

/** The settings that decide a move out of `source`: the cluster's, then the source host's own. */
export function sourceSettings(cluster: MigrationSettings | undefined, source: HostEntry): MigrationSettings {
  return migrationSettings(cluster, source.migration)
}

/** `virsh migrate` options (before the domain and the URI) for a move from a host with `how` to `target`. */
export function virshMigrateOptions(how: MigrationSettings, target: HostEntry): string[] {
  const options: string[] = []
  if (how.autoConverge) options.push('--auto-converge')
  if (how.compressed) options.push('--compressed')
  if (how.tls) options.push('--tls')
  // Post-copy switches over after the first pre-copy pass that does not converge; from then on the
  // VM's state is split between the hosts (see docs/configuration.md for the risk).
  if (how.postcopy) options.push('--postcopy', '--postcopy-after-precopy')
  if (how.bandwidthMiBs !== undefined) {
    if (!Number.isInteger(how.bandwidthMiBs) || how.bandwidthMiBs < 1) throw new UsageError(`migration.bandwidthMiBs: ${how.bandwidthMiBs} is not a whole number of MiB/s >= 1`)
    options.push('--bandwidth', String(how.bandwidthMiBs))
  }
  const where = target.migration
  if (where?.address !== undefined) {
    const address = checkedAddress(where.address, `${target.name}: migration.address`)
    // An IPv6 literal goes in brackets in a URI.
    options.push('--migrateuri', `tcp://${isIP(address) === 6 ? `[${address}]` : address}`)
  }
  if (where?.listenAddress !== undefined) options.push('--listen-address', checkedAddress(where.listenAddress, `${target.name}: migration.listenAddress`, true))
  return options
}

/** `xl migrate` options (before the domain and the host) for a move from a host with `how`. */
export function xlMigrateOptions(how: MigrationSettings): string[] {
  if (how.sshCommand === undefined) return []
  if (!SAFE_COMMAND.test(how.sshCommand)) throw new UsageError(`migration.sshCommand: "${how.sshCommand}" is not one plain word`)
  return ['-s', how.sshCommand]
}

/** Where `xl migrate` connects: the target's migration address when it has one, else undefined (its usual destination). */
export function xlMigrationAddress(target: HostEntry): string | undefined {
  const address = target.migration?.address
  return address === undefined ? undefined : checkedAddress(address, `${target.name}: migration.address`)
}
