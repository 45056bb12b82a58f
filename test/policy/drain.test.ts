import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {planDrain, type DrainLimits} from '../../src/lib/policy/drain.js'
import {type RuleSet, withRules} from '../../src/lib/policy/rules.js'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {doc, host, loadedHost, vm} from '../helpers/build.js'

const LIMITS: DrainLimits = {targetBelow: 0.7, cpuHeadroom: 0.9}
const limits = () => LIMITS
/** Mbit/s as the document's bytes per second. */
const mbps = (value: number) => (value * 1e6) / 8

const targets = (plan: ReturnType<typeof planDrain>) => Object.fromEntries(plan.migrations.map((move) => [move.vm, move.to]))

describe('planDrain: every VM of the host to another, by headroom, or the blockers named', () => {
  it('places the biggest VM first on the host with the most headroom, reserving it before the next', () => {
    const cluster = doc([
      host('h1', [vm('big', {memoryMiB: 8192, net: {rxBps: mbps(2000), txBps: 0, activeRatio: 1}}), vm('small', {net: {rxBps: mbps(1500), txBps: 0, activeRatio: 1}})]),
      loadedHost('h2', 0.1),
      loadedHost('h3', 0.2),
    ])
    const plan = planDrain(cluster, 'h1', limits)
    assert.deepEqual(plan.blockers, [])
    assert.deepEqual(plan.migrations.map((move) => move.vm), ['big', 'small'], 'biggest first')
    // big to h2 (0.1 + 0.2 = 0.3 beats 0.4); then h2 holds 0.3, so small goes to h3 (0.35 beats 0.45).
    assert.deepEqual(targets(plan), {big: 'h2', small: 'h3'})
    assert.ok(plan.migrations.every((move) => move.from === 'h1' && move.reason.startsWith('drain h1: to ')))
  })

  it('is deterministic and never places onto the drained host', () => {
    const cluster = doc([host('h1', [vm('a'), vm('b'), vm('c')]), host('h2'), host('h3')])
    const first = planDrain(cluster, 'h1', limits)
    assert.deepEqual(planDrain(structuredClone(cluster), 'h1', limits), first)
    assert.ok(first.migrations.every((move) => move.to !== 'h1'))
    assert.equal(first.migrations.length, 3)
  })

  it('a pinned or excluded VM is a blocker naming its rule', () => {
    const rules: RuleSet = {
      vms: [
        {match: {name: 'db1'}, migrate: 'never', origin: 'configuration rules.vms[0]'},
        {match: {name: 'legacy'}, exclude: true, origin: 'sova rule set'},
      ],
      hosts: [],
    }
    const cluster = withRules(doc([host('h1', [vm('db1'), vm('legacy'), vm('web1')]), host('h2')]), rules)
    const plan = planDrain(cluster, 'h1', limits)
    assert.deepEqual(plan.blockers.sort(), [
      'db1 is pinned to h1 by never-migrate (configuration rules.vms[0])',
      'legacy is excluded (sova rule set)',
    ])
    assert.deepEqual(targets(plan), {web1: 'h2'})
  })

  it('a VM no host can take is a blocker saying why each host refused', () => {
    const cluster = withRules(
      doc([
        host('h1', [vm('huge', {memoryMiB: 40_000, net: {rxBps: mbps(200), txBps: 0, activeRatio: 1}})]),
        host('h2', [], {memoryMiB: {total: 65_536, free: 30_000}}),
        host('h3'),
        loadedHost('h4', 0.69, [], {memoryMiB: {total: 65_536, free: 50_000}}),
      ]),
      {vms: [], hosts: [{host: 'h3', maintenance: true, origin: 'sova drain h3, 2026-12-03T15:04Z'}]},
    )
    const plan = planDrain(cluster, 'h1', limits)
    assert.deepEqual(plan.migrations, [])
    assert.equal(plan.blockers.length, 1)
    const [blocker] = plan.blockers
    assert.match(blocker, /^huge: no host can take it \(/)
    assert.match(blocker, /h2 has 30000 MiB free, needs 40000/)
    assert.match(blocker, /h3 is in maintenance \(sova drain h3, 2026-12-03T15:04Z\)/)
    assert.match(blocker, /h4's port would reach 0\.71 ≥ 0\.70/)
  })

  it('honours anti-affinity with the target\'s VMs and with earlier placements of the plan', () => {
    const rules: RuleSet = {vms: [{match: {name: 'db*'}, group: 'databases', antiAffinity: true, origin: 'configuration rules.groups[0]'}], hosts: []}
    const cluster = withRules(doc([host('h1', [vm('db1', {memoryMiB: 2048}), vm('db2')]), host('h2', [vm('db3')]), host('h3')]), rules)
    const plan = planDrain(cluster, 'h1', limits)
    // db1 (bigger) takes h3, the only host without a database; db2 then has nowhere to go.
    assert.deepEqual(targets(plan), {db1: 'h3'})
    assert.equal(plan.blockers.length, 1)
    assert.match(plan.blockers[0], /^db2: no host can take it \(anti-affinity group databases: db3 is already on h2.*; anti-affinity group databases: db1 is already on h3/)
  })

  it('gives a VF on arrival to a VM that had one or whose rule says always, never twice the same free VF, never under vf: never', () => {
    const rules: RuleSet = {
      vms: [
        {match: {name: 'keen'}, vf: 'always', origin: 'configuration rules.vms[0]'},
        {match: {name: 'shy'}, vf: 'never', origin: 'configuration rules.vms[1]'},
      ],
      hosts: [],
    }
    const onVf = (name: string, address: string, memoryMiB: number) => vm(name, {vf: address, memoryMiB})
    const cluster: SovaDocument = withRules(
      doc([
        host('h1', [onVf('a', '0000:03:10.0', 4096), onVf('b', '0000:03:10.1', 3072), vm('keen', {memoryMiB: 2048}), onVf('shy', '0000:03:10.2', 1536), vm('plain')]),
        // h2 has one free VF, h3 none.
        host('h2', [], {vfs: {total: 1, free: ['0000:09:10.0']}}),
        host('h3', [], {vfs: {total: 0, free: []}}),
      ]),
      rules,
    )
    const plan = planDrain(cluster, 'h1', limits)
    const byVm = Object.fromEntries(plan.migrations.map((move) => [move.vm, move]))
    assert.deepEqual(plan.blockers, [])
    assert.equal(byVm.a.to, 'h2', 'the biggest VM that wants a VF goes where one is free')
    assert.equal(byVm.a.giveVfOnArrival, true)
    assert.equal(byVm.b.giveVfOnArrival, false, 'the one free VF is promised to a already')
    assert.match(byVm.b.reason, /no VF free there/)
    assert.equal(byVm.keen.giveVfOnArrival, false)
    assert.equal(byVm.shy.giveVfOnArrival, false, 'vf: never gets none')
    assert.equal(byVm.plain.giveVfOnArrival, false, 'no VF before, none asked')
  })

  it('vf: always gets the free VF even without one before', () => {
    const rules: RuleSet = {vms: [{match: {name: 'keen'}, vf: 'always', origin: 'sova rule set'}], hosts: []}
    const cluster = withRules(doc([host('h1', [vm('keen')]), host('h2', [], {vfs: {total: 0, free: []}}), host('h3', [], {vfs: {total: 1, free: ['0000:09:10.0']}})]), rules)
    const [move] = planDrain(cluster, 'h1', limits).migrations
    assert.equal(move.to, 'h3')
    assert.equal(move.giveVfOnArrival, true)
  })

  it('an excluded target is refused, and a lone host has nowhere to send its VMs', () => {
    const cluster = withRules(doc([host('h1', [vm('a')]), host('h2')]), {vms: [], hosts: [{host: 'h2', exclude: true, origin: 'configuration rules.hosts[0]'}]})
    assert.deepEqual(planDrain(cluster, 'h1', limits).blockers, ['a: no host can take it (h2 is excluded (configuration rules.hosts[0]))'])
    assert.deepEqual(planDrain(doc([host('h1', [vm('a')])]), 'h1', limits).blockers, ['a: no host can take it (h1 is the only host that answered)'])
  })
})
