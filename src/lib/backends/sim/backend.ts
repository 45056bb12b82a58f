// The sim backend: the simulated cluster lives in the state store, and every call on it runs in
// one store transaction, so the separate processes of a shell pipeline (and successive cron runs)
// see and change one cluster. The store keeps a full copy of the cluster and a log of the calls
// made on it since (one row each): an action writes its call, not the whole cluster, and each
// process keeps the cluster it last saw, so it replays only the calls others logged meanwhile.
// The model is deterministic, so a replay gives exactly the cluster the call gave.
// Each simulated host runs on its own clock (actions.ts): an action moves only its hosts' clocks,
// nextSample / wait bring every host to one instant after the latest of them, and a snapshot of
// every host reads them as they are at the latest clock (in memory: reading changes nothing).
import {EXIT, SovaError, UnreachableError, UsageError} from '../../errors.js'
import type {Store} from '../../store/store.js'
import type {Backend, BackendCapabilities, RawSnapshot, StepResult, VmRef} from '../types.js'
import {type SimCluster, type SimHost, hostNamed, parseSimCluster, withFaults} from './cluster.js'
import type {FaultRates} from './faults.js'
import {type Transition, advance, attachVf, clocksApart, clusterId, detachVf, identityRefusal, migrate, refuse, setReachable, simTimeOf, toSnapshot} from './model.js'
import {type ScenarioOptions, buildScenario, resolveScenario} from './scenarios.js'

/** The scenario and seed a store without a cluster starts with. */
export const DEFAULT_SCENARIO = {name: 'paper', seed: 1} as const

/** One loop period of the seed policy (ALGORITHM.md §1): what `nextSample()` advances. */
export const SIM_SAMPLE_SECONDS = 10

/**
 * Calls logged before the full copy is written again: another process replays at most this many
 * (each about one action's work), while a long run writes the whole cluster once per this many
 * actions. A process also writes it when it closes the store.
 */
export const SIM_LOG_LIMIT = 1000

/** A call that changes the simulated cluster, as the log keeps it. */
export type SimOp =
  | {op: 'wait'; seconds: number}
  | {op: 'attach'; host: string; vm: VmRef; vf: string}
  | {op: 'detach'; host: string; vm: VmRef; vf: string}
  | {op: 'migrate'; vm: VmRef; from: string; to: string}
  | {op: 'faults'; rates: FaultRates}
  | {op: 'reachable'; host: string; reachable: boolean}

/** One transition on the domain `vm.uuid` through `host`, refused (on that host's clock) unless it still bears `vm.name`. */
function act(cluster: SimCluster, vm: VmRef, host: string, transition: (cluster: SimCluster) => Transition): Transition {
  const refused = identityRefusal(cluster, vm, host)
  return refused ? refuse(cluster, refused, undefined, host) : transition(cluster)
}

/** What `op` does to `cluster` (pure): the cluster afterwards and, for an action, its result. */
export function applySimOp(cluster: SimCluster, op: SimOp): {cluster: SimCluster; result?: StepResult} {
  switch (op.op) {
    case 'wait':
      return {cluster: advance(cluster, op.seconds)}
    case 'attach':
      return act(cluster, op.vm, op.host, (c) => attachVf(c, op.host, op.vm.name, op.vf))
    case 'detach':
      return act(cluster, op.vm, op.host, (c) => detachVf(c, op.host, op.vm.name, op.vf))
    case 'migrate':
      return act(cluster, op.vm, op.from, (c) => migrate(c, op.vm.name, op.from, op.to))
    case 'faults':
      return {cluster: withFaults(cluster, op.rates)}
    case 'reachable':
      return {cluster: setReachable(cluster, op.host, op.reachable)}
  }
}

/** The cluster each open store was last seen holding, and where in the log that was. */
const seen = new WeakMap<Store, {epoch: string; seq: number; cluster: SimCluster}>()

function unreadable(store: Store, error: unknown): SovaError {
  return new SovaError(
    `simulator state in ${store.dir} cannot be read (${(error as Error).message})`,
    EXIT.internal,
    'sova sim reset starts a fresh simulated cluster',
  )
}

/**
 * The stored cluster now: the one this process saw last when no call was logged since, else it
 * (or the full copy, when it is older than the copy) with the calls logged since replayed. A
 * cluster a caller gets is shared: never mutate it (the model's functions return new ones).
 */
function load(store: Store): SimCluster {
  const position = store.simPosition()
  const last = seen.get(store)
  if (last && last.epoch === position.epoch && last.seq === position.head) return last.cluster
  let cluster: SimCluster
  let seq: number
  if (last && last.epoch === position.epoch && last.seq >= position.base && last.seq < position.head) {
    ;({cluster, seq} = last)
  } else {
    const json = store.readSim()
    if (json === undefined) {
      const fresh = buildScenario(DEFAULT_SCENARIO.name, DEFAULT_SCENARIO.seed)
      store.writeSim(JSON.stringify(fresh))
      const created = store.simPosition()
      seen.set(store, {epoch: created.epoch, seq: created.head, cluster: fresh})
      return fresh
    }
    try {
      cluster = parseSimCluster(json)
    } catch (error) {
      throw unreadable(store, error)
    }
    seq = position.base
  }
  try {
    for (const row of store.simLogAfter(seq)) cluster = applySimOp(cluster, JSON.parse(row.op) as SimOp).cluster
  } catch (error) {
    throw unreadable(store, error)
  }
  seen.set(store, {epoch: position.epoch, seq: position.head, cluster})
  return cluster
}

