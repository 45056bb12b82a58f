import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {SimBackend, readSimCluster, resetSim, setHostReachable} from '../../src/lib/backends/sim/backend.js'
import {advance, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {EXIT, SovaError, UnreachableError, UsageError} from '../../src/lib/errors.js'
import {Store} from '../../src/lib/store/store.js'
import {simRef} from './util.js'

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-sim-'))
  dirs.push(dir)
  return dir
}
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

describe('SimBackend', () => {
  it('starts the default paper scenario, seed 1, and reads without moving time', async () => {
    const store = Store.open(tempDir())
    const backend = new SimBackend(store)
    assert.equal(backend.name, 'sim')
    assert.deepEqual(backend.capabilities, {canMigrate: true, canSwitchVf: true})
    const first = await backend.snapshot()
    assert.deepEqual(first, toSnapshot(buildScenario('paper', 1)))
    assert.deepEqual(await backend.snapshot(), first)
    store.close()
  })

  it('nextSample moves 10 s, wait(s) moves s, both equal to the model', async () => {
    const store = Store.open(tempDir())
    const backend = new SimBackend(store)
    await backend.nextSample()
    await backend.wait(25)
    const snap = await backend.snapshot()
    assert.equal(snap.source.tick, 35)
    assert.equal(snap.at, '2026-01-01T00:00:35.000Z')
    assert.deepEqual(snap, toSnapshot(advance(advance(buildScenario('paper', 1), 10), 25)))
    await assert.rejects(backend.wait(-1), UsageError)
    store.close()
  })

  it('actions persist and report what happened', async () => {
    const store = Store.open(tempDir())
    const backend = new SimBackend(store)
    const vf = (await backend.snapshot()).hosts[0].vms.find((vm) => vm.name === 'cpu1')!.vf!
    const cpu1 = simRef(readSimCluster(store), 'cpu1')
    assert.deepEqual(await backend.detachVf('host1', cpu1, vf), {ok: true, durationMs: 500})
    const refused = await backend.detachVf('host1', cpu1, vf)
    assert.equal(refused.ok, false)
    assert.equal((await backend.migrate(cpu1, 'host1', 'host2')).ok, true)
    assert.equal((await backend.attachVf('host2', cpu1, '0000:05:10.7')).ok, true)
    const cpu = (await backend.snapshot()).hosts[1].vms.find((vm) => vm.name === 'cpu1')!
    assert.equal(cpu.path, 'vf')
    assert.equal(cpu.vf, '0000:05:10.7')
    store.close()
  })

  it('two stores on one directory (two pipeline stages) share one cluster', async () => {
    const dir = tempDir()
    const a = Store.open(dir)
    const b = Store.open(dir)
    await new SimBackend(a).nextSample()
    assert.equal((await new SimBackend(b).snapshot()).source.tick, 10)
    await new SimBackend(b).wait(5)
    assert.equal((await new SimBackend(a).snapshot()).source.tick, 15)
    a.close()
    b.close()
  })

  it('a separate process sees and changes the same cluster', async () => {
    const dir = tempDir()
    const store = Store.open(dir)
    await new SimBackend(store).nextSample()
    const here = fileURLToPath(new URL('.', import.meta.url))
    const script = `
      import {Store} from ${JSON.stringify(join(here, '../../src/lib/store/store.js'))}
      import {SimBackend} from ${JSON.stringify(join(here, '../../src/lib/backends/sim/backend.js'))}
      const store = Store.open(process.argv[1])
      const backend = new SimBackend(store)
      const before = (await backend.snapshot()).source.tick
      await backend.nextSample()
      console.log(before)
      store.close()`
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {encoding: 'utf8'})
    assert.equal(out.trim(), '10')
    assert.equal((await new SimBackend(store).snapshot()).source.tick, 20)
    store.close()
  })

  it('an outage leaves the host out of snapshots, listed missing with why; all hosts out throws; clearing it ends it', async () => {
    const store = Store.open(tempDir())
    const backend = new SimBackend(store)
    setHostReachable(store, 'host2', false)
    const partial = await backend.snapshot()
    assert.deepEqual(partial.hosts.map((host) => host.name), ['host1', 'host3'])
    assert.deepEqual(partial.missing, [{host: 'host2', reason: 'did not answer (simulated outage; sova sim outage host2 --clear ends it)'}])
    setHostReachable(store, 'host1', false)
    setHostReachable(store, 'host3', false)
    await assert.rejects(backend.snapshot(), (error: unknown) => {
      assert.ok(error instanceof UnreachableError)
      assert.equal(error.exit, EXIT.unreachable)
      assert.match(error.message, /^no host answered: host1 did not answer \(simulated outage; sova sim outage host1 --clear ends it\); host2 did not answer/)
      return true
    })
    setHostReachable(store, 'host1', true)
    setHostReachable(store, 'host3', true)
    const result = await backend.attachVf('host2', simRef(readSimCluster(store), 'cpu4'), '0000:05:10.7')
    assert.ok(!result.ok && /host2: unreachable/.test(result.error))
    await backend.nextSample() // time still passes during an outage
    setHostReachable(store, 'host2', true)
    assert.equal((await backend.snapshot()).source.tick, 12)
    assert.throws(() => setHostReachable(store, 'host9', false), UsageError)
    store.close()
  })

  it('resetSim builds the named scenario and clears stored samples', () => {
    const store = Store.open(tempDir())
    store.addSample('sim:paper:1', '2026-01-01T00:00:10.000Z', '{}', {host1: 0.3})
    const cluster = resetSim(store, 'flash-crowd', 7)
    assert.equal(cluster.scenario, 'flash-crowd')
    assert.equal(store.lastSample('sim:paper:1'), undefined)
    assert.deepEqual(readSimCluster(store), buildScenario('flash-crowd', 7))
    assert.throws(() => resetSim(store, 'nope', 1), UsageError)
    assert.equal(readSimCluster(store).scenario, 'flash-crowd', 'a refused reset changes nothing')
    const large = resetSim(store, 'large', 3, {hosts: 2, vmsPerHost: 5})
    assert.equal(large.vms.length, 10)
    const built = buildScenario('steady', 4)
    assert.deepEqual(resetSim(store, built), built)
    assert.deepEqual(readSimCluster(store), built)
    store.close()
  })

  it('refuses unreadable stored state with a remedy (format 1, before the scoreboard, included)', () => {
    const store = Store.open(tempDir())
    const old = {...buildScenario('paper', 1), format: 1, metrics: undefined}
    store.writeSim(JSON.stringify(old))
    assert.throws(() => readSimCluster(store), (error: unknown) =>
      error instanceof SovaError && /format 1, expected 2/.test(error.message) && /sova sim reset/.test(error.remedy ?? ''))
    store.writeSim('{"format": 99}')
    assert.throws(() => readSimCluster(store), (error: unknown) =>
      error instanceof SovaError && /format 99/.test(error.message) && /sova sim reset/.test(error.remedy ?? ''))
    store.close()
  })
})
