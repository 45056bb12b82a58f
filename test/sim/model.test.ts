import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {type SimCluster, findVm} from '../../src/lib/backends/sim/cluster.js'
import {fairShare, offeredDemand} from '../../src/lib/backends/sim/demand.js'
import {advance, attachVf, detachVf, migrate, setReachable, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {assertClose} from './util.js'

const MBIT = 125_000

function steps(cluster: SimCluster, count: number, seconds: number): SimCluster {
  let out = cluster
  for (let i = 0; i < count; i++) out = advance(out, seconds)
  return out
}

describe('sim model', () => {
  it('stepping 10 × 1 s equals one 10 s step exactly', () => {
    const start = advance(buildScenario('paper', 9), 60)
    assert.deepEqual(steps(start, 10, 1), advance(start, 10))
  })

  it('other slicings (4 × 2.5 s, 7 × 1.3 s, a mid-second start) agree up to float rounding', () => {
    const start = advance(buildScenario('paper', 9), 60)
    const odd = advance(start, 0.3)
    assertClose(steps(odd, 10, 1), advance(odd, 10))
    assertClose(steps(start, 4, 2.5), advance(start, 10))
    assertClose(steps(start, 7, 1.3), advance(start, 9.1))
  })

  it('never mutates its input', () => {
    const cluster = buildScenario('paper', 1)
    const copy = structuredClone(cluster)
    advance(cluster, 30)
    setReachable(cluster, 'host2', false)
    toSnapshot(cluster)
    assert.deepEqual(cluster, copy)
  })

  it('snapshot: sim time from 2026-01-01, cluster id, tick, VMs by name, free VFs and memory', () => {
    const snap = toSnapshot(advance(buildScenario('flash-crowd', 4), 12.5))
    assert.equal(snap.at, '2026-01-01T00:00:12.500Z')
    assert.deepEqual(snap.source, {backend: 'sim', cluster: 'sim:flash-crowd:4', scenario: 'flash-crowd', seed: 4, tick: 12})
    for (const host of snap.hosts) {
      const names = host.vms.map((vm) => vm.name)
      assert.deepEqual(names, [...names].sort())
      assert.equal(host.vfs.total, 8)
      assert.equal(host.vfs.free.length, 2)
      const used = host.vms.reduce((sum, vm) => sum + vm.memoryMiB, 0)
      assert.equal(host.memoryMiB.free, host.memoryMiB.total - 4096 - used)
      assert.ok(host.nic.rxBytes > 0 && host.nic.txBytes > 0)
    }
  })

  it('demand is a pure function of (seed, VM, tick)', () => {
    const cluster = buildScenario('paper', 3)
    const vm = findVm(cluster, 'web2')!
    assert.deepEqual(offeredDemand(3, vm, 77), offeredDemand(3, vm, 77))
    assert.notDeepEqual(offeredDemand(3, vm, 77), offeredDemand(3, vm, 78))
  })

  it('fair share: small demands met in full, the rest split equally, never above capacity', () => {
    assert.deepEqual(fairShare([1, 2, 3], 10), [1, 2, 3])
    assert.deepEqual(fairShare([1, 10, 10], 9), [1, 4, 4])
    assert.equal(fairShare([5, 7, 9, 11], 12).reduce((a, b) => a + b), 12)
  })

  it('a bulk VM delivers more on its VF than on the PV path (PV cap ≈ 9400/3.8 Mbit/s)', () => {
    // bulk VMs boot on PV: give bulk1 one of host1's free VFs first.
    const onVf = attachVf(buildScenario('paper', 1), 'host1', 'bulk1', '0000:04:10.6').cluster
    const hot = advance(onVf, 120) // host1's bulk VMs offer ~3000 Mbit/s
    const bulk = findVm(hot, 'bulk1')!
    const onPv = detachVf(hot, 'host1', 'bulk1', bulk.vf!).cluster
    const sent = (c: SimCluster) => findVm(c, 'bulk1')!.counters.txBytes
    const vfMbps = (sent(advance(hot, 10.5)) - sent(hot)) / 10.5 / MBIT
    const pvMbps = (sent(advance(onPv, 10)) - sent(onPv)) / 10 / MBIT
    assert.ok(pvMbps <= 9400 / 3.8 + 1e-6, `PV ${pvMbps}`)
    assert.ok(pvMbps > 2000, `PV delivers up to its cap: ${pvMbps}`)
    assert.ok(vfMbps > pvMbps * 1.05, `VF ${vfMbps} vs PV ${pvMbps}`)
  })

  it('guest CPU and blocked time: web VMs mostly wait, cpu VMs mostly compute, PV costs more CPU', () => {
    const start = buildScenario('paper', 1)
    const end = advance(start, 50)
    const ratio = (name: string, key: 'cpuSeconds' | 'blockedSeconds' | 'activeSeconds') =>
      (findVm(end, name)!.counters[key] - findVm(start, name)!.counters[key]) / 50
    assert.ok(ratio('web1', 'blockedSeconds') > 0.7)
    assert.ok(ratio('web1', 'activeSeconds') > 0.9)
    assert.ok(ratio('cpu1', 'cpuSeconds') > 2 && ratio('cpu1', 'blockedSeconds') < 0.1)
    assert.ok(ratio('idle1', 'cpuSeconds') < 0.1)
    const pv = advance(detachVf(start, 'host1', 'web1', findVm(start, 'web1')!.vf!).cluster, 50)
    const web = (c: SimCluster) => findVm(c, 'web1')!.counters
    assert.ok(web(pv).cpuSeconds > web(advance(start, 50.5)).cpuSeconds)
    assert.ok(web(pv).blockedSeconds > web(advance(start, 50.5)).blockedSeconds)
  })

  it('port counters carry every VM\'s traffic plus the migration stream', () => {
    const start = advance(buildScenario('quiet', 2), 20)
    const vm = findVm(start, 'bulk1')! // holds no VF
    const {cluster: end, result} = migrate(start, 'bulk1', 'host1', 'host3')
    assert.ok(result.ok)
    const port = (c: SimCluster, host: string) => c.hosts.find((h) => h.name === host)!.port
    // bulk1 ran on host1 for the whole migration, so its traffic belongs to host1's port.
    const ranOn = (v: SimCluster['vms'][number]) => (v.name === 'bulk1' ? 'host1' : v.host)
    const vmBytes = (host: string, key: 'rxBytes' | 'txBytes') =>
      end.vms.filter((v) => ranOn(v) === host)
        .reduce((sum, v) => sum + v.counters[key] - findVm(start, v.name)!.counters[key], 0)
    const memoryBytes = vm.memoryMiB * 1024 * 1024
    const extraTx = port(end, 'host1').txBytes - port(start, 'host1').txBytes - vmBytes('host1', 'txBytes')
    const extraRx = port(end, 'host3').rxBytes - port(start, 'host3').rxBytes - vmBytes('host3', 'rxBytes')
    assert.equal(findVm(end, 'bulk1')!.host, 'host3')
    assert.ok(extraTx >= memoryBytes, `source sent the memory image: ${extraTx} >= ${memoryBytes}`)
    assert.ok(Math.abs(extraRx - extraTx) < 1, 'target received the same stream')
  })
})
