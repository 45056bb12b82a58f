// Property tests of the loop's policies on the simulated cluster: random built-in scenarios and
// random small scenario files, random seeds, run through exactly what `sova run` and `sova evaluate`
// run (collectStage + runCycle on an in-memory store). Checked: the safety invariants after every
// action and every cycle, the journal, and sova's hysteresis, cooldown and caps (ARCHITECTURE.md §8).
// fast-check's seed is fixed for a reproducible CI run; FC_SEED=N explores others.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import fc from 'fast-check'
import {Executor} from '../../src/lib/loop/apply.js'
import {SimBackend, readSimCluster} from '../../src/lib/backends/sim/backend.js'
import {type SimCluster, findVm} from '../../src/lib/backends/sim/cluster.js'
import {toSnapshot} from '../../src/lib/backends/sim/model.js'
import type {StepResult, VmRef} from '../../src/lib/backends/types.js'
import {policyParams} from '../../src/lib/cli/flags.js'
import type {Action, SovaDocument} from '../../src/lib/document/schema.js'
import {SampleHistory} from '../../src/lib/loop/history.js'
import {checkInvariants} from '../../src/lib/invariants.js'
import {POLICY_NAMES, type PolicyName, type PolicyParams} from '../../src/lib/policy/policies.js'
import {collectStage, runCycle} from '../../src/lib/loop/stages.js'
import {Store} from '../../src/lib/store/store.js'
import {FC_SEED, type ScenarioCase, scenarioArb} from '../helpers/scenario-arbs.js'

// --- scenarios: test/helpers/scenario-arbs.ts ---------------------------------------------------

/** 5–10 minutes of 10 s cycles. */
const cyclesArb = fc.integer({min: 30, max: 60})

// --- running ---------------------------------------------------------------------------------

/**
 * The sim backend with the invariants checked after every action (the executor turns a throw into a
 * failed action, so problems are collected and asserted after the cycle): no invariant broken, a VM
 * never migrates holding a VF, a failed migration leaves the VM where it was.
 */
class CheckedSimBackend extends SimBackend {
  readonly problems: string[] = []
  private readonly own: Store
  private readonly expected: ReadonlySet<string>

  constructor(store: Store, expected: ReadonlySet<string>) {
    super(store)
    this.own = store
    this.expected = expected
  }

  private check(what: string, result: StepResult): void {
    const cluster = readSimCluster(this.own)
    for (const problem of checkInvariants(toSnapshot(cluster), this.expected)) {
      this.problems.push(`t=${cluster.timeMs / 1000} s, after ${what} (${result.ok ? 'ok' : `failed: ${result.error}`}): ${problem}`)
    }
  }

  override async attachVf(host: string, vm: VmRef, vf: string): Promise<StepResult> {
    const result = await super.attachVf(host, vm, vf)
    this.check(`attach-vf ${vm.name} ${vf} on ${host}`, result)
    return result
  }

  override async detachVf(host: string, vm: VmRef, vf: string): Promise<StepResult> {
    const result = await super.detachVf(host, vm, vf)
    this.check(`detach-vf ${vm.name} ${vf} on ${host}`, result)
    return result
  }

  override async migrate(ref: VmRef, from: string, to: string): Promise<StepResult> {
    const vm = ref.name
    const before = findVm(readSimCluster(this.own), vm)
    const result = await super.migrate(ref, from, to)
    const after = findVm(readSimCluster(this.own), vm)
    const what = `migrate ${vm} ${from} → ${to}`
    if (result.ok && before?.vf) this.problems.push(`${what}: migrated while holding VF ${before.vf} (a VF is detached first)`)
    if (!result.ok && before && after?.host !== before.host) {
      this.problems.push(`${what} failed (${result.error}) but ${vm} is now on ${after?.host ?? 'no host'}, not ${before.host}`)
    }
    this.check(what, result)
    return result
  }
}

interface Cycle {
  /** From 0. */
  index: number
  /** doc.at of the cycle, ms. */
  atMs: number
  doc: SovaDocument
}

interface Run {
  label: string
  cycles: Cycle[]
}

