// The seed policy's per-VM figures and its 2/3-of-2/3 tier ranking (ALGORITHM.md §1).
// Pure: numbers in, numbers out. Ties are broken by name so that a ranking never depends on
// input order.
import {MAX_FIGURE} from '../document/limits.js'
import type {Tier} from '../document/schema.js'
import {byName} from './format-figure.js'

/** The prototype's sampling window; the net score is always on this scale. */
export const SEED_WINDOW_SECONDS = 10

/** Below this many guests on a host the seed gives every guest a VF (rule 3). */
export const SEED_MIN_RANKED_GUESTS = 4

// Bytes in one net-score point over a 10 s window: 1024 * 10000 (about 1 MB/s sustained).
const BYTES_PER_NET_POINT = 1024 * 10_000

/** How much a VM waits on I/O per unit of CPU it gets: the seed's first sort key. */
export function ioRatio(cpuUsedRatio: number, blockedRatio: number): number {
  // The prototype used the blocked time itself when the VM got no CPU (no division by zero); a
  // vanishing CPU share (5e-324) would give Infinity, so the ratio stops at the document's limit.
  return cpuUsedRatio > 0 ? Math.min(MAX_FIGURE, blockedRatio / cpuUsedRatio) : blockedRatio
}

/**
 * The seed's second sort key: one point per ~1 MB/s of traffic plus the active seconds of 10.
 * Rates are normalised to the prototype's 10 s window whatever `windowSeconds` the sample
 * covers (the prototype always measured 10 s), so scores stay comparable across windows;
 * `windowSeconds` is accepted for the caller's convenience and does not change the figure.
 */
export function netScore(
  rxBps: number,
  txBps: number,
  activeRatio: number,
  windowSeconds: number = SEED_WINDOW_SECONDS,
): number {
  // (rx + tx) * 10 / 1024 / 10000 as a single division: exact at whole multiples of a point.
  const volume = Math.floor(((rxBps + txBps) * SEED_WINDOW_SECONDS) / BYTES_PER_NET_POINT)
  const activeSeconds = Math.min(SEED_WINDOW_SECONDS, Math.max(0, Math.round(activeRatio * SEED_WINDOW_SECONDS)))
  return volume + activeSeconds
}

/** How many guests reach list2 and list1 (VF holders) on a host of `guests` guests. */
export function seedTierCounts(guests: number): {list2: number; list1: number} {
  if (!Number.isInteger(guests) || guests < 0) {
    throw new RangeError(`seedTierCounts: expected a whole number of guests >= 0, got ${guests}`)
  }
  if (guests < SEED_MIN_RANKED_GUESTS) return {list2: guests, list1: guests}
  // The prototype's effective counts (its code meant 2/3 of T, then 2/3 of that).
  const twoThirds = Math.floor((2 * guests) / 3)
  return {list2: twoThirds + 1, list1: Math.floor((2 * twoThirds) / 3) + 1}
}

/** A guest as the ranking sees it. */
export interface SeedGuest {
  name: string
  ioRatio: number
  netScore: number
}

/** Where a guest landed and why, in words a person reads. */
export interface SeedRank {
  tier: Tier
  reason: string
}

const byIoRatio = (a: SeedGuest, b: SeedGuest): number => b.ioRatio - a.ioRatio || byName(a, b)
const byNetScore = (a: SeedGuest, b: SeedGuest): number => b.netScore - a.netScore || byName(a, b)

/** Orders list1 guests the way the seed hands out VFs: net score descending, then name. */
export function sortByNetScore<T extends SeedGuest>(guests: readonly T[]): T[] {
  return [...guests].sort(byNetScore)
}

/**
 * The seed's host-level ranking: the top floor(2T/3)+1 by I/O ratio form list2, the top
 * floor(2·floor(2T/3)/3)+1 of those by net score form list1 (the VF holders); the rest are list3.
 * With fewer than 4 guests every guest is list1. Names must be unique.
 */
export function rankSeedTiers(guests: readonly SeedGuest[]): Map<string, SeedRank> {
  const names = new Set(guests.map((guest) => guest.name))
  if (names.size !== guests.length) throw new Error('rankSeedTiers: expected unique guest names, got a duplicate')
  const ranks = new Map<string, SeedRank>()
  const total = guests.length
  if (total < SEED_MIN_RANKED_GUESTS) {
    for (const guest of sortByNetScore(guests)) {
      ranks.set(guest.name, {tier: 'list1', reason: `fewer than ${SEED_MIN_RANKED_GUESTS} guests on the host: every guest gets a VF`})
    }
    return ranks
  }
  const counts = seedTierCounts(total)
  const byIo = [...guests].sort(byIoRatio)
  const ioRank = new Map(byIo.map((guest, index) => [guest.name, index + 1]))
  const list2 = sortByNetScore(byIo.slice(0, counts.list2))
  const ioWords = (guest: SeedGuest) =>
    `I/O ratio ${guest.ioRatio.toFixed(2)} ranks ${ioRank.get(guest.name)} of ${total}`
  for (const [index, guest] of list2.entries()) {
    const netWords = `net score ${guest.netScore} ranks ${index + 1} of ${counts.list2}`
    const tier = index < counts.list1 ? 'list1' : 'list2'
    const vfWords = tier === 'list1' ? `top ${counts.list1} hold VFs` : `only the top ${counts.list1} hold VFs`
    ranks.set(guest.name, {tier, reason: `${tier}: ${ioWords(guest)} (top ${counts.list2}), ${netWords} (${vfWords})`})
  }
  for (const guest of byIo.slice(counts.list2)) {
    ranks.set(guest.name, {tier: 'list3', reason: `list3: ${ioWords(guest)} (only the top ${counts.list2} reach list2)`})
  }
  return ranks
}
