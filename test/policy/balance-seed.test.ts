import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {Host, SovaDocument} from '../../src/lib/document/schema.js'
import {parseDocument} from '../../src/lib/document/validate.js'
import {
  planSeedMigrations,
  SEED_BALANCE_DEFAULTS,
  SEED_BALANCE_PARAM_DOCS,
  validateSeedBalanceParams,
} from '../../src/lib/policy/balance-seed.js'
import {doc, hostScore, loadedHost, seedScores, vm} from '../helpers/build.js'

const HOT_REASON = '4 of last 5 >= 0.75 and burg AR(4) forecast 0.83 >= 0.75'

// The migration-factor example: web3 stands out most, F = sqrt((600/300 - 1)² + (3072/2048 - 1)²) = sqrt(1.25).
const webVms = () => [
  vm('web1', {net: {rxBps: 60, txBps: 40, activeRatio: 0}, memoryMiB: 1024}),
  vm('web2', {net: {rxBps: 200, txBps: 0, activeRatio: 0}, memoryMiB: 2048}),
  vm('web3', {net: {rxBps: 300, txBps: 300, activeRatio: 0}, memoryMiB: 3072}),
]

// A document whose scores mark the named hosts hot (the others cool).
function cluster(hosts: Host[], hot: string[]): SovaDocument {
  const scores = Object.fromEntries(
    hosts.map((h) => [h.name, hostScore({utilisation: h.nic.utilisation, hot: hot.includes(h.name), reason: hot.includes(h.name) ? HOT_REASON : 'cool'})]),
  )
  return doc(hosts, {scores: seedScores(scores)})
}