/**
 * Runs `count` cycles of one policy on a private in-memory store, as the evaluate harness does,
 * asserting after each cycle: no per-action problem, the invariants on the stored cluster, and every
 * action of the cycle in the journal with its outcome.
 */
async function runPolicy(scenario: ScenarioCase, params: PolicyParams, count: number): Promise<Run> {
  const cluster = scenario.build()
  const label = `${params.policy} on ${scenario.label}`
  const expected = new Set(cluster.vms.map((vm) => vm.name))
  const store = Store.openInMemory()
  try {
    store.writeSim(JSON.stringify(cluster))
    const backend = new CheckedSimBackend(store, expected)
    const history = new SampleHistory(store)
    const executor = new Executor(backend, store, `properties/${params.policy}`)
    const cycles: Cycle[] = []
    for (let index = 0; index < count; index++) {
      const sample = await collectStage(backend, store, {log: () => {}})
      const journalBefore = store.journalCount()
      const doc = await runCycle(sample, history, params, executor)
      const where = `${label}, cycle ${index} (doc.at ${doc.at})`
      assert.deepEqual(backend.problems, [], `${where}: invariants broken by an action`)
      const problems = checkInvariants(toSnapshot(readSimCluster(store)), expected)
      assert.deepEqual(problems, [], `${where}: invariants broken after the cycle`)
      assertJournalled(store, doc.actions ?? [], journalBefore, where)
      cycles.push({index, atMs: Date.parse(doc.at), doc})
    }
    return {label, cycles}
  } finally {
    store.close()
  }
}

/** Every action of the cycle has its own journal row, with the same step and outcome, and no other row was added. */
function assertJournalled(store: Store, actions: readonly Action[], journalBefore: number, where: string): void {
  const added = store.journalCount() - journalBefore
  assert.equal(added, actions.length, `${where}: ${actions.length} action(s) but ${added} new journal row(s)`)
  const rows = new Map(store.journal(Math.max(1, added)).map((row) => [row.id, row]))
  for (const action of actions) {
    const what = `${where}: ${action.kind} ${action.vm} on ${action.host} (${action.status})`
    assert.ok(action.journalId !== undefined, `${what} has no journal id`)
    const row = rows.get(action.journalId)
    assert.ok(row, `${what}: journal row ${action.journalId} is missing`)
    assert.deepEqual(
      {kind: row.kind, vm: row.vm, host: row.host, to: row.toHost ?? undefined, vf: row.vf ?? undefined},
      {kind: action.kind, vm: action.vm, host: action.host, to: action.to, vf: action.vf},
      `${what}: the journal row describes another step`,
    )
    // A VF detached before a migration that failed and given back is marked rolled back in the journal.
    const statuses = action.status === 'done' && action.kind === 'detach-vf' ? ['done', 'rolled-back'] : [action.status]
    assert.ok(statuses.includes(row.status), `${what}: journal says ${row.status}`)
  }
}

/** fc.assert within a time limit, with the failing assertion's own message in the error (node's reporter hides the cause). */
async function assertProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IAsyncProperty<Ts>, numRuns: number, timeLimitMs: number): Promise<void> {
  try {
    // The time limit keeps the CI budget (runs and shrinking stop there; a failure found is still reported).
    await fc.assert(property, {numRuns, seed: FC_SEED, interruptAfterTimeLimit: timeLimitMs})
  } catch (error) {
    const cause = (error as Error).cause
    if (cause instanceof Error) (error as Error).message += `\n\nFailing assertion: ${cause.message}`
    throw error
  }
}

const seconds = (ms: number) => `${ms / 1000} s`
const done = (cycle: Cycle) => (cycle.doc.actions ?? []).filter((action) => action.status === 'done')

// --- properties ------------------------------------------------------------------------------

describe('every policy keeps the safety invariants (random scenarios, seeds, 5–10 min)', () => {
  for (const policy of POLICY_NAMES) {
    it(`${policy}: after every action and cycle, checkInvariants passes and every action is journalled`, async () => {
      await assertProperty(
        fc.asyncProperty(scenarioArb, cyclesArb, async (scenario, cycles) => {
          await runPolicy(scenario, policyParams({policy}), cycles)
        }),
        10,
        6_000,
      )
    })
  }
})

