// How long a condition is expected to last, from its earlier episodes (episodes.ts), and what sova
// does with it: a VF swap is refused for a need that came and went faster than the hold commits
// the VF (demand that flips), a migration's relief counts only while the hot spell is expected to
// last, and a heavy VM may move onto a PV path elsewhere when no target has a VF but the port gains
// more than the VM loses.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {policyParams} from '../../src/lib/cli/flags.js'
import type {Host, NetPath, SovaDocument, Vm} from '../../src/lib/document/schema.js'
import type {HistoryEntry} from '../../src/lib/loop/history.js'
import {knowledgeOf, utilisationOf} from '../../src/lib/loop/collect.js'
import {episodesOf, expectedRemainingSeconds} from '../../src/lib/policy/episodes.js'
import {remember} from '../../src/lib/policy/memory.js'
import {planMigrations, planVf, scorePolicy} from '../../src/lib/policy/policies.js'
import {DEFAULT_VFS, doc, host, vm} from '../helpers/build.js'

const T0 = Date.parse('2024-01-01T00:00:00Z')
const seconds = (list: number[]) => list.map((s) => T0 + s * 1000)

describe('episodes of a condition', () => {
  it('times finished episodes from the first sample that shows the condition to the first that does not, and the current one by its age', () => {
    const stats = episodesOf(seconds([0, 10, 20, 30, 40, 50, 60, 70]), [false, true, true, false, false, true, true, true])
    assert.deepEqual(stats, {ageSeconds: 20, typicalSeconds: 20, finished: 1, watchedSeconds: 70})
  })

  it('does not count an episode already running when the samples begin: its length is unknown', () => {
    const stats = episodesOf(seconds([0, 10, 20, 30, 40]), [true, true, false, true, false])
    assert.deepEqual(stats, {ageSeconds: 0, typicalSeconds: 10, finished: 1, watchedSeconds: 40})
  })

  it('takes the median of the latest three finished episodes', () => {
    // Episodes of 10, 50, 20 and 30 s: the first falls out, the median of 50, 20, 30 is 30.
    const holds = [false, true, false, true, true, true, true, true, false, true, true, false, true, true, true, false]
    const stats = episodesOf(seconds(holds.map((_, i) => i * 10)), holds)
    assert.equal(stats.finished, 3)
    assert.equal(stats.typicalSeconds, 30)
  })

  it('expects a typical episode minus its age; the horizon when nothing finished; its age again when it has outlived the typical one', () => {
    assert.equal(expectedRemainingSeconds({ageSeconds: 20, typicalSeconds: 50}, 120), 30)
    assert.equal(expectedRemainingSeconds({ageSeconds: 20}, 120), 120)
    assert.equal(expectedRemainingSeconds({ageSeconds: 80, typicalSeconds: 50}, 120), 80)
    assert.equal(expectedRemainingSeconds({ageSeconds: 300, typicalSeconds: 50}, 120), 120)
  })
})

/** A VM sending `mbps` (tx) on `path`; on a VF it holds the host's VF `vf`. */
const sender = (name: string, mbps: number, path: NetPath, vf: string | null = null): Vm =>
  vm(name, {net: {rxBps: 0, txBps: (mbps * 1e6) / 8, activeRatio: 1}, path, vf, memoryMiB: 1024})

/** A host whose port carries what its VMs send. */
function carrying(name: string, vms: Vm[], tweak: Partial<Host> = {}): Host {
  const built = host(name, vms, tweak)
  const txBps = vms.reduce((sum, guest) => sum + guest.net.txBps, 0)
  built.nic = {...built.nic, txBps, utilisation: (txBps * 8) / (built.nic.speedMbps * 1e6)}
  return built
}

/** Samples every 10 s from T0, each the document `at(i)` gives; the last is the current one. */
function history(count: number, at: (i: number) => SovaDocument): {entries: HistoryEntry[]; current: SovaDocument} {
  const docs = Array.from({length: count}, (_, i) => ({...at(i), at: new Date(T0 + i * 10_000).toISOString()}))
  const entries = docs.map((sample) => ({at: Date.parse(sample.at), utilisation: utilisationOf(sample), knowledge: knowledgeOf(sample)}))
  return {entries, current: docs[docs.length - 1]}
}

