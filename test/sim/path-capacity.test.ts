// sova learns the simulator's PV cap and backend capacity from what it observes, whatever they
// are: with the physics halved or doubled (as bench/quality --perturb moves them) while sova keeps
// its defaults, its estimates after some cycles are within 10% of the true figures.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {parsePhysicsOverrides} from '../../src/lib/backends/sim/physics-overrides.js'
import {resolveScenario} from '../../src/lib/backends/sim/scenarios.js'
import {backendCapacityMbps} from '../../src/lib/backends/sim/step.js'
import type {SimCluster} from '../../src/lib/backends/sim/cluster.js'
import type {HostCapacity, SovaDocument} from '../../src/lib/document/schema.js'
import {evaluateCluster} from '../../src/lib/evaluate/harness.js'

const dir = mkdtempSync(join(tmpdir(), 'sova-path-capacity-'))
after(() => rmSync(dir, {recursive: true, force: true}))

/**
 * Senders that want more than any PV cap of the test (8 Gbit/s out each) on a 40 GbE port with a
 * large backend: the PV ones level off at the PV cap, the one on a VF goes higher, and h1's free
 * VF, handed to one of its PV senders, shows that sender going faster at once: the evidence of a cap.
 */
const SENDERS = join(dir, 'senders.json')
writeFileSync(SENDERS, JSON.stringify({
  name: 'senders',
  hosts: [{name: 'h1', speedMbps: 40_000, vfs: 2, backendCores: 64}, {name: 'h2', speedMbps: 40_000, vfs: 1, backendCores: 64}],
  vms: [
    ...['a', 'b', 'c'].map((name) => ({name, host: 'h1', vcpus: 4, memoryMiB: 4096, kind: 'bulk', vf: name === 'a', demand: {rxMbps: 50, txMbps: 8000, jitter: 0.02}})),
    {name: 'd', host: 'h2', vcpus: 4, memoryMiB: 4096, kind: 'bulk', demand: {rxMbps: 50, txMbps: 8000, jitter: 0.02}},
  ],
}))

/** sova's host capacities at the end of `seconds` of the scenario on the given physics, and the cluster it ran on. */
async function learnt(scenario: string, physics: string, seconds: number): Promise<{cluster: SimCluster; capacity: Map<string, HostCapacity>}> {
  const cluster = resolveScenario(scenario, 1, {physics: parsePhysicsOverrides([physics])})
  let last: SovaDocument | undefined
  await evaluateCluster(cluster, {seed: 1, durationSeconds: seconds, policies: ['sova'], onCycle: (_policy, doc) => (last = doc)})
  const hosts = Object.entries(last?.scores?.hosts ?? {}).flatMap(([name, score]) => (score.capacity ? [[name, score.capacity] as const] : []))
  return {cluster, capacity: new Map(hosts)}
}

const within = (estimate: number, truth: number, share: number) => Math.abs(estimate - truth) <= share * truth

describe('sova learns the simulator\'s path figures', () => {
  for (const factor of ['x0.5', 'x2']) {
    it(`estimates the PV cap within 10% with pvCapMbps=${factor}`, async () => {
      const {cluster, capacity} = await learnt(SENDERS, `pvCapMbps=${factor}`, 300)
      const truth = cluster.physics.pvCapMbps
      for (const [host, figures] of capacity) {
        assert.equal(figures.pvCapFrom, 'estimated', `${host}: ${figures.pvCapWhy}`)
        assert.ok(within(figures.pvCapMbps, truth, 0.1), `${host}: estimated ${figures.pvCapMbps}, true ${truth} (${figures.pvCapWhy})`)
      }
      assert.equal(capacity.size, 2)
    })
  }

  it('estimates the backend capacity within 10% with pvBackendCoresPerGbps=x2 (half the capacity)', async () => {
    const {cluster, capacity} = await learnt('mixed', 'pvBackendCoresPerGbps=x2', 300)
    // The hosts whose backend carried enough to measure: mixed's PV-heavy host1 and host2 at least.
    const measured = [...capacity].filter(([, figures]) => figures.backendFrom === 'estimated' && /backend's CPU/.test(figures.backendWhy))
    assert.ok(measured.some(([host]) => host === 'host1') && measured.some(([host]) => host === 'host2'), JSON.stringify([...capacity]))
    for (const [host, figures] of measured) {
      const truth = backendCapacityMbps(cluster, cluster.hosts.find((one) => one.name === host) as SimCluster['hosts'][number])
      assert.ok(within(figures.backendMbps, truth, 0.1), `${host}: estimated ${figures.backendMbps}, true ${truth} (${figures.backendWhy})`)
    }
  })
})