/** A VM's path change in the timeline of property 2, or a migration that ends one stay on a host. */
type Event = {kind: 'attach' | 'detach'; host: string; atMs: number; cycle: number} | {kind: 'migration'; cycle: number}

/**
 * Per VM, its VF attach and detach events and migrations in order. The detach before a migration
 * and a VF given back after a failed one belong to the migration (they end the stay on the host);
 * a VF attached on arrival starts the stay on the new host, so a detach after it counts.
 */
function vfTimelines(run: Run): Map<string, Event[]> {
  const timelines = new Map<string, Event[]>()
  const push = (vm: string, event: Event) => timelines.set(vm, [...(timelines.get(vm) ?? []), event])
  for (const cycle of run.cycles) {
    for (const action of cycle.doc.actions ?? []) {
      const migrationStep = action.reason.startsWith('detach before migrating') || action.reason.startsWith('give VF back')
      if (action.kind === 'migrate' || migrationStep) {
        if (action.status === 'done') push(action.vm, {kind: 'migration', cycle: cycle.index})
        continue
      }
      if (action.status !== 'done') continue
      push(action.vm, {kind: action.kind === 'attach-vf' ? 'attach' : 'detach', host: action.host, atMs: cycle.atMs, cycle: cycle.index})
    }
  }
  return timelines
}

/** Property 2: opposite VF changes of one VM on one host, no migration between, are ≥ vfHoldSeconds apart. */
function assertNoVfFlap(run: Run, params: PolicyParams): void {
  const holdMs = params.sova.vfHoldSeconds * 1000
  for (const [vm, events] of vfTimelines(run)) {
    for (let i = 1; i < events.length; i++) {
      const [a, b] = [events[i - 1], events[i]]
      if (a.kind === 'migration' || b.kind === 'migration' || a.kind === b.kind || a.host !== b.host) continue
      assert.ok(
        b.atMs - a.atMs >= holdMs,
        `${run.label}: ${vm} flapped on ${a.host}: ${a.kind} in cycle ${a.cycle}, ${b.kind} in cycle ${b.cycle}, ` +
          `${seconds(b.atMs - a.atMs)} apart < vfHoldSeconds ${params.sova.vfHoldSeconds} s`,
      )
    }
  }
}

/** Property 3: successive migrations of a VM are ≥ cooldown × backoff^(k−1) apart, k its moves within the backoff window. */
function assertCooldowns(run: Run, params: PolicyParams): void {
  const {cooldownSeconds, cooldownBackoff, backoffWindowSeconds} = params.sova
  const moves = new Map<string, Cycle[]>()
  for (const cycle of run.cycles) {
    for (const action of done(cycle)) if (action.kind === 'migrate') moves.set(action.vm, [...(moves.get(action.vm) ?? []), cycle])
  }
  for (const [vm, cycles] of moves) {
    for (let j = 1; j < cycles.length; j++) {
      const now = cycles[j]
      const recent = cycles.slice(0, j).filter((earlier) => now.atMs - earlier.atMs <= backoffWindowSeconds * 1000).length
      const cooldown = cooldownSeconds * cooldownBackoff ** (recent - 1)
      const gapMs = now.atMs - cycles[j - 1].atMs
      assert.ok(
        gapMs >= cooldown * 1000,
        `${run.label}: ${vm} migrated in cycle ${cycles[j - 1].index} and again in cycle ${now.index}, ${seconds(gapMs)} apart ` +
          `< cooldown ${cooldownSeconds} s × ${cooldownBackoff}^${recent - 1} = ${cooldown} s (${recent} move(s) within ${backoffWindowSeconds} s)`,
      )
    }
  }
}

