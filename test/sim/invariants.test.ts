import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {RawSnapshot} from '../../src/lib/backends/types.js'
import {type SimCluster, findVm} from '../../src/lib/backends/sim/cluster.js'
import {advance, attachVf, detachVf, migrate, setReachable, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {checkInvariants} from '../../src/lib/invariants.js'
import {picker} from './util.js'

const snapshot = (): RawSnapshot => toSnapshot(buildScenario('paper', 1))
const names = (s: RawSnapshot) => new Set(s.hosts.flatMap((h) => h.vms.map((vm) => vm.name)))

describe('checkInvariants', () => {
  it('passes a fresh cluster', () => {
    const s = snapshot()
    assert.deepEqual(checkInvariants(s, names(s)), [])
  })

  it('reports a VF assigned to two VMs', () => {
    const s = snapshot()
    const [a, b] = s.hosts[0].vms.filter((vm) => vm.vf !== null)
    b.vf = a.vf
    const problems = checkInvariants(s)
    assert.ok(problems.some((p) => p.includes(`VF ${a.vf} is assigned to 2 VMs (${a.name}, ${b.name})`)), problems.join('; '))
  })

  it('reports a held VF listed free, a path without VF, a VF without path, too many VFs', () => {
    const s = snapshot()
    const host = s.hosts[0]
    const holder = host.vms.find((vm) => vm.vf !== null)!
    host.vfs.free.push(holder.vf!)
    const pv = host.vms.find((vm) => vm.path === 'pv')!
    pv.path = 'vf'
    const problems = checkInvariants(s).join('\n')
    assert.match(problems, /held by .* and also listed free/)
    assert.match(problems, /is on the VF path but holds no VF/)
    host.vfs.total = 3
    assert.match(checkInvariants(s).join('\n'), /VFs in use but the port has 3/)
    const other = toSnapshot(buildScenario('paper', 1))
    other.hosts[1].vms.find((vm) => vm.vf !== null)!.path = 'pv'
    assert.match(checkInvariants(other).join('\n'), /holds VF .* but is on the pv path/)
  })

  it('reports a VM on two hosts, a lost VM and a new one', () => {
    const s = snapshot()
    const expected = names(s)
    s.hosts[1].vms.push({...s.hosts[0].vms[0], vf: null, path: 'pv'})
    const lost = s.hosts[2].vms.pop()!
    s.hosts[2].vms.push({...s.hosts[0].vms[1], name: 'stranger', vf: null, path: 'pv'})
    const problems = checkInvariants(s, expected).join('\n')
    assert.match(problems, new RegExp(`${s.hosts[0].vms[0].name} is listed 2 times, on host1, host2`))
    assert.match(problems, new RegExp(`${lost.name} is lost`))
    assert.match(problems, /stranger appeared/)
  })

  it('accepts the same PCI address on two hosts (addresses are per host)', () => {
    const s = snapshot()
    s.hosts[1].vfs.free = [...s.hosts[0].vfs.free]
    for (const [i, vm] of s.hosts[1].vms.entries()) if (vm.vf) vm.vf = s.hosts[0].vms[i].vf ?? vm.vf
    assert.deepEqual(checkInvariants(s).filter((p) => !p.includes('host2')), [])
  })
})

describe('sim invariants under random action sequences', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 300 random actions (valid and not) never break an invariant`, () => {
      const pick = picker(seed)
      let c: SimCluster = buildScenario(seed === 2 ? 'flash-crowd' : 'paper', seed)
      const expected = new Set(c.vms.map((vm) => vm.name))
      const done: Record<string, number> = {attach: 0, detach: 0, migrate: 0}
      for (let step = 0; step < 300; step++) {
        const vm = pick(step, 1, c.vms)
        const host = pick(step, 2, c.hosts)
        const sameHost = pick(step, 3, [true, true, false])
        const onHost = sameHost ? vm.host : host.name
        const pool = c.hosts.find((h) => h.name === onHost)!.vfPool
        const before = c
        const kind = pick(step, 4, ['attach', 'attach', 'detach', 'detach', 'migrate', 'migrate', 'wait', 'outage'])
        let ok = false
        if (kind === 'attach') {
          const t = attachVf(c, onHost, vm.name, pick(step, 5, pool))
          ;({cluster: c} = t)
          ok = t.result.ok
        } else if (kind === 'detach') {
          const t = detachVf(c, onHost, vm.name, pick(step, 6, [vm.vf ?? pool[0], ...pool]))
          ;({cluster: c} = t)
          ok = t.result.ok
        } else if (kind === 'migrate') {
          const t = migrate(c, vm.name, onHost, host.name)
          ;({cluster: c} = t)
          ok = t.result.ok
          const now = findVm(c, vm.name)!
          assert.equal(now.host, ok ? host.name : vm.host, 'a failed migration leaves the VM where it was')
        } else if (kind === 'wait') {
          c = advance(c, pick(step, 7, [0.5, 1, 3, 10]))
        } else {
          c = setReachable(c, host.name, pick(step, 8, [true, true, false]))
        }
        if (ok) done[kind] += 1
        assert.ok(c.timeMs >= before.timeMs)
        const problems = checkInvariants(toSnapshot(c), expected)
        assert.deepEqual(problems, [], `step ${step} (${kind} ${vm.name}): ${problems.join('; ')}`)
        for (const v of c.vms) {
          const old = findVm(before, v.name)!.counters
          for (const key of ['cpuSeconds', 'blockedSeconds', 'rxBytes', 'txBytes', 'activeSeconds'] as const) {
            assert.ok(v.counters[key] >= old[key], `${v.name}.${key} never decreases`)
          }
        }
      }
      assert.ok(done.attach > 0 && done.detach > 0 && done.migrate > 0, JSON.stringify(done))
    })
  }
})