const watched = new WeakSet<Store>()

/**
 * Writes the full copy when a store this process logged calls on closes (if none were logged since
 * the last copy): the next process replays none. A process that only reads writes nothing.
 */
function watchClose(store: Store): void {
  if (watched.has(store) || store.dir === ':memory:') return
  watched.add(store)
  store.whenClosing(() => {
    const last = seen.get(store)
    const position = store.simPosition()
    if (!last || last.epoch !== position.epoch || last.seq !== position.head || position.head === position.base) return
    store.compactSim(JSON.stringify(last.cluster), last.seq)
  })
}

/**
 * Applies `op` to the stored cluster in one transaction and logs it; returns its result. `check`
 * sees the cluster first, in the same transaction, and may refuse the call by throwing.
 */
function update(store: Store, op: SimOp, check?: (cluster: SimCluster) => void): StepResult | undefined {
  watchClose(store)
  try {
    return store.transaction(() => {
      const current = load(store)
      check?.(current)
      const {cluster, result} = applySimOp(current, op)
      const seq = store.appendSimOp(JSON.stringify(op))
      const {epoch, base} = store.simPosition()
      if (seq - base >= SIM_LOG_LIMIT) store.compactSim(JSON.stringify(cluster), seq)
      seen.set(store, {epoch, seq, cluster})
      return result
    })
  } catch (error) {
    // Rolled back: what this process saw is no longer what is stored.
    seen.delete(store)
    throw error
  }
}

/** The stored simulated cluster (the default scenario is created on first use). */
export function readSimCluster(store: Store): SimCluster {
  // Reading needs no write lock once a cluster exists (one read transaction: the full copy and the
  // log as of one moment); creating the default takes one.
  return store.hasSim() ? store.readTransaction(() => load(store)) : store.transaction(() => load(store))
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
  update(store, {op: 'faults', rates: {...rates}})
  return load(store)
}

/** Starts or ends a simulated outage of one host (`sova sim outage HOST [--clear]`). */
export function setHostReachable(store: Store, host: string, reachable: boolean): void {
  update(store, {op: 'reachable', host, reachable}, (cluster) => {
    if (!cluster.hosts.some((h) => h.name === host)) {
      throw new UsageError(
        `unknown host "${host}"; the simulated cluster has ${cluster.hosts.map((h) => h.name).join(', ')}`,
      )
    }
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

  /**
   * Every host at one instant, the latest host clock: a host whose actions ended earlier (or that
   * had none) is read as it will be then, computed in memory (the next wait brings it there the
   * same way), so reading changes nothing. The loop's snapshot follows nextSample, which leaves no
   * host apart.
   */
  async snapshot(): Promise<RawSnapshot> {
    return this.read()
  }

  /**
   * The executor's checks before and after an action read only the hosts it touches: a snapshot
   * of those, as snapshot() gives them, so that an action's cost does not grow with the cluster.
   * Each host is read at its own clock (no host is moved on); `at` is the latest of theirs.
   */
  async liveSnapshot(hosts: readonly string[]): Promise<RawSnapshot> {
    return this.read(new Set(hosts))
  }

  /** The snapshot of every host, or of the hosts named in `only`. */
  private read(only?: ReadonlySet<string>): RawSnapshot {
    const stored = readSimCluster(this.store)
    const cluster = only || !clocksApart(stored) ? stored : advance(stored, 0)
    const full = toSnapshot(cluster, only)
    const down = new Set((only ? full.hosts.map((host) => hostNamed(cluster, host.name) as SimHost) : cluster.hosts).filter((host) => !host.reachable).map((host) => host.name))
    if (down.size === 0) return full
    const outage = (host: string) => `did not answer (simulated outage; sova sim outage ${host} --clear ends it)`
    if (down.size === cluster.hosts.length) throw new UnreachableError(`no host answered: ${[...down].map((host) => `${host} ${outage(host)}`).join('; ')}`)
    // An unreachable host is seen by nobody: its readings are not in the snapshot, only why.
    const missing = [...down].filter((host) => !only || only.has(host))
    if (missing.length === 0) return full
    return {...full, hosts: full.hosts.filter((host) => !down.has(host.name)), missing: missing.map((host) => ({host, reason: outage(host)}))}
  }

  async now(): Promise<string> {
    return simTimeOf(readSimCluster(this.store))
  }

  async nextSample(): Promise<void> {
    await this.wait(SIM_SAMPLE_SECONDS)
  }

  async wait(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) {
      throw new UsageError(`wait: expected a number of seconds >= 0, got ${seconds}`)
    }
    update(this.store, {op: 'wait', seconds})
  }

  // A simulated VF has no definition beyond its address: what is given back is the VF itself.
  async attachVf(host: string, vm: VmRef, vf: string): Promise<StepResult> {
    return update(this.store, {op: 'attach', host, vm: {name: vm.name, uuid: vm.uuid}, vf}) as StepResult
  }

  async detachVf(host: string, vm: VmRef, vf: string): Promise<StepResult> {
    return update(this.store, {op: 'detach', host, vm: {name: vm.name, uuid: vm.uuid}, vf}) as StepResult
  }

  async migrate(vm: VmRef, from: string, to: string): Promise<StepResult> {
    return update(this.store, {op: 'migrate', vm: {name: vm.name, uuid: vm.uuid}, from, to}) as StepResult
  }

  /** The store belongs to the caller, who closes it. */
  close(): void {}
}
