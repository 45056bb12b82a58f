// The hosts' hotspot columns: UTIL is the figure the test judged over its threshold, and the
// status follows that figure (never "ok" beside a figure at or above its threshold).
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {HostScore, SovaDocument} from '../../src/lib/document/schema.js'
import {csvRows, hotspotCell, tableRows} from '../../src/lib/render/rows.js'

const score = (utilisation: number, hot: boolean, threshold?: number): HostScore =>
  ({utilisation, window: [utilisation], forecast: null, predictor: 'burg', measure: 'peak', hot, reason: 'r', ...(threshold === undefined ? {} : {threshold})})

function docWith(hostScore: HostScore): SovaDocument {
  return {
    sova: 1, at: '2026-01-01T00:00:00.000Z', source: {backend: 'sim', cluster: 'c', windowSeconds: 10},
    hosts: [{name: 'host1', nic: {device: 'eth0', speedMbps: 10000, rxBps: 1e8, txBps: 1.2e9, utilisation: 1.04}, vfs: {total: 8, free: []}, cpus: 16, memoryMiB: {total: 1, free: 1}, vms: []}],
    scores: {policy: 'sova', vms: {}, hosts: {host1: hostScore}},
  } as SovaDocument
}

describe('hosts rows', () => {
  it('the status: HOT when predicted hot, high when this sample reaches the threshold but the test does not call it hot, else ok', () => {
    assert.deepEqual(hotspotCell(score(0.9, true, 0.85)), {text: 'HOT', colour: 'red'})
    assert.deepEqual(hotspotCell(score(0.9, false, 0.85)), {text: 'high', colour: 'yellow'})
    assert.deepEqual(hotspotCell(score(0.85, false, 0.85)), {text: 'high', colour: 'yellow'})
    assert.deepEqual(hotspotCell(score(0.84, false, 0.85)), {text: 'ok', colour: 'green'})
  })

  it('UTIL is the score\'s figure over its threshold, not the port\'s rx + tx (which can exceed 1)', () => {
    const [row] = tableRows(docWith(score(0.9, false, 0.85)), 'hosts')
    assert.equal(row.util, '0.90/0.85')
    assert.deepEqual(row.hotspot, {text: 'high', colour: 'yellow'})
    assert.equal(row.nic_util, '1.04')
    const [csv] = csvRows(docWith(score(0.9, false, 0.85)), 'hosts')
    assert.deepEqual([csv.util, csv.hot_at, csv.measure, csv.hotspot, csv.vfs_used, csv.vfs_total], [0.9, 0.85, 'peak', 'high', 0, 8])
  })
})
