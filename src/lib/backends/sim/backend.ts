// The sim backend: the simulated cluster lives in the state store as JSON, and every
// read-modify-write runs in one store transaction, so the separate processes of a shell pipeline
// (and successive cron runs) see and change one cluster.
import {EXIT, SovaError, UnreachableError, UsageError} from '../../errors.js'
import type {Store} from '../../store/store.js'
import type {Backend, BackendCapabilities, RawSnapshot, StepResult, VmRef} from '../types.js'
import {type SimCluster, parseSimCluster, withFaults} from './cluster.js'
import type {FaultRates} from './faults.js'
import {type Transition, advance, attachVf, clusterId, detachVf, identityRefusal, migrate, refuse, setReachable, toSnapshot} from './model.js'
import {type ScenarioOptions, buildScenario, resolveScenario} from './scenarios.js'

/** The scenario and seed a store without a cluster starts with. */
export const DEFAULT_SCENARIO = {name: 'paper', seed: 1} as const

/** One loop period of the seed policy (ALGORITHM.md §1): what `nextSample()` advances. */
export const SIM_SAMPLE_SECONDS = 10

function load(store: Store): SimCluster {
  const json = store.readSim()
  if (json === undefined) {
    const cluster = buildScenario(DEFAULT_SCENARIO.name, DEFAULT_SCENARIO.seed)
    store.writeSim(JSON.stringify(cluster))
    return cluster
  }
  try {
    return parseSimCluster(json)
  } catch (error) {
    throw new SovaError(
      `simulator state in ${store.dir} cannot be read (${(error as Error).message})`,
      EXIT.internal,
      'sova sim reset starts a fresh simulated cluster',
    )
  }
}

/** Runs `change` on the stored cluster in one transaction and stores what it returns. */
function update<T>(store: Store, change: (cluster: SimCluster) => {cluster: SimCluster; value: T}): T {
  return store.transaction(() => {
    const {cluster, value} = change(load(store))
    store.writeSim(JSON.stringify(cluster))
    return value
  })
}

/** The stored simulated cluster (the default scenario is created on first use). */
export function readSimCluster(store: Store): SimCluster {
  // Reading needs no write lock once a cluster exists; creating the default takes one.
  return store.readSim() === undefined ? store.transaction(() => load(store)) : load(store)
}

/**
 * Replaces the simulated cluster with a fresh scenario: a built cluster, or a scenario name / file
 * path resolved with `seed` and `options` (resolveScenario). Old samples would make false rates, so
 * they go too, and so do hosts drained in the old one (every host starts in service). A scenario
 * that cannot be built changes nothing.
 */
export function resetSim(store: Store, scenario: SimCluster | string, seed: number = DEFAULT_SCENARIO.seed, options: ScenarioOptions = {}): SimCluster {
  const cluster = typeof scenario === 'string' ? resolveScenario(scenario, seed, options) : scenario
  store.transaction(() => {
    store.writeSim(JSON.stringify(cluster))
    store.clearSamples()
    store.clearHostMarksOf('sim:')
  })
  return cluster
}

/** Sets (or, with no rates, clears) the stored cluster's injected faults in place, draws from 0. */
export function setSimFaults(store: Store, rates: FaultRates): SimCluster {
  return update(store, (cluster) => {
    const next = withFaults(cluster, rates)
    return {cluster: next, value: next}
  })
}

/** Starts or ends a simulated outage of one host (`sova sim outage HOST [--clear]`). */
export function setHostReachable(store: Store, host: string, reachable: boolean): void {
  update(store, (cluster) => {
    if (!cluster.hosts.some((h) => h.name === host)) {
      throw new UsageError(
        `unknown host "${host}"; the simulated cluster has ${cluster.hosts.map((h) => h.name).join(', ')}`,
      )
    }
    return {cluster: setReachable(cluster, host, reachable), value: undefined}
  })
}

/** The default backend: a deterministic simulated cluster that runs anywhere. */
export class SimBackend implements Backend {
  readonly name = 'sim'
  readonly capabilities: BackendCapabilities = {canMigrate: true, canSwitchVf: true}

  constructor(private readonly store: Store) {}

  async clusterName(): Promise<string> {
    return clusterId(readSimCluster(this.store))
  }

  async snapshot(): Promise<RawSnapshot> {
    const cluster = readSimCluster(this.store)
    const full = toSnapshot(cluster)
    const down = new Set(cluster.hosts.filter((host) => !host.reachable).map((host) => host.name))
    if (down.size === 0) return full
    const outage = (host: string) => `did not answer (simulated outage; sova sim outage ${host} --clear ends it)`
    if (down.size === cluster.hosts.length) throw new UnreachableError(`no host answered: ${[...down].map((host) => `${host} ${outage(host)}`).join('; ')}`)
    // An unreachable host is seen by nobody: its readings are not in the snapshot, only why.
    return {...full, hosts: full.hosts.filter((host) => !down.has(host.name)), missing: [...down].map((host) => ({host, reason: outage(host)}))}
  }

  async now(): Promise<string> {
    return toSnapshot(readSimCluster(this.store)).at
  }

  async nextSample(): Promise<void> {
    await this.wait(SIM_SAMPLE_SECONDS)
  }

  async wait(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new UsageError(`wait: expected a number of seconds >= 0, got ${seconds}`)
    }
    update(this.store, (cluster) => ({cluster: advance(cluster, seconds), value: undefined}))
  }

  // A simulated VF has no definition beyond its address: what is given back is the VF itself.
  async attachVf(host: string, vm: VmRef, vf: string): Promise<StepResult> {
    return this.act(vm, (cluster) => attachVf(cluster, host, vm.name, vf))
  }

  async detachVf(host: string, vm: VmRef, vf: string): Promise<StepResult> {
    return this.act(vm, (cluster) => detachVf(cluster, host, vm.name, vf))
  }

  async migrate(vm: VmRef, from: string, to: string): Promise<StepResult> {
    return this.act(vm, (cluster) => migrate(cluster, vm.name, from, to))
  }

  /** The store belongs to the caller, who closes it. */
  close(): void {}

  /** One transition on the domain `vm.uuid`, refused unless it still bears `vm.name`. */
  private act(vm: VmRef, transition: (cluster: SimCluster) => Transition): StepResult {
    return update(this.store, (cluster) => {
      const refused = identityRefusal(cluster, vm)
      const {cluster: next, result} = refused ? refuse(cluster, refused) : transition(cluster)
      return {cluster: next, value: result}
    })
  }
}