/** The PV path's cap, given (as --pv-cap would): what sova estimates from samples is tested in path-capacity.test.ts. */
const PV_CAP = 9400 / 3.8
const sovaParams = policyParams({policy: 'sova', 'pv-cap': PV_CAP})

describe("a VM's need episodes (memory)", () => {
  it('times the episodes of a rate at or above the need threshold, smoothed over 2 of 3 samples', () => {
    // Above 2,000 Mbit/s for 60 s, below for 60 s, three times over; one stray sample does not count.
    const rate = (i: number) => (Math.floor(i / 6) % 2 === 0 ? 3000 : i === 9 ? 3000 : 300)
    const {entries} = history(28, (i) => doc([carrying('h1', [sender('v1', rate(i), 'vf', DEFAULT_VFS[0])])]))
    const [memory] = remember(entries, 3, () => 2000).vms
    assert.equal(memory.needEpisodeSeconds, 60)
    // Samples 24..27 are above the threshold: in need since the second of them (25), 20 s ago.
    assert.equal(memory.needForSeconds, 20)
  })
})

describe("a VM's bursts (memory)", () => {
  const memoryOf = (rate: (i: number) => number, count: number, path: (i: number) => NetPath = () => 'pv') =>
    remember(history(count, (i) => doc([carrying('h1', [sender('v1', rate(i), path(i))])])).entries).vms[0]

  it('times bursts above twice its floor that fall back, and gives the floor while one is under way', () => {
    // A floor of 100; bursts to 900 for 30 s at samples 5-7 and 15-17; bursting again at 25-27.
    const memory = memoryOf((i) => ([5, 6, 7, 15, 16, 17, 25, 26, 27].includes(i) ? 900 : 100), 28)
    assert.equal(memory.burstEpisodeSeconds, 30)
    assert.equal(memory.burstForSeconds, 10, 'in a burst since sample 26 (2 of 3 samples)')
    assert.equal(memory.floorMbps, 100)
  })

  it('takes a rise that does not fall back within 2 minutes for a new level, not a burst', () => {
    const memory = memoryOf((i) => (i < 5 ? 100 : 900), 25)
    assert.equal(memory.burstEpisodeSeconds, undefined)
    assert.equal(memory.burstForSeconds, undefined)
    assert.equal(memory.floorMbps, undefined, 'the floor is given only while it bursts')
  })

  it('does not count a rise that came with a change of path (a VF lifts what PV capped) as a burst', () => {
    const memory = memoryOf((i) => (i >= 5 && i <= 7 ? 900 : 100), 12, (i) => (i >= 5 && i <= 7 ? 'vf' : 'pv'))
    assert.equal(memory.burstEpisodeSeconds, undefined)
  })
})

describe('sova: VF swaps against demand that flips', () => {
  // h1 has one VF. flip1 and flip2 take turns needing it, each `phase` seconds at 3,500 Mbit/s
  // (above the PV path) and then 300. flip2 holds the VF; now flip1 needs it and flip2 does not.
  function flipping(phase: number, samples: number) {
    const phaseSamples = phase / 10
    return history(samples, (i) => {
      const flip1High = Math.floor((samples - 1 - i) / phaseSamples) % 2 === 0 // flip1 high in the latest phase
      const flip1 = sender('flip1', flip1High ? PV_CAP : 300, 'pv')
      const flip2 = sender('flip2', flip1High ? 300 : 3500, 'vf', DEFAULT_VFS[0])
      return doc([carrying('h1', [flip1, flip2], {vfs: {total: 1, free: []}})])
    })
  }

  const plan = (entries: HistoryEntry[], current: SovaDocument) => {
    const scores = scorePolicy(current, entries, sovaParams)
    return planVf(current.hosts, scores, new Set(), current.at, sovaParams)
  }

  it('does not chase a need whose episodes last less than the hold commits the VF, and says why', () => {
    // 60 s phases; flip1 has been high for 20 s of this one.
    const {entries, current} = flipping(60, 6 * 8 + 3)
    const result = plan(entries, current)
    assert.deepEqual(result.items, [])
    const line = (result.rejected ?? []).find((text) => text.includes('flip1'))
    assert.match(line ?? '', /flip1 .* does not displace flip2: its need has lasted 60 s \(median of the latest episodes\) and this one is \d+ s old, no longer than the 60 s a swap commits the VF/)
  })

  it('swaps when the need lasts long enough to pay back', () => {
    // 5-minute phases: flip1's need is expected to outlast the hold.
    const {entries, current} = flipping(300, 30 * 4 + 3)
    const result = plan(entries, current)
    assert.deepEqual(result.items.map((change) => `${change.op} ${change.vm}`), ['detach flip2', 'attach flip1'])
  })
})

