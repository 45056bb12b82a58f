import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {Host, PlannedVfChange} from '../../src/lib/document/schema.js'
import {planSeedVf, type SeedVfPlan} from '../../src/lib/policy/vf-seed.js'
import {host, vm} from '../helpers/build.js'

const VF0 = '0000:03:10.0'
const VF1 = '0000:03:10.1'
const VF2 = '0000:03:10.2'
const VF3 = '0000:03:10.3'

// The rankSeedTiers example (T = 5): list1 b, a, e (net score order); c is list2; d is list3.
const SCORES = {
  a: {ioRatio: 0.5, netScore: 10},
  b: {ioRatio: 3.2, netScore: 14},
  c: {ioRatio: 1.0, netScore: 2},
  d: {ioRatio: 0.1, netScore: 50},
  e: {ioRatio: 2.0, netScore: 7},
}
const REASON = {
  a: 'list1: I/O ratio 0.50 ranks 4 of 5 (top 4), net score 10 ranks 2 of 4 (top 3 hold VFs)',
  b: 'list1: I/O ratio 3.20 ranks 1 of 5 (top 4), net score 14 ranks 1 of 4 (top 3 hold VFs)',
  c: 'list2: I/O ratio 1.00 ranks 3 of 5 (top 4), net score 2 ranks 4 of 4 (only the top 3 hold VFs)',
  d: 'list3: I/O ratio 0.10 ranks 5 of 5 (only the top 4 reach list2)',
  e: 'list1: I/O ratio 2.00 ranks 2 of 5 (top 4), net score 7 ranks 3 of 4 (top 3 hold VFs)',
}
const DETACH = '; not list1, so its VF returns to the pool'
const ATTACH = '; list1 without a VF, takes the lowest free VF'

// d (list3) holds VF0, c (list2) holds VF1, VF2 is free: three VFs for the three list1 guests.
const fiveGuests = (extra: ReturnType<typeof vm>[] = [], free = [VF2]): Host =>
  host('host1', [vm('a'), vm('b'), vm('c', {vf: VF1}), vm('d', {vf: VF0}), vm('e'), ...extra], {
    vfs: {total: 3 + extra.filter((guest) => guest.vf).length, free},
  })

// Applies a plan to a copy of the host the way the executor would, refusing any impossible step:
// detaching a VF the VM does not hold, attaching a VF that is not free or to a VM that has one.
function applyPlan(input: Host, changes: PlannedVfChange[]): {holders: Record<string, string>; free: string[]} {
  const holders: Record<string, string> = {}
  for (const guest of input.vms) if (guest.vf) holders[guest.name] = guest.vf
  const free = new Set(input.vfs.free)
  for (const change of changes.filter((c) => c.host === input.name)) {
    if (change.op === 'detach') {
      assert.equal(holders[change.vm], change.vf, `detach ${change.vf} from ${change.vm}, which does not hold it`)
      delete holders[change.vm]
      free.add(change.vf)
    } else {
      assert.ok(free.has(change.vf), `attach ${change.vf}, which is not free`)
      assert.equal(holders[change.vm], undefined, `attach a second VF to ${change.vm}`)
      free.delete(change.vf)
      holders[change.vm] = change.vf
    }
  }
  return {holders, free: [...free].sort()}
}

const noArrivals: ReadonlySet<string> = new Set()

