// The PV cap and backend capacity sova decides with when nobody gives them: estimated from the
// samples (a shared ceiling of PV rates, the backend's CPU against PV traffic), else a safe prior;
// a given figure is used as known.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import type {Host, SovaDocument, Vm} from '../../src/lib/document/schema.js'
import {knowledgeOf, utilisationOf} from '../../src/lib/loop/collect.js'
import type {HistoryEntry} from '../../src/lib/loop/history.js'
import {estimatePathCapacities, PATH_CAPACITY} from '../../src/lib/policy/path-capacity.js'
import {doc, host, loadedHost, vm} from '../helpers/build.js'

const MBIT = 1e6 / 8
const START = Date.parse('2024-01-01T00:00:00Z')

/** A VM receiving `mbit` Mbit/s (and sending a tenth of it) on `path`. */
const talker = (name: string, mbit: number, path: 'pv' | 'vf' = 'pv'): Vm =>
  vm(name, {net: {rxBps: mbit * MBIT, txBps: (mbit / 10) * MBIT, activeRatio: 1}, path, vf: path === 'vf' ? '0000:03:10.0' : null})

/** Samples 10 s apart, each given as its hosts; the last is the document, all of them the history. */
function samples(...hostsOf: Host[][]): {current: SovaDocument; entries: HistoryEntry[]} {
  const docs = hostsOf.map((hosts, i) => doc(hosts, {at: new Date(START + i * 10_000).toISOString()}))
  const entries = docs.map((one) => ({at: Date.parse(one.at), utilisation: utilisationOf(one), knowledge: knowledgeOf(one)}))
  return {current: docs[docs.length - 1], entries}
}

const estimated = () => ({})

