import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkAll, cleanSummary, pvPathNote} from '../../src/lib/check/check-all.js'
import {snapshotViolations} from '../../src/lib/invariants.js'
import {cleanSnapshot, isLive, rawHost, rawVm, row} from './fixtures.js'

const VF0 = '0000:03:10.0'

describe('snapshotViolations (invariants 1 and 2 of sova check)', () => {
  it('passes a clean snapshot', () => {
    assert.deepEqual(snapshotViolations(cleanSnapshot()), [])
  })

  it('reports a VF assigned to two VMs, located', () => {
    const snapshot = cleanSnapshot()
    snapshot.hosts[0].vms[1] = rawVm('b', VF0)
    assert.deepEqual(snapshotViolations(snapshot), [
      {invariant: 'vf-single-owner', host: 'host1', vm: 'a b', vf: VF0, detail: `host1: VF ${VF0} is assigned to 2 VMs (a, b)`},
    ])
  })

  it('reports more VFs in use than the port has, and a held VF also free', () => {
    const over = cleanSnapshot()
    over.hosts[0] = rawHost('host1', [rawVm('a', VF0), rawVm('b', '0000:03:10.1'), rawVm('x', '0000:03:10.2')])
    assert.deepEqual(snapshotViolations(over).map((v) => [v.invariant, v.detail]), [['vf-count', 'host1: 3 VFs in use but the port has 2']])
    const free = cleanSnapshot()
    free.hosts[0].vfs.free.push(VF0)
    assert.deepEqual(snapshotViolations(free).map((v) => [v.invariant, v.vm, v.vf]), [['vf-count', 'a', VF0], ['vf-count', '', '']])
  })

  it('reports a VM on two hosts', () => {
    const snapshot = cleanSnapshot()
    snapshot.hosts[1].vms.push(rawVm('b'))
    assert.deepEqual(snapshotViolations(snapshot).map((v) => [v.invariant, v.host, v.vm]), [['vm-duplicated', 'host1 host2', 'b']])
  })
})

describe('checkAll', () => {
  it('passes a clean snapshot and journal, and says the PV path is not checked', () => {
    const journal = [row('detach-vf', 'a', {vf: VF0}), row('migrate', 'a', {toHost: 'host2'})]
    const snapshot = cleanSnapshot()
    snapshot.hosts[0].vms.shift()
    snapshot.hosts[1].vms.push(rawVm('a'))
    snapshot.hosts[0].vfs.free.unshift(VF0)
    const report = checkAll({snapshot, journal, isRunLive: isLive, backend: 'sim'})
    assert.deepEqual(report.violations, [])
    assert.equal(cleanSummary(report), 'no violation (2 hosts, 3 VMs, 2 journal entries checked)')
    assert.deepEqual(report.unchecked, [pvPathNote('sim')])
    assert.match(pvPathNote('sim'), /by construction/)
    assert.match(pvPathNote('xen'), /not checked/)
  })

  it('gathers the violations of the snapshot and of the journal', () => {
    const snapshot = cleanSnapshot()
    snapshot.hosts[1].vms.push(rawVm('b'))
    const journal = [row('migrate', 'gone', {toHost: 'host2'}), row('attach-vf', 'c', {status: 'started', host: 'host2'})]
    const report = checkAll({snapshot, journal, isRunLive: isLive, backend: 'sim'})
    assert.deepEqual(report.violations.map((v) => v.invariant), ['vm-duplicated', 'vm-lost', 'journal-unfinished'])
  })
})
