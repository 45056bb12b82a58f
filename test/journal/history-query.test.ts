import {after, describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {EXIT, UsageError} from '../../src/lib/errors.js'
import {emptyNote, historyRecord, isFiltered, journalFilter, parseSince} from '../../src/lib/journal/history-query.js'
import {Store} from '../../src/lib/store/store.js'

const NOW = new Date('2024-05-01T12:00:00.000Z')

function isUsage(error: unknown): boolean {
  return error instanceof UsageError && error.exit === EXIT.usage && !error.message.includes('\n')
}

describe('parseSince', () => {
  it('counts a duration back from now', () => {
    assert.equal(parseSince('1h', NOW), '2024-05-01T11:00:00.000Z')
    assert.equal(parseSince('30m', NOW), '2024-05-01T11:30:00.000Z')
    assert.equal(parseSince('90', NOW), '2024-05-01T11:58:30.000Z')
  })
  it('takes an ISO date or time, normalised to UTC', () => {
    assert.equal(parseSince('2024-04-30T10:00:00Z', NOW), '2024-04-30T10:00:00.000Z')
    assert.equal(parseSince('2024-04-30T12:00:00+02:00', NOW), '2024-04-30T10:00:00.000Z')
    assert.equal(parseSince('2024-04-30', NOW), '2024-04-30T00:00:00.000Z')
  })
  it('refuses anything else with one usage line', () => {
    for (const bad of ['1x', 'yesterday', '', '-1h', '2024-13-45', '1h; DROP TABLE journal']) {
      assert.throws(() => parseSince(bad, NOW), isUsage, bad)
    }
  })
})

describe('journalFilter', () => {
  it('validates names and resolves --since', () => {
    const filter = journalFilter({since: '1h', vm: 'web1', host: 'host2', status: 'failed', limit: 5}, NOW)
    assert.deepEqual(filter, {since: '2024-05-01T11:00:00.000Z', vm: 'web1', host: 'host2', status: 'failed', limit: 5})
    assert.equal(isFiltered(filter), true)
    assert.equal(isFiltered(journalFilter({limit: 100}, NOW)), false)
  })
  it('refuses a bad VM or host name', () => {
    assert.throws(() => journalFilter({vm: 'web1; rm -rf /', limit: 1}, NOW), isUsage)
    assert.throws(() => journalFilter({host: '--force', limit: 1}, NOW), isUsage)
  })
  it('has a note for an empty journal and for no match', () => {
    assert.equal(emptyNote(true), 'history: no actions journalled yet')
    assert.equal(emptyNote(false), 'history: no action matches')
  })
})

describe('Store.journalQuery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sova-journal-'))
  const store = Store.open(dir)
  after(() => {
    store.close()
    rmSync(dir, {recursive: true, force: true})
  })
  const seed = (vm: string, host: string, toHost?: string) =>
    store.journalPlanned({runId: 'r1', kind: toHost ? 'migrate' : 'attach-vf', vm, host, toHost, vf: toHost ? undefined : '0000:04:10.1', reason: `why ${vm}`})
  const a = seed('web1', 'host1', 'host2')
  store.journalUpdate(a, 'done')
  const b = seed('web2', 'host2')
  store.journalUpdate(b, 'failed', 'no free VF')
  const c = seed('db1', 'host3', 'host1')
  store.journalUpdate(c, 'rolled-back', 'target refused')
  const ids = (filter: Parameters<Store['journalQuery']>[0]) => store.journalQuery(filter).map((entry) => entry.id)

  it('lists everything oldest first, the newest `limit` of it', () => {
    assert.deepEqual(ids({limit: 100}), [a, b, c])
    assert.deepEqual(ids({limit: 2}), [b, c])
  })
  it('filters by VM, status, and host as source or target', () => {
    assert.deepEqual(ids({vm: 'web2', limit: 100}), [b])
    assert.deepEqual(ids({status: 'rolled-back', limit: 100}), [c])
    assert.deepEqual(ids({host: 'host1', limit: 100}), [a, c])
    assert.deepEqual(ids({host: 'host2', limit: 100}), [a, b])
    assert.deepEqual(ids({host: 'host2', status: 'done', limit: 100}), [a])
  })
  it('filters by time of last update', () => {
    assert.deepEqual(ids({since: '2000-01-01T00:00:00.000Z', limit: 100}), [a, b, c])
    assert.deepEqual(ids({since: '2999-01-01T00:00:00.000Z', limit: 100}), [])
  })
  it('binds values: a quote or SQL in a value matches nothing, breaks nothing', () => {
    assert.deepEqual(ids({vm: "x' OR '1'='1", limit: 100}), [])
    assert.equal(store.journalCount(), 3)
  })
  it('gives flat records with empty strings for absent values', () => {
    const [first, second] = store.journalQuery({limit: 100}).map(historyRecord)
    assert.deepEqual(Object.keys(first), ['id', 'wall_time', 'run', 'kind', 'vm', 'host', 'to', 'vf', 'status', 'reason', 'error'])
    assert.equal(first.to, 'host2')
    assert.equal(first.vf, '')
    assert.equal(first.error, '')
    assert.equal(second.error, 'no free VF')
    assert.equal(second.to, '')
  })
})
