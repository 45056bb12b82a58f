// Every planner honours the operator's rules (rules.ts): pinned and excluded VMs stay, hotspots
// they hold are reported blocked naming the rule, targets in maintenance, excluded or holding a VM
// of the same anti-affinity group are refused, vf: never gets no VF, vf: always keeps its VF.
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {policyParams} from '../../src/lib/cli/flags.js'
import type {Host, SovaDocument, Vm} from '../../src/lib/document/schema.js'
import {SampleHistory} from '../../src/lib/loop/history.js'
import {historyNeeds, planMigrations, planVf, type PolicyName, type PolicyParams, scorePolicy} from '../../src/lib/policy/policies.js'
import {type RuleSet, withRules} from '../../src/lib/policy/rules.js'
import {DEFAULT_VFS, doc, host, hostScore, seedScores, vm} from '../helpers/build.js'

const PIN_DB1: RuleSet['vms'][number] = {match: {name: 'db*'}, migrate: 'never', origin: 'configuration rules.groups[0] "databases"'}

/** A VM sending `mbps` in (rx). */
const busy = (name: string, mbps: number, tweak: Partial<Vm> = {}) => vm(name, {net: {rxBps: (mbps * 1e6) / 8, txBps: 0, activeRatio: 1}, ...tweak})

/** A host whose port carries what its VMs do. */
function loaded(name: string, vms: Vm[], tweak: Partial<Host> = {}): Host {
  const built = host(name, vms, tweak)
  const rxBps = vms.reduce((sum, guest) => sum + guest.net.rxBps, 0)
  built.nic = {...built.nic, rxBps, utilisation: (rxBps * 8) / (built.nic.speedMbps * 1e6)}
  return built
}

const sovaParams = (caps: {'max-migrations-per-host'?: number} = {}) => policyParams({policy: 'sova', recent: 1, 'hot-samples': 1, ...caps})

/** The document scored as `sova score` scores it, with only itself as history. */
const scored = (document: SovaDocument, params: PolicyParams) => scorePolicy(document, new SampleHistory(undefined).window(document, historyNeeds(params).samples), params)

function sovaPlan(document: SovaDocument, caps: {'max-migrations-per-host'?: number} = {}) {
  const params = sovaParams(caps)
  return planMigrations({...document, scores: scored(document, params)}, params)
}

function seedPlan(document: SovaDocument, hot: string[], policy: PolicyName = 'seed') {
  const scores = seedScores(Object.fromEntries(document.hosts.map((h) => [h.name, hostScore({hot: hot.includes(h.name), utilisation: h.nic.utilisation})])))
  return planMigrations({...document, scores}, policyParams({policy}))
}

const moves = (plan: {items: {vm: string; from: string; to: string}[]}) => plan.items.map((m) => `${m.vm} ${m.from}→${m.to}`)

