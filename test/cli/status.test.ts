// `sova status` is read-only: it reads the cluster and the store, and changes neither.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {execa} from 'execa'
import {BIN, documents, freshStateDir, sova, withStore} from './helpers.js'

const CLUSTER = 'sim:paper:1'

/** What status must never change: the simulated cluster (its clock with it) and the samples kept. */
const untouchable = (state: string) => withStore(state, (store) => ({sim: store.readSim(), samples: store.sampleCount(CLUSTER), last: store.lastSample(CLUSTER)?.at}))

describe('sova status', () => {
  it('after a run: the cluster, VFs, the last cycle and acting run; the simulated clock and samples unchanged', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['run', '--cycles', '3', '--interval', '0s', '--quiet'], {state})).exitCode, 0)
    const before = untouchable(state)
    const result = await sova(['status'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.deepEqual(untouchable(state), before, 'no time passed, no sample written')
    const [status] = documents(result.stdout)
    assert.equal(String(result.stdout).trim().split('\n').length, 1, 'one JSON object when piped')
    assert.equal(status.cluster, CLUSTER)
    assert.equal(status.hosts, 3)
    assert.equal(status.vms, 36)
    assert.equal(status.vfsUsed + status.vfsFree, 24)
    assert.equal(status.samples, 3)
    assert.equal(status.lastSample, before.last)
    assert.match(status.lastCycle, /^\d{4}-\d\d-\d\dT.*Z \(\d+s ago\)$/)
    assert.match(status.lastActingRun, /^pid \d+, started .*: \d+ (attach|detach)-vf done/)
    assert.equal(status.lock, 'free')
    const again = await sova(['status', '--format', 'table'], {state})
    assert.match(String(again.stdout), /^vfsFree +\d+$/m)
    assert.deepEqual(untouchable(state), before)
    assert.deepEqual([status.maintenance, status.rulesSet], ['', 0])
  })

  it('hosts out of service and the rules kept are counted', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['drain', 'host3', '--quiet'], {state})).exitCode, 0)
    assert.equal((await sova(['rule', 'set', 'web1', '--vf', 'always', '--quiet'], {state})).exitCode, 0)
    const [status] = documents((await sova(['status'], {state})).stdout)
    assert.match(status.maintenance, /^host3 in maintenance since \d{4}-\d\d-\d\dT[\d:.]+Z$/)
    assert.equal(status.rulesSet, 1)
  })

  it('real hosts (Xen stand-ins): read once, their VMs and VFs counted, no sample stored, a host down named with exit 69', async () => {
    const fixtures = join(import.meta.dirname, '..', 'fixtures')
    const fake = mkdtempSync(join(tmpdir(), 'sova-status-'))
    const env = {PATH: [join(fixtures, 'bin', 'xen'), dirname(process.execPath), process.env.PATH].join(delimiter), SOVA_FAKE_STATE: fake, SOVA_FAKE_LOG: join(fake, 'calls.ndjson'), SOVA_CONFIG: ''}
    const state = freshStateDir()
    const args = ['status', '--config', join(fixtures, 'config', 'xen.json')]
    const result = await sova(args, {state, env})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [status] = documents(result.stdout)
    assert.deepEqual([status.backend, status.hosts, status.missing, status.lock], ['xen', 2, '', 'free'])
    assert.ok(status.vms > 0 && status.vfsFree > 0, JSON.stringify(status))
    assert.equal(withStore(state, (store) => store.sampleCount(status.cluster)), 0, 'no sample stored')
    const world = JSON.parse(readFileSync(join(fixtures, 'xen', 'world.json'), 'utf8'))
    world.hosts.xen2.reachable = false
    writeFileSync(join(fake, 'xen-world.json'), JSON.stringify(world))
    const down = await sova(args, {state, env})
    assert.equal(down.exitCode, 69)
    assert.equal(documents(down.stdout)[0].missing, 'xen2')
    assert.match(String(down.stderr), /^sova status: xen2 gave no readings/)
  })

  it('a fresh store: nothing created, the lock free, never run', async () => {
    const state = freshStateDir()
    const result = await sova(['status'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [status] = documents(result.stdout)
    assert.deepEqual([status.lastCycle, status.lastActingRun, status.samples, status.lock], ['never', 'none', 0, 'free'])
    assert.equal(untouchable(state).sim, undefined, 'no simulated cluster made by status')
  })

  it('while a run holds the lock: held, by which command and pid; status itself takes no lock', async () => {
    const state = freshStateDir()
    const run = execa(process.execPath, [BIN, 'run', '--interval', '30s', '--quiet'], {env: {SOVA_STATE_DIR: state}, reject: false})
    try {
      await new Promise<void>((resolve) => run.stdout?.once('data', () => resolve()))
      const before = untouchable(state)
      const result = await sova(['status'], {state})
      assert.equal(result.exitCode, 0, String(result.stderr))
      const [status] = documents(result.stdout)
      assert.equal(status.lock, 'held')
      assert.match(status.lockHolder, new RegExp(`^"sova run" pid ${run.pid} since \\S+Z \\(\\d+s\\)$`))
      assert.deepEqual(untouchable(state), before)
    } finally {
      run.kill('SIGTERM')
      await run
    }
  })
})
