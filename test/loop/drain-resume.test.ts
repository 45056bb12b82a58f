// A drain that died owes a VF to a VM it moved with one promised on arrival, and nothing else.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {owedArrivalVfs} from '../../src/lib/loop/drain-resume.js'
import type {JournalEntry} from '../../src/lib/store/store.js'
import {host, vm} from '../helpers/build.js'

const DEAD = '2026-12-03T15:00:00.000Z/999999'
let nextId = 1
function row(kind: string, tweak: Partial<JournalEntry> = {}): JournalEntry {
  return {
    id: nextId++, runId: DEAD, createdAt: '2026-12-03T15:00:00.000Z', updatedAt: '2026-12-03T15:00:00.000Z', kind, vm: 'web1', host: 'h1',
    toHost: null, vf: null, status: 'done', reason: 'detach before migrating to h2', error: null, uuid: null, device: null, ...tweak,
  }
}
const promised = (tweak: Partial<JournalEntry> = {}) => row('migrate', {toHost: 'h2', reason: 'drain h1: to h2, the most headroom (port 0.40 < 0.70 after the move), a VF on arrival', ...tweak})
const arrived = () => [host('h1'), host('h2', [vm('web1')], {vfs: {total: 2, free: ['0000:09:10.1', '0000:09:10.0']}})]
const dead = () => false

describe('owedArrivalVfs: the VF on arrival a drain that died promised', () => {
  it('owes the lowest free VF of the target to a VM moved with a VF promised and none given since', () => {
    assert.deepEqual(owedArrivalVfs([row('detach-vf'), promised()], 'h1', arrived(), dead).map((change) => [change.vm, change.host, change.op, change.vf]), [['web1', 'h2', 'attach', '0000:09:10.0']])
  })

  it('owes nothing when the move promised no VF, a hot-plug or another move came after, the run is alive, or the VM is elsewhere or has a VF', () => {
    assert.deepEqual(owedArrivalVfs([promised({reason: 'drain h1: to h2, the most headroom (port 0.40 < 0.70 after the move)'})], 'h1', arrived(), dead), [])
    assert.deepEqual(owedArrivalVfs([promised(), row('attach-vf', {host: 'h2', status: 'failed'})], 'h1', arrived(), dead), [])
    assert.deepEqual(owedArrivalVfs([promised(), row('migrate', {host: 'h2', toHost: 'h3', reason: 'h2 predicted hot'})], 'h1', arrived(), dead), [])
    assert.deepEqual(owedArrivalVfs([promised()], 'h1', arrived(), () => true), [])
    assert.deepEqual(owedArrivalVfs([promised()], 'h1', [host('h1', [vm('web1')]), host('h2')], dead), [])
    assert.deepEqual(owedArrivalVfs([promised()], 'h1', [host('h1'), host('h2', [vm('web1', {vf: '0000:03:10.0'})])], dead), [])
    assert.deepEqual(owedArrivalVfs([promised({status: 'failed'})], 'h1', arrived(), dead), [])
  })

  it('never promises one free VF twice, and hands none out on a host in maintenance', () => {
    const two = [promised(), promised({vm: 'web2'})]
    const hosts = [host('h1'), host('h2', [vm('web1'), vm('web2')], {vfs: {total: 1, free: ['0000:09:10.0']}})]
    assert.deepEqual(owedArrivalVfs(two, 'h1', hosts, dead).map((change) => change.vm), ['web1'])
    const closed = arrived()
    closed[1].rules = {maintenance: true, by: {maintenance: 'sova drain h2, 2026-12-03T15:04Z'}}
    assert.deepEqual(owedArrivalVfs([promised()], 'h1', closed, dead), [])
  })
})