/** Property 4: the caps per cycle and per host, and no target (and every source) as the scores say. */
function assertCaps(run: Run, params: PolicyParams): void {
  const {maxMigrationsPerCycle, maxMigrationsPerHost} = params.sova
  for (const cycle of run.cycles) {
    const where = `${run.label}, cycle ${cycle.index} (doc.at ${cycle.doc.at})`
    const planned = cycle.doc.plan?.migrations ?? []
    const executed = done(cycle).filter((action) => action.kind === 'migrate')
    assert.ok(planned.length <= maxMigrationsPerCycle, `${where}: ${planned.length} migrations planned > ${maxMigrationsPerCycle}`)
    assert.ok(executed.length <= maxMigrationsPerCycle, `${where}: ${executed.length} migrations done > ${maxMigrationsPerCycle}`)
    for (const [side, hostOf] of [['out of', (m: {from: string}) => m.from], ['into', (m: {to: string}) => m.to]] as const) {
      const counts = new Map<string, number>()
      for (const migration of planned) counts.set(hostOf(migration), (counts.get(hostOf(migration)) ?? 0) + 1)
      for (const [host, n] of counts) {
        assert.ok(n <= maxMigrationsPerHost, `${where}: ${n} migrations planned ${side} ${host} > ${maxMigrationsPerHost}`)
      }
    }
    const hosts = cycle.doc.scores?.hosts ?? {}
    for (const migration of planned) {
      const move = `${where}: ${migration.vm} ${migration.from} → ${migration.to}`
      assert.notEqual(hosts[migration.to]?.hot, true, `${move} targets a host its score says is hot (${hosts[migration.to]?.reason})`)
      assert.equal(hosts[migration.from]?.hot, true, `${move} leaves a host its score does not say is hot`)
    }
  }
}

/** Sova's parameters with some drawn at random, through the flags `sova run` takes. */
const sovaFlagsArb = fc.record(
  {
    'vf-hold': fc.integer({min: 0, max: 300}),
    cooldown: fc.integer({min: 0, max: 400}),
    'cooldown-backoff': fc.constantFrom(1, 1.5, 2, 3),
    'backoff-window': fc.integer({min: 0, max: 1800}),
    'max-migrations': fc.integer({min: 0, max: 4}),
    'max-migrations-per-host': fc.integer({min: 0, max: 3}),
  },
  {requiredKeys: []},
)

describe('sova: hysteresis, cooldowns and caps (random scenarios, seeds, 5–10 min)', () => {
  // 2: no VF flap within the hold; 3: no migration within the cooldown; 4: the caps and hot targets.
  const seen = {migrations: 0, vfChanges: 0, movedAgain: 0}
  const checkAll = (run: Run, params: PolicyParams) => {
    assertNoVfFlap(run, params)
    assertCooldowns(run, params)
    assertCaps(run, params)
    const moved = new Map<string, number>()
    for (const cycle of run.cycles) {
      for (const action of done(cycle)) {
        if (action.kind === 'migrate') moved.set(action.vm, (moved.get(action.vm) ?? 0) + 1)
        else seen.vfChanges++
      }
    }
    seen.migrations += [...moved.values()].reduce((sum, n) => sum + n, 0)
    seen.movedAgain += [...moved.values()].filter((n) => n > 1).length
  }
  // The properties must not hold vacuously: the runs migrate and switch VFs.
  after(() => {
    assert.ok(seen.migrations > 0 && seen.vfChanges > 0, `the sova runs did something: ${JSON.stringify(seen)}`)
  })

  it('with the default parameters', async () => {
    const params = policyParams({policy: 'sova'})
    await assertProperty(
      fc.asyncProperty(scenarioArb, cyclesArb, async (scenario, cycles) => checkAll(await runPolicy(scenario, params, cycles), params)),
      20,
      15_000,
    )
  })

  it('with random vf-hold, cooldown, backoff and caps', async () => {
    await assertProperty(
      fc.asyncProperty(scenarioArb, cyclesArb, sovaFlagsArb, async (scenario, cycles, flags) => {
        const params = policyParams({policy: 'sova' satisfies PolicyName, ...flags})
        checkAll(await runPolicy(scenario, params, cycles), params)
      }),
      20,
      15_000,
    )
  })
})
