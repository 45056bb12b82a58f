// The state store keeps the last document of each cluster for `sova explain`.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {Store} from '../../src/lib/store/store.js'
import {freshStateDir} from '../cli/helpers.js'

describe('store: last document', () => {
  it('keeps one document per cluster; without a cluster, the most recently saved wins', () => {
    const store = Store.openInMemory()
    assert.equal(store.lastDocument(), undefined)
    store.saveLastDocument('rack7', '{"n":1}')
    store.saveLastDocument('sim:paper:1', '{"n":2}')
    assert.equal(store.lastDocument()?.json, '{"n":2}')
    assert.equal(store.lastDocument()?.cluster, 'sim:paper:1')
    assert.equal(store.lastDocument('rack7')?.json, '{"n":1}')
    store.saveLastDocument('rack7', '{"n":3}')
    assert.equal(store.lastDocument()?.json, '{"n":3}', 'a newer save of an older cluster is the newest')
    assert.equal(store.lastDocument('rack7')?.json, '{"n":3}', 'replaced, not added')
    assert.equal(store.lastDocument('sim:paper:1')?.json, '{"n":2}')
    assert.equal(store.lastDocument('nowhere'), undefined)
    assert.ok(!Number.isNaN(Date.parse(store.lastDocument()?.savedAt ?? '')), 'savedAt is an ISO time')
    store.close()
  })

  it('lasts across processes: the migration runs once, the document stays', () => {
    const dir = freshStateDir()
    const first = Store.open(dir)
    first.saveLastDocument('sim:paper:1', '{"sova":1}')
    first.close()
    const again = Store.open(dir)
    assert.deepEqual({cluster: again.lastDocument()?.cluster, json: again.lastDocument()?.json}, {cluster: 'sim:paper:1', json: '{"sova":1}'})
    again.close()
  })
})
