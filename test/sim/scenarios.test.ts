import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {SCENARIOS, buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {advance, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {NAME_PATTERN, PCI_PATTERN} from '../../src/lib/document/schema.js'
import {UsageError} from '../../src/lib/errors.js'
import {checkInvariants} from '../../src/lib/invariants.js'
import {utilisation} from './util.js'

/** Utilisation series of every host, one sample per 10 s, for `seconds`. */
function series(name: string, seed: number, seconds: number): Array<Record<string, number>> {
  let cluster = buildScenario(name, seed)
  let prev = toSnapshot(cluster)
  const out: Array<Record<string, number>> = []
  for (let t = 10; t <= seconds; t += 10) {
    cluster = advance(cluster, 10)
    const now = toSnapshot(cluster)
    out.push(utilisation(prev, now))
    prev = now
  }
  return out
}

describe('sim scenarios', () => {
  it('lists every scenario with a description, and each builds a valid cluster', () => {
    assert.ok(SCENARIOS.length >= 2)
    for (const name of ['paper', 'flash-crowd']) assert.ok(SCENARIOS.some((s) => s.name === name), name)
    const name = new RegExp(NAME_PATTERN)
    const pci = new RegExp(PCI_PATTERN)
    for (const scenario of SCENARIOS) {
      assert.ok(scenario.description.length > 10)
      const cluster = buildScenario(scenario.name, 3)
      const snapshot = toSnapshot(cluster)
      assert.deepEqual(checkInvariants(snapshot), [])
      const vmNames = cluster.vms.map((vm) => vm.name)
      assert.equal(new Set(vmNames).size, vmNames.length, 'VM names unique cluster-wide')
      for (const host of cluster.hosts) {
        assert.match(host.name, name)
        for (const vf of host.vfPool) assert.match(vf, pci)
      }
      for (const vm of cluster.vms) {
        assert.match(vm.name, name)
        assert.ok(vm.vcpus >= 1 && vm.vcpus <= 8, `${vm.name} vcpus ${vm.vcpus}`)
        assert.ok(vm.memoryMiB >= 1024 && vm.memoryMiB <= 16384, `${vm.name} memory ${vm.memoryMiB}`)
      }
    }
  })

  it('paper: 3 hosts, 8 VFs and 12 VMs each of four kinds', () => {
    const cluster = buildScenario('paper', 1)
    assert.deepEqual(cluster.hosts.map((h) => h.name), ['host1', 'host2', 'host3'])
    for (const host of cluster.hosts) {
      assert.equal(host.vfPool.length, 8)
      const vms = cluster.vms.filter((vm) => vm.host === host.name)
      assert.equal(vms.length, 12)
      assert.deepEqual([...new Set(vms.map((vm) => vm.kind))].sort(), ['bulk', 'cpu', 'idle', 'web'])
    }
    assert.equal(cluster.vms.length, 36)
  })

  it('is deterministic: the same seed gives identical snapshots, another seed differs', () => {
    const run = (seed: number) => toSnapshot(advance(buildScenario('paper', seed), 95))
    assert.deepEqual(run(42), run(42))
    assert.notDeepEqual(run(42), run(43))
    assert.notDeepEqual(buildScenario('paper', 1).vms, buildScenario('paper', 2).vms)
  })

  it('refuses an unknown scenario name or a fractional seed with a usage error', () => {
    assert.throws(() => buildScenario('nope', 1), (error: unknown) =>
      error instanceof UsageError && /unknown scenario "nope".*paper/.test(error.message))
    assert.throws(() => buildScenario('paper', 1.5), UsageError)
  })

  it('paper: host1 turns hot (>= 0.75 for 3+ consecutive samples) within 300 s while another host stays < 0.6', () => {
    for (const seed of [1, 2, 7]) {
      const samples = series('paper', seed, 300)
      let run = 0
      let found = -1
      for (const [i, u] of samples.entries()) {
        run = u.host1 >= 0.75 ? run + 1 : 0
        if (run >= 3 && (u.host2 < 0.6 || u.host3 < 0.6)) {
          found = i
          break
        }
      }
      assert.ok(found >= 0, `seed ${seed}: host1 never hot: ${samples.map((u) => u.host1.toFixed(2)).join(' ')}`)
      assert.ok(samples[0].host1 < 0.6, 'host1 starts cool')
      const cool = samples.filter((u) => u.host2 < 0.6 && u.host3 < 0.6).length
      assert.ok(cool >= samples.length * 0.9, `seed ${seed}: other hosts mostly below 0.6`)
    }
  })

  it('flash-crowd: host2 surges after ~120 s for a few minutes, then calms down', () => {
    const samples = series('flash-crowd', 5, 450)
    const at = (t: number) => samples[t / 10 - 1]
    assert.ok(at(100).host2 < 0.6, `before: ${at(100).host2}`)
    assert.ok(at(200).host2 > 0.9, `during: ${at(200).host2}`)
    assert.ok(at(420).host2 < 0.6, `after: ${at(420).host2}`)
    assert.ok(samples.every((u) => u.host1 < 0.6 && u.host3 < 0.6))
  })
})
