import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {SCENARIOS, buildScenario, resolveScenario} from '../../src/lib/backends/sim/scenarios.js'
import {type SimCluster, vmsOn} from '../../src/lib/backends/sim/cluster.js'
import {offeredDemand} from '../../src/lib/backends/sim/demand.js'
import {summariseMetrics} from '../../src/lib/backends/sim/metrics.js'
import {advance, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {allocateHost} from '../../src/lib/backends/sim/step.js'
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
    for (const name of ['paper', 'steady', 'bursty', 'diurnal', 'flash-crowd', 'mixed', 'large', 'two-hotspots']) assert.ok(SCENARIOS.some((s) => s.name === name), name)
    const name = new RegExp(NAME_PATTERN)
    const pci = new RegExp(PCI_PATTERN)
    for (const scenario of SCENARIOS) {
      assert.ok(scenario.description.length > 10 && !scenario.description.includes('\n'))
      const cluster = buildScenario(scenario.name, 3, scenario.name === 'large' ? {hosts: 4, vmsPerHost: 10} : {})
      const snapshot = toSnapshot(cluster)
      assert.deepEqual(checkInvariants(snapshot), [])
      const vmNames = cluster.vms.map((vm) => vm.name)
      assert.equal(new Set(vmNames).size, vmNames.length, 'VM names unique cluster-wide')
      for (const host of cluster.hosts) {
        assert.ok(host.vfPool.length >= 4 && host.vfPool.length <= 8, `${scenario.name}: ${host.vfPool.length} VFs`)
        assert.match(host.name, name)
        for (const vf of host.vfPool) assert.match(vf, pci)
      }
      for (const vm of cluster.vms) {
        assert.match(vm.name, name)
        assert.ok(vm.vcpus >= 1 && vm.vcpus <= 8, `${vm.name} vcpus ${vm.vcpus}`)
        assert.ok(vm.memoryMiB >= 1024 && vm.memoryMiB <= 16384, `${vm.name} memory ${vm.memoryMiB}`)
        assert.ok(vm.demand.requestKiB > 0)
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

  it('every scenario builds deterministically for a seed and differs for another seed', () => {
    for (const {name} of SCENARIOS) {
      const options = name === 'large' ? {hosts: 5, vmsPerHost: 8} : {}
      const run = (seed: number) => advance(buildScenario(name, seed, options), 45)
      assert.deepEqual(run(11), run(11), name)
      assert.notDeepEqual(run(11).vms, run(12).vms, name)
      assert.notDeepEqual(toSnapshot(run(11)).hosts, toSnapshot(run(12)).hosts, name)
    }
  })

  it('large honours hosts and vmsPerHost (default 20 × 20); ~10 % of hosts surge; options are refused elsewhere', () => {
    const big = buildScenario('large', 1)
    assert.equal(big.hosts.length, 20)
    assert.equal(big.vms.length, 400)
    const small = buildScenario('large', 4, {hosts: 30, vmsPerHost: 7})
    assert.equal(small.hosts.length, 30)
    for (const host of small.hosts) assert.equal(vmsOn(small, host.name).length, 7)
    const surging = new Set(small.vms.filter((vm) => vm.demand.surges.length > 0).map((vm) => vm.host))
    assert.equal(surging.size, 3)
    assert.deepEqual(checkInvariants(toSnapshot(small)), [])
    assert.throws(() => buildScenario('paper', 1, {hosts: 4}), (error: unknown) => error instanceof UsageError && /only "large"/.test(error.message))
    assert.throws(() => buildScenario('large', 1, {hosts: 0}), UsageError)
    assert.throws(() => buildScenario('large', 1, {vmsPerHost: 1000}), UsageError)
    assert.deepEqual(resolveScenario('large', 2, {hosts: 3}), buildScenario('large', 2, {hosts: 3}))
    assert.throws(() => resolveScenario('nope.json', 1, {hosts: 3}), UsageError)
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

/** Gives each host's VFs to its VMs in the order `rank` prefers (as an oracle would: direct edits). */
function allocate(c: SimCluster, rank: (vm: SimCluster['vms'][number]) => number): SimCluster {
  const next = structuredClone(c)
  for (const host of next.hosts) {
    const vms = vmsOn(next, host.name)
    for (const vm of vms) Object.assign(vm, {vf: null, path: 'pv'})
    const ranked = vms.slice().sort((a, b) => rank(b) - rank(a) || a.index - b.index)
    for (const [i, vm] of ranked.slice(0, host.vfPool.length).entries()) Object.assign(vm, {vf: host.vfPool[i], path: 'vf'})
  }
  return next
}

const gain = (c: SimCluster) => (vm: SimCluster['vms'][number]) => {
  const o = offeredDemand(c.seed, vm, Math.floor(c.timeMs / 1000))
  return o.rxMbps + o.txMbps
}

describe('sim scenarios: what each is for', () => {
  it('steady: several VMs a host offer more than the PV cap, the port never overloads, the right VFs deliver nearly everything', () => {
    const boot = buildScenario('steady', 2)
    const above = boot.vms.filter((vm) => Math.max(vm.demand.rxMbps, vm.demand.txMbps) > 9400 / 3.8)
    for (const host of boot.hosts) assert.ok(above.filter((vm) => vm.host === host.name).length >= 3, host.name)
    const right = advance(allocate(boot, gain(boot)), 1800)
    const s = summariseMetrics(boot.metrics, right.metrics, 1800)
    assert.ok(s.deliveredRatio > 0.99, `right VFs: ${s.deliveredRatio}`)
    assert.equal(s.hostSecondsHot, 0)
    const asBooted = summariseMetrics(boot.metrics, advance(boot, 1800).metrics, 1800)
    assert.ok(asBooted.deliveredRatio < 0.9, `VFs as booted: ${asBooted.deliveredRatio}`)
    assert.ok(asBooted.meanResponseMs > s.meanResponseMs * 2, `${asBooted.meanResponseMs} vs ${s.meanResponseMs}`)
  })

  it('bursty: web and bulk VMs switch between ~base and several times it in slots of tens of seconds', () => {
    const c = buildScenario('bursty', 3)
    const bulk = c.vms.find((vm) => vm.kind === 'bulk')!
    const tx = Array.from({length: 600}, (_, t) => offeredDemand(c.seed, bulk, t).txMbps)
    const high = tx.filter((x) => x > bulk.demand.txMbps * 4).length
    assert.ok(high > 40 && high < 400, `bursts: ${high} of 600 s`)
    assert.equal(offeredDemand(c.seed, bulk, 41).txMbps > bulk.demand.txMbps * 4, offeredDemand(c.seed, bulk, 42).txMbps > bulk.demand.txMbps * 4, 'one slot is on or off throughout')
  })

  it('diurnal: each host peaks a third of a period apart; near its peak a host overloads while another has room', () => {
    const c = buildScenario('diurnal', 1)
    let overloadedWithRoom = 0
    for (let t = 0; t < 1500; t += 25) {
      const u = c.hosts.map((host) => {
        const offered = vmsOn(c, host.name).reduce((sum, vm) => sum + offeredDemand(c.seed, vm, t).txMbps, 0)
        return offered / 9400
      })
      if (u.some((x) => x > 1) && u.some((x) => x < 0.6)) overloadedWithRoom++
    }
    assert.ok(overloadedWithRoom >= 10, `${overloadedWithRoom} samples`)
  })

  it('mixed: the PV-heavy hosts saturate their backend CPU while their port has room; VFs on the web VMs relieve it', () => {
    const boot = advance(buildScenario('mixed', 1), 30)
    const tick = 30
    for (const name of ['host1', 'host2']) {
      const a = allocateHost(boot, boot.hosts.find((h) => h.name === name)!, tick)
      assert.ok(a.backendCores > 3.99, `${name} backend ${a.backendCores}`)
      assert.ok(a.utilisation < 0.8, `${name} port ${a.utilisation}`)
    }
    const cpuHost = allocateHost(boot, boot.hosts[2], tick)
    assert.ok(cpuHost.backendCores < 2)
    const relieved = allocate(boot, gain(boot))
    assert.ok(allocateHost(relieved, relieved.hosts[0], tick).backendCores < 3.5)
  })
})
