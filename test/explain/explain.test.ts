// The explanation of small documents that went through the real plan stages (dry run): each case
// checks that the explanation names the figures, the thresholds and where they come from.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {policyParams} from '../../src/lib/cli/flags.js'
import type {Host, HostCapacity, HostScore, SovaDocument, VmMemory, VmScore} from '../../src/lib/document/schema.js'
import {parseDocument} from '../../src/lib/document/validate.js'
import {UsageError} from '../../src/lib/errors.js'
import {explainDocument, type VmExplanation} from '../../src/lib/explain/explain-vm.js'
import {indexMentions} from '../../src/lib/explain/mentions.js'
import {renderExplanationCsv, renderExplanationTable, renderExplanationText} from '../../src/lib/explain/render-explanation.js'
import {formatThreshold, hotThresholdOf, policyThresholds} from '../../src/lib/explain/thresholds.js'
import type {PolicyParams} from '../../src/lib/policy/policies.js'
import {scoreDocument} from '../../src/lib/policy/score.js'
import {HOTSPOT_DEFAULTS} from '../../src/lib/policy/hotspot.js'
import {SOVA_DEFAULTS} from '../../src/lib/policy/sova-params.js'
import {pvTrafficMbps} from '../../src/lib/loop/collect.js'
import {vfValue} from '../../src/lib/policy/sova-score.js'
import {balanceStage, migrateStage, switchVfStage} from '../../src/lib/loop/stages.js'
import {doc, host, hostScore, loadedHost, vm} from '../helpers/build.js'

const MBIT = 1e6 / 8 // bytes per second in one Mbit/s
const COOL = 'busier direction: 0 of last 3 samples >= 0.85 (need 2)'
const HOT = 'busier direction: 3 of last 3 >= 0.85 and burg AR(4) forecast 0.95 >= 0.85'

/** A VM receiving `mbit` Mbit/s on its PV path (unless the tweak says otherwise). */
const talker = (name: string, mbit: number, tweak: Partial<Parameters<typeof vm>[1] & object> = {}) =>
  vm(name, {net: {rxBps: mbit * MBIT, txBps: 0, activeRatio: 1}, ...tweak})

/** The PV cap and backend capacity of the cases, as if given by --pv-cap and --backend-capacity. */
const GIVEN_CAPACITY: HostCapacity = {
  pvCapMbps: 2474, pvCapFrom: 'given', pvCapWhy: 'given (--pv-cap or the configuration)',
  backendMbps: 7273, backendFrom: 'given', backendWhy: 'given (--backend-capacity or the configuration)',
}

/** A document scored as sova scores it (VF values from the real formula), hosts cool unless told. */
function sovaDoc(hosts: Host[], hostScores: Record<string, Partial<HostScore>> = {}, memory: Record<string, VmMemory> = {}): SovaDocument {
  const vms: Record<string, VmScore> = {}
  const scores: Record<string, HostScore> = {}
  for (const one of hosts) {
    const capacity = {...GIVEN_CAPACITY, ...hostScores[one.name]?.capacity}
    const context = {lineRateMbps: one.nic.speedMbps, pvTrafficMbps: pvTrafficMbps(one), capacity}
    for (const guest of one.vms) {
      const value = vfValue(guest, memory[guest.name], context, SOVA_DEFAULTS)
      vms[guest.name] = {
        host: one.name, ioRatio: 0.2, netScore: 0, rateMbps: value.rateMbps, demandMbps: value.demandMbps,
        vfValueMbps: value.valueMbps, memory: memory[guest.name] ?? {recentMoves: 0}, reason: value.reason,
      }
    }
    scores[one.name] = hostScore({utilisation: one.nic.utilisation, measure: 'peak', reason: COOL, ...hostScores[one.name], capacity})
  }
  return doc(hosts, {scores: {policy: 'sova', vms, hosts: scores}})
}

/** One cycle's plan stages in a dry run: balance, migrate, switch-vf. */
async function cycle(input: SovaDocument, params: PolicyParams = policyParams({})): Promise<SovaDocument> {
  const moved = await migrateStage(balanceStage(input, params), undefined)
  const output = await switchVfStage(moved, params, undefined)
  parseDocument(output, 'test') // what explain reads is a valid document
  return output
}

