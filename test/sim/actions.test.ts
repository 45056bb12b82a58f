import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {type SimCluster, findHost, findVm, hostClockMs} from '../../src/lib/backends/sim/cluster.js'
import {type Transition, advance, attachVf, detachVf, migrate, setReachable, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {checkInvariants} from '../../src/lib/invariants.js'

const base = () => advance(buildScenario('paper', 1), 30)

/** Each host's clock, by name. */
const clocks = (c: SimCluster) => Object.fromEntries(c.hosts.map((host) => [host.name, hostClockMs(c, host)]))

/**
 * A refused action: the input is untouched, nothing moved, and the refusal's time passed on the
 * host it concerns only (`host`; none: no clock moved, the cluster is as it was).
 */
function assertRefused(before: SimCluster, t: Transition, pattern: RegExp, host?: string): void {
  const copy = structuredClone(before)
  assert.equal(t.result.ok, false)
  assert.ok(!t.result.ok && pattern.test(t.result.error), `error: ${!t.result.ok && t.result.error}`)
  assert.ok(t.result.durationMs > 0)
  assert.deepEqual(before, copy)
  const expected = clocks(before)
  if (host !== undefined) expected[host] += t.result.durationMs
  assert.deepEqual(clocks(t.cluster), expected, 'only the concerned host\'s clock moved')
  assert.equal(t.cluster.timeMs, before.timeMs)
  const placement = (c: SimCluster) => c.vms.map((vm) => [vm.name, vm.host, vm.path, vm.vf])
  assert.deepEqual(placement(t.cluster), placement(before))
  for (const [i, other] of before.hosts.entries()) if (other.name !== host) assert.equal(t.cluster.hosts[i], other, `${other.name} is shared, not copied`)
  if (host !== undefined) {
    const onHost = (c: SimCluster) => c.vms.filter((vm) => vm.host === host)
    for (const [i, vm] of onHost(t.cluster).entries()) assert.ok(vm.counters.cpuSeconds >= onHost(before)[i].counters.cpuSeconds)
  }
}

/** Frees web1's VF on host1 so host1 has a known free VF and web1 none. */
function withFreeVf(): {cluster: SimCluster; vf: string} {
  const c = base()
  const vf = findVm(c, 'web1')!.vf!
  const t = detachVf(c, 'host1', 'web1', vf)
  assert.ok(t.result.ok)
  return {cluster: t.cluster, vf}
}

describe('sim actions', () => {
  it('detachVf: ~0.5 s, the VM goes to PV and the VF becomes free', () => {
    const c = base()
    const vf = findVm(c, 'cpu1')!.vf!
    const t = detachVf(c, 'host1', 'cpu1', vf)
    assert.deepEqual(t.result, {ok: true, durationMs: 500})
    assert.deepEqual(clocks(t.cluster), {...clocks(c), host1: c.timeMs + 500}, 'only host1 ran on')
    assert.equal(t.cluster.timeMs, c.timeMs, 'the common time waits for the next advance')
    const vm = findVm(t.cluster, 'cpu1')!
    assert.equal(vm.path, 'pv')
    assert.equal(vm.vf, null)
    assert.ok(toSnapshot(t.cluster).hosts[0].vfs.free.includes(vf))
    assert.equal(findVm(c, 'cpu1')!.vf, vf, 'input untouched')
  })

  it('attachVf: ~1.5 s, the VM goes to its VF and the VF is no longer free', () => {
    const {cluster, vf} = withFreeVf()
    const t = attachVf(cluster, 'host1', 'bulk1', vf)
    assert.deepEqual(t.result, {ok: true, durationMs: 1500})
    const vm = findVm(t.cluster, 'bulk1')!
    assert.equal(vm.path, 'vf')
    assert.equal(vm.vf, vf)
    assert.ok(!toSnapshot(t.cluster).hosts[0].vfs.free.includes(vf))
    assert.deepEqual(checkInvariants(toSnapshot(t.cluster)), [])
  })

  it('attachVf refuses: VM elsewhere, VM already holding one, VF held or foreign, unknown names, unreachable host', () => {
    const {cluster, vf} = withFreeVf()
    const held = findVm(cluster, 'cpu1')!.vf!
    const foreign = findHost(cluster, 'host2')!.vfPool[7]
    assertRefused(cluster, attachVf(cluster, 'host1', 'web4', vf), /web4 runs on host2, not on host1/, 'host1')
    assertRefused(cluster, attachVf(cluster, 'host1', 'cpu2', vf), /cpu2 already holds VF/, 'host1')
    assertRefused(cluster, attachVf(cluster, 'host1', 'bulk1', held), /not free \(held by cpu1\)/, 'host1')
    assertRefused(cluster, attachVf(cluster, 'host1', 'bulk1', foreign), /not a VF of host1's port/, 'host1')
    assertRefused(cluster, attachVf(cluster, 'host9', 'bulk1', vf), /unknown host host9/)
    assertRefused(cluster, attachVf(cluster, 'host1', 'ghost', vf), /unknown VM ghost/, 'host1')
    const down = setReachable(cluster, 'host1', false)
    assertRefused(down, attachVf(down, 'host1', 'bulk1', vf), /host1: unreachable/, 'host1')
  })

  it('detachVf refuses when the VM does not hold that VF', () => {
    const c = base()
    const other = findVm(c, 'cpu2')!.vf!
    assertRefused(c, detachVf(c, 'host1', 'cpu1', other), /cpu1 does not hold .* \(it holds 0000:/, 'host1')
    assertRefused(c, detachVf(c, 'host1', 'bulk1', other), /bulk1 does not hold .* \(it holds no VF\)/, 'host1')
    assertRefused(c, detachVf(c, 'host2', 'cpu1', other), /cpu1 runs on host1, not on host2/, 'host2')
  })

  it('migrate: pre-copy time from memory and bandwidth, downtime 60–210 ms, VM arrives on PV', () => {
    const c = base()
    const t = migrate(c, 'bulk2', 'host1', 'host3')
    assert.ok(t.result.ok)
    const vm = findVm(t.cluster, 'bulk2')!
    assert.equal(vm.host, 'host3')
    assert.equal(vm.path, 'pv')
    const bits = findVm(c, 'bulk2')!.memoryMiB * 8 * 1.048576e6
    const lower = (bits / 9400e6) * 1.1 * 1000 + 60 // full port, least dirtying, least downtime
    assert.ok(t.result.durationMs >= lower, `${t.result.durationMs} >= ${lower}`)
    assert.deepEqual(clocks(t.cluster), {...clocks(c), host1: c.timeMs + t.result.durationMs, host3: c.timeMs + t.result.durationMs})
    const counts = (s: SimCluster) => s.hosts.map((h) => s.vms.filter((v) => v.host === h.name).length)
    assert.deepEqual(counts(t.cluster), [11, 12, 13])
    assert.deepEqual(checkInvariants(toSnapshot(t.cluster), new Set(c.vms.map((v) => v.name))), [])
  })

  it('migrate takes longer off a hot port than off a quiet one', () => {
    const quiet = advance(buildScenario('paper', 1), 30)
    const hot = advance(buildScenario('paper', 1), 150)
    const slow = migrate(hot, 'bulk1', 'host1', 'host3').result.durationMs
    const fast = migrate(quiet, 'bulk1', 'host1', 'host3').result.durationMs
    assert.ok(slow > fast * 1.5, `${slow} vs ${fast}`)
  })

  it('migrate refuses and leaves the VM where it was: VF held, wrong source, bad target, no memory, unreachable', () => {
    const c = base()
    // A refusal takes its time on the source, the host the call goes to.
    assertRefused(c, migrate(c, 'cpu1', 'host1', 'host2'), /cpu1 still holds VF .*; detach the VF first/, 'host1')
    assertRefused(c, migrate(c, 'bulk1', 'host2', 'host3'), /bulk1 runs on host1, not on host2/, 'host2')
    assertRefused(c, migrate(c, 'bulk1', 'host1', 'host1'), /same host/, 'host1')
    assertRefused(c, migrate(c, 'bulk1', 'host1', 'host7'), /unknown target host host7/, 'host1')
    assertRefused(c, migrate(c, 'ghost', 'host1', 'host2'), /unknown VM ghost/, 'host1')
    assertRefused(c, migrate(c, 'bulk1', 'host8', 'host2'), /unknown source host host8/)
    const full = structuredClone(c)
    findHost(full, 'host2')!.memoryMiB = 60_000 // less than the VMs already there need
    assertRefused(full, migrate(full, 'bulk1', 'host1', 'host2'), /host2 has 0 MiB free, bulk1 needs \d+ MiB/, 'host1')
    const targetDown = setReachable(c, 'host2', false)
    assertRefused(targetDown, migrate(targetDown, 'bulk1', 'host1', 'host2'), /host2: unreachable/, 'host1')
    const sourceDown = setReachable(c, 'host1', false)
    assertRefused(sourceDown, migrate(sourceDown, 'bulk1', 'host1', 'host2'), /host1: unreachable/, 'host1')
  })

  it('detach then migrate relieves the hot host', () => {
    // bulk VMs boot on PV: give bulk1 one of host1's free VFs first, so there is one to detach.
    let c = advance(attachVf(buildScenario('paper', 1), 'host1', 'bulk1', '0000:04:10.6').cluster, 150)
    const vf = findVm(c, 'bulk1')!.vf!
    c = detachVf(c, 'host1', 'bulk1', vf).cluster
    const t = migrate(c, 'bulk1', 'host1', 'host3')
    assert.ok(t.result.ok)
    const tx = (s: SimCluster, host: string) => findHost(s, host)!.port.txBytes
    const after = advance(t.cluster, 10)
    const baseline = advance(c, 10) // had bulk1 stayed
    assert.ok(tx(after, 'host1') - tx(t.cluster, 'host1') < tx(baseline, 'host1') - tx(c, 'host1'))
    assert.ok(tx(after, 'host3') - tx(t.cluster, 'host3') > tx(baseline, 'host3') - tx(c, 'host3'))
  })
})