describe('migration planners and the rules', () => {
  // h1 is hot with db1 (the biggest, pinned) and web1; h2 is the emptiest; h3 in maintenance.
  const cluster = (rules: RuleSet) =>
    withRules(doc([loaded('h1', [busy('db1', 6000), busy('web1', 3500)]), loaded('h2', [busy('web2', 300)]), loaded('h3', [])]), rules)

  it('sova: without rules db1 goes; pinned, web1 relieves the hotspot instead; the pin is said', () => {
    assert.deepEqual(moves(sovaPlan(cluster({vms: [], hosts: []}))), ['db1 h1→h3'])
    const plan = sovaPlan(cluster({vms: [PIN_DB1], hosts: [{host: 'h3', maintenance: true, origin: 'sova drain h3'}]}))
    assert.deepEqual(moves(plan), ['web1 h1→h2'])
    assert.ok(plan.rejected?.includes('h1: db1 stays: db1 is pinned to h1 by never-migrate (configuration rules.groups[0] "databases")'), plan.rejected?.join('\n'))
    assert.match(plan.items[0].reason, /other targets rejected: h3 is in maintenance \(sova drain h3\)/)
  })

  it('sova: a hotspot only pinned VMs could relieve is reported blocked, in rejected and in noop', () => {
    const blocked = withRules(doc([loaded('h1', [busy('db1', 9000)]), loaded('h2', [])]), {vms: [PIN_DB1], hosts: []})
    const plan = sovaPlan(blocked)
    const line = 'h1: hotspot blocked: no VM that may move relieves its rx (db1 is pinned to h1 by never-migrate (configuration rules.groups[0] "databases"))'
    assert.deepEqual(plan.items, [])
    assert.ok(plan.rejected?.includes(line), plan.rejected?.join('\n'))
    assert.equal(plan.noop, `no beneficial migration: ${line}; every other alternative was rejected (see plan.rejected.migrations)`)
  })

  it('sova and seed: an excluded hot host sheds nothing and an excluded host receives nothing', () => {
    const excluded = cluster({vms: [], hosts: [{host: 'h1', exclude: true, origin: 'configuration rules.hosts.h1'}]})
    assert.deepEqual(sovaPlan(excluded).items, [])
    assert.match(sovaPlan(excluded).noop ?? '', /h1: hotspot blocked: h1 is excluded \(configuration rules.hosts.h1\)/)
    assert.deepEqual(seedPlan(excluded, ['h1']).items, [])
    assert.match(seedPlan(excluded, ['h1']).noop ?? '', /h1: hotspot blocked: h1 is excluded/)
    const noTarget = cluster({vms: [], hosts: [{host: 'h3', exclude: true, origin: 'x'}, {host: 'h2', exclude: true, origin: 'y'}]})
    assert.deepEqual(sovaPlan(noTarget).items, [])
    assert.deepEqual(seedPlan(noTarget, ['h1']).items, [])
    assert.match(seedPlan(noTarget, ['h1']).noop ?? '', /no other host may receive web1 \(less loaded hosts refused: h3 is excluded \(x\); h2 is excluded \(y\)\)/)
  })

  it('anti-affinity: no target holds a member of the group, counting this cycle\'s earlier arrivals', () => {
    const replicas: RuleSet = {vms: [PIN_DB1, {match: {name: 'web*'}, group: 'web', antiAffinity: true, origin: 'configuration rules.groups[1] "web"'}], hosts: []}
    // Two hot hosts each shed a web replica; h3 is the emptiest but can take only one of them.
    const twoHot = withRules(
      doc([
        loaded('h1', [busy('db1', 6000), busy('web1', 3500)]),
        loaded('h4', [busy('db2', 6000), busy('web3', 3500)]),
        loaded('h2', [busy('web2', 300)]),
        loaded('h3', []),
        loaded('h5', [busy('other', 900)]),
      ]),
      replicas,
    )
    const plan = sovaPlan(twoHot)
    assert.deepEqual(moves(plan), ['web1 h1→h3', 'web3 h4→h5'])
    // h3 (the emptiest) took web1 first: web3 may not join it there, nor web2 on h2.
    assert.match(plan.items[1].reason, /; anti-affinity group web: web2 is already on h2 \(configuration rules.groups\[1\] "web"\) \(and 1 more hosts alike\)/)
    // With room for two arrivals per host, h3 still takes only one replica: the ledger counts arrivals.
    assert.deepEqual(moves(sovaPlan(twoHot, {'max-migrations-per-host': 3})), ['web1 h1→h3', 'web3 h4→h5'])
    const seed = seedPlan(twoHot, ['h1', 'h4'])
    for (const move of seed.items) assert.match(move.vm, /^web/)
    assert.deepEqual(new Set(seed.items.map((m) => m.to)).size, seed.items.length, `seed: ${moves(seed)}`)
    for (const move of seed.items) assert.notEqual(move.to, 'h2')
  })

  it('seed and vlm: the victim is the largest factor among VMs that may move; its reason names the pin', () => {
    for (const policy of ['seed', 'vlm'] as const) {
      // web1 has the largest factor; pinned, db1 goes.
      assert.deepEqual(moves(seedPlan(cluster({vms: [], hosts: []}), ['h1'], policy)), ['web1 h1→h3'])
      const pinWeb1 = {match: {name: 'web1'}, migrate: 'never' as const, origin: 'sova rule set'}
      const plan = seedPlan(cluster({vms: [pinWeb1], hosts: [{host: 'h3', maintenance: true, origin: 'sova drain h3'}]}), ['h1'], policy)
      assert.deepEqual(moves(plan), ['db1 h1→h2'])
      assert.match(plan.items[0].reason, /among the VMs that may move \(web1 is pinned to h1 by never-migrate \(sova rule set\)\)/)
      assert.match(plan.items[0].reason, /less loaded hosts refused: h3 is in maintenance \(sova drain h3\)/)
      const blocked = seedPlan(withRules(doc([loaded('h1', [busy('db1', 9000)]), loaded('h2', [])]), {vms: [PIN_DB1], hosts: []}), ['h1'], policy)
      assert.equal(blocked.noop, 'h1: hotspot blocked: no VM may move (db1 is pinned to h1 by never-migrate (configuration rules.groups[0] "databases"))')
    }
  })

  it('giveVfOnArrival: false for vf: never; true for vf: always where a VF is free', () => {
    const never = withRules(cluster({vms: [], hosts: []}), {vms: [{match: {name: '*1'}, vf: 'never', origin: 'sova rule set'}], hosts: []})
    assert.deepEqual(sovaPlan(never).items.map((m) => [m.vm, m.giveVfOnArrival]), [['db1', false]])
    assert.deepEqual(seedPlan(never, ['h1']).items.map((m) => [m.vm, m.giveVfOnArrival]), [['web1', false]])
    assert.deepEqual(seedPlan(cluster({vms: [], hosts: []}), ['h1']).items.map((m) => [m.vm, m.giveVfOnArrival]), [['web1', true]])
    const always = withRules(cluster({vms: [], hosts: []}), {vms: [{match: {name: 'db1'}, vf: 'always', origin: 'sova rule set'}], hosts: []})
    assert.deepEqual(sovaPlan(always).items.map((m) => [m.vm, m.giveVfOnArrival]), [['db1', true]])
  })
})

