// How many actions the executor runs at once (docs/configuration.md "Actions at the same time").
// Concurrency is on by default, bounded as production schedulers bound live migration:
//   - KubeVirt's defaults (migrations.parallelOutboundMigrationsPerNode 2,
//     parallelMigrationsPerCluster 5; OpenShift Virtualization, "Live migration limits and timeouts");
//   - vCenter's (a host's vMotion network allows 4 at once on 1GbE, 8 on 10GbE; vSphere 6.7
//     "Limits on Simultaneous Migrations").
// Sova counts a move against both its hosts (in and out), so KubeVirt's 2 per node is its per-host
// default, well under vCenter's; 5 at once in the whole cluster is KubeVirt's. VF hot-plugs of
// different hosts share nothing but Sova's own connections to them: as many hosts at once as a
// snapshot samples (the read fan-out, 16). On one host VF changes stay one after another, in plan
// order (a detach that frees a VF comes before the attach that takes it).

/** KubeVirt's parallelOutboundMigrationsPerNode: migrations leaving or entering one host at once. */
export const DEFAULT_MIGRATIONS_PER_HOST = 2
/** KubeVirt's parallelMigrationsPerCluster: migrations under way in the whole cluster at once. */
export const DEFAULT_MIGRATIONS_IN_CLUSTER = 5
/** Hosts whose VFs change at once: the hosts backend's read fan-out (DEFAULT_CONCURRENCY). */
export const DEFAULT_VF_HOSTS_AT_ONCE = 16

/** The executor's bounds: the configuration's (config-bounds.ts), the same on every backend. */
export interface ActionBounds {
  /** At most this many migrations leaving or entering `host` at once. */
  migrationsPerHost: (host: string) => number
  /** At most this many migrations under way in the whole cluster at once (1: one after another). */
  migrationsInCluster: number
  /** At most this many hosts changing VFs at once (1: one change after another). */
  vfHostsAtOnce: number
}

export const DEFAULT_ACTION_BOUNDS: ActionBounds = {
  migrationsPerHost: () => DEFAULT_MIGRATIONS_PER_HOST,
  migrationsInCluster: DEFAULT_MIGRATIONS_IN_CLUSTER,
  vfHostsAtOnce: DEFAULT_VF_HOSTS_AT_ONCE,
}

/** One action at a time: what `migration.maxParallelInCluster: 1` and `vfChanges.maxParallelHosts: 1` give. */
export const SERIAL_ACTION_BOUNDS: ActionBounds = {migrationsPerHost: () => 1, migrationsInCluster: 1, vfHostsAtOnce: 1}