function explainOne(input: SovaDocument, name: string): VmExplanation {
  const [explanation] = explainDocument(input, {vm: name})
  assert.equal(explanation.vm, name)
  return explanation
}

const limit = (explanation: VmExplanation, what: string) => explanation.thresholds.find((one) => one.what === what)

describe('explain: sova VF paths', () => {
  it('says whether the PV cap a VM was measured against was estimated, and from what', async () => {
    const estimated: HostCapacity = {
      ...GIVEN_CAPACITY, pvCapMbps: 1200, pvCapFrom: 'estimated',
      pvCapWhy: 'estimated: 3 PV samples (2 VMs) level off at 1200 Mbit/s while a VF carried 3000 Mbit/s',
    }
    const output = await cycle(sovaDoc([host('host1', [talker('capped', 1190), vm('idle')])], {host1: {capacity: estimated}}))
    const capped = explainOne(output, 'capped')
    assert.equal(capped.path, 'vf')
    assert.match(capped.decidedBy, /demand 1785 Mbit\/s > PV cap 1200 Mbit\/s$/)
    assert.deepEqual(limit(capped, 'PV path capacity'), {what: 'PV path capacity', flag: '--pv-cap', value: 1200, unit: 'Mbit/s', source: estimated.pvCapWhy})
    // The VM's own reason says the figure was estimated (the host's capacity says from what).
    assert.match(output.scores?.vms.capped.reason ?? '', /saturated \(≥ 90% of PV 1200 Mbit\/s, estimated\)/)
  })

  it('a VM that gets a free VF because of its value: the value against the free-VF minimum', async () => {
    const output = await cycle(sovaDoc([host('host1', [talker('bulk', 400), vm('idle')])]))
    const bulk = explainOne(output, 'bulk')
    assert.equal(bulk.path, 'vf')
    assert.equal(bulk.vf, '0000:03:10.0')
    assert.equal(bulk.decidedBy, 'VF worth 40 Mbit/s ≥ minimum 10 Mbit/s; demand 400 Mbit/s ≤ PV cap 2474 Mbit/s')
    assert.equal(bulk.pathReason, 'Would take free VF 0000:03:10.0: worth 40 Mbit/s to bulk, at least the free-VF minimum of 10 Mbit/s (sova default).')
    assert.equal(bulk.outcome, 'attach-vf 0000:03:10.0: dry-run')
    assert.deepEqual(limit(bulk, 'free-VF minimum'), {what: 'free-VF minimum', flag: '--vf-min-value', value: 10, unit: 'Mbit/s', source: 'sova default'})
    assert.deepEqual(bulk.figures.vfValueRank, '1 of 2')

    const idle = explainOne(output, 'idle')
    assert.equal(idle.path, 'pv')
    assert.equal(idle.pathReason, 'Stays on PV: a VF is worth 0 Mbit/s to idle, below the free-VF minimum of 10 Mbit/s (sova default).')
    assert.equal(idle.outcome, 'none: stays: host1 not hot; PV: worth less than the minimum')
  })

  it('a VM that lost its VF to a more valuable one: gain against the swap margin and the hot-plug cost', async () => {
    const hosts = [host('host1', [talker('cpu', 10, {vf: '0000:03:10.0'}), talker('bulk', 400)], {vfs: {total: 1, free: []}})]
    const output = await cycle(sovaDoc(hosts))
    const cpu = explainOne(output, 'cpu')
    assert.equal(cpu.path, 'pv')
    assert.match(cpu.pathReason, /^Would give VF 0000:03:10\.0 to bulk, worth 40 Mbit\/s to it against 1 Mbit\/s to this VM: gain 39 Mbit\/s > swap margin 20 Mbit\/s \(sova default\) \+ hot-plug cost \d+ Mbit\/s\.$/)
    assert.equal(cpu.outcome, 'detach-vf 0000:03:10.0: dry-run')
    const bulk = explainOne(output, 'bulk')
    assert.match(bulk.pathReason, /^Would take VF 0000:03:10\.0 from cpu \(worth 1 Mbit\/s to it\): gain 39 Mbit\/s > swap margin/)
  })

  it('a swap the margin refused: the rejected line, with the margin the document states', async () => {
    const hosts = [host('host1', [talker('cpu', 10, {vf: '0000:03:10.0'}), talker('bulk', 400)], {vfs: {total: 1, free: []}})]
    const output = await cycle(sovaDoc(hosts), policyParams({'vf-swap-margin': 50}))
    const refused = 'host1: bulk (40 Mbit/s) does not displace cpu (1 Mbit/s): gain 39 Mbit/s ≤ margin 50 Mbit/s + hot-plug cost 1 Mbit/s'
    const cpu = explainOne(output, 'cpu')
    assert.equal(cpu.path, 'vf')
    assert.equal(cpu.pathReason, `Keeps VF 0000:03:10.0: ${refused}.`)
    assert.deepEqual(cpu.rejected, [refused])
    assert.equal(limit(cpu, 'swap margin')?.value, 50)
    assert.equal(limit(cpu, 'swap margin')?.source, 'document')
    const bulk = explainOne(output, 'bulk')
    assert.equal(bulk.pathReason, `Stays on PV: ${refused}.`)
    assert.equal(bulk.outcome, 'none: stays: host1 not hot; PV: does not displace cpu (1 Mbit/s): gain 39 Mbit/s ≤ margin 50 Mbit/s + hot-plug cost 1 Mbit/s')
  })

  it('a VM worth a VF that outbids no holder: the least valuable holder and the margin', async () => {
    const hosts = [host('host1', [talker('web', 400, {vf: '0000:03:10.0'}), talker('a', 350), talker('b', 300)], {vfs: {total: 1, free: []}})]
    const output = await cycle(sovaDoc(hosts))
    // The planner says why the best claimant (a) was refused; b, worth less, is refused alike.
    const refused = 'host1: a (35 Mbit/s) does not displace web (40 Mbit/s): gain -5 Mbit/s ≤ margin 20 Mbit/s + hot-plug cost 0 Mbit/s'
    assert.deepEqual(output.plan?.rejected?.vf, [refused])
    assert.equal(explainOne(output, 'a').pathReason, `Stays on PV: ${refused}.`)
    const b = explainOne(output, 'b')
    assert.equal(b.pathReason, "Stays on PV: the only VF of host1 is held; taking the least valuable holder's, web's (40 Mbit/s), " +
      'would not pay: gain -10 Mbit/s ≤ swap margin 20 Mbit/s (from the document) + hot-plug cost 0 Mbit/s.')
    assert.equal(b.outcome, 'none: stays: host1 not hot; PV: outbids no VF holder (least: web, 40 Mbit/s)')
    assert.equal(explainOne(output, 'web').pathReason, `Keeps VF 0000:03:10.0: ${refused}.`)
  })

  it('a VM that keeps its VF because nobody without one is worth the minimum', async () => {
    const output = await cycle(sovaDoc([host('host1', [talker('cpu', 10, {vf: '0000:03:10.0'}), vm('idle')])]))
    const cpu = explainOne(output, 'cpu')
    assert.match(cpu.pathReason, /^Keeps VF 0000:03:10\.0: no VM on host1 without a VF is worth the free-VF minimum of 10 Mbit\/s \(sova default\)/)
    assert.equal(cpu.outcome, 'none: stays: host1 not hot; keeps VF: no VM without one claims it')
  })
})

