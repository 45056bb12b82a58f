import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {RawHost, RawSnapshot, RawVm, RawVmCounters} from '../../src/lib/backends/types.js'
import {MAX_RATE_WINDOW_SECONDS, unusablePrevious, utilisationOf} from '../../src/lib/loop/collect.js'
import {placementOf, toDocument} from '../../src/lib/loop/rates.js'
import {parseDocument} from '../../src/lib/document/validate.js'

const T0 = '2024-01-01T00:00:00.000Z'
const T10 = '2024-01-01T00:00:10.000Z'
const VF0 = '0000:03:10.0'
const VF1 = '0000:03:10.1'

function rawVm(name: string, counters: RawVmCounters, vf: string | null = null): RawVm {
  return {name, id: `id-${name}`, uuid: `uuid-${name}`, vcpus: 2, memoryMiB: 2048, path: vf ? 'vf' : 'pv', vf, counters}
}

function rawHost(name: string, rxBytes: number, txBytes: number, vms: RawVm[], free: string[] = []): RawHost {
  return {
    name,
    nic: {device: 'p5p1', speedMbps: 10_000, rxBytes, txBytes},
    vfs: {total: 4, free},
    cpus: 16,
    memoryMiB: {total: 65_536, free: 40_960},
    vms,
  }
}

function snapshot(at: string, hosts: RawHost[], cluster = 'lab'): RawSnapshot {
  return {at, source: {backend: 'sim', cluster, scenario: 'paper', seed: 1, tick: Date.parse(at) / 1000}, hosts}
}

const counters = (cpuSeconds: number, blockedSeconds: number, rxBytes: number, txBytes: number, activeSeconds?: number) =>
  activeSeconds === undefined
    ? {cpuSeconds, blockedSeconds, rxBytes, txBytes}
    : {cpuSeconds, blockedSeconds, rxBytes, txBytes, activeSeconds}

// Ten seconds apart. h1's port: Δrx = 5e9 B, Δtx = 1.25e9 B -> rx 5e8 B/s, tx 1.25e8 B/s,
// utilisation 8 * 6.25e8 / (10000 * 1e6) = 5e9 / 1e10 = 0.5.
// h2's port: Δrx = 2.5e9, Δtx = 2.5e9 -> 2.5e8 B/s each, utilisation 8 * 5e8 / 1e10 = 0.4.
const previous = snapshot(T0, [
  rawHost('h1', 1e9, 2e9, [
    rawVm('web1', counters(100, 50, 1_000_000, 2_000_000, 30), VF0),
    rawVm('db1', counters(200, 10, 5_000, 9_000)),
    rawVm('mover', counters(10, 1, 100_000, 100_000, 5)),
    rawVm('reset', counters(500, 400, 9_000_000, 9_000_000, 300)),
  ], [VF1]),
  rawHost('h2', 0, 0, []),
])
const current = snapshot(T10, [
  rawHost('h1', 6e9, 3.25e9, [
    // Δcpu 4 s, Δblocked 2.5 s, Δrx 10240 B, Δtx 5120 B, Δactive 7 s over 10 s.
    rawVm('web1', counters(104, 52.5, 1_010_240, 2_005_120, 37), VF0),
    // No activeSeconds: Δrx 2560 B -> 256 B/s, Δtx 1280 B -> 128 B/s (not > 128: inactive).
    rawVm('db1', counters(201, 10, 7_560, 10_280)),
    // Counters restarted (domain re-created): every delta is negative and counts 0.
    rawVm('reset', counters(1, 0, 100, 100, 1)),
  ], [VF1]),
  rawHost('h2', 2.5e9, 2.5e9, [
    // Moved from h1: Δcpu 3 s, Δblocked 0.5 s, Δrx 20000 B, Δtx 40000 B, Δactive 20 s (capped at 1).
    rawVm('mover', counters(13, 1.5, 120_000, 140_000, 25)),
    // New: no previous counters, zero rates.
    rawVm('fresh', counters(1000, 1000, 1e9, 1e9, 500)),
  ]),
  // New host: no previous counters, so no rates: it is missing from the document, with why.
  rawHost('h3', 7e9, 7e9, []),
])