describe('planSeedMigrations', () => {
  it('moves the most unusual VM of a hot host to the least loaded host', () => {
    const input = cluster(
      [loadedHost('host1', 0.9, webVms()), loadedHost('host2', 0.71, [vm('db1')]), loadedHost('host3', 0.21, [vm('db2')])],
      ['host1'],
    )
    assert.doesNotThrow(() => parseDocument(input, 'test'))
    const plan = planSeedMigrations(input, SEED_BALANCE_DEFAULTS)
    assert.deepEqual(plan, {
      migrations: [{
        vm: 'web3',
        from: 'host1',
        to: 'host3',
        migrationFactor: Math.sqrt(1.25),
        giveVfOnArrival: true,
        reason:
          `host1 predicted hot (${HOT_REASON}); victim web3 has the largest migration factor 1.12; ` +
          'target host3 has the lowest utilisation 0.21 < 0.60',
      }],
      skipped: [],
    })
  })

  it('does nothing when no host is hot', () => {
    const input = cluster([loadedHost('host1', 0.9, webVms()), loadedHost('host2', 0.1)], [])
    assert.deepEqual(planSeedMigrations(input, SEED_BALANCE_DEFAULTS), {migrations: [], skipped: [], noop: 'no host predicted hot'})
  })

  it('does not move when no other host is below the limit', () => {
    const input = cluster([loadedHost('host1', 0.9, webVms()), loadedHost('host2', 0.71), loadedHost('host3', 0.85)], ['host1'])
    const reason = 'host1 hot but no target below 0.60 (lowest host2 at 0.71)'
    assert.deepEqual(planSeedMigrations(input, SEED_BALANCE_DEFAULTS), {migrations: [], skipped: [reason], noop: reason})
  })

  it('honours targetBelow', () => {
    const input = cluster([loadedHost('host1', 0.9, webVms()), loadedHost('host3', 0.21)], ['host1'])
    const reason = 'host1 hot but no target below 0.20 (lowest host3 at 0.21)'
    assert.deepEqual(planSeedMigrations(input, {targetBelow: 0.2}), {migrations: [], skipped: [reason], noop: reason})
  })

  it('prints four decimals when a target is only just below the limit', () => {
    const input = cluster([loadedHost('host1', 0.9, webVms()), loadedHost('host2', 0.599)], ['host1'])
    const [move] = planSeedMigrations(input, SEED_BALANCE_DEFAULTS).migrations
    assert.match(move.reason, /target host2 has the lowest utilisation 0\.5990 < 0\.60$/)
  })

  it('sends two hot hosts to the same target: the seed reserves no headroom', () => {
    // host2: memory mean 2048, c has F = |4096/2048 - 1| = 1, a and b 0.5.
    const input = cluster(
      [loadedHost('host1', 0.9, webVms()), loadedHost('host2', 0.95, [vm('a'), vm('b'), vm('c', {memoryMiB: 4096})]), loadedHost('host3', 0.21)],
      ['host1', 'host2'],
    )
    const moves = planSeedMigrations(input, SEED_BALANCE_DEFAULTS).migrations.map(({vm, from, to}) => ({vm, from, to}))
    assert.deepEqual(moves, [{vm: 'web3', from: 'host1', to: 'host3'}, {vm: 'c', from: 'host2', to: 'host3'}])
  })

  it('may target a host predicted hot whose current sample is low (faithful to the seed)', () => {
    const input = cluster([loadedHost('host1', 0.9, webVms()), loadedHost('host2', 0.3, [vm('x')]), loadedHost('host3', 0.5)], ['host1', 'host2'])
    const moves = planSeedMigrations(input, SEED_BALANCE_DEFAULTS).migrations.map(({vm, from, to}) => ({vm, from, to}))
    assert.deepEqual(moves, [{vm: 'web3', from: 'host1', to: 'host2'}, {vm: 'x', from: 'host2', to: 'host3'}])
  })

  it('breaks victim and target ties by name', () => {
    // Identical VMs all have factor 0; host2 and host3 are equally loaded.
    const input = cluster([loadedHost('host1', 0.9, [vm('vm2'), vm('vm1')]), loadedHost('host3', 0.2), loadedHost('host2', 0.2)], ['host1'])
    const [move] = planSeedMigrations(input, SEED_BALANCE_DEFAULTS).migrations
    assert.deepEqual([move.vm, move.to, move.migrationFactor], ['vm1', 'host2', 0])
  })

  it('skips a hot host with no VMs, and one with no other host, with reasons', () => {
    const empty = cluster([loadedHost('host1', 0.9), loadedHost('host2', 0.1)], ['host1'])
    assert.deepEqual(planSeedMigrations(empty, SEED_BALANCE_DEFAULTS), {
      migrations: [],
      skipped: ['host1 hot but has no VMs to move'],
      noop: 'host1 hot but has no VMs to move',
    })
    const alone = cluster([loadedHost('host1', 0.9, webVms())], ['host1'])
    assert.equal(planSeedMigrations(alone, SEED_BALANCE_DEFAULTS).noop, 'host1 hot but there is no other host to move to')
  })

  it('plans the moves it can and lists the hot hosts it skipped, without a noop', () => {
    const input = cluster([loadedHost('host1', 0.9, webVms()), loadedHost('host2', 0.92), loadedHost('host3', 0.21)], ['host1', 'host2'])
    const plan = planSeedMigrations(input, SEED_BALANCE_DEFAULTS)
    assert.deepEqual(plan.migrations.map((move) => move.vm), ['web3'])
    assert.deepEqual(plan.skipped, ['host2 hot but has no VMs to move'])
    assert.equal(plan.noop, undefined)
  })

  it('refuses a document without scores', () => {
    assert.throws(() => planSeedMigrations(doc([loadedHost('host1', 0.9)]), SEED_BALANCE_DEFAULTS), {
      name: 'Error',
      message: 'balance needs scores: run sova score first',
    })
  })
})

describe('validateSeedBalanceParams', () => {
  it('accepts the defaults and refuses a limit <= 0 or not a number', () => {
    assert.deepEqual(validateSeedBalanceParams(SEED_BALANCE_DEFAULTS), [])
    assert.deepEqual(validateSeedBalanceParams({targetBelow: 0}), ['targetBelow: expected a number > 0, got number 0'])
    assert.deepEqual(validateSeedBalanceParams({targetBelow: Number.NaN}), ['targetBelow: expected a number > 0, got number NaN'])
  })

  it('documents every parameter', () => {
    assert.deepEqual(Object.keys(SEED_BALANCE_PARAM_DOCS), Object.keys(SEED_BALANCE_DEFAULTS))
  })
})