describe('planSeedVf', () => {
  const fullSwap: PlannedVfChange[] = [
    {host: 'host1', vm: 'c', op: 'detach', vf: VF1, reason: REASON.c + DETACH},
    {host: 'host1', vm: 'd', op: 'detach', vf: VF0, reason: REASON.d + DETACH},
    {host: 'host1', vm: 'b', op: 'attach', vf: VF0, reason: REASON.b + ATTACH},
    {host: 'host1', vm: 'a', op: 'attach', vf: VF1, reason: REASON.a + ATTACH},
    {host: 'host1', vm: 'e', op: 'attach', vf: VF2, reason: REASON.e + ATTACH},
  ]

  it('takes VFs from list2 and list3 and gives them to list1, detaches first, lowest address first', () => {
    const input = fiveGuests()
    const plan = planSeedVf([input], SCORES, noArrivals)
    assert.deepEqual(plan, {changes: fullSwap, skipped: []})
    // Every VF is accounted for: three holders, none free, none twice.
    assert.deepEqual(applyPlan(input, plan.changes), {holders: {b: VF0, a: VF1, e: VF2}, free: []})
  })

  it('does not depend on the order of the VMs', () => {
    const input = fiveGuests()
    const reversed = {...input, vms: [...input.vms].reverse()}
    assert.deepEqual(planSeedVf([reversed], SCORES, noArrivals).changes, fullSwap)
  })

  it('serves list1 in net score order while VFs last, and names who went without', () => {
    const input = host('host1', [vm('a'), vm('b'), vm('c'), vm('d', {vf: VF0}), vm('e')], {vfs: {total: 1, free: []}})
    const plan = planSeedVf([input], SCORES, noArrivals)
    assert.deepEqual(plan, {
      changes: [
        {host: 'host1', vm: 'd', op: 'detach', vf: VF0, reason: REASON.d + DETACH},
        {host: 'host1', vm: 'b', op: 'attach', vf: VF0, reason: REASON.b + ATTACH},
      ],
      skipped: ['host1: no free VF for list1 a, e'],
    })
    assert.deepEqual(applyPlan(input, plan.changes), {holders: {b: VF0}, free: []})
  })

  it('says so when the VFs already match the ranking', () => {
    const input = host('host1', [vm('a', {vf: VF1}), vm('b', {vf: VF0}), vm('c'), vm('d'), vm('e', {vf: VF2})])
    assert.deepEqual(planSeedVf([input], SCORES, noArrivals), {
      changes: [],
      skipped: [],
      noop: "every host's VFs already match the ranking",
    })
  })

  it('says why nothing changes when list1 wants VFs and none is free', () => {
    const input = host('host1', [vm('a'), vm('b', {vf: VF0}), vm('c'), vm('d'), vm('e')], {vfs: {total: 1, free: []}})
    assert.deepEqual(planSeedVf([input], SCORES, noArrivals), {
      changes: [],
      skipped: ['host1: no free VF for list1 a, e'],
      noop: 'no change possible: host1: no free VF for list1 a, e',
    })
  })

  it('gives every guest a VF below 4 guests, while VFs last', () => {
    const scores = {x: {ioRatio: 5, netScore: 1}, y: {ioRatio: 0, netScore: 5}, z: {ioRatio: 1, netScore: 3}}
    const input = host('host1', [vm('x'), vm('y'), vm('z')], {vfs: {total: 2, free: [VF1, VF0]}})
    const reason = 'fewer than 4 guests on the host: every guest gets a VF' + ATTACH
    assert.deepEqual(planSeedVf([input], scores, noArrivals), {
      changes: [
        {host: 'host1', vm: 'y', op: 'attach', vf: VF0, reason},
        {host: 'host1', vm: 'z', op: 'attach', vf: VF1, reason},
      ],
      skipped: ['host1: no free VF for list1 x'],
    })
  })

  it('leaves arrivals alone and does not count them in the ranking', () => {
    // Ranked with n (T = 6: list1 n, b, a), e would get no VF; n is an arrival, so T stays 5.
    const arrival = vm('n', {vf: VF3})
    const scores = {...SCORES, n: {ioRatio: 9, netScore: 99}}
    const input = fiveGuests([arrival])
    const plan = planSeedVf([input], scores, new Set(['n']))
    assert.deepEqual(plan.changes, fullSwap)
    assert.deepEqual(applyPlan(input, plan.changes).holders, {n: VF3, b: VF0, a: VF1, e: VF2})
  })

  it('leaves VMs without scores alone, even one named like an Object property', () => {
    const input = fiveGuests([vm('u', {vf: VF3}), vm('constructor')])
    assert.deepEqual(planSeedVf([input], SCORES, noArrivals).changes, fullSwap)
  })

  it('never hands out a VF that a VM still holds, even if the input also lists it free', () => {
    const scores = {p: {ioRatio: 1, netScore: 1}, q: {ioRatio: 1, netScore: 1}}
    const input = host('host1', [vm('p', {vf: VF0}), vm('q')], {vfs: {total: 2, free: [VF0, VF1]}})
    assert.deepEqual(planSeedVf([input], scores, noArrivals).changes, [
      {host: 'host1', vm: 'q', op: 'attach', vf: VF1, reason: 'fewer than 4 guests on the host: every guest gets a VF' + ATTACH},
    ])
  })

  it('plans host by host, in the order given', () => {
    const second = host('host0', [vm('solo')], {vfs: {total: 1, free: [VF3]}})
    const plan: SeedVfPlan = planSeedVf([fiveGuests(), second], {...SCORES, solo: {ioRatio: 0, netScore: 0}}, noArrivals)
    assert.deepEqual(plan.changes.map((change) => `${change.host}:${change.op}:${change.vm}`), [
      'host1:detach:c', 'host1:detach:d', 'host1:attach:b', 'host1:attach:a', 'host1:attach:e', 'host0:attach:solo',
    ])
  })
})