describe('toDocument', () => {
  const document = toDocument(previous, current)
  const hostNamed = (name: string) => document.hosts.find((h) => h.name === name)!
  const vmNamed = (name: string) => document.hosts.flatMap((h) => h.vms).find((v) => v.name === name)!

  it('is a valid version-1 document at the current time with a 10 s window', () => {
    assert.equal(document.sova, 1)
    assert.equal(document.at, T10)
    assert.deepEqual(document.source, {backend: 'sim', cluster: 'lab', scenario: 'paper', seed: 1, tick: 1_704_067_210, windowSeconds: 10})
    assert.equal(parseDocument(document, 'test'), document)
  })

  const hostCases: {host: string; nic: {rxBps: number; txBps: number; utilisation: number}}[] = [
    {host: 'h1', nic: {rxBps: 5e8, txBps: 1.25e8, utilisation: 0.5}},
    {host: 'h2', nic: {rxBps: 2.5e8, txBps: 2.5e8, utilisation: 0.4}},
  ]
  for (const {host, nic} of hostCases) {
    it(`host ${host}: port rates and utilisation 8*(rx+tx)/speed`, () => {
      assert.deepEqual(hostNamed(host).nic, {device: 'p5p1', speedMbps: 10_000, ...nic})
    })
  }

  it('utilisation on a 1 GbE port over an 8 s window', () => {
    // Δrx 300e6 B, Δtx 200e6 B over 8 s: rx 37.5e6 B/s, tx 25e6 B/s; 8 * 62.5e6 / (1000 * 1e6) = 0.5.
    const port = (rxBytes: number, txBytes: number) => ({device: 'em1', speedMbps: 1000, rxBytes, txBytes})
    const before = snapshot(T0, [{...rawHost('g', 0, 0, []), nic: port(1e6, 2e6)}])
    const after = snapshot('2024-01-01T00:00:08.000Z', [{...rawHost('g', 0, 0, []), nic: port(301e6, 202e6)}])
    const result = toDocument(before, after)
    assert.equal(result.source.windowSeconds, 8)
    assert.deepEqual(result.hosts[0].nic, {device: 'em1', speedMbps: 1000, rxBps: 37.5e6, txBps: 25e6, utilisation: 0.5})
  })

  const vmCases: {why: string; vm: string; cpu: {usedRatio: number; blockedRatio: number}; net: {rxBps: number; txBps: number; activeRatio: number}}[] = [
    {
      why: 'rates and ratios over the window (4/10, 2.5/10, 10240/10, 5120/10, 7/10)',
      vm: 'web1',
      cpu: {usedRatio: 0.4, blockedRatio: 0.25},
      net: {rxBps: 1024, txBps: 512, activeRatio: 0.7},
    },
    {
      why: 'no activeSeconds: active only when both rx and tx exceed 128 B/s (tx is exactly 128)',
      vm: 'db1',
      cpu: {usedRatio: 0.1, blockedRatio: 0},
      net: {rxBps: 256, txBps: 128, activeRatio: 0},
    },
    {
      why: 'counters that went backwards count 0',
      vm: 'reset',
      cpu: {usedRatio: 0, blockedRatio: 0},
      net: {rxBps: 0, txBps: 0, activeRatio: 0},
    },
    {
      why: 'a VM that moved host keeps its counters (matched by name); activeRatio capped at 1',
      vm: 'mover',
      cpu: {usedRatio: 0.3, blockedRatio: 0.05},
      net: {rxBps: 2000, txBps: 4000, activeRatio: 1},
    },
    {
      why: 'a VM new in the current snapshot gets zero rates',
      vm: 'fresh',
      cpu: {usedRatio: 0, blockedRatio: 0},
      net: {rxBps: 0, txBps: 0, activeRatio: 0},
    },
  ]
  for (const {why, vm, cpu, net} of vmCases) {
    it(`${vm}: ${why}`, () => {
      const got = vmNamed(vm)
      assert.deepEqual(got.cpu, cpu)
      assert.deepEqual(got.net, net)
    })
  }

  it('copies identity, placement and the VF pool from the current snapshot', () => {
    assert.deepEqual(vmNamed('web1'), {
      name: 'web1', id: 'id-web1', uuid: 'uuid-web1', vcpus: 2, memoryMiB: 2048,
      cpu: {usedRatio: 0.4, blockedRatio: 0.25},
      net: {rxBps: 1024, txBps: 512, activeRatio: 0.7},
      path: 'vf', vf: VF0,
    })
    assert.deepEqual(document.hosts.map((h) => [h.name, h.vms.map((v) => v.name)]), [
      ['h1', ['web1', 'db1', 'reset']],
      ['h2', ['mover', 'fresh']],
    ])
    assert.deepEqual(hostNamed('h1').vfs, {total: 4, free: [VF1]})
    assert.deepEqual(hostNamed('h1').memoryMiB, {total: 65_536, free: 40_960})
  })

  it('activeRatio fallback is 1 when both directions exceed 128 B/s', () => {
    const before = snapshot(T0, [rawHost('h', 0, 0, [rawVm('v', counters(0, 0, 0, 0))])])
    const after = snapshot(T10, [rawHost('h', 0, 0, [rawVm('v', counters(0, 0, 1290, 1290))])])
    // 1290 B / 10 s = 129 B/s each way: > 128, active.
    assert.deepEqual(toDocument(before, after).hosts[0].vms[0].net, {rxBps: 129, txBps: 129, activeRatio: 1})
  })

  it('does not share arrays or objects with the snapshot', () => {
    const result = toDocument(previous, current)
    result.hosts[0].vfs.free.push('0000:03:10.3')
    result.hosts[0].memoryMiB.free = 0
    assert.deepEqual(current.hosts[0].vfs.free, [VF1])
    assert.equal(current.hosts[0].memoryMiB.free, 40_960)
  })

  it('a VM whose CPU counter went back (a new QEMU after migration) gets no rates this once, never a jump', () => {
    const before = snapshot(T0, [rawHost('h1', 0, 0, [rawVm('web', counters(500, 1_000_000, 9e9, 9e9))])])
    const after = snapshot(T10, [rawHost('h1', 0, 0, [rawVm('web', counters(0.4, 1_000_300, 1e3, 2e3))])])
    const vm = toDocument(before, after).hosts[0].vms[0]
    assert.deepEqual(vm.cpu, {usedRatio: 0, blockedRatio: 0})
    assert.equal(vm.net.rxBps, 0)
    assert.equal(vm.net.txBps, 0)
  })

  it('traffic counted on another basis than before (a VF came, a guest agent stopped) gets no traffic rates this once; CPU still has its own', () => {
    const on = (basis: string, rx: number) => ({...counters(100, 10, rx, rx), basis})
    const before = snapshot(T0, [rawHost('h1', 0, 0, [rawVm('web', on('vif', 1_000))])])
    // The VF's counters run on from its earlier owners: 9e12 bytes that this VM never moved.
    const after = snapshot(T10, [rawHost('h1', 0, 0, [rawVm('web', on('vif+vf 0000:03:10.1', 9e12), VF0)])])
    const vm = toDocument(before, after).hosts[0].vms[0]
    assert.deepEqual(vm.net, {rxBps: 0, txBps: 0, activeRatio: 0})
    const steady = snapshot('2024-01-01T00:00:20.000Z', [rawHost('h1', 0, 0, [rawVm('web', {...on('vif+vf 0000:03:10.1', 9e12 + 10_000), cpuSeconds: 105}, VF0)])])
    const next = toDocument(after, steady).hosts[0].vms[0]
    assert.deepEqual([next.net.rxBps, next.cpu.usedRatio], [1000, 0.5])
  })

  it('utilisationOf maps host names to utilisation', () => {
    assert.deepEqual({...utilisationOf(document)}, {h1: 0.5, h2: 0.4})
  })

  it('a host new since the previous sample has no rates yet: it is missing, never given rates of 0 that make it look idle', () => {
    assert.equal(hostNamed('h3'), undefined)
    assert.deepEqual(document.missing, [{
      host: 'h3',
      reason: 'it answered, but the start of the window has no readings of it to take rates from (rates from the next sample); no earlier sample of it is known: no decision about h3 or its VMs',
    }])
  })
})

