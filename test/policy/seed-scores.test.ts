import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {ioRatio, netScore, rankSeedTiers, seedTierCounts, type SeedGuest} from '../../src/lib/policy/seed-scores.js'

describe('ioRatio', () => {
  const cases: {cpu: number; blocked: number; expected: number; why: string}[] = [
    {cpu: 0.5, blocked: 1.6, expected: 3.2, why: 'blocked / cpu'},
    {cpu: 0.25, blocked: 0.25, expected: 1, why: 'equal shares'},
    {cpu: 2, blocked: 0, expected: 0, why: 'never blocked'},
    {cpu: 0, blocked: 0.3, expected: 0.3, why: 'no CPU: the blocked value itself'},
    {cpu: 0, blocked: 0, expected: 0, why: 'idle VM'},
  ]
  for (const {cpu, blocked, expected, why} of cases) {
    it(`${why}: ioRatio(${cpu}, ${blocked}) = ${expected}`, () => {
      assert.equal(ioRatio(cpu, blocked), expected)
    })
  }
})

describe('netScore', () => {
  // One point = 1024 * 10000 bytes per 10 s = 1 024 000 B/s; active seconds = round(ratio * 10).
  const cases: {rx: number; tx: number; active: number; window?: number; expected: number; why: string}[] = [
    {rx: 0, tx: 0, active: 0, expected: 0, why: 'silent VM'},
    {rx: 1_024_000, tx: 0, active: 0, expected: 1, why: 'exactly one point'},
    {rx: 1_023_999, tx: 0, active: 0, expected: 0, why: 'one byte short of a point'},
    {rx: 512_000, tx: 512_000, active: 0.5, expected: 6, why: 'rx + tx make one point, plus 5 active seconds'},
    {rx: 5_000_000, tx: 2_000_000, active: 1, expected: 16, why: '7e6 / 1.024e6 = 6.84 -> 6, plus 10'},
    {rx: 0, tx: 0, active: 0.25, expected: 3, why: '2.5 active seconds round to 3'},
    {rx: 0, tx: 0, active: 0.04, expected: 0, why: '0.4 active seconds round to 0'},
    {rx: 0, tx: 0, active: 1.5, expected: 10, why: 'active seconds clamp at 10'},
    {rx: 1_024_000, tx: 0, active: 0.5, window: 5, expected: 6, why: 'a 5 s window is scored on the 10 s scale too'},
  ]
  for (const {rx, tx, active, window, expected, why} of cases) {
    it(`${why}: ${expected}`, () => {
      assert.equal(netScore(rx, tx, active, window), expected)
    })
  }
})

describe('seedTierCounts', () => {
  // list2 = floor(2T/3)+1, list1 = floor(2*floor(2T/3)/3)+1, every guest below T = 4.
  const table: [number, number, number][] = [
    [0, 0, 0], [1, 1, 1], [2, 2, 2], [3, 3, 3],
    [4, 3, 2], // floor(8/3)=2 -> 3; floor(4/3)=1 -> 2
    [5, 4, 3], // 3 -> 4; floor(6/3)=2 -> 3
    [6, 5, 3], // 4 -> 5; floor(8/3)=2 -> 3
    [7, 5, 3], // floor(14/3)=4 -> 5; 3
    [8, 6, 4], // floor(16/3)=5 -> 6; floor(10/3)=3 -> 4
    [9, 7, 5], // 6 -> 7; 4 -> 5
    [10, 7, 5], // floor(20/3)=6 -> 7; 5
    [11, 8, 5], // floor(22/3)=7 -> 8; floor(14/3)=4 -> 5
    [12, 9, 6], // 8 -> 9; floor(16/3)=5 -> 6
    [13, 9, 6], // floor(26/3)=8 -> 9; 6
    [14, 10, 7], // floor(28/3)=9 -> 10; floor(18/3)=6 -> 7
    [15, 11, 7], // 10 -> 11; floor(20/3)=6 -> 7
    [16, 11, 7], // floor(32/3)=10 -> 11; 7
  ]
  for (const [guests, list2, list1] of table) {
    it(`T = ${guests}: list2 ${list2}, list1 ${list1}`, () => {
      assert.deepEqual(seedTierCounts(guests), {list2, list1})
    })
  }
  it('refuses a negative or fractional guest count', () => {
    assert.throws(() => seedTierCounts(-1), {name: 'RangeError', message: 'seedTierCounts: expected a whole number of guests >= 0, got -1'})
    assert.throws(() => seedTierCounts(2.5), RangeError)
  })
})

