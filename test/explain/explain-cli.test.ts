// `sova explain` as people run it: a simulated cycle piped in, or the last document in the store.
import assert from 'node:assert/strict'
import {before, describe, it} from 'node:test'
import {Store} from '../../src/lib/store/store.js'
import {documents, freshStateDir, sova} from '../cli/helpers.js'

describe('sova explain', () => {
  let cycle: any
  let input: string
  let gainer: string

  before(async () => {
    const run = await sova(['run', '--once', '--format', 'json'], {state: freshStateDir()})
    assert.equal(run.exitCode, 0, String(run.stderr))
    ;[cycle] = documents(run.stdout)
    input = JSON.stringify(cycle) + '\n'
    // A VM the cycle gave a VF to, because of what it is worth.
    gainer = cycle.actions.find((action: any) => action.kind === 'attach-vf' && action.status === 'done').vm
  })

  it('--vm --format json: the figures and the thresholds that put the VM on its path', async () => {
    const result = await sova(['explain', '--vm', gainer, '--format', 'json'], {state: freshStateDir(), input})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [explanation] = documents(result.stdout)
    const score = cycle.scores.vms[gainer]
    assert.equal(explanation.vm, gainer)
    assert.equal(explanation.path, 'vf')
    assert.equal(explanation.figures.vfValueMbps, score.vfValueMbps)
    assert.equal(explanation.decidedBy.startsWith(`VF worth ${Math.round(score.vfValueMbps)} Mbit/s ≥ minimum 10 Mbit/s`), true, explanation.decidedBy)
    assert.match(explanation.pathReason, /the free-VF minimum of 10 Mbit\/s \(sova default\)|swap margin 20 Mbit\/s \(sova default\)/)
    assert.deepEqual(explanation.hosts[0].threshold, {what: 'hotspot threshold', flag: '--threshold', value: 0.85, unit: 'share', source: 'document'})
    assert.ok(explanation.thresholds.some((limit: any) => limit.what === 'free-VF minimum' && limit.value === 10))
    assert.match(explanation.outcome, /^attach-vf 0000:0\d:10\.\d: done/)
  })

  it('--vm --format table: the row, then the VM in full with its thresholds and where they come from', async () => {
    const result = await sova(['explain', '--vm', gainer, '--format', 'table'], {state: freshStateDir(), input})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const text = String(result.stdout)
    for (const expected of [
      'Decided by', gainer, 'Thresholds:', 'free-VF minimum 10 Mbit/s (sova default)', 'hotspot threshold 0.85 (from the document)',
      'Figures:', `VF worth ${Math.round(cycle.scores.vms[gainer].vfValueMbps)} Mbit/s (ranks`, 'Hotspot:', 'Actions:',
    ]) {
      assert.ok(text.includes(expected), `shows ${expected}:\n${text}`)
    }
  })

  it('one row per VM as a table or CSV; NDJSON when piped', async () => {
    const vmCount = cycle.hosts.reduce((sum: number, host: any) => sum + host.vms.length, 0)
    const csv = await sova(['explain', '--format', 'csv'], {state: freshStateDir(), input})
    const lines = String(csv.stdout).trim().split('\n')
    assert.match(lines[0], /^at,cluster,policy,vm,host,from_host,path,vf,tier,rate_mbps,demand_mbps,vf_value_mbps,vf_value_rank,decided_by,/)
    assert.equal(lines.length, 1 + vmCount)
    const piped = await sova(['explain', '--host', 'host2'], {state: freshStateDir(), input})
    assert.deepEqual(new Set(documents(piped.stdout).map((one) => one.host)), new Set(['host2']))
    const table = await sova(['explain', '--format', 'table'], {state: freshStateDir(), input})
    assert.match(String(table.stdout), /· policy sova\n/)
  })

  it('an unknown VM exits 2, naming it and a few VMs there are', async () => {
    const result = await sova(['explain', '--vm', 'nosuch'], {state: freshStateDir(), input})
    assert.equal(result.exitCode, 2)
    assert.equal(String(result.stdout), '')
    assert.match(String(result.stderr), /^sova explain: --vm: nosuch is not a VM of cluster sim:paper:1 at .* \(VMs: bulk1, bulk2, /)
  })

  it('with nothing piped in, explains the last document in the state store', async () => {
    const state = freshStateDir()
    const store = Store.open(state)
    store.saveLastDocument(cycle.source.cluster, JSON.stringify(cycle))
    store.close()
    const result = await sova(['explain', '--vm', gainer, '--format', 'text'], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.match(String(result.stdout), new RegExp(`^${gainer} on host\\d, path vf 0000:`))
    assert.match(String(result.stdout), /free-VF minimum 10 Mbit\/s \(sova default\)/)
    assert.match(String(result.stderr), /^explain: the last document of sim:paper:1, saved /)
  })

  it('with nothing piped in and nothing stored, exits 2 saying to pipe one in or run sova run first', async () => {
    const result = await sova(['explain'], {state: freshStateDir()})
    assert.equal(result.exitCode, 2)
    assert.match(String(result.stderr), /no document to explain.*pipe one in.*or run "sova run" first/)
  })
})