describe('the PV backend\'s CPU, per host', () => {
  const T20 = '2024-01-01T00:00:20.000Z'
  const withBackend = (at: string, cpuSeconds: number) =>
    snapshot(at, [{...rawHost('h', 0, 0, []), backend: {cpuSeconds, cores: 8, includes: "all of Domain-0's CPU"}}])

  it('is the backend CPU time over the window, in cores, with what it counts', () => {
    const result = toDocument(withBackend(T0, 100), withBackend(T10, 125))
    assert.deepEqual(result.hosts[0].backend, {busyCores: 2.5, cores: 8, includes: "all of Domain-0's CPU"})
    parseDocument(result, 'test')
  })

  it('is absent when a reading lacks it, or its counter went back (a restart): never a negative or made-up figure', () => {
    assert.equal(toDocument(snapshot(T0, [rawHost('h', 0, 0, [])]), withBackend(T10, 125)).hosts[0].backend, undefined)
    assert.equal(toDocument(withBackend(T10, 125), withBackend(T20, 3)).hosts[0].backend, undefined)
  })
})

describe('the port counter basis, per host', () => {
  const T20 = '2024-01-01T00:00:20.000Z'
  // A lab host counted as the sum of its VMs: each VM's part, and the sum, as readHostPort reports them.
  const summed = (name: string, vms: RawVm[]): RawHost => ({
    ...rawHost(name, vms.reduce((sum, vm) => sum + vm.counters.rxBytes, 0), vms.reduce((sum, vm) => sum + vm.counters.txBytes, 0), vms),
    nic: {
      device: 'lab0',
      speedMbps: 1000,
      rxBytes: vms.reduce((sum, vm) => sum + vm.counters.rxBytes, 0),
      txBytes: vms.reduce((sum, vm) => sum + vm.counters.txBytes, 0),
      basis: 'vms',
      parts: vms.map((vm) => ({id: vm.uuid, rxBytes: vm.counters.rxBytes, txBytes: vm.counters.txBytes, ...(vm.counters.basis ? {basis: vm.counters.basis} : {})})),
    },
  })
  const pf = (name: string, rxBytes: number, txBytes: number, vms: RawVm[]): RawHost => {
    const host = rawHost(name, rxBytes, txBytes, vms)
    return {...host, nic: {...host.nic, basis: 'pf'}}
  }

  it('port.counters changed from pf to vms: the host is missing for a cycle with the reason, never a 5154 % sample', () => {
    // The PF had carried 6.4e12 B; the VMs' sum starts from their own counters: no rate between the two.
    const vms = [rawVm('a', counters(1, 0, 1e9, 1e9))]
    const first = snapshot(T0, [pf('lab', 6.4e12, 6.4e12, vms), pf('other', 0, 0, [])])
    const second = snapshot(T10, [summed('lab', [rawVm('a', counters(2, 0, 1e9 + 5e6, 1e9 + 5e6))]), pf('other', 1e7, 1e7, [])])
    const changed = toDocument(first, second)
    assert.deepEqual(changed.hosts.map((host) => host.name), ['other'])
    assert.equal(changed.missing?.[0].host, 'lab')
    assert.match(changed.missing?.[0].reason ?? '', /^its port counters changed basis \(pf-only -> vms: port\.counters changed in the configuration\), and no rate can be taken between two different counters \(rates from the next sample\); its last sample is 10 s old: no decision about lab or its VMs$/)
    // The next cycle is of one basis again: rates as usual (5e6 B over 10 s each way on a 1 GbE port).
    const third = snapshot(T20, [summed('lab', [rawVm('a', counters(3, 0, 1e9 + 10e6, 1e9 + 10e6))]), pf('other', 2e7, 2e7, [])])
    const next = toDocument(second, third)
    assert.deepEqual(next.hosts.find((host) => host.name === 'lab')?.nic, {device: 'lab0', speedMbps: 1000, rxBps: 5e5, txBps: 5e5, utilisation: 0.008})
    assert.equal(next.missing, undefined)
  })

  it('and back from vms to pf, the same', () => {
    const vms = [rawVm('a', counters(1, 0, 1e9, 1e9))]
    const result = toDocument(snapshot(T0, [summed('lab', vms)]), snapshot(T10, [pf('lab', 6.4e12, 6.4e12, vms)]))
    assert.deepEqual(result.hosts, [])
    assert.match(result.missing?.[0].reason ?? '', /changed basis \(vms -> pf-only: port\.counters changed in the configuration/)
  })

  it('a sample from before the basis was recorded counts as pf: no missing cycle after an upgrade', () => {
    const result = toDocument(snapshot(T0, [rawHost('h', 0, 0, [])]), snapshot(T10, [pf('h', 1e7, 0, [])]))
    assert.equal(result.hosts[0].nic.rxBps, 1e6)
  })

  it('a host whose basis changed with what it could read (ethtool installed): no rate across, a neutral reason; the document says the basis and why', () => {
    const read = (name: string, rxBytes: number, txBytes: number, basis: 'pf-only' | 'port-counters', basisWhy: string): RawHost => {
      const host = rawHost(name, rxBytes, txBytes, [])
      return {...host, nic: {...host.nic, basis, basisWhy}}
    }
    const why = 'mlx5_core port counters rx_bytes_phy/tx_bytes_phy from ethtool -S'
    const before = snapshot(T0, [pf('h', 1e9, 1e9, [])])
    const after = snapshot(T10, [read('h', 5e12, 5e12, 'port-counters', why)])
    const changed = toDocument(before, after)
    assert.deepEqual(changed.hosts, [])
    assert.match(changed.missing?.[0].reason ?? '', new RegExp(`^its port counters changed basis \\(pf-only -> port-counters: now: ${why}\\), and no rate`))
    assert.doesNotMatch(changed.missing?.[0].reason ?? '', /configuration/)
    const next = toDocument(after, snapshot(T20, [read('h', 5e12 + 1e7, 5e12, 'port-counters', why)]))
    assert.deepEqual(next.hosts[0].nic, {device: 'p5p1', speedMbps: 10_000, rxBps: 1e6, txBps: 0, utilisation: 0.0008, basis: 'port-counters', basisWhy: why})
  })

  it('counters "vms": a VM that leaves does not make the port read 0 while the others keep sending', () => {
    // b (1e12 B sent so far) migrates away; a keeps sending 1e7 B per 10 s. The sum drops by 1e12:
    // differencing sums reads 0 (a drop clamped); the VMs' own deltas say 1e6 B/s.
    const before = snapshot(T0, [summed('lab', [rawVm('a', counters(1, 0, 0, 1e9)), rawVm('b', counters(1, 0, 0, 1e12))])])
    const after = snapshot(T10, [summed('lab', [rawVm('a', counters(2, 0, 0, 1e9 + 1e7))])])
    const result = toDocument(before, after)
    assert.deepEqual(result.hosts[0].nic, {device: 'lab0', speedMbps: 1000, rxBps: 0, txBps: 1e6, utilisation: 0.008})
  })

  it('counters "vms": a VM that arrives with its history is not read as a burst, nor one whose counters changed basis', () => {
    const before = snapshot(T0, [summed('lab', [rawVm('a', counters(1, 0, 0, 1e9)), rawVm('c', {...counters(1, 0, 0, 5e9), basis: 'vif'})])])
    const after = snapshot(T10, [
      summed('lab', [
        rawVm('a', counters(2, 0, 0, 1e9 + 1e7)),
        // A VF came: its counters run on from other owners; no delta across the switch.
        rawVm('c', {...counters(2, 0, 0, 9e11), basis: 'vif+vf 0000:03:10.1'}),
        // New here (migrated in, or booted): 1e12 B counted elsewhere before.
        rawVm('d', counters(2, 0, 0, 1e12)),
      ]),
    ])
    assert.equal(toDocument(before, after).hosts[0].nic.txBps, 1e6)
  })
})

describe('readings beyond what a document may claim', () => {
  it('a port counter that jumped by 1e15 bytes in 10 s leaves the host out for the cycle, naming the field and the limit', () => {
    const before = snapshot(T0, [rawHost('g', 0, 0, [rawVm('g1', counters(1, 0, 0, 0))]), rawHost('ok', 0, 0, [])])
    const after = snapshot(T10, [rawHost('g', 1e15, 0, [rawVm('g1', counters(2, 0, 0, 0))]), rawHost('ok', 1e6, 1e6, [])])
    const result = toDocument(before, after)
    assert.deepEqual(result.hosts.map((h) => h.name), ['ok'])
    assert.equal(result.missing?.length, 1)
    assert.equal(result.missing?.[0].host, 'g')
    assert.match(result.missing?.[0].reason ?? '', /^its readings are beyond what a document may claim \(nic\.rxBps: expected a number from 0 to 1\.25e12 \(10 Tbit\/s\), got number 100000000000000\): a counter glitch/)
    assert.equal(result.missing?.[0].lastSampleAt, T0)
    assert.doesNotThrow(() => parseDocument(JSON.parse(JSON.stringify(result)), 'test'))
  })

  it('so does a VM whose counters jumped beyond 10 Tbit/s', () => {
    const before = snapshot(T0, [rawHost('g', 0, 0, [rawVm('g1', counters(1, 0, 0, 0))])])
    const after = snapshot(T10, [rawHost('g', 0, 0, [rawVm('g1', counters(2, 0, 0, 2e14))])])
    const result = toDocument(before, after)
    assert.deepEqual(result.hosts, [])
    assert.match(result.missing?.[0].reason ?? '', /\(vms\[0\]\.net\.txBps: expected a number from 0 to 1\.25e12 \(10 Tbit\/s\), got number 20000000000000\)/)
  })
})

describe('unusablePrevious', () => {
  const now = snapshot('2024-01-01T01:00:00.000Z', [])
  const cases: {why: string; previous: RawSnapshot | undefined; reason: string | undefined}[] = [
    {why: 'none', previous: undefined, reason: 'no previous sample'},
    {why: 'another cluster', previous: snapshot('2024-01-01T00:59:50.000Z', [], 'prod'), reason: 'previous sample is of another cluster'},
    {why: 'the same time', previous: snapshot('2024-01-01T01:00:00.000Z', []), reason: 'previous sample is not older than this one'},
    {why: 'newer', previous: snapshot('2024-01-01T01:00:05.000Z', []), reason: 'previous sample is not older than this one'},
    {why: '10 s old', previous: snapshot('2024-01-01T00:59:50.000Z', []), reason: undefined},
    {why: 'exactly the 600 s limit', previous: snapshot('2024-01-01T00:50:00.000Z', []), reason: undefined},
    {why: '601 s old', previous: snapshot('2024-01-01T00:49:59.000Z', []), reason: 'previous sample is 601 s old'},
    {why: 'an hour old', previous: snapshot('2024-01-01T00:00:00.000Z', []), reason: 'previous sample is 3600 s old'},
  ]
  for (const {why, previous: before, reason} of cases) {
    it(`${why} -> ${reason ?? 'usable'}`, () => assert.equal(unusablePrevious(before, now), reason))
  }

  it('the limit is 600 s', () => assert.equal(MAX_RATE_WINDOW_SECONDS, 600))
})

describe('placementOf', () => {
  it('gives where everything is now, with zero rates', () => {
    const hosts = placementOf(current)
    assert.deepEqual(
      hosts.map((h) => ({name: h.name, nic: h.nic, free: h.vfs.free, vms: h.vms.map((v) => [v.name, v.path, v.vf, v.cpu, v.net])})),
      [
        {
          name: 'h1',
          nic: {device: 'p5p1', speedMbps: 10_000, rxBps: 0, txBps: 0, utilisation: 0},
          free: [VF1],
          vms: [
            ['web1', 'vf', VF0, {usedRatio: 0, blockedRatio: 0}, {rxBps: 0, txBps: 0, activeRatio: 0}],
            ['db1', 'pv', null, {usedRatio: 0, blockedRatio: 0}, {rxBps: 0, txBps: 0, activeRatio: 0}],
            ['reset', 'pv', null, {usedRatio: 0, blockedRatio: 0}, {rxBps: 0, txBps: 0, activeRatio: 0}],
          ],
        },
        {
          name: 'h2',
          nic: {device: 'p5p1', speedMbps: 10_000, rxBps: 0, txBps: 0, utilisation: 0},
          free: [],
          vms: [
            ['mover', 'pv', null, {usedRatio: 0, blockedRatio: 0}, {rxBps: 0, txBps: 0, activeRatio: 0}],
            ['fresh', 'pv', null, {usedRatio: 0, blockedRatio: 0}, {rxBps: 0, txBps: 0, activeRatio: 0}],
          ],
        },
        {name: 'h3', nic: {device: 'p5p1', speedMbps: 10_000, rxBps: 0, txBps: 0, utilisation: 0}, free: [], vms: []},
      ],
    )
  })
})