describe('rankSeedTiers', () => {
  // T = 5: list2 holds 4, list1 3. By I/O ratio: b 3.2, e 2.0, c 1.0, a 0.5 | d 0.1.
  // list2 by net score: b 14, a 10, e 7 | c 2. d has the best net score but is list3.
  const five: SeedGuest[] = [
    {name: 'a', ioRatio: 0.5, netScore: 10},
    {name: 'b', ioRatio: 3.2, netScore: 14},
    {name: 'c', ioRatio: 1.0, netScore: 2},
    {name: 'd', ioRatio: 0.1, netScore: 50},
    {name: 'e', ioRatio: 2.0, netScore: 7},
  ]
  const expectedFive = {
    a: {tier: 'list1', reason: 'list1: I/O ratio 0.50 ranks 4 of 5 (top 4), net score 10 ranks 2 of 4 (top 3 hold VFs)'},
    b: {tier: 'list1', reason: 'list1: I/O ratio 3.20 ranks 1 of 5 (top 4), net score 14 ranks 1 of 4 (top 3 hold VFs)'},
    c: {tier: 'list2', reason: 'list2: I/O ratio 1.00 ranks 3 of 5 (top 4), net score 2 ranks 4 of 4 (only the top 3 hold VFs)'},
    d: {tier: 'list3', reason: 'list3: I/O ratio 0.10 ranks 5 of 5 (only the top 4 reach list2)'},
    e: {tier: 'list1', reason: 'list1: I/O ratio 2.00 ranks 2 of 5 (top 4), net score 7 ranks 3 of 4 (top 3 hold VFs)'},
  }

  it('ranks five guests into list1, list2 and list3 with readable reasons', () => {
    assert.deepEqual(Object.fromEntries(rankSeedTiers(five)), expectedFive)
  })

  it('does not depend on input order', () => {
    assert.deepEqual(Object.fromEntries(rankSeedTiers([...five].reverse())), expectedFive)
  })

  it('breaks ties by name, ascending, on both keys', () => {
    // T = 4: list2 3, list1 2. All equal: by name a, b, c | d; list1 a, b.
    const tied = ['d', 'c', 'b', 'a'].map((name) => ({name, ioRatio: 1, netScore: 5}))
    const tiers = Object.fromEntries([...rankSeedTiers(tied)].map(([name, rank]) => [name, rank.tier]))
    assert.deepEqual(tiers, {a: 'list1', b: 'list1', c: 'list2', d: 'list3'})
  })

  it('gives every guest a VF below 4 guests', () => {
    const three = [{name: 'x', ioRatio: 0, netScore: 0}, {name: 'y', ioRatio: 9, netScore: 9}, {name: 'z', ioRatio: 1, netScore: 1}]
    const reason = 'fewer than 4 guests on the host: every guest gets a VF'
    assert.deepEqual(Object.fromEntries(rankSeedTiers(three)), {
      x: {tier: 'list1', reason},
      y: {tier: 'list1', reason},
      z: {tier: 'list1', reason},
    })
    assert.equal(rankSeedTiers([]).size, 0)
  })

  it('gives the effective VF-holder counts of ALGORITHM.md for T = 4..16', () => {
    const holders: Record<number, number> = {4: 2, 5: 3, 6: 3, 7: 3, 8: 4, 9: 5, 10: 5, 11: 5, 12: 6, 13: 6, 14: 7, 15: 7, 16: 7}
    for (const [total, expected] of Object.entries(holders)) {
      const guests = Array.from({length: Number(total)}, (_, i) => ({name: `vm${i}`, ioRatio: i, netScore: (i * 7) % 5}))
      const tiers = [...rankSeedTiers(guests).values()].map((rank) => rank.tier)
      assert.equal(tiers.filter((tier) => tier === 'list1').length, expected, `T = ${total}`)
      assert.equal(tiers.filter((tier) => tier !== 'list3').length, seedTierCounts(Number(total)).list2, `T = ${total}`)
    }
  })

  it('refuses duplicate names', () => {
    assert.throws(() => rankSeedTiers([{name: 'a', ioRatio: 1, netScore: 1}, {name: 'a', ioRatio: 2, netScore: 2}]), /duplicate/)
  })
})