describe('path capacity: the PV cap', () => {
  it('finds a shared ceiling: PV VMs level off at one rate, and one of them goes faster on a VF at once', () => {
    // Two PV VMs within 1% of 1200 Mbit/s over several samples; then a gets a VF and carries 3000.
    const {current, entries} = samples(
      ...[1200, 1195, 1199].map((top) => [host('h1', [talker('a', top), talker('b', 1190)]), host('h2', [talker('c', 300)])]),
      [host('h1', [talker('a', 3000, 'vf'), talker('b', 1192)]), host('h2', [talker('c', 300)])],
    )
    const capacities = estimatePathCapacities(current, entries, estimated)
    for (const name of ['h1', 'h2']) {
      const capacity = capacities.get(name)
      assert.equal(capacity?.pvCapFrom, 'estimated', `${name} shares the pooled ceiling`)
      assert.ok(Math.abs((capacity?.pvCapMbps ?? 0) - 1200) < 12, `${name}: ${capacity?.pvCapMbps}`)
      assert.match(capacity?.pvCapWhy ?? '', /^estimated: 3 PV samples \(\d VMs?\) level off at 1200 Mbit\/s, and a went from 1199 Mbit\/s on PV to 3000 Mbit\/s on a VF$/)
    }
  })

  it('takes no level for a ceiling from VMs that want the same, however fast another VM goes on a VF', () => {
    // Three replicas at 451 Mbit/s on PV, and a VM that has always been on a VF at 3000: nothing
    // shows that PV held the replicas back.
    const {current, entries} = samples(...[0, 1, 2, 3].map(() => [host('h1', [talker('r1', 451), talker('r2', 450), talker('r3', 449), talker('fast', 3000, 'vf')])]))
    const capacity = estimatePathCapacities(current, entries, estimated).get('h1')
    assert.equal(capacity?.pvCapFrom, 'prior')
    assert.match(capacity?.pvCapWhy ?? '', /3 PV samples level off there, but no VM at that level went 1\.1 × faster on a VF right after leaving its PV path/)
  })

  it('does not invent a ceiling from a single sample at the top', () => {
    // One noisy sample at 1500, the others well below it: no level, so the prior (the line rate).
    const {current, entries} = samples(
      [host('h1', [talker('a', 900), talker('b', 1000), talker('fast', 3000, 'vf')])],
      [host('h1', [talker('a', 1500), talker('b', 950), talker('fast', 3000, 'vf')])],
      [host('h1', [talker('a', 880), talker('b', 1010), talker('fast', 3000, 'vf')])],
    )
    const capacity = estimatePathCapacities(current, entries, estimated).get('h1')
    assert.equal(capacity?.pvCapFrom, 'prior')
    assert.equal(capacity?.pvCapMbps, 10_000)
    assert.match(capacity?.pvCapWhy ?? '', /^prior: the port's line rate \(highest PV rate seen 1500 Mbit\/s/)
  })

  it('takes no level for a ceiling when no VF carried more: it may be what the VMs want', () => {
    const {current, entries} = samples(...[0, 1, 2, 3].map(() => [host('h1', [talker('a', 1200), talker('b', 1200), talker('v', 1210, 'vf')])]))
    const capacity = estimatePathCapacities(current, entries, estimated).get('h1')
    assert.equal(capacity?.pvCapFrom, 'prior')
    assert.match(capacity?.pvCapWhy ?? '', /no VF carried more than 1\.1 × that/)
  })

  it('takes no level for a ceiling when a VM at it carried no more on a VF: the level is its demand', () => {
    // a and b level off at 1200 while fast goes faster on a VF, but a carried 1190 on a VF before.
    const {current, entries} = samples(
      [host('h1', [talker('a', 1190, 'vf'), talker('b', 1200), talker('fast', 3000, 'vf')])],
      ...[0, 1, 2].map(() => [host('h1', [talker('a', 1200), talker('b', 1200), talker('fast', 3000, 'vf')])]),
    )
    const capacity = estimatePathCapacities(current, entries, estimated).get('h1')
    assert.equal(capacity?.pvCapFrom, 'prior')
    assert.match(capacity?.pvCapWhy ?? '', /but a carried as much on a VF: the top is its demand/)
  })

  it('leaves out PV VMs of a saturated port: their fair shares look like a ceiling', () => {
    // Three PV VMs at one fair share of a port at 95%: no evidence about the PV path.
    const busy = () => loadedHost('h1', 0.95, [talker('a', 800), talker('b', 800), talker('c', 800)])
    const {current, entries} = samples(...[0, 1, 2].map(() => [busy(), host('h2', [talker('fast', 3000, 'vf')])]))
    assert.equal(estimatePathCapacities(current, entries, estimated).get('h1')?.pvCapFrom, 'prior')
  })
})

describe('path capacity: the PV backend', () => {
  it('divides PV traffic by the backend\'s busy cores over the window', () => {
    // 2000 + 200 Mbit/s of PV traffic costs 2 of 4 cores: the backend carries 4400 at most.
    const cpu = (busyCores: number) => ({backend: {busyCores, cores: 4}})
    const {current, entries} = samples(
      [host('h1', [talker('a', 1000), talker('b', 1000)], cpu(2))],
      [host('h1', [talker('a', 1000), talker('b', 1000)], cpu(2))],
    )
    const capacity = estimatePathCapacities(current, entries, estimated).get('h1')
    assert.equal(capacity?.backendFrom, 'estimated')
    assert.ok(Math.abs((capacity?.backendMbps ?? 0) - 4400) < 1e-6, String(capacity?.backendMbps))
    assert.match(capacity?.backendWhy ?? '', /^estimated from 2 samples of the backend's CPU: 2\.00 of 4 cores busy for 2200 Mbit\/s of PV traffic$/)
  })

  it('does not divide by a backend too idle to say anything', () => {
    const {current, entries} = samples([host('h1', [talker('a', 10)], {backend: {busyCores: 0.01, cores: 4}})])
    const capacity = estimatePathCapacities(current, entries, estimated).get('h1')
    assert.equal(capacity?.backendFrom, 'prior')
    assert.match(capacity?.backendWhy ?? '', /its backend's CPU too idle to measure by/)
  })

  it('without a CPU figure, takes the level its PV traffic flattens at', () => {
    const {current, entries} = samples(...[3600, 3590, 3605, 3598].map((total) => [host('h1', [talker('a', total / 2.2), talker('b', total / 2.2)])]))
    const capacity = estimatePathCapacities(current, entries, estimated).get('h1')
    assert.equal(capacity?.backendFrom, 'estimated')
    assert.ok(Math.abs((capacity?.backendMbps ?? 0) - 3605) < 1, String(capacity?.backendMbps))
    assert.match(capacity?.backendWhy ?? '', /levels off at 3605 Mbit\/s .*no backend CPU figure/)
  })
})

describe('path capacity: given figures and priors', () => {
  it('uses given figures as known, whatever the samples show', () => {
    const {current, entries} = samples(...[0, 1, 2].map(() => [host('h1', [talker('a', 1200), talker('b', 1200), talker('fast', 3000, 'vf')], {backend: {busyCores: 2, cores: 4}})]))
    const capacity = estimatePathCapacities(current, entries, () => ({pvCapMbps: 5000, backendCapacityMbps: 9000})).get('h1')
    assert.deepEqual(capacity, {
      pvCapMbps: 5000, pvCapFrom: 'given', pvCapWhy: 'given (--pv-cap or the configuration)',
      backendMbps: 9000, backendFrom: 'given', backendWhy: 'given (--backend-capacity or the configuration)',
    })
  })

  it('falls back to the priors when nothing is known: PV as fast as the port, the backend at a quarter of it', () => {
    const {current, entries} = samples([host('h1', [vm('idle')], {nic: {device: 'eth0', speedMbps: 25_000, rxBps: 0, txBps: 0, utilisation: 0}})])
    const capacity = estimatePathCapacities(current, entries, estimated).get('h1')
    assert.equal(capacity?.pvCapFrom, 'prior')
    assert.equal(capacity?.pvCapMbps, 25_000 * PATH_CAPACITY.pvCapPriorShare)
    assert.equal(capacity?.backendFrom, 'prior')
    assert.equal(capacity?.backendMbps, 25_000 * PATH_CAPACITY.backendPriorShare)
  })
})
