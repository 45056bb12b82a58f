import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import Database from 'better-sqlite3'
import {SIM_LOG_LIMIT, SimBackend, readSimCluster, resetSim} from '../../src/lib/backends/sim/backend.js'
import {cloneCluster, vmsByHost, vmsOn} from '../../src/lib/backends/sim/cluster.js'
import {advance, identityRefusal, simUuid, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {simIndexOf} from '../../src/lib/backends/sim/actions.js'
import {LARGE_LIMITS, buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {MIGRATIONS} from '../../src/lib/store/schema-sql.js'
import {Store} from '../../src/lib/store/store.js'
import {simFingerprints} from './fingerprint.js'
import {simRef} from './util.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-sim-scale-'))
  dirs.push(dir)
  return dir
}
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

describe('sim at scale', () => {
  it('gives exactly what the simulator gave when hosts got their own clocks', async () => {
    // Captured by running test/sim/fingerprint.ts when each host got its own clock (an action
    // integrates only its hosts, so actions on different hosts overlap in simulated time): every
    // fingerprint changed then, by design. Before, they matched commit 0d14b3a (the simulator before
    // its tick was indexed and its state logged) with the scoreboard's unserved counters and exact
    // scoring window. The evaluate fingerprint runs the policies too: it changed again when sova
    // began to weigh its actions against how long their cause lasts (episodes.ts), the simulator's
    // own fingerprints did not. Snapshots then began to carry the PV backend's CPU (host.backend):
    // with that field left out of the hash, the simulator's six fingerprints were still 0e40e2d8…,
    // 3e7d45f3…, 9421cc38…, 962927598…, e3d7b66d…, 4b090a89… and the evaluate one 5a6c28f5… (the
    // learned path figures left sova's decisions there unchanged), so that field is the only change.
    // The evaluate one changed again (from 5a6c28f5…) with sova's policy: the warm-up that holds
    // back only VFs whose holders fill their PV path, a VF holder's migration weighed with its VF's
    // worth over the copy, and a PV cap estimated only from a VM that went faster on a VF at once.
    assert.deepEqual(await simFingerprints(), {
      'pure paper-1': '3b5dbd326b8250e2',
      'backend paper-1': '4fd80b31473368df',
      'pure flash-crowd-3': '9676913e53a6828b',
      'backend flash-crowd-3': 'b78b9db8d056a7e1',
      'pure large-12x10-2': '4f72afd5be1e96fd',
      'backend large-12x10-2': 'cbc72fef4492f6d8',
      'evaluate flash-crowd-3': '1e6c98ec1fbe1173',
    })
  })

  it('finds every host\'s VMs in one pass, as vmsOn finds them one host at a time', () => {
    const cluster = advance(buildScenario('large', 3, {hosts: 30, vmsPerHost: 7}), 5)
    const byHost = vmsByHost(cluster)
    assert.deepEqual([...byHost.keys()], cluster.hosts.map((host) => host.name))
    for (const host of cluster.hosts) assert.deepEqual(byHost.get(host.name), vmsOn(cluster, host.name))
  })

  it('copies a cluster as structuredClone does, and the copy changes apart from the original', () => {
    const cluster = advance(buildScenario('flash-crowd', 2), 12)
    const copy = cloneCluster(cluster)
    assert.deepEqual(copy, structuredClone(cluster))
    const before = structuredClone(cluster)
    const moved = advance(copy, 30)
    copy.vms[0].host = 'elsewhere'
    copy.hosts[0].reachable = false
    copy.metrics.responseHistogram[3] += 1
    assert.deepEqual(cluster, before, 'the original is untouched')
    assert.notDeepEqual(moved, cluster)
  })

  it('finds a domain by its UUID as simUuid writes it, and no other spelling', () => {
    for (const index of [0, 1, 255, 4096, 2 ** 40, 2 ** 48 - 1, 2 ** 48, 2 ** 52]) assert.equal(simIndexOf(simUuid(index)), index)
    for (const other of ['5e7a0000-0000-4000-8000-00000000000A', '5e7a0000-0000-4000-8000-0000000000001', '5e7a0000-0000-4000-8000-', 'x5e7a0000-0000-4000-8000-000000000001', '22222222-2222-4222-8222-222222222222']) {
      assert.equal(simIndexOf(other), undefined, other)
    }
    const cluster = buildScenario('paper', 1)
    assert.equal(identityRefusal(cluster, {name: 'web2', uuid: simUuid(1)}), undefined)
    assert.equal(identityRefusal(cluster, {name: 'web1', uuid: simUuid(1)}), `refused: domain ${simUuid(1)} is named web2, not web1`)
    assert.equal(identityRefusal(cluster, {name: 'web1', uuid: simUuid(999)}), `refused: no domain with UUID ${simUuid(999)} (meant: web1)`)
  })

  it('builds the large scenario up to 10,000 hosts and refuses more', () => {
    assert.deepEqual(LARGE_LIMITS.hosts, [1, 10_000])
    const cluster = buildScenario('large', 1, {hosts: 10_000, vmsPerHost: 2})
    assert.equal(cluster.hosts.length, 10_000)
    assert.equal(cluster.vms.length, 20_000)
    assert.deepEqual(cluster.vms.filter((vm) => vm.host === 'host10000').map((vm) => vm.index), [19_998, 19_999])
    assert.throws(() => buildScenario('large', 1, {hosts: 10_001}), /hosts must be a whole number from 1 to 10000, got 10001/)
  })

  it('an action logs its call, not the whole cluster; another connection replays it to the same cluster', async () => {
    const dir = tempDir()
    const store = Store.open(dir)
    resetSim(store, 'paper', 4)
    const full = store.readSim()
    const backend = new SimBackend(store)
    await backend.nextSample()
    const holder = readSimCluster(store).vms.find((vm) => vm.vf !== null)!
    const result = await backend.detachVf(holder.host, simRef(readSimCluster(store), holder.name), holder.vf!)
    assert.deepEqual(result, {ok: true, durationMs: 500})
    assert.equal(store.readSim(), full, 'the full copy is not rewritten per call')
    assert.deepEqual(store.simLogAfter(0).map((row) => JSON.parse(row.op).op), ['wait', 'detach'])

    const other = Store.open(dir)
    assert.deepEqual(readSimCluster(other), readSimCluster(store))
    assert.deepEqual(await new SimBackend(other).snapshot(), await backend.snapshot())
    // The other connection acts; the first replays that one call and sees it.
    await new SimBackend(other).wait(3)
    assert.equal(readSimCluster(store).timeMs, 13_500)
    assert.deepEqual(readSimCluster(store), readSimCluster(other))
    other.close()

    // Closing writes the full copy of what it saw last: the next reader replays nothing.
    const now = structuredClone(readSimCluster(store))
    store.close()
    const reopened = Store.open(dir)
    assert.deepEqual(reopened.simLogAfter(0), [])
    assert.deepEqual(JSON.parse(reopened.readSim()!), now)
    assert.deepEqual(readSimCluster(reopened), now)
    reopened.close()
  })

  it(`writes the full copy again after ${SIM_LOG_LIMIT} calls`, async () => {
    const store = Store.openInMemory()
    resetSim(store, 'quiet', 1)
    const backend = new SimBackend(store)
    for (let i = 0; i < SIM_LOG_LIMIT + 5; i++) await backend.wait(0.001)
    assert.equal(store.simLogAfter(0).length, 5)
    assert.equal(store.simPosition().base, SIM_LOG_LIMIT)
    let expected = buildScenario('quiet', 1)
    for (let i = 0; i < SIM_LOG_LIMIT + 5; i++) expected = advance(expected, 0.001)
    assert.deepEqual(readSimCluster(store), expected)
    // A fresh reader: the full copy written at the limit, plus the 5 calls after it.
    const copy = Store.openInMemory()
    copy.writeSim(store.readSim()!)
    assert.equal(readSimCluster(copy).timeMs, SIM_LOG_LIMIT)
    copy.close()
    store.close()
  })

  it('a call that fails changes nothing and logs nothing', async () => {
    const store = Store.openInMemory()
    resetSim(store, 'paper', 1)
    const backend = new SimBackend(store)
    await assert.rejects(backend.wait(-1))
    assert.deepEqual(store.simLogAfter(0), [])
    assert.deepEqual(readSimCluster(store), buildScenario('paper', 1))
    store.close()
  })

  it('loads a cluster stored before the log existed', async () => {
    const dir = tempDir()
    const cluster = advance(buildScenario('paper', 2), 20)
    const store = Store.open(dir)
    store.close()
    // A store as the build before wrote it: the schema one step short, the cluster its one row.
    const db = new Database(join(dir, 'state.db'))
    db.exec('DROP TABLE sim_log')
    db.pragma(`user_version = ${MIGRATIONS.length - 1}`)
    db.prepare("INSERT INTO sim (key, value) VALUES ('cluster', ?)").run(JSON.stringify(cluster))
    db.close()
    const old = Store.open(dir)
    assert.deepEqual(readSimCluster(old), cluster)
    const backend = new SimBackend(old)
    await backend.wait(10)
    assert.deepEqual(await backend.snapshot(), toSnapshot(advance(cluster, 10)))
    old.close()
  })

  it('reads only the hosts an action touches, as the full snapshot shows them', async () => {
    const store = Store.openInMemory()
    resetSim(store, 'large', 5, {hosts: 12, vmsPerHost: 6})
    const backend = new SimBackend(store)
    await backend.wait(15)
    const full = await backend.snapshot()
    const live = await backend.liveSnapshot(['host7', 'host2'])
    assert.deepEqual(live, {...full, hosts: full.hosts.filter((host) => host.name === 'host2' || host.name === 'host7')})
    store.close()
  })
})