// --- VF planners ------------------------------------------------------------------------------

const VF_RULES: RuleSet = {
  vms: [
    {match: {name: 'never*'}, vf: 'never', origin: 'configuration rules.groups[0] "batch"'},
    {match: {name: 'always*'}, vf: 'always', origin: 'configuration rules.groups[1] "latency"'},
    {match: {name: 'frozen'}, exclude: true, origin: 'configuration rules.vms.frozen'},
  ],
  hosts: [],
}

/**
 * Under pressure: 4 VFs, held by never1, always1 (idle: worth least) and frozen; the busiest VMs
 * (hungry1, hungry2, always2, always3) want one; one VF is free.
 */
function pressed(hostRules: RuleSet['hosts'] = []): SovaDocument {
  const [vf0, vf1, vf2] = DEFAULT_VFS
  return withRules(
    doc([
      loaded('h1', [
        busy('never1', 5000, {vf: vf0, path: 'vf'}),
        busy('always1', 1, {vf: vf1, path: 'vf'}),
        busy('frozen', 1, {vf: vf2, path: 'vf'}),
        busy('hungry1', 3000),
        busy('hungry2', 2900),
        busy('always2', 2000),
        busy('always3', 2500),
        busy('idle', 0),
      ]),
    ]),
    {...VF_RULES, hosts: hostRules},
  )
}

