// The configuration's bounds on actions at once (loop/action-bounds.ts has the defaults and their
// sources): migration.maxParallel per host (a host's own wins), migration.maxParallelInCluster, and
// vfChanges.maxParallelHosts. Every backend gets them: the executor enforces them, not a backend.
import {Type} from '@sinclair/typebox'
import {migrationCapOf, type MigrationSettings} from './config-migration.js'
import {type ActionBounds, DEFAULT_MIGRATIONS_IN_CLUSTER, DEFAULT_VF_HOSTS_AT_ONCE} from './loop/action-bounds.js'

export const VfChangesSection = Type.Object(
  {
    maxParallelHosts: Type.Optional(
      Type.Integer({minimum: 1, maximum: 1024, description: `at most this many hosts changing VFs at the same time (default ${DEFAULT_VF_HOSTS_AT_ONCE}; 1: one change after another); on one host, changes run one after another in plan order`, expected: 'a whole number 1..1024'}),
    ),
  },
  {additionalProperties: false, description: 'how VF hot-plugs and unplugs are run'},
)

/** The bounds a configuration sets, with the defaults for what it leaves out. */
export function actionBoundsOf(config: {migration?: MigrationSettings; hosts?: {name: string; migration?: MigrationSettings}[]; vfChanges?: {maxParallelHosts?: number}}): ActionBounds {
  return {
    migrationsPerHost: migrationCapOf(config),
    migrationsInCluster: config.migration?.maxParallelInCluster ?? DEFAULT_MIGRATIONS_IN_CLUSTER,
    vfHostsAtOnce: config.vfChanges?.maxParallelHosts ?? DEFAULT_VF_HOSTS_AT_ONCE,
  }
}
