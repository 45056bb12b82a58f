import {after, before, describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {rmSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'
import {Store} from '../../src/lib/store/store.js'
import {documents, freshStateDir, sova} from '../cli/helpers.js'

const dirs: string[] = []
function stateDir(): string {
  const dir = freshStateDir()
  dirs.push(dir)
  return dir
}
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

describe('sova history on a seeded journal', () => {
  const state = stateDir()
  let between = ''
  before(async () => {
    const store = Store.open(state)
    try {
      const a = store.journalPlanned({runId: 'r1', kind: 'migrate', vm: 'web1', host: 'host1', toHost: 'host2', reason: 'host1 hot'})
      store.journalUpdate(a, 'done')
      const b = store.journalPlanned({runId: 'r1', kind: 'attach-vf', vm: 'web2', host: 'host2', vf: '0000:04:10.1', reason: 'worth a VF'})
      store.journalUpdate(b, 'failed', 'no free VF, "busy"')
      await sleep(5)
      between = new Date().toISOString()
      await sleep(5)
      const c = store.journalPlanned({runId: 'r2', kind: 'migrate', vm: 'db1', host: 'host3', toHost: 'host1', reason: 'host3 hot'})
      store.journalUpdate(c, 'rolled-back', 'target refused')
    } finally {
      store.close()
    }
  })

  it('lists every action as JSON lines, newest last', async () => {
    const result = await sova(['history', '--format', 'json'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const records = documents(result.stdout)
    assert.deepEqual(records.map((record) => record.vm), ['web1', 'web2', 'db1'])
    assert.deepEqual(records[0], {
      id: 1, wall_time: records[0].wall_time, run: 'r1', kind: 'migrate', vm: 'web1', host: 'host1', to: 'host2', vf: '', status: 'done', reason: 'host1 hot', error: '',
    })
    assert.equal(records[1].error, 'no free VF, "busy"')
    assert.ok(records[0].wall_time <= records[2].wall_time)
  })

  it('filters by --vm, --status, --host (source or target), --since and --limit', async () => {
    const vms = async (...args: string[]) => documents((await sova(['history', '--format', 'json', ...args], {state})).stdout).map((record) => record.vm)
    assert.deepEqual(await vms('--vm', 'web2'), ['web2'])
    assert.deepEqual(await vms('--status', 'rolled-back'), ['db1'])
    assert.deepEqual(await vms('--host', 'host1'), ['web1', 'db1'])
    assert.deepEqual(await vms('--since', between), ['db1'])
    assert.deepEqual(await vms('--since', '1h'), ['web1', 'web2', 'db1'])
    assert.deepEqual(await vms('--limit', '2'), ['web2', 'db1'])
  })

  it('writes CSV with a header, and a table', async () => {
    const csv = await sova(['history', '--format', 'csv'], {state})
    const lines = String(csv.stdout).trim().split('\n')
    assert.equal(lines[0], 'id,wall_time,run,kind,vm,host,to,vf,status,reason,error')
    assert.equal(lines.length, 4)
    assert.match(lines[2], /"no free VF, ""busy"""$/)
    const table = await sova(['history', '--format', 'table', '--vm', 'db1'], {state})
    assert.match(String(table.stdout), /^ID +WALL_TIME +RUN +KIND +VM +HOST +TO +STATUS +REASON +ERROR\n +3 +\S+ +r2 +migrate +db1 +host3 +host1 /)
  })

  it('says so on stderr, and nothing on stdout, when nothing matches', async () => {
    const result = await sova(['history', '--vm', 'nobody'], {state})
    assert.equal(result.exitCode, 0)
    assert.equal(result.stdout, '')
    assert.equal(String(result.stderr).trim(), 'history: no action matches')
    const quiet = await sova(['history', '--vm', 'nobody', '--quiet'], {state})
    assert.equal(quiet.stderr, '')
  })

  it('exits 2 with one line for a bad --since, --vm or --status', async () => {
    for (const args of [['--since', 'lately'], ['--since', '1x'], ['--vm', 'web1;reboot'], ['--host', '-x'], ['--status', 'gone']]) {
      const result = await sova(['history', ...args], {state})
      assert.equal(result.exitCode, 2, args.join(' '))
      assert.equal(result.stdout, '')
      assert.equal(String(result.stderr).trim().split('\n').length, 1, String(result.stderr))
      assert.match(String(result.stderr), /^sova history: /)
    }
  })
})

describe('sova history after a real run', () => {
  it('is empty before, and lists the run\'s actions after', async () => {
    const state = stateDir()
    const empty = await sova(['history', '--format', 'json'], {state})
    assert.equal(empty.exitCode, 0)
    assert.equal(empty.stdout, '')
    assert.equal(String(empty.stderr).trim(), 'history: no actions journalled yet')
    const filtered = await sova(['history', '--vm', 'web1'], {state})
    assert.equal(String(filtered.stderr).trim(), 'history: no actions journalled yet')

    const run = await sova(['run', '--cycles', '5', '--interval', '0s', '--quiet', '--format', 'json'], {state})
    assert.equal(run.exitCode, 0, String(run.stderr))
    const acted = documents(run.stdout).flatMap((doc) => doc.actions ?? [])
    assert.ok(acted.length > 0, 'the simulator run acted')

    const records = documents((await sova(['history', '--format', 'json'], {state})).stdout)
    assert.equal(records.length, acted.length)
    assert.deepEqual(records.map((record) => record.id), [...records.map((record) => record.id)].sort((x, y) => x - y))
    for (const record of records) {
      assert.match(record.wall_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
      assert.ok(['done', 'failed', 'rolled-back', 'skipped'].includes(record.status), record.status)
    }
    const host = records[0].host
    const onHost = documents((await sova(['history', '--format', 'json', '--host', host], {state})).stdout)
    assert.ok(onHost.length > 0 && onHost.every((record) => record.host === host || record.to === host))
  })
})
