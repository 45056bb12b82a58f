// The simulator's physics against hand-computed cases: a saturated port, a saturated PV backend,
// a migration's duration and port load, response times; small clusters come from scenario files.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {type SimCluster, findHost, findVm} from '../../src/lib/backends/sim/cluster.js'
import {advance, attachVf, migrate, migrationPlan, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {parseScenarioFile} from '../../src/lib/backends/sim/scenario-file.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {allocateHost, backendCapacityMbps, backendCoresFor, pathCapMbps, portUsableMbps, responseTimeMs} from '../../src/lib/backends/sim/step.js'
import {checkInvariants} from '../../src/lib/invariants.js'

const MBIT = 125_000

type VmSpec = {name: string; host?: string; vf?: boolean; rx?: number; tx?: number; cpu?: number; vcpus?: number; memoryMiB?: number; requestKiB?: number}

/** A hand-made cluster: constant demand (no jitter, no wave), hosts of 10 GbE with 8 VFs. */
function cluster(vms: VmSpec[], hosts: Array<{name: string; backendCores?: number}> = [{name: 'h1'}]): SimCluster {
  return parseScenarioFile(
    {
      hosts: hosts.map((h) => ({vfs: 8, ...h})),
      vms: vms.map((vm) => ({
        name: vm.name,
        host: vm.host ?? hosts[0].name,
        vcpus: vm.vcpus ?? 2,
        memoryMiB: vm.memoryMiB ?? 2048,
        vf: vm.vf ?? false,
        demand: {rxMbps: vm.rx ?? 0, txMbps: vm.tx ?? 0, cpuCores: vm.cpu ?? 0.1, ...(vm.requestKiB ? {requestKiB: vm.requestKiB} : {})},
      })),
    },
    'test.json',
    1,
  )
}

/** Delivered Mbit/s of a VM per direction over `seconds` from `c`. */
function rates(c: SimCluster, seconds: number): Record<string, {rx: number; tx: number}> {
  const end = advance(c, seconds)
  return Object.fromEntries(
    end.vms.map((vm) => {
      const before = findVm(c, vm.name)!.counters
      return [vm.name, {rx: (vm.counters.rxBytes - before.rxBytes) / MBIT / seconds, tx: (vm.counters.txBytes - before.txBytes) / MBIT / seconds}]
    }),
  )
}

const close = (actual: number, expected: number, what: string, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`)

describe('sim physics: the port', () => {
  it('three VF VMs offering 5000 Mbit/s tx on one 10 GbE port get 9400/3 each; the host-seconds count hot', () => {
    const c = cluster([1, 2, 3].map((i) => ({name: `vm${i}`, vf: true, tx: 5000})))
    const got = rates(c, 10)
    for (const name of ['vm1', 'vm2', 'vm3']) close(got[name].tx, 9400 / 3, name)
    const end = advance(c, 10)
    close(end.metrics.offeredMbit, 3 * 5000 * 10, 'offered')
    close(end.metrics.deliveredMbit, 9400 * 10, 'delivered')
    assert.equal(end.metrics.hostSecondsHot, 10, 'utilisation 0.94 > 0.9 for 10 s')
    assert.equal(end.metrics.backendCoreSeconds, 0, 'VF traffic costs no backend CPU')
    close(allocateHost(end, end.hosts[0], 10).utilisation, 0.94, 'utilisation')
  })

  it('a port below 90 % is not hot; small demands are met in full (max-min fair share)', () => {
    const c = cluster([{name: 'big', vf: true, tx: 8000}, {name: 'small', vf: true, tx: 1000}, {name: 'mid', vf: true, tx: 3000}])
    const got = rates(c, 5)
    close(got.small.tx, 1000, 'small')
    close(got.mid.tx, 3000, 'mid')
    close(got.big.tx, 9400 - 4000, 'big gets the rest')
    const calm = cluster([{name: 'a', vf: true, tx: 4000}, {name: 'b', vf: true, rx: 8900}])
    assert.equal(advance(calm, 10).metrics.hostSecondsHot, 0, 'rx 0.89, tx 0.4: busier direction below 0.9')
  })

  it('helpers: usable port rate, path caps', () => {
    const c = cluster([{name: 'v', vf: true}, {name: 'p'}])
    const host = c.hosts[0]
    close(portUsableMbps(c, host), 9400, 'usable')
    close(pathCapMbps(c, host, findVm(c, 'v')!), 9400, 'VF cap')
    close(pathCapMbps(c, host, findVm(c, 'p')!), 9400 / 3.8, 'PV cap')
  })
})

describe('sim physics: the PV backend CPU', () => {
  it('PV VMs that want more than the backend carries get a fair share of it while the port has room', () => {
    // 4 cores / 0.55 cores per Gbit/s = 7272.7 Mbit/s of PV traffic (rx+tx); four VMs want 2000 each.
    const c = cluster([1, 2, 3, 4].map((i) => ({name: `pv${i}`, rx: 1000, tx: 1000})))
    const capacity = (4 / 0.55) * 1000
    close(backendCapacityMbps(c, c.hosts[0]), capacity, 'capacity')
    const got = rates(c, 10)
    for (const name of ['pv1', 'pv2', 'pv3', 'pv4']) {
      close(got[name].rx, capacity / 8, `${name} rx`)
      close(got[name].tx, capacity / 8, `${name} tx`)
    }
    const end = advance(c, 10)
    close(end.metrics.backendCoreSeconds, 4 * 10, 'the backend is saturated: 4 cores for 10 s')
    assert.equal(end.metrics.hostSecondsHot, 0, 'the port is far from hot (tx 3636 of 10000)')
    close(backendCoresFor(c, capacity), 4, 'backendCoresFor')
  })

  it('moving one PV VM to a VF frees backend CPU for the others', () => {
    const c = cluster([1, 2, 3, 4].map((i) => ({name: `pv${i}`, rx: 1000, tx: 1000})))
    const {cluster: moved, result} = attachVf(c, 'h1', 'pv1', c.hosts[0].vfPool[0])
    assert.ok(result.ok)
    const got = rates(moved, 10)
    for (const name of ['pv1', 'pv2', 'pv3', 'pv4']) close(got[name].tx, 1000, `${name} served in full`)
    const end = advance(moved, 10)
    close(end.metrics.backendCoreSeconds - moved.metrics.backendCoreSeconds, 6 * 0.55 * 10, '3 PV VMs × 2 Gbit/s × 0.55')
    assert.equal(moved.metrics.vfSwitches, 1)
  })

  it('a host with fewer backend cores saturates sooner', () => {
    const c = cluster([{name: 'a', rx: 1000, tx: 1000}], [{name: 'h1', backendCores: 0.55}])
    close(rates(c, 4).a.tx, 500, '0.55 cores carry 1000 Mbit/s rx+tx')
  })
})

describe('sim physics: migration', () => {
  it('pre-copy time = memory / free bandwidth × (1 + dirty factor); downtime from the dirty factor; both ports carry the stream', () => {
    // m: 4096 MiB, 2 vCPUs, 1 core busy -> load 0.5 -> dirty = 0.1 + 0.4 · 0.5 = 0.3,
    //    downtime = 60 + 150 · (0.2 / 0.4) = 135 ms.
    // Source tx: m offers 1000 (PV), other 4000 (VF); a new stream's fair share of 9400 is
    //    9400 − 1000 − 4000 = 4400 Mbit/s; the target's rx is empty: 9400. Stream = 4400 Mbit/s.
    // Pre-copy = 4096 · 8.388608 Mbit / 4400 Mbit/s · 1.3 = 10.1517 s -> 10152 ms.
    const c = cluster(
      [
        {name: 'm', tx: 1000, cpu: 1, memoryMiB: 4096},
        {name: 'other', vf: true, tx: 4000},
      ],
      [{name: 'src'}, {name: 'dst'}],
    )
    const plan = migrationPlan(c, findVm(c, 'm')!, findHost(c, 'src')!, findHost(c, 'dst')!)
    assert.deepEqual(plan, {mbps: 4400, precopyMs: 10152, downtimeMs: 135})
    const t = migrate(c, 'm', 'src', 'dst')
    assert.deepEqual(t.result, {ok: true, durationMs: 10152 + 135})
    assert.equal(t.cluster.metrics.migrations, 1)
    const stream = 4400 * MBIT * (10.152 + 0.135)
    const vmBytes = (host: string, key: 'rxBytes' | 'txBytes') =>
      t.cluster.vms.filter((vm) => vm.name === 'm' ? host === 'src' : vm.host === host).reduce((sum, vm) => sum + vm.counters[key], 0)
    close(findHost(t.cluster, 'src')!.port.txBytes - vmBytes('src', 'txBytes'), stream, 'source tx carries the stream')
    close(findHost(t.cluster, 'dst')!.port.rxBytes - vmBytes('dst', 'rxBytes'), stream, 'target rx carries the stream')
    close(findVm(t.cluster, 'm')!.counters.txBytes, 1000 * MBIT * 10.152, 'm sends until paused')
    close(findVm(t.cluster, 'other')!.counters.txBytes, 4000 * MBIT * 10.287, 'the other VM keeps its share')
    // Offered counts the paused VM, delivered does not; its paused requests wait the downtime.
    close(t.cluster.metrics.offeredMbit, (1000 + 4000) * 10.287, 'offered')
    close(t.cluster.metrics.deliveredMbit, 1000 * 10.152 + 4000 * 10.287, 'delivered')
  })

  it('a paused VM\'s requests see the stop-and-copy pause', () => {
    const c = cluster([{name: 'm', tx: 1000, cpu: 2, memoryMiB: 1024}], [{name: 'a'}, {name: 'b'}])
    const t = migrate(c, 'm', 'a', 'b')
    const hist = t.cluster.metrics.responseHistogram
    const slowest = hist.findLastIndex((n) => n > 0)
    const fastest = hist.findIndex((n) => n > 0)
    assert.ok(slowest > fastest, 'two groups of response times')
    const meanPaused = t.cluster.metrics.responseMsSum / t.cluster.metrics.requests
    assert.ok(meanPaused > 0.15, `the pause (210 ms for a fully busy VM) raises the mean: ${meanPaused}`)
  })
})

describe('sim physics: response time', () => {
  it('matches the formula by hand: base + S / (1 − ρ)', () => {
    // VF, 32 KiB requests, alone on the port offering 940 tx: ρ = 940 / 9400 = 0.1,
    // S = 32 · 8192 bit / 9400 Mbit/s = 0.027887 ms; R = 0.05 + 0.027887 / 0.9 = 0.080986 ms.
    const c = cluster([{name: 'v', vf: true, tx: 940, requestKiB: 32}])
    const flow = allocateHost(c, c.hosts[0], 0).flows[0]
    close(flow.rho, 0.1, 'rho')
    close(flow.responseMs, 0.05 + (32 * 8.192) / 9400 / 0.9, 'R', 1e-9)
    close(flow.requestsPerS, (940 * 1e6) / (32 * 8192), 'requests/s')
    const end = advance(c, 10)
    close(end.metrics.responseMsSum / end.metrics.requests, flow.responseMs, 'mean response')
  })

  it('is lower on a VF than on PV at the same load, and higher when demand is not met', () => {
    const vf = cluster([{name: 'v', vf: true, tx: 1000, rx: 300}])
    const pv = cluster([{name: 'v', tx: 1000, rx: 300}])
    const r = (c: SimCluster) => allocateHost(c, c.hosts[0], 0).flows[0].responseMs
    assert.ok(r(vf) < r(pv), `${r(vf)} < ${r(pv)}`)
    const over = cluster([{name: 'v', tx: 3000}]) // above the PV cap: requests queue
    assert.ok(r(over) > r(pv) * 10, `${r(over)} vs ${r(pv)}`)
    const vm = findVm(vf, 'v')!
    assert.ok(responseTimeMs(vf, vm, 9400, 0.5, 100, 50) === 2 * responseTimeMs(vf, vm, 9400, 0.5, 100, 100), 'offered/delivered multiplies')
  })

  it('rises as the port nears saturation', () => {
    let previous = 0
    for (const load of [1000, 5000, 8000, 9000, 9300]) {
      const c = cluster([{name: 'web', vf: true, tx: 100}, {name: 'bulk', vf: true, tx: load}])
      const web = allocateHost(c, c.hosts[0], 0).flows[0]
      assert.ok(web.responseMs > previous, `${load}: ${web.responseMs} > ${previous}`)
      previous = web.responseMs
    }
  })
})

describe('sim physics: an oracle may rearrange a clone every second', () => {
  it('setting path, VF and host directly, then advance(1): metrics accumulate, invariants hold', () => {
    let c = advance(buildScenario('paper', 1), 60)
    const names = new Set(c.vms.map((vm) => vm.name))
    const start = structuredClone(c.metrics)
    for (let second = 0; second < 20; second++) {
      const next = structuredClone(c)
      // Give host1's VFs to its bulk VMs, and move cpu1 away (off its VF) half way.
      const host1 = findHost(next, 'host1')!
      for (const vm of next.vms.filter((v) => v.host === 'host1')) {
        vm.vf = null
        vm.path = 'pv'
      }
      for (const [i, vm] of next.vms.filter((v) => v.host === 'host1' && v.kind === 'bulk').entries()) {
        vm.vf = host1.vfPool[i]
        vm.path = 'vf'
      }
      if (second >= 10) findVm(next, 'cpu1')!.host = 'host3'
      c = advance(next, 1)
      assert.deepEqual(checkInvariants(toSnapshot(c), names), [], `second ${second}`)
    }
    assert.ok(c.metrics.offeredMbit > start.offeredMbit && c.metrics.deliveredMbit > start.deliveredMbit)
    assert.ok(c.metrics.requests > start.requests)
    assert.equal(c.metrics.migrations, 0, 'direct edits are not counted as actions')
    assert.equal(findVm(c, 'cpu1')!.host, 'host3')
  })
})