describe('sova: a migration pays only while the hot spell lasts', () => {
  // h1's port is hot (tx) in spells of `spell` seconds with 60 s between them; the current spell has
  // lasted `samples` samples. bulk1 (2 GiB) is the cheapest VM whose move relieves enough; web1
  // (8 GiB) would cost more to copy. h2 is idle.
  function spells(spell: number, samples: number, earlier = 4, calm = 6) {
    const hot: boolean[] = [...Array(calm).fill(false)]
    for (let n = 0; n < earlier; n++) hot.push(...Array(spell / 10).fill(true), ...Array(6).fill(false))
    hot.push(...Array(samples).fill(true))
    return history(hot.length, (i) => {
      const bulk1 = vm('bulk1', {net: {rxBps: 0, txBps: ((hot[i] ? 6500 : 1000) * 1e6) / 8, activeRatio: 1}, memoryMiB: 2048})
      const web1 = sender('web1', 2500, 'vf', DEFAULT_VFS[0])
      web1.memoryMiB = 8192
      return doc([carrying('h1', [bulk1, web1]), carrying('h2', [])])
    })
  }

  const plan = (entries: HistoryEntry[], current: SovaDocument) => {
    const scored = {...current, scores: scorePolicy(current, entries, sovaParams)}
    return {scored, plan: planMigrations(scored, sovaParams)}
  }

  it('keeps a VM home when the spell is expected to end before its copy could pay back, and says so', () => {
    const {entries, current} = spells(30, 3)
    const {scored, plan: result} = plan(entries, current)
    assert.equal(scored.scores?.hosts.h1.hot, true)
    assert.equal(scored.scores?.hosts.h1.hotSpellSeconds, 30)
    assert.equal(scored.scores?.hosts.h1.hotForSeconds, 10)
    assert.deepEqual(result.items, [])
    const said = (result.rejected ?? []).join('\n')
    assert.match(said, /^h1: bulk1 stays: its 6500 Mbit\/s of tx over the \d+ s left of the spell once its ~\d+ s copy is done \(the spell is expected to last 20 s more, as (?:its earlier spells did|its VMs' bursts are expected to)\) relieves less than its \d+ MiB copy adds to that tx$/m)
    assert.match(said, /^h1: predicted hot, but no VM's move pays back its copy while the load lasts$/m)
  })

  it('moves the VM when no earlier spell says this one will end soon', () => {
    // 2 minutes of calm first: the loop has watched h1 for more than one horizon.
    const {entries, current} = spells(30, 3, 0, 13)
    const {scored, plan: result} = plan(entries, current)
    assert.equal(scored.scores?.hosts.h1.hotSpellSeconds, undefined)
    assert.deepEqual(result.items.map((move) => `${move.vm} ${move.from}→${move.to}`), ['bulk1 h1→h2'])
  })
})

describe('sova: onto a PV path elsewhere when no target has a VF', () => {
  // h1's port is hot with heavy1 on a VF at 3,000 Mbit/s (above the PV path) and web VMs; h2 has room
  // but every VF of it is held by a VM that needs it; heavy1 is the only VM whose move relieves enough.
  function cluster(heavyMbps: number, webMbps: number) {
    // A small memory: its copy is short, so doing without its VF meanwhile costs it little.
    const heavy1 = {...sender('heavy1', heavyMbps, 'vf', DEFAULT_VFS[0]), memoryMiB: 256}
    const webs = Array.from({length: 10}, (_, n) => sender(`web${n + 1}`, webMbps, 'pv'))
    const holders = DEFAULT_VFS.map((vf, n) => sender(`hold${n + 1}`, 250, 'vf', vf))
    return history(4, () => doc([carrying('h1', [heavy1, ...webs]), carrying('h2', holders)]))
  }

  const plan = (entries: HistoryEntry[], current: SovaDocument) => planMigrations({...current, scores: scorePolicy(current, entries, sovaParams)}, sovaParams)

  it('moves it when the port gains more than it loses above the PV path, and says so', () => {
    // 9,500 Mbit/s on h1: 1,000 must go; heavy1 alone carries enough, and loses ~530 above the PV path.
    const {entries, current} = cluster(3000, 650)
    const result = plan(entries, current)
    assert.deepEqual(result.items.map((move) => `${move.vm} ${move.from}→${move.to} vf:${move.giveVfOnArrival}`), ['heavy1 h1→h2 vf:false'])
    assert.match(result.items[0].reason, /no target has a VF to spare, so it runs on its PV NIC there: it loses up to \d+ Mbit\/s above the PV path while the port gains \d+ Mbit\/s/)
  })

  it('keeps it when it would lose more than the port gains', () => {
    // At 5,500 Mbit/s it would lose ~3,000 Mbit/s on a PV path: more than the 1,000 the port must shed.
    const {entries, current} = cluster(5500, 400)
    const result = plan(entries, current)
    assert.deepEqual(result.items.filter((move) => move.vm === 'heavy1'), [])
    assert.ok((result.rejected ?? []).some((line) => /heavy1 .* has no target: .*on a PV path elsewhere it would lose \d+ Mbit\/s, more than the \d+ Mbit\/s the port gains/.test(line)), (result.rejected ?? []).join('\n'))
  })
})

describe('sova: a VF holder pays for the copy without its VF', () => {
  // h1's tx is hot at 9,500 Mbit/s: 1,000 must go. vfvm (2 GiB, on a VF at 3,000 Mbit/s, above the
  // PV path) and pvvm (3 GiB, on PV at 2,000) each relieve enough; three 16 GiB fillers too.
  function cluster() {
    const vfvm = sender('vfvm', 3000, 'vf', DEFAULT_VFS[0])
    vfvm.memoryMiB = 2048
    const pvvm = sender('pvvm', 2000, 'pv')
    pvvm.memoryMiB = 3072
    const fillers = Array.from({length: 3}, (_, n) => ({...sender(`fill${n + 1}`, 1500, 'pv'), memoryMiB: 16384}))
    return history(4, () => doc([carrying('h1', [vfvm, pvvm, ...fillers]), carrying('h2', [])]))
  }

  it('moves the VM on PV although its copy is larger: the VF holder would do without its VF while it copies', () => {
    const {entries, current} = cluster()
    const result = planMigrations({...current, scores: scorePolicy(current, entries, sovaParams)}, sovaParams)
    assert.deepEqual(result.items.map((move) => `${move.vm} ${move.from}→${move.to}`), ['pvvm h1→h2'])
  })
})

describe("sova: a spell made of its VMs' bursts", () => {
  // h1 (10,000 Mbit/s, hot at 85%) carries steady1 (8 GiB) at 6,000 Mbit/s tx throughout and burster
  // (4 GiB) at a floor of 200. With `earlier`, burster burst to 1,500 for 30 s twice (h1 stayed below 85%:
  // no hot spell of h1 ever ended); now it bursts to 3,500 for the latest 3 samples and h1 is hot.
  // h2 is idle.
  /** Samples 4-6 and 16-18: two earlier bursts of 30 s. */
  const burstedTwice = (i: number) => (i >= 4 && i <= 6) || (i >= 16 && i <= 18)
  /** A PV VM sending `mbps` with `memoryMiB` to copy. */
  const pvSender = (name: string, mbps: number, memoryMiB: number): Vm => ({...sender(name, mbps, 'pv'), memoryMiB})

  function bursts(earlier: boolean) {
    const burstAt = (i: number) => (i >= 30 ? 3500 : earlier && burstedTwice(i) ? 1500 : 200)
    return history(33, (i) => {
      const steady1 = pvSender('steady1', 6000, 8192)
      const burster = pvSender('burster', burstAt(i), 4096)
      return doc([carrying('h1', [steady1, burster]), carrying('h2', [])])
    })
  }

  const plan = (entries: HistoryEntry[], current: SovaDocument) => {
    const scored = {...current, scores: scorePolicy(current, entries, sovaParams)}
    return {scored, plan: planMigrations(scored, sovaParams)}
  }

  it('keeps the steady VM home when the spell is a burst expected to end before its copy, and says why', () => {
    const {entries, current} = bursts(true)
    const {scored, plan: result} = plan(entries, current)
    assert.equal(scored.scores?.hosts.h1.hot, true)
    assert.equal(scored.scores?.hosts.h1.hotSpellSeconds, undefined, "no spell of h1 ended: the evidence is the burster's")
    assert.equal(scored.scores?.vms.burster.memory?.burstEpisodeSeconds, 30)
    assert.equal(scored.scores?.vms.burster.memory?.floorMbps, 200)
    assert.deepEqual(result.items, [])
    const said = (result.rejected ?? []).join('\n')
    assert.match(said, /^h1: steady1 stays: .*\(the spell is expected to last 20 s more, as its VMs' bursts are expected to\)/m)
    assert.match(said, /^h1: burster stays: .*\(the spell is expected to last 20 s more, as its VMs' bursts are expected to\)/m)
  })

  it("takes a burst of a VM never seen to end one to last as the cluster's VMs' bursts did", () => {
    // burster bursts for the first time; another VM, on h2, burst to 1,500 for 30 s twice.
    const {entries, current} = history(33, (i) => {
      const steady1 = pvSender('steady1', 6000, 8192)
      const burster = pvSender('burster', i >= 30 ? 3500 : 200, 4096)
      const other = sender('other', burstedTwice(i) ? 1500 : 200, 'pv')
      return doc([carrying('h1', [steady1, burster]), carrying('h2', [other])])
    })
    const {scored, plan: result} = plan(entries, current)
    assert.equal(scored.scores?.vms.burster.memory?.burstEpisodeSeconds, undefined)
    assert.equal(scored.scores?.hosts.h1.clusterBurstSeconds, 30)
    assert.deepEqual(result.items, [])
    assert.match((result.rejected ?? []).join('\n'), /^h1: steady1 stays: .*\(the spell is expected to last 20 s more, as its VMs' bursts are expected to\)/m)
  })

  it('gives a burst that has run most of 2 minutes little time left: it falls back within them or is no burst', () => {
    // As above, but the burst to 3,500 began 11 samples ago: older than its earlier bursts (30 s).
    // Taken to last as long again as it has, the spell would pay back burster's copy; a burst ends
    // within LEVEL_SECONDS (120 s) of its start or becomes the VM's new level.
    const {entries, current} = history(33, (i) => {
      const rate = i >= 22 ? 3500 : burstedTwice(i) ? 1500 : 200
      return doc([carrying('h1', [pvSender('steady1', 6000, 8192), pvSender('burster', rate, 4096)]), carrying('h2', [])])
    })
    const {scored, plan: result} = plan(entries, current)
    assert.equal(scored.scores?.vms.burster.memory?.burstForSeconds, 90)
    assert.deepEqual(result.items, [])
    assert.match((result.rejected ?? []).join('\n'), /^h1: burster stays: .*\(the spell is expected to last 30 s more, as its VMs' bursts are expected to\)/m)
  })

  it('ends the spell with the first bursts whose end brings the port below its goal, not with the last of them', () => {
    // h1 carries steady1 at 5,000 Mbit/s tx, a short burster (earlier bursts of 30 s) and a long one
    // (an earlier burst of 90 s); both burst now, for the latest 3 samples, and h1 is hot at 95%.
    // Once the short burst (2,800 above its floor) ends, h1 is at 67%: the spell is over in 20 s,
    // though the long burst goes on for about a minute more.
    const {entries, current} = history(33, (i) => {
      const shortRate = i >= 30 ? 3000 : burstedTwice(i) ? 1500 : 200
      const longRate = i >= 30 || (i >= 8 && i <= 16) ? 1500 : 200
      return doc([carrying('h1', [pvSender('steady1', 5000, 8192), pvSender('short', shortRate, 4096), pvSender('long', longRate, 4096)]), carrying('h2', [])])
    })
    const {scored, plan: result} = plan(entries, current)
    assert.equal(scored.scores?.hosts.h1.hot, true)
    assert.equal(scored.scores?.vms.short.memory?.burstEpisodeSeconds, 30)
    assert.equal(scored.scores?.vms.long.memory?.burstEpisodeSeconds, 90)
    assert.deepEqual(result.items, [], (result.rejected ?? []).join('\n'))
    assert.match((result.rejected ?? []).join('\n'), /^h1: steady1 stays: .*\(the spell is expected to last 20 s more, as its VMs' bursts are expected to\)/m)
  })

  it('moves a VM when no burst was ever seen to end: nothing says the spell will (the cheaper copy goes)', () => {
    const {entries, current} = bursts(false)
    const {plan: result} = plan(entries, current)
    assert.deepEqual(result.items.map((move) => `${move.vm} ${move.from}→${move.to}`), ['burster h1→h2'], (result.rejected ?? []).join('\n'))
  })
})

describe('sova: no migration while the loop cannot yet tell a burst from a lasting spell', () => {
  // On h1, base1 (32 GiB) sends 4,000 Mbit/s and bulk1 (1 GiB) 3,000 for `calm` samples, then 5,000
  // for `hot` (h1 hot at 90%); h2 is idle.
  function turning(calm: number, hot: number) {
    return history(calm + hot, (i) => {
      const base1 = {...sender('base1', 4000, 'pv'), memoryMiB: 32768}
      return doc([carrying('h1', [base1, sender('bulk1', i < calm ? 3000 : 5000, 'pv')]), carrying('h2', [])])
    })
  }
  const plan = (entries: HistoryEntry[], current: SovaDocument) => planMigrations({...current, scores: scorePolicy(current, entries, sovaParams)}, sovaParams)

  it('holds a spell that began after less than one horizon of watching, and says why', () => {
    const {entries, current} = turning(6, 3)
    const result = plan(entries, current)
    assert.deepEqual(result.items, [])
    assert.match((result.rejected ?? []).join('\n'), /^h1: predicted hot, but its spell began \d+ s ago and the loop has watched it for 80 s, less than the 120 s it watches a host before moving off it \(--watch-before-move\): too early to tell a burst from a lasting spell$/m)
    assert.match(result.noop ?? '', /no beneficial migration/)
  })

  it('moves off a host no sample showed calm (hot before anyone watched), or once it was watched 120 s', () => {
    for (const [calm, hot] of [[0, 5], [13, 3]]) {
      const {entries, current} = turning(calm, hot)
      const result = plan(entries, current)
      assert.deepEqual(result.items.map((move) => `${move.vm} ${move.from}→${move.to}`), ['bulk1 h1→h2'], `calm ${calm}, hot ${hot}: ${(result.rejected ?? []).join('; ')}`)
    }
  })
})

describe('sova: a busy PV backend that no VF is left to relieve', () => {
  // h1's port is at 0.56, far from hot, but its backend's 4 cores are busy carrying its 6 PV VMs'
  // 3,600 Mbit/s; its 4 VFs are held by VMs that send 500 Mbit/s each (none is worth too little to
  // keep it). h2 is idle; its backend, too idle to measure, is taken at the prior (2,500 Mbit/s).
  function cluster(options: {h1Busy?: (i: number) => boolean; h2?: Partial<Host>; freeVf?: boolean; h1Backend?: boolean} = {}) {
    return history(4, (i) => {
      const holders = DEFAULT_VFS.slice(0, options.freeVf ? 3 : 4).map((vf, n) => sender(`hold${n + 1}`, 500, 'vf', vf))
      const busy = options.h1Busy?.(i) ?? true
      // While calm they send half as much: the backend's CPU says the same capacity throughout.
      const pvs = Array.from({length: 6}, (_, n) => ({...sender(`web${n + 1}`, busy ? 600 : 300, 'pv'), memoryMiB: 1024 + 512 * n}))
      const backend = options.h1Backend === false ? {} : {backend: {busyCores: busy ? 4 : 2, cores: 4}}
      return doc([carrying('h1', [...holders, ...pvs], backend), carrying('h2', [], {backend: {busyCores: 0, cores: 4}, ...options.h2})])
    })
  }
  const plan = (entries: HistoryEntry[], current: SovaDocument) => planMigrations({...current, scores: scorePolicy(current, entries, sovaParams)}, sovaParams)

  it('moves the PV VM with the smallest copy to a host whose backend has room, and says why', () => {
    const {entries, current} = cluster()
    const scores = scorePolicy(current, entries, sovaParams)
    assert.deepEqual(scores.hosts.h1.backendBusy, {forSeconds: 20}) // busy in 2 of 3 samples from the second on
    assert.equal(scores.hosts.h1.hot, false)
    const result = plan(entries, current)
    assert.deepEqual(result.items.map((move) => `${move.vm} ${move.from}→${move.to} vf:${move.giveVfOnArrival}`), ['web1 h1→h2 vf:false'])
    assert.match(result.items[0].reason, /^h1's PV backend is busy \(3600 Mbit\/s of PV traffic, capacity 3600 Mbit\/s; its port's busier direction at 0\.56\) for 20 s and no VF is left there to take traffic off it; web1 takes 600 Mbit\/s of PV traffic off it, enough alone \(needs 360 Mbit\/s\), copying ~1331 MiB; h2 keeps the most port headroom/)
  })

  it('leaves it to the VF plan while a VF there can still take PV traffic off it', () => {
    const {entries, current} = cluster({freeVf: true})
    const result = plan(entries, current)
    assert.deepEqual(result.items, [])
    assert.match((result.rejected ?? []).join('\n'), /^h1: its PV backend is busy \(.*\), but 1 VF\(s\) there can still take PV traffic off it: the VF plan relieves it without a move$/m)
  })

  it('refuses a target whose backend is busy too or would be with the VM, and names why', () => {
    const cases: [Partial<Host>, RegExp][] = [
      [{backend: {busyCores: 4, cores: 4}}, /h2's PV backend is busy itself/],
      // 1,000 Mbit/s of PV traffic on 2 of 4 cores: a capacity of 2,000 Mbit/s, and 600 more would pass 0.7 of it.
      [{vms: [sender('pv1', 1000, 'pv')], backend: {busyCores: 2, cores: 4}}, /h2's PV backend would carry 1600 Mbit\/s with web\d, not below 0\.70 of its 2000 Mbit\/s/],
    ]
    for (const [h2, why] of cases) {
      const {entries, current} = cluster({h2})
      const result = plan(entries, current)
      assert.deepEqual(result.items, [])
      assert.match((result.rejected ?? []).join('\n'), why)
    }
  })

  it('judges no backend busy without a CPU figure or a given capacity (libvirt), nor a spell younger than the watch', () => {
    const blind = cluster({h1Backend: false})
    assert.equal(scorePolicy(blind.current, blind.entries, sovaParams).hosts.h1.backendBusy, undefined)
    assert.match(plan(blind.entries, blind.current).noop ?? '', /^no host predicted hot \(busier port direction\) and no PV backend busy$/)
    // Calm for 10 samples, busy for the last 3: watched 120 s, but the spell began at 100 s: moved; at 7 + 3, held.
    for (const [calm, moved] of [[10, true], [7, false]] as const) {
      const {entries, current} = history(calm + 3, (i) => cluster({h1Busy: () => i >= calm}).current)
      const result = plan(entries, current)
      assert.equal(result.items.length > 0, moved, (result.rejected ?? []).join('\n'))
      if (!moved) assert.match((result.rejected ?? []).join('\n'), /h1: its PV backend has been busy \(3600 Mbit\/s of PV traffic, capacity 3600 Mbit\/s\) for 10 s and the loop has watched it for 90 s, less than the 120 s it watches a host before moving off it/)
    }
  })
})
