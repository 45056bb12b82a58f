// How live migrations are done: the top-level `migration` section (every host) and a host's own
// `hosts[].migration` (overrides it key by key, and says where the host receives migrations).
// Nothing here is passed to a tool unless it is set: an unconfigured cluster migrates exactly as before.
import {isIP} from 'node:net'
import {Type} from '@sinclair/typebox'
import {DEFAULT_MIGRATIONS_IN_CLUSTER, DEFAULT_MIGRATIONS_PER_HOST} from './loop/action-bounds.js'

const strict = {additionalProperties: false} as const
const flag = (description: string) => Type.Optional(Type.Boolean({description, expected: 'true or false'}))

/**
 * The command xl runs instead of ssh: one word that means the same to every shell it passes
 * (Sova's ssh to the source host, then xl's own `sh -c`), and is not read as an option.
 */
const SSH_COMMAND_PATTERN = '^[A-Za-z0-9_./][A-Za-z0-9_./:@%+=,-]{0,255}$'
/** Host names and IP addresses (checked further by validAddress). */
const ADDRESS_PATTERN = '^[A-Za-z0-9.:-]{1,253}$'
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** How a migration is done; the source host's settings decide for a move out of it. */
export const migrationHow = {
  bandwidthMiBs: Type.Optional(Type.Integer({minimum: 1, maximum: 1_048_576, description: 'libvirt: the most a migration may use, MiB/s (virsh migrate --bandwidth); absent: unlimited', expected: 'a whole number of MiB/s, 1..1048576'})),
  autoConverge: flag('libvirt: slow the guest\'s vCPUs down until a busy VM\'s memory copy converges (virsh migrate --auto-converge)'),
  postcopy: flag('libvirt: switch to post-copy when pre-copy does not converge (virsh migrate --postcopy --postcopy-after-precopy); a failure during post-copy loses the VM'),
  tls: flag('libvirt: encrypt the migration stream with TLS (virsh migrate --tls; QEMU TLS certificates needed on both hosts)'),
  compressed: flag('libvirt: compress the memory pages sent (virsh migrate --compressed)'),
  maxParallel: Type.Optional(Type.Integer({minimum: 1, maximum: 64, description: `at most this many migrations leaving or entering one host at the same time (default ${DEFAULT_MIGRATIONS_PER_HOST})`, expected: 'a whole number 1..64'})),
  sshCommand: Type.Optional(
    Type.String({
      pattern: SSH_COMMAND_PATTERN,
      description: 'xen: the command xl migrate runs instead of ssh to reach the target (xl migrate -s), one word: a program or a wrapper script that adds ssh options (a cipher, a key); ~/.ssh/config of the source host\'s root is the other way',
      expected: 'one word, a command such as /usr/local/sbin/migrate-ssh (letters, digits and _./:@%+=,-, not starting with -)',
    }),
  ),
}

/** Where a host receives migrations: its own, in hosts[].migration only. */
const migrationWhere = {
  address: Type.Optional(Type.String({pattern: ADDRESS_PATTERN, description: 'this host\'s address on the migration network: libvirt sends the memory there (virsh migrate --migrateuri tcp://ADDRESS); xl migrate connects there', expected: 'a host name or IP address'})),
  listenAddress: Type.Optional(Type.String({pattern: ADDRESS_PATTERN, description: 'libvirt: the IP address this host\'s incoming QEMU listens on (virsh migrate --listen-address)', expected: 'an IP address'})),
}

/** The whole cluster's cap: top-level only (a host's section cannot speak for the cluster). */
const migrationCluster = {
  maxParallelInCluster: Type.Optional(Type.Integer({minimum: 1, maximum: 1024, description: `at most this many migrations under way in the whole cluster at the same time (default ${DEFAULT_MIGRATIONS_IN_CLUSTER}; 1: one after another)`, expected: 'a whole number 1..1024'})),
}

export const MigrationSection = Type.Object({...migrationHow, ...migrationCluster}, {...strict, description: 'how every host migrates (a host\'s own migration section overrides it key by key)'})
export const HostMigrationSection = Type.Object({...migrationHow, ...migrationWhere}, {...strict, description: 'this host\'s migration settings: overrides of the top-level migration section, and where it receives migrations'})

export interface MigrationSettings {
  bandwidthMiBs?: number
  autoConverge?: boolean
  postcopy?: boolean
  tls?: boolean
  compressed?: boolean
  maxParallel?: number
  maxParallelInCluster?: number
  sshCommand?: string
  address?: string
  listenAddress?: string
}

/** The libvirt-only keys, refused on Xen hosts (xl migrate has no such option). */
export const LIBVIRT_ONLY_KEYS = ['bandwidthMiBs', 'autoConverge', 'postcopy', 'tls', 'compressed', 'listenAddress'] as const
/** The Xen-only keys, refused on libvirt hosts. */
export const XEN_ONLY_KEYS = ['sshCommand'] as const

/** Why `value` is not a host name or IP address, or undefined when it is one. */
export function addressProblem(value: string, ipOnly = false): string | undefined {
  if (isIP(value) !== 0) return undefined
  if (ipOnly) return `"${value}" is not an IP address (QEMU binds to an address, not a name)`
  return HOSTNAME.test(value) ? undefined : `"${value}" is neither a host name nor an IP address`
}

/** A host's effective settings: the cluster's section, then the host's own over it. */
export function migrationSettings(cluster: MigrationSettings | undefined, host: MigrationSettings | undefined): MigrationSettings {
  return {...cluster, ...host}
}

/**
 * Each host's cap of migrations leaving or entering it at once: its own maxParallel, else the
 * cluster's, else DEFAULT_MIGRATIONS_PER_HOST.
 */
export function migrationCapOf(config: {migration?: MigrationSettings; hosts?: {name: string; migration?: MigrationSettings}[]}): (host: string) => number {
  const own = new Map((config.hosts ?? []).flatMap((host) => (host.migration?.maxParallel === undefined ? [] : [[host.name, host.migration.maxParallel] as const])))
  const cluster = config.migration?.maxParallel ?? DEFAULT_MIGRATIONS_PER_HOST
  return (host) => own.get(host) ?? cluster
}