describe('explain: sova migrations', () => {
  // host1's port is hot: big's 3000 Mbit/s is what a move can take off it; host2 has room.
  const hotCluster = (host2Load: number) => sovaDoc(
    [
      loadedHost('host1', 0.95, [talker('big', 3000, {memoryMiB: 4096}), talker('small', 5)]),
      loadedHost('host2', host2Load, [vm('quiet')]),
    ],
    {host1: {hot: true, utilisation: 0.95, forecast: 0.95, window: [0.9, 0.92, 0.95], reason: HOT}},
  )

  it('a VM migrated off a hot host: the hotspot figures, the target limit and a VF on arrival', async () => {
    const output = await cycle(hotCluster(0.1))
    const big = explainOne(output, 'big')
    assert.equal(big.host, 'host2')
    assert.equal(big.fromHost, 'host1')
    assert.match(big.placement, /^Would move host1 -> host2 \(dry run, not executed\): host1 predicted hot \(busier direction: 3 of last 3 >= 0\.85/)
    assert.match(big.placement, /host2 keeps the most headroom \(0\.30 below 0\.70 after the move\)/)
    assert.equal(big.path, 'vf')
    assert.match(big.pathReason, /^Would be given free VF 0000:03:10\.0 on arrival \(arrived from host1: gets a free VF\): its demand 4500 Mbit\/s is above the PV path \(0\.90 × 2474 Mbit\/s \(given \(--pv-cap or the configuration\)\) = 2227 Mbit\/s\)\.$/)
    assert.deepEqual(big.hosts.map((status) => [status.host, status.hot]), [['host2', false], ['host1', true]])
    assert.deepEqual(limit(big, 'hotspot threshold'), {what: 'hotspot threshold', flag: '--threshold', value: 0.85, unit: 'share', source: 'document'})
    assert.equal(limit(big, 'a target must stay below')?.source, 'document')
    assert.equal(big.outcome, 'migrate host1 -> host2: dry-run; attach-vf 0000:03:10.0: dry-run')

    const small = explainOne(output, 'small')
    assert.equal(small.host, 'host1')
    assert.match(small.placement, /^Stays on host1, which is predicted hot: big moves instead \(host1 predicted hot/)
    assert.match(small.outcome, /^none: stays: big moves off host1 instead; /)
  })

  it('a host whose port was read from its PF alone: the hotspot status says so and why; one read from its port counters says nothing more', async () => {
    const input = hotCluster(0.1)
    input.hosts[0].nic = {...input.hosts[0].nic, basis: 'port-counters', basisWhy: 'mlx5_core port counters rx_bytes_phy/tx_bytes_phy from ethtool -S'}
    input.hosts[1].nic = {...input.hosts[1].nic, basis: 'pf-only', basisWhy: 'driver virtio_net has no entry in the port-counter table; PF counters only (VF traffic missing)'}
    const big = explainOne(await cycle(input), 'big')
    const status = (name: string) => big.hosts.find((one) => one.host === name)
    assert.equal(status('host1')?.portBasis, undefined)
    assert.equal(status('host2')?.portBasis, 'port read as pf-only (driver virtio_net has no entry in the port-counter table; PF counters only (VF traffic missing))')
    assert.match(renderExplanationText(big, 10_000), /host2 is not predicted hot: .*; port read as pf-only \(driver virtio_net/)
  })

  it('a planned move migrate declined (its sample too old): it stays, and explain says why', async () => {
    const planned = balanceStage(hotCluster(0.1), policyParams({}))
    const late = new Date(Date.parse(planned.at) + 300_000).toISOString()
    const output = await migrateStage(planned, undefined, {maxAgeSeconds: 120, now: async () => late})
    const big = explainOne(output, 'big')
    assert.equal(big.host, 'host1')
    assert.match(big.placement, /^Stays on host1: a move host1 -> host2 was planned \(host1 predicted hot .*\), but not executed: sample of \S+ is 300 s old, more than the 120 s allowed \(--max-sample-age\): none of the 1 planned migrations executed\.$/)
  })

  it('a VM whose migration was rejected: the balancer\'s reason, and the limit it names', async () => {
    const output = await cycle(hotCluster(0.65))
    const big = explainOne(output, 'big')
    const refused = 'host1: big (3000 Mbit/s of rx) has no target: host2 would reach 0.95 ≥ 0.70 with big'
    assert.equal(big.host, 'host1')
    assert.equal(big.fromHost, undefined)
    assert.equal(big.placement, `Stays on host1, which is predicted hot: ${refused}.`)
    assert.ok(big.rejected.includes(refused))
    // It stays, and being worth a lot it takes one of host1's free VFs.
    assert.equal(big.outcome, 'attach-vf 0000:03:10.0: dry-run; big (3000 Mbit/s of rx) has no target: host2 would reach 0.95 ≥ 0.70 with big')
    assert.deepEqual(limit(big, 'a target must stay below'), {what: 'a target must stay below', flag: '--target-below', value: 0.7, unit: 'share', source: 'document'})
  })

  it('a VM cooling down after a recent move: the wait and the cooldown it comes from', async () => {
    const input = sovaDoc(
      [loadedHost('host1', 0.95, [talker('pinned', 3000)]), loadedHost('host2', 0.1)],
      {host1: {hot: true, utilisation: 0.95, forecast: 0.95, reason: HOT}},
      {pinned: {recentMoves: 1, lastMoveAt: '2023-12-31T23:59:00.000Z'}},
    )
    const pinned = explainOne(await cycle(input), 'pinned')
    const refused = 'host1: pinned stays: cooling down for 240 s more (1 recent move(s))'
    assert.deepEqual(pinned.rejected, [refused])
    assert.equal(
      pinned.placement,
      `Stays on host1, which is predicted hot: ${refused}. It arrived at 2023-12-31T23:59:00.000Z (1 recent move(s)), ` +
        '240 s of its cooldown (300 s (sova default), more after repeated moves) left.',
    )
    assert.equal(pinned.outcome, 'attach-vf 0000:03:10.0: dry-run; pinned stays: cooling down for 240 s more (1 recent move(s))')
  })
})

describe('explain: seed tiers', () => {
  // I/O ratio (blocked / used CPU) ranks list2; net score (1 point per 1,024,000 B/s here) ranks list1.
  const guest = (name: string, io: number, net: number, vf?: string) =>
    vm(name, {cpu: {usedRatio: 0.5, blockedRatio: 0.5 * io}, net: {rxBps: net * 1_024_000, txBps: 0, activeRatio: 0}, ...(vf ? {vf} : {})})

  it('tiers from the I/O-ratio and net-score ranking, with the 2/3-of-2/3 cut-offs', async () => {
    const hosts = [host('host1', [guest('a', 3, 50), guest('b', 2, 40), guest('c', 1, 1), guest('d', 0.5, 30), guest('e', 0.1, 99, '0000:03:10.3')])]
    const input = doc(hosts)
    const output = await cycle({...input, scores: scoreDocument(input, new Map(), HOTSPOT_DEFAULTS)}, policyParams({policy: 'seed'}))
    const [a, c, e] = ['a', 'c', 'e'].map((name) => explainOne(output, name))
    assert.equal(a.figures.tier, 'list1')
    assert.equal(a.decidedBy, 'list1: I/O ratio 3.00 ranks 1 of 5 (top 4), net score 50 ranks 1 of 4 (top 3 hold VFs)')
    assert.match(a.pathReason, /^Would take free VF 0000:03:10\.\d: list1 without a VF takes the lowest free one\.$/)
    assert.equal(c.figures.tier, 'list2')
    assert.equal(c.pathReason, 'Stays on PV: list2 is not list1; only list1 holds VFs.')
    assert.equal(e.figures.tier, 'list3')
    assert.equal(e.decidedBy, 'list3: I/O ratio 0.10 ranks 5 of 5 (only the top 4 reach list2)')
    assert.equal(e.pathReason, 'Would lose VF 0000:03:10.3: list3 is not list1, so its VF returns to the pool.')
    assert.deepEqual(e.thresholds.map(formatThreshold), [
      'hotspot threshold 0.75 (from the document)',
      "list2 (by I/O ratio, of 5 guests): top 4 (the seed's 2/3-of-2/3 rule)",
      "list1, the VF holders (by net score, of list2's 4): top 3 (the seed's 2/3-of-2/3 rule)",
    ])
    const text = renderExplanationText(a)
    for (const expected of ['tier list1', 'I/O ratio 3.00', 'net score 50', 'hotspot threshold 0.75 (from the document)', 'top 3']) {
      assert.ok(text.includes(expected), `the text names ${expected}:\n${text}`)
    }
  })
})

describe('explain: thresholds', () => {
  it('come from the document\'s reasons where they are stated, else from the policy defaults', () => {
    const stated = doc([host('host1'), host('host2')], {
      scores: {policy: 'sova', vms: {}, hosts: {host1: hostScore({reason: HOT}), host2: hostScore({reason: 'busier direction: window not full (1 of 3 samples)'})}},
      plan: {policy: 'sova', migrations: [], vf: [], rejected: {vf: ['host1: web1 (30 Mbit/s) waits 12 s: its path changed within the 90 s hold']}},
    })
    assert.deepEqual(hotThresholdOf(stated, 'host1', 'sova'), {what: 'hotspot threshold', flag: '--threshold', value: 0.85, unit: 'share', source: 'document'})
    assert.equal(hotThresholdOf(stated, 'host2', 'sova').source, 'sova default')
    assert.equal(hotThresholdOf(stated, 'host2', 'seed').value, 0.75)
    const sova = policyThresholds(stated, 'sova')
    assert.equal(formatThreshold(sova.hold!), 'path hold 90 s (from the document)')
    assert.equal(formatThreshold(sova.swapMargin!), 'swap margin 20 Mbit/s (sova default)')
    assert.equal(formatThreshold(sova.saturatedShare!), 'PV counts as saturated from 90% (sova default)')
    const seed = doc([host('host1')], {plan: {policy: 'seed', migrations: [], vf: [], rejected: {migrations: ['host1 hot but no target below 0.50 (lowest host2 at 0.71)']}}})
    assert.equal(formatThreshold(policyThresholds(seed, 'seed').targetBelow!), 'a target must be below 0.50 (from the document)')
    assert.deepEqual(policyThresholds(seed, 'static-pv'), {})
  })
})

describe('explain: names and selection', () => {
  it('finds the reason lines that name a VM or host, whole names only', () => {
    const about = indexMentions(['host1: bulk1 stays: cooling down', 'host1: bulk10 (5 Mbit/s) waits 3 s', 'host10 hot but no target'])
    assert.deepEqual(about('bulk1'), ['host1: bulk1 stays: cooling down'])
    assert.deepEqual(about('host1'), ['host1: bulk1 stays: cooling down', 'host1: bulk10 (5 Mbit/s) waits 3 s'])
    assert.deepEqual(about('bulk'), [])
  })

  it('an unknown VM or host is a usage error naming it and a few of those there are', () => {
    const input = doc([host('host1', [vm('web1'), vm('web2')]), host('host2', [vm('db1')])])
    assert.throws(() => explainDocument(input, {vm: 'web9'}), (error: unknown) =>
      error instanceof UsageError && error.exit === 2 && error.message === '--vm: web9 is not a VM of cluster test at 2024-01-01T00:00:00Z (VMs: web1, web2, db1)')
    assert.throws(() => explainDocument(input, {host: 'host9'}), /--host: host9 is not a host of cluster test .*\(hosts: host1, host2\)/)
    assert.throws(() => explainDocument(input, {vm: 'db1', host: 'host1'}), /--vm db1 is not on --host host1 \(it is on host2\)/)
    assert.deepEqual(explainDocument(input, {host: 'host1'}).map((one) => one.vm), ['web1', 'web2'])
  })

  it('a document without scores still says where each VM is, and that there is nothing more to say', () => {
    const [web1] = explainDocument(doc([host('host1', [vm('web1', {vf: '0000:03:10.1'})])]))
    assert.equal(web1.policy, 'none')
    assert.equal(web1.path, 'vf')
    assert.equal(web1.decidedBy, 'no scores (run sova score, or sova run)')
    assert.equal(web1.placement, 'Stays on host1: the document has no hotspot figures (run sova score, or sova run).')
  })

  it('renders a table with the thresholds under it, CSV with a header once, and a text block per VM', async () => {
    const output = await cycle(sovaDoc([host('host1', [talker('bulk', 400), vm('idle')])]))
    const explanations = explainDocument(output)
    const table = renderExplanationTable({cluster: 'test', at: output.at, policy: 'sova'}, explanations)
    assert.match(table, /^test · 2024-01-01T00:00:00Z · policy sova\n/)
    assert.match(table, /\nVM +HOST +PATH +VF +DECIDED_BY +OUTCOME\n/)
    assert.match(table, /\nbulk +host1 +vf +0000:03:10\.0 +VF worth 40 Mbit\/s ≥ minimum 10 Mbit\/s;/)
    assert.match(table, /\nThresholds: hotspot threshold 0\.85 \(from the document\); free-VF minimum 10 Mbit\/s \(sova default\);/)
    const csv = renderExplanationCsv(explanations, true).trim().split('\n')
    assert.equal(csv.length, 3)
    assert.match(csv[0], /^at,cluster,policy,vm,host,from_host,path,vf,tier,/)
    assert.equal(renderExplanationCsv(explanations, false).trim().split('\n').length, 2)
    const text = renderExplanationText(explanations[0])
    assert.match(text, /^bulk on host1, path vf 0000:03:10\.0 \(test at 2024-01-01T00:00:00Z, policy sova\)\n/)
    assert.match(text, /\n {2}Figures: {4}rate 400 Mbit\/s, demand 400 Mbit\/s, VF worth 40 Mbit\/s \(ranks 1 of 2 on host1, which has 4 VFs\)/)
    assert.match(text, /\n {2}Thresholds: hotspot threshold 0\.85 \(from the document\)\n {14}free-VF minimum 10 Mbit\/s \(sova default\)\n/)
  })
})
