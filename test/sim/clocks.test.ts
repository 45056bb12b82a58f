// Each simulated host runs on its own clock: actions on different hosts overlap in simulated time,
// actions on one host queue on its clock, a migration brings its two hosts to one clock, the loop's
// wait brings every host to one instant after the latest, and an action costs its hosts' VMs only.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {SIM_SAMPLE_SECONDS, SimBackend, readSimCluster, resetSim, setSimFaults} from '../../src/lib/backends/sim/backend.js'
import {type SimCluster, findHost, findVm, hostClockMs} from '../../src/lib/backends/sim/cluster.js'
import type {SimMetrics} from '../../src/lib/backends/sim/metrics.js'
import {advance, attachVf, detachVf, migrate, migrationPlan, simUuid, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {integrateInPlace} from '../../src/lib/backends/sim/step.js'
import {Store} from '../../src/lib/store/store.js'

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

const clocks = (c: SimCluster) => Object.fromEntries(c.hosts.map((host) => [host.name, hostClockMs(c, host)]))
const ref = (c: SimCluster, name: string) => ({name, uuid: simUuid(findVm(c, name)!.index)})
/** A VF holder on `host` of `c` and its VF. */
function holderOn(c: SimCluster, host: string): {name: string; vf: string} {
  const vm = c.vms.find((candidate) => candidate.host === host && candidate.vf !== null)
  assert.ok(vm, `a VF holder on ${host}`)
  return {name: vm.name, vf: vm.vf as string}
}
const msOf = (at: string) => Date.parse(at) - Date.parse('2026-01-01T00:00:00.000Z')

describe('per-host clocks', () => {
  it('two VF switches on different hosts take the longer of their times before the next sample; on one host, the sum', async () => {
    const store = Store.openInMemory()
    try {
      const start = advance(buildScenario('paper', 1), 30)
      const detachMs = start.physics.detachMs
      const attachMs = start.physics.attachMs
      const sampleAfter = async (actions: (backend: SimBackend, c: SimCluster) => Promise<void>) => {
        resetSim(store, start)
        const backend = new SimBackend(store)
        await actions(backend, start)
        await backend.nextSample()
        return msOf((await backend.snapshot()).at)
      }
      const h1 = holderOn(start, 'host1')
      const h2 = holderOn(start, 'host2')
      const second = start.vms.find((vm) => vm.host === 'host1' && vm.vf !== null && vm.name !== h1.name)
      assert.ok(second)
      const apart = await sampleAfter(async (backend, c) => {
        assert.ok((await backend.detachVf('host1', ref(c, h1.name), h1.vf)).ok)
        assert.ok((await backend.detachVf('host2', ref(c, h2.name), h2.vf)).ok)
        assert.ok((await backend.attachVf('host2', ref(c, h2.name), h2.vf)).ok)
      })
      const together = await sampleAfter(async (backend, c) => {
        assert.ok((await backend.detachVf('host1', ref(c, h1.name), h1.vf)).ok)
        assert.ok((await backend.detachVf('host1', ref(c, second.name), second.vf as string)).ok)
        assert.ok((await backend.attachVf('host1', ref(c, h1.name), h1.vf)).ok)
      })
      const period = SIM_SAMPLE_SECONDS * 1000
      // host1: 0.5 s; host2: 0.5 + 1.5 s, at the same time: the sample waits for the slower host.
      assert.equal(apart, start.timeMs + Math.max(detachMs, detachMs + attachMs) + period)
      // All three on host1: they queue on its clock.
      assert.equal(together, start.timeMs + detachMs + detachMs + attachMs + period)
      const none = await sampleAfter(async () => {})
      assert.equal(none, start.timeMs + period)
    } finally {
      store.close()
    }
  })

  it('a full snapshot reads every host at one instant; a live one reads its hosts at their own clocks', async () => {
    const store = Store.openInMemory()
    try {
      const start = advance(buildScenario('paper', 1), 30)
      resetSim(store, start)
      const backend = new SimBackend(store)
      const h1 = holderOn(start, 'host1')
      assert.ok((await backend.detachVf('host1', ref(start, h1.name), h1.vf)).ok)
      assert.equal(msOf((await backend.liveSnapshot(['host2'])).at), start.timeMs, 'host2 has not moved')
      assert.equal(msOf((await backend.liveSnapshot(['host1', 'host2'])).at), start.timeMs + start.physics.detachMs, 'the later of the two')
      assert.equal(msOf(await backend.now()), start.timeMs + start.physics.detachMs, 'now: by when every action ended')
      const stored = readSimCluster(store)
      const full = await backend.snapshot()
      assert.equal(msOf(full.at), start.timeMs + start.physics.detachMs)
      assert.equal(readSimCluster(store), stored, 'reading changed nothing')
      // Every host read as it is at that instant: as the next wait passes through it.
      const synced = advance(stored, 0)
      assert.deepEqual(new Set(Object.values(clocks(synced))), new Set([start.timeMs + start.physics.detachMs]), 'every host at one clock')
      assert.deepEqual(full.hosts, toSnapshot(synced).hosts)
      const host2At = (c: SimCluster) => findHost(c, 'host2')!.port.rxBytes
      assert.ok(host2At(synced) > host2At(stored), 'host2 read half a second on')
      await backend.wait(1)
      const later = readSimCluster(store)
      assert.ok(host2At(later) > host2At(synced))
    } finally {
      store.close()
    }
  })

  it('a migration brings source and target to the later clock first, and its stream loads both ports', () => {
    const start = advance(buildScenario('paper', 1), 30)
    const h1 = holderOn(start, 'host1')
    const busy = detachVf(start, 'host1', h1.name, h1.vf).cluster // host1 is 0.5 s ahead
    const mover = busy.vms.find((vm) => vm.host === 'host1' && vm.vf === null && vm.name !== h1.name)
    assert.ok(mover)
    const t = migrate(busy, mover.name, 'host1', 'host3')
    assert.ok(t.result.ok, JSON.stringify(t.result))
    const end = start.timeMs + start.physics.detachMs + t.result.durationMs
    assert.deepEqual(clocks(t.cluster), {...clocks(start), host1: end, host3: end}, 'both hosts end together; host2 stays')
    // The stream: what a port carried beyond the traffic of the VMs on it during the migration (the
    // mover's on the source, where it ran until the end).
    const before = advance(busy, 0) // host3 brought to host1's clock, as the migration does first
    const onDuring = (host: string) => before.vms.filter((vm) => vm.host === host).map((vm) => vm.name)
    const beyondVms = (host: string, dir: 'rxBytes' | 'txBytes') => {
      const port = (c: SimCluster) => findHost(c, host)!.port[dir]
      const vms = (c: SimCluster) => onDuring(host).reduce((sum, name) => sum + findVm(c, name)!.counters[dir], 0)
      return port(t.cluster) - port(before) - (vms(t.cluster) - vms(before))
    }
    const plan = migrationPlan(before, findVm(before, mover.name)!, findHost(before, 'host1')!, findHost(before, 'host3')!)
    assert.equal(t.result.durationMs, plan.precopyMs + plan.downtimeMs)
    const streamBytes = (plan.mbps * 125_000 * t.result.durationMs) / 1000
    const sent = beyondVms('host1', 'txBytes')
    const received = beyondVms('host3', 'rxBytes')
    assert.ok(streamBytes > 1e8)
    assert.ok(Math.abs(sent - streamBytes) <= 1e-6 * streamBytes, `source tx beyond its VMs: ${sent} vs stream ${streamBytes}`)
    assert.ok(Math.abs(received - streamBytes) <= 1e-6 * streamBytes, `target rx beyond its VMs: ${received} vs stream ${streamBytes}`)
    assert.ok(Math.abs(beyondVms('host1', 'rxBytes')) <= 1e-6 * streamBytes && Math.abs(beyondVms('host3', 'txBytes')) <= 1e-6 * streamBytes, 'the other directions carry the VMs only')
    assert.equal(t.cluster.metrics.migrations, start.metrics.migrations + 1)
  })

  it('the scoring window stops each host\'s scoreboard exactly at its end, whatever its clock; actions count by their host\'s clock', () => {
    const start = buildScenario('paper', 2)
    const windowMs = 1200
    const exact = structuredClone(start)
    integrateInPlace(exact, windowMs)
    const h1 = holderOn(start, 'host1')
    const h2 = holderOn(start, 'host2')
    let c: SimCluster = {...structuredClone(start), scoreUntilMs: windowMs}
    // host1: a detach ends at 0.5 s (in the window, counted), an attach at 2.0 s (after it, not counted).
    c = detachVf(c, 'host1', h1.name, h1.vf).cluster
    c = attachVf(c, 'host1', h1.name, h1.vf).cluster
    assert.equal(c.metrics.vfSwitches, 1)
    // host2 is still at 0: its detach ends at 0.5 s, inside the window, though host1 is past it.
    c = detachVf(c, 'host2', h2.name, h2.vf).cluster
    assert.equal(c.metrics.vfSwitches, 2, 'counted by host2\'s clock, not by the latest one')
    c = advance(c, SIM_SAMPLE_SECONDS)
    assert.equal(c.timeMs, 2000 + SIM_SAMPLE_SECONDS * 1000)
    // What was scored is what every host did in the first 1.2 s: host1 and host2 swapped paths after
    // 0.5 s, so compare the traffic offered (which does not depend on paths), and the VM-seconds.
    assertClose(c.metrics.offeredMbit, exact.metrics.offeredMbit, 'offered')
    assertClose(c.metrics.vmSeconds, exact.metrics.vmSeconds, 'VM-seconds')
    assertClose(c.metrics.vmSeconds, (start.vms.length * windowMs) / 1000, 'every VM scored for 1.2 s')
    // Without actions the whole scoreboard is the window's, up to float order of the sums.
    let idle: SimCluster = {...structuredClone(start), scoreUntilMs: windowMs}
    idle = advance(idle, 7)
    assertMetricsClose(idle.metrics, exact.metrics)
  })

  it('a replayed call log gives exactly the cluster the calls gave', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sova-sim-clocks-'))
    dirs.push(dir)
    const writer = Store.open(dir)
    try {
      resetSim(writer, buildScenario('large', 4, {hosts: 6, vmsPerHost: 8}))
      setSimFaults(writer, {attach: 0.1, detach: 0.1, migrate: 0.15, timeout: 0.05, vanish: 0.02, outage: 0.02})
      const backend = new SimBackend(writer)
      let acted = 0
      for (let round = 0; round < 4; round++) {
        await backend.nextSample()
        const c = readSimCluster(writer)
        for (const [h, host] of c.hosts.entries()) {
          const holder = c.vms.find((vm) => vm.host === host.name && vm.vf !== null)
          if (holder) await backend.detachVf(host.name, ref(c, holder.name), holder.vf as string)
          const mover = c.vms.find((vm) => vm.host === host.name && vm.vf === null)
          const to = c.hosts[(h + 2) % c.hosts.length].name
          if (mover) await backend.migrate(ref(c, mover.name), host.name, to)
          acted++
        }
      }
      assert.ok(acted > 10)
      const written = readSimCluster(writer)
      assert.ok(new Set(Object.values(clocks(written))).size > 1, 'hosts are on different clocks at the end')
      const reader = Store.open(dir)
      try {
        const replayed = readSimCluster(reader)
        assert.equal(JSON.stringify(replayed), JSON.stringify(written))
        assert.deepEqual(replayed, written)
      } finally {
        reader.close()
      }
    } finally {
      writer.close()
    }
  })

  it('an action copies and integrates only its hosts and their VMs, however large the cluster', () => {
    for (const hosts of [4, 40]) {
      const start = advance(buildScenario('large', 5, {hosts, vmsPerHost: 10}), 20)
      const frozen = structuredClone(start)
      const target = start.hosts[1].name
      const holder = holderOn(start, target)
      const t = detachVf(start, target, holder.name, holder.vf)
      assert.ok(t.result.ok)
      assert.deepEqual(start, frozen, 'the input is untouched')
      const copiedHosts = t.cluster.hosts.filter((host, i) => host !== start.hosts[i]).map((host) => host.name)
      assert.deepEqual(copiedHosts, [target], `${hosts} hosts: only the acting host is copied`)
      const copiedVms = t.cluster.vms.filter((vm, i) => vm !== start.vms[i])
      assert.deepEqual(copiedVms.map((vm) => vm.host), start.vms.filter((vm) => vm.host === target).map(() => target), `${hosts} hosts: only its VMs are copied`)
      for (const vm of copiedVms) assert.ok(vm.counters.cpuSeconds > findVm(start, vm.name)!.counters.cpuSeconds || vm.kind === 'idle', `${vm.name} ran on`)

      const mover = t.cluster.vms.find((vm) => vm.host === target && vm.vf === null) as NonNullable<ReturnType<typeof findVm>>
      const to = start.hosts[2].name
      const moved = migrate(t.cluster, mover.name, target, to)
      assert.ok(moved.result.ok)
      const copiedByMigration = moved.cluster.hosts.filter((host, i) => host !== t.cluster.hosts[i]).map((host) => host.name)
      assert.deepEqual(copiedByMigration, [target, to], `${hosts} hosts: a migration copies its two hosts`)
      const vmsCopied = moved.cluster.vms.filter((vm, i) => vm !== t.cluster.vms[i]).length
      assert.equal(vmsCopied, t.cluster.vms.filter((vm) => vm.host === target || vm.host === to).length, `${hosts} hosts: and their VMs only`)
    }
  })
})

function assertClose(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`)
}

function assertMetricsClose(actual: SimMetrics, expected: SimMetrics): void {
  for (const key of Object.keys(expected) as Array<keyof SimMetrics>) {
    const a = actual[key]
    const e = expected[key]
    if (Array.isArray(e)) (a as number[]).forEach((n, i) => assertClose(n, e[i], `${key}[${i}]`))
    else assertClose(a as number, e, key)
  }
}
