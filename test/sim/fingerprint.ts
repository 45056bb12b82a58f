// Fingerprints of what the simulator produces for fixed scenarios, seeds and sequences of calls:
// snapshots, scoreboards, action results, and an evaluation. test/sim/scale.test.ts pins them, so
// a speed-up provably changes no result (they last changed when each host got its own clock).
import {createHash} from 'node:crypto'
import {SimBackend, readSimCluster, resetSim, setSimFaults} from '../../src/lib/backends/sim/backend.js'
import type {SimCluster} from '../../src/lib/backends/sim/cluster.js'
import {advance, attachVf, detachVf, migrate, simUuid, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {evaluate} from '../../src/lib/evaluate/harness.js'
import {SERIAL_ACTION_BOUNDS} from '../../src/lib/loop/action-bounds.js'
import {Store} from '../../src/lib/store/store.js'

const sha = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16)

/** A fixed sequence of pure transitions: waits, VF changes on every host, migrations around the ring. */
function pureRun(start: SimCluster): unknown[] {
  const seen: unknown[] = []
  let cluster = advance(start, 10)
  seen.push(toSnapshot(cluster), cluster.metrics)
  for (const [h, host] of cluster.hosts.entries()) {
    const onHost = cluster.vms.filter((vm) => vm.host === host.name)
    const holder = onHost.find((vm) => vm.vf !== null)
    if (holder) {
      const t = detachVf(cluster, host.name, holder.name, holder.vf as string)
      cluster = t.cluster
      seen.push(t.result)
      const t2 = attachVf(cluster, host.name, holder.name, holder.vf as string)
      cluster = t2.cluster
      seen.push(t2.result)
    }
    const mover = onHost.find((vm) => vm.vf === null)
    const to = cluster.hosts[(h + 1) % cluster.hosts.length].name
    if (mover && to !== host.name) {
      const t = migrate(cluster, mover.name, host.name, to)
      cluster = t.cluster
      seen.push(t.result)
    }
    cluster = advance(cluster, 3.7)
    seen.push(toSnapshot(cluster))
  }
  seen.push(cluster.metrics, cluster.timeMs)
  return seen
}

/** The same kind of sequence through SimBackend on a store, with injected faults. */
async function backendRun(store: Store, scenario: SimCluster): Promise<unknown[]> {
  resetSim(store, scenario)
  setSimFaults(store, {attach: 0.1, detach: 0.1, migrate: 0.1, timeout: 0.05, vanish: 0.02})
  const backend = new SimBackend(store)
  const seen: unknown[] = []
  for (let round = 0; round < 3; round++) {
    await backend.nextSample()
    const cluster = readSimCluster(store)
    for (const [h, host] of cluster.hosts.entries()) {
      const now = readSimCluster(store)
      const onHost = now.vms.filter((vm) => vm.host === host.name)
      const holder = onHost.find((vm) => vm.vf !== null)
      if (holder) seen.push(await backend.detachVf(host.name, {name: holder.name, uuid: simUuid(holder.index)}, holder.vf as string))
      const mover = onHost.find((vm) => vm.vf === null)
      const to = cluster.hosts[(h + 1) % cluster.hosts.length].name
      if (mover && to !== host.name) seen.push(await backend.migrate({name: mover.name, uuid: simUuid(mover.index)}, host.name, to))
    }
    seen.push(await backend.snapshot())
  }
  seen.push(readSimCluster(store).metrics)
  return seen
}

/** Every fingerprint, by case. */
export async function simFingerprints(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const cases: Array<[string, SimCluster]> = [
    ['paper-1', buildScenario('paper', 1)],
    ['flash-crowd-3', buildScenario('flash-crowd', 3)],
    ['large-12x10-2', buildScenario('large', 2, {hosts: 12, vmsPerHost: 10})],
  ]
  for (const [name, cluster] of cases) {
    out[`pure ${name}`] = sha(pureRun(cluster))
    const store = Store.openInMemory()
    try {
      out[`backend ${name}`] = sha(await backendRun(store, cluster))
    } finally {
      store.close()
    }
  }
  // One action at a time, as the executor acted when these were pinned: the simulator's results are
  // pinned, not the order in which concurrent actions reach it (test/loop/concurrency.test.ts).
  const evaluation = await evaluate({scenario: 'flash-crowd', seed: 3, durationSeconds: 300, policies: ['seed', 'sova', 'clairvoyant'], bounds: SERIAL_ACTION_BOUNDS})
  out['evaluate flash-crowd-3'] = sha(evaluation)
  return out
}