function vfPlan(document: SovaDocument, policy: PolicyName) {
  const params = policy === 'sova' ? sovaParams() : policyParams({policy})
  const scores = scored(document, params)
  return planVf(document.hosts, scores, new Set(), document.at, params)
}

const changes = (plan: {items: {op: string; vm: string}[]}) => plan.items.map((change) => `${change.op} ${change.vm}`)

describe('VF planners and the rules', () => {
  for (const policy of ['sova', 'seed', 'dsriov', 'static-vf', 'static-pv'] as const) {
    it(`${policy}: never1's VF is detached, always1 keeps its VF, frozen is untouched, the best always VM takes the VFs first`, () => {
      const plan = vfPlan(pressed(), policy)
      const planned = changes(plan)
      assert.ok(planned.includes('detach never1'), `${policy}: ${planned}`)
      assert.equal(plan.items.find((c) => c.vm === 'never1')?.reason, `never1 has vf: never (configuration rules.groups[0] "batch"): its VF ${DEFAULT_VFS[0]} returns to the pool`)
      for (const vmName of ['always1', 'frozen']) assert.ok(!plan.items.some((c) => c.vm === vmName), `${policy}: ${vmName} untouched: ${planned}`)
      assert.ok(!plan.items.some((c) => c.op === 'attach' && c.vm === 'never1'))
      // Two VFs (the free one and never1's) go to always3 (busier) and always2, ahead of hungry1
      // (the static baselines have no scores: in the order the VMs were started).
      const first = policy.startsWith('static') ? ['always2', 'always3'] : ['always3', 'always2']
      assert.deepEqual(plan.items.filter((c) => c.op === 'attach').map((c) => c.vm), first, `${policy}: ${planned}`)
    })
  }

  it('several vf: always VMs competing for too few VFs: the best-scored win, the rest are rejected naming the rule', () => {
    const [vf0, vf1, vf2] = DEFAULT_VFS
    const tight = withRules(
      doc([loaded('h1', [busy('hungry1', 3000, {vf: vf0, path: 'vf'}), busy('x', 10, {vf: vf1, path: 'vf'}), busy('y', 10, {vf: vf2, path: 'vf'}), busy('always2', 2000), busy('always3', 2500)])]),
      VF_RULES,
    )
    for (const policy of ['sova', 'seed', 'static-vf'] as const) {
      const plan = vfPlan(tight, policy)
      assert.deepEqual(plan.items.filter((c) => c.op === 'attach').map((c) => c.vm).slice(0, 1), [policy === 'static-vf' ? 'always2' : 'always3'], `${policy}: ${changes(plan)}`)
      assert.ok(
        plan.rejected?.some((line) => /^h1: always[23]( \(\d+ Mbit\/s\))? gets no VF: always[23] has vf: always \(configuration rules.groups\[1\] "latency"\), but no VF is free/.test(line)),
        `${policy}: ${plan.rejected?.join('\n')}`,
      )
    }
  })

  it('a host in maintenance hands out no VF (detaches still happen); an excluded host changes nothing', () => {
    for (const policy of ['sova', 'seed', 'static-vf'] as const) {
      const maintenance = vfPlan(pressed([{host: 'h1', maintenance: true, origin: 'sova drain h1'}]), policy)
      assert.deepEqual(maintenance.items.filter((c) => c.op === 'attach'), [], policy)
      assert.ok(changes(maintenance).includes('detach never1'), policy)
      assert.ok(maintenance.rejected?.some((line) => line.startsWith('h1: no VF is handed out (h1 is in maintenance (sova drain h1)): ')), `${policy}: ${maintenance.rejected}`)
      const excluded = vfPlan(pressed([{host: 'h1', exclude: true, origin: 'configuration rules.hosts.h1'}]), policy)
      assert.deepEqual(excluded.items, [], policy)
    }
    assert.deepEqual(vfPlan(pressed([{host: 'h1', exclude: true, origin: 'x'}]), 'static-pv').items, [])
  })
})
