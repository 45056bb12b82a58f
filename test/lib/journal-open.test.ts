// Store.journalOpen: every row still owing something (left planned/started, or a VF detached for a
// migration that did not happen and never given back), with its run's rows about that VM; nothing
// settled besides.
import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import Database from 'better-sqlite3'
import {SCAN_OPEN_PAIRS} from '../../src/lib/store/journal-sql.js'
import {DEFAULT_RETENTION} from '../../src/lib/store/retention.js'
import {type JournalStatus, Store} from '../../src/lib/store/store.js'

const RUN = 'r1'
type Row = [kind: string, vm: string, status: JournalStatus, reason?: string]

/** A store holding `rows` of run r1 (in order); returns the ids of the rows journalOpen gives. */
function openIds(rows: Row[], other: Row[] = []): number[] {
  const store = Store.open(mkdtempSync(join(tmpdir(), 'sova-open-')))
  try {
    const add = (runId: string, [kind, vm, status, reason]: Row) => {
      const id = store.journalPlanned({runId, kind, vm, host: 'h1', toHost: kind === 'migrate' ? 'h2' : undefined, vf: '0000:03:10.1', reason: reason ?? (kind === 'detach-vf' ? 'detach before migrating to h2' : 'why')})
      if (status !== 'planned') store.journalUpdate(id, status)
      return id
    }
    const ids = rows.map((row) => add(RUN, row))
    for (const row of other) add('r2', row)
    const open = store.journalOpen().map((row) => row.id)
    return open.map((id) => ids.indexOf(id))
  } finally {
    store.close()
  }
}

describe('Store.journalOpen', () => {
  const cases: {why: string; rows: Row[]; open: number[]}[] = [
    {why: 'a migration done: nothing owed', rows: [['detach-vf', 'a', 'done'], ['migrate', 'a', 'done'], ['attach-vf', 'a', 'done']], open: []},
    {why: 'a failed migration given back', rows: [['detach-vf', 'a', 'rolled-back'], ['migrate', 'a', 'failed'], ['attach-vf', 'a', 'done']], open: []},
    {why: 'a VF unplugged by switch-vf is not owed', rows: [['detach-vf', 'a', 'done', 'pv is enough']], open: []},
    {why: 'a failed migration whose give-back failed: the VM\'s rows', rows: [['attach-vf', 'b', 'done'], ['detach-vf', 'a', 'done'], ['migrate', 'a', 'failed'], ['attach-vf', 'a', 'failed']], open: [1, 2, 3]},
    {why: 'died between detach and migrate', rows: [['detach-vf', 'a', 'done'], ['migrate', 'b', 'done']], open: [0]},
    {why: 'a row left started, with the VM\'s earlier rows', rows: [['detach-vf', 'a', 'done'], ['migrate', 'a', 'started'], ['detach-vf', 'b', 'done', 'pv']], open: [0, 1]},
    {why: 'a second migration done after a failed one: the first detach is still owed (the first later migrate failed)', rows: [['detach-vf', 'a', 'done'], ['migrate', 'a', 'failed'], ['migrate', 'a', 'done']], open: [0, 1, 2]},
  ]
  for (const {why, rows, open} of cases) {
    it(why, () => assert.deepEqual(openIds(rows, [['attach-vf', 'a', 'done']]), open))
  }
})

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('journal_open, kept on every write, always equals a scan of the whole journal', () => {
  const STATUSES: JournalStatus[] = ['planned', 'started', 'done', 'failed', 'rolled-back', 'skipped']
  for (let seed = 1; seed <= 20; seed++) {
    it(`random writes, seed ${seed}`, () => {
      const random = prng(seed)
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
      const dir = mkdtempSync(join(tmpdir(), 'sova-open-prop-'))
      const store = Store.open(dir)
      const scan = new Database(join(dir, 'state.db'), {readonly: true})
      const scanned = scan.prepare(`WITH open AS (${SCAN_OPEN_PAIRS}) SELECT j.id FROM open o JOIN journal j ON j.run_id = o.run_id AND j.vm = o.vm ORDER BY j.id`)
      const ids: number[] = []
      try {
        for (let step = 0; step < 60; step++) {
          if (ids.length === 0 || random() < 0.4) {
            const kind = pick(['detach-vf', 'migrate', 'attach-vf'])
            const reason = kind === 'detach-vf' && random() < 0.8 ? 'detach before migrating to h2' : 'why'
            ids.push(store.journalPlanned({runId: pick(['r1', 'r2']), kind, vm: pick(['a', 'b']), host: 'h1', vf: 'x', reason}))
          } else {
            store.journalUpdate(pick(ids), pick(STATUSES))
          }
          assert.deepEqual(store.journalOpen().map((row) => row.id), (scanned.all() as {id: number}[]).map((row) => row.id), `seed ${seed}, step ${step}`)
        }
      } finally {
        scan.close()
        store.close()
      }
    })
  }
})

describe('rows written by a sova that does not keep journal_open (an older one)', () => {
  it('are found all the same, and never pruned: the table is filled again from a scan', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sova-open-old-'))
    const retention = {...DEFAULT_RETENTION, journal: {...DEFAULT_RETENTION.journal, maxRows: 1, everySamples: 1}}
    let store = Store.open(dir, retention)
    store.journalUpdate(store.journalPlanned({runId: 'new', kind: 'attach-vf', vm: 'b', host: 'h1', reason: 'why'}), 'done')
    store.close()
    // What an older sova writes: rows only. An owed VF (detach done, migrate failed) and a row left started.
    const old = new Database(join(dir, 'state.db'))
    const insert = old.prepare(`INSERT INTO journal (run_id, created_at, updated_at, kind, vm, host, to_host, vf, status, reason)
      VALUES ('old', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', ?, 'a', 'h1', ?, 'x', ?, ?)`)
    const ids = [
      insert.run('detach-vf', null, 'done', 'detach before migrating to h2').lastInsertRowid,
      insert.run('migrate', 'h2', 'failed', 'why').lastInsertRowid,
      insert.run('attach-vf', null, 'started', 'why').lastInsertRowid,
    ].map(Number)
    old.close()
    store = Store.open(dir, retention)
    for (let i = 0; i < 3; i++) store.journalUpdate(store.journalPlanned({runId: 'new', kind: 'attach-vf', vm: `c${i}`, host: 'h1', reason: 'why'}), 'skipped')
    store.addSample('c', '2026-01-01T00:00:00.000Z', 'raw', {h1: 0})
    assert.deepEqual(store.journalOpen().map((row) => row.id), ids)
    assert.deepEqual(store.journal(100).map((row) => row.id).slice(0, 3), ids)
    store.close()
  })
})
