// Property: every figure a reason quotes is the figure of the document it came from. An operator
// reads "takes 1451 Mbit/s off its tx" beside a table: the two must agree, across scenarios and seeds.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {Executor} from '../../src/lib/loop/apply.js'
import {SimBackend, resetSim} from '../../src/lib/backends/sim/backend.js'
import {policyParams} from '../../src/lib/cli/flags.js'
import type {Host, SovaDocument, Vm} from '../../src/lib/document/schema.js'
import {SampleHistory} from '../../src/lib/loop/history.js'
import {applyActions} from '../../src/lib/loop/plan-steps.js'
import {collectStage, runCycle} from '../../src/lib/loop/stages.js'
import {Store} from '../../src/lib/store/store.js'

const MBIT = 8 / 1e6
const whole = (value: number) => Math.round(value)

function vmOf(hosts: Host[], name: string): Vm {
  for (const host of hosts) for (const vm of host.vms) if (vm.name === name) return vm
  throw new Error(`no VM ${name} in the document`)
}

/** Each figure quoted in the document's reasons, checked against the field it came from; returns the problems. */
function misquoted(doc: SovaDocument): string[] {
  const problems: string[] = []
  const expect = (what: string, quoted: number, actual: number | undefined) => {
    if (actual === undefined || quoted !== whole(actual)) problems.push(`${what}: quotes ${quoted}, the document has ${actual}`)
  }
  const scores = doc.scores?.vms ?? {}
  const valueOf = (vm: string) => scores[vm]?.vfValueMbps ?? 0
  for (const [name, score] of Object.entries(scores)) {
    const head = /^on (?:PV|a VF) at (\d+) Mbit\/s: a VF is worth (\d+) Mbit\/s/.exec(score.reason ?? '')
    if (!head) continue
    expect(`${name} rate`, Number(head[1]), score.rateMbps)
    expect(`${name} VF value`, Number(head[2]), score.vfValueMbps)
  }
  for (const move of doc.plan?.migrations ?? []) {
    const takes = /; (\S+) takes (\d+) Mbit\/s off its (rx|tx)(?: \(the part of its (\d+) Mbit\/s now that lasts\))?,/.exec(move.reason)
    assert.ok(takes, `a migration reason without its relief: ${move.reason}`)
    const vm = vmOf(doc.hosts, move.vm)
    const rateNow = (takes[3] === 'rx' ? vm.net.rxBps : vm.net.txBps) * MBIT
    expect(`${move.vm} relief`, Number(takes[2]), move.reliefMbps)
    // Without the "part that lasts" the relief is its whole rate in that direction now.
    expect(`${move.vm} ${takes[3]} rate`, Number(takes[4] ?? takes[2]), rateNow)
    const copy = /copying ~(\d+) MiB/.exec(move.reason)
    if (copy) expect(`${move.vm} copy`, Number(copy[1]), move.copyMiB)
    const demand = /estimated demand of (\d+) Mbit\/s/.exec(move.reason)
    if (demand) expect(`${move.vm} demand`, Number(demand[1]), scores[move.vm]?.demandMbps ?? move.reliefMbps)
    if (/a free VF/.test(move.reason)) {
      const target = doc.hosts.find((host) => host.name === move.to)
      if (!target || target.vfs.free.length === 0) problems.push(`${move.vm}: promises a free VF on ${move.to}, which has none`)
    }
  }
  const after = applyActions(doc.hosts, (doc.actions ?? []).filter((action) => action.kind === 'migrate' || /migrat/.test(action.reason)))
  for (const change of doc.plan?.vf ?? []) {
    const free = /takes free VF (\S+)$/.exec(change.reason)
    if (free) {
      if (free[1] !== change.vf) problems.push(`${change.vm}: reason names VF ${free[1]}, the change ${change.vf}`)
      const host = after.find((candidate) => candidate.name === change.host)
      if (!host?.vfs.free.includes(change.vf)) problems.push(`${change.vm}: takes "free" VF ${change.vf}, not free on ${change.host}`)
    }
    const from = /takes VF (\S+) from (\S+) \(worth (\d+) Mbit\/s to it\)/.exec(change.reason)
    if (from) expect(`${change.vm} takes from ${from[2]}`, Number(from[3]), valueOf(from[2]))
    const gives = /gives VF (\S+) to (\S+), worth (\d+) Mbit\/s more/.exec(change.reason)
    if (gives) expect(`${change.vm} gives to ${gives[2]}`, Number(gives[3]), valueOf(gives[2]) - valueOf(change.vm))
  }
  return problems
}

describe('reasons quote the document', () => {
  it('every figure in VM, migration and VF reasons equals the document field it came from (scenarios × seeds, 40 cycles)', async () => {
    const scenarios = ['two-hotspots', 'flash-crowd', 'mixed', 'bursty', 'diurnal'] as const
    let migrations = 0
    let vfChanges = 0
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...scenarios), fc.integer({min: 1, max: 1000}), async (scenario, seed) => {
        const store = Store.openInMemory()
        try {
          resetSim(store, scenario, seed)
          const backend = new SimBackend(store)
          const executor = new Executor(backend, store, 'figures')
          const history = new SampleHistory(store)
          const params = policyParams({policy: 'sova'})
          for (let cycle = 0; cycle < 40; cycle++) {
            const doc = await runCycle(await collectStage(backend, store, {log: () => {}}), history, params, executor)
            migrations += doc.plan?.migrations.length ?? 0
            vfChanges += doc.plan?.vf.length ?? 0
            assert.deepEqual(misquoted(doc), [], `${scenario} seed ${seed}, cycle ${cycle} at ${doc.at}`)
          }
        } finally {
          store.close()
        }
      }),
      {seed: 20261203, numRuns: 6},
    )
    // The property is only worth its name if the reasons it reads were there.
    assert.ok(migrations > 0 && vfChanges > 0, `${migrations} migrations and ${vfChanges} VF changes planned`)
  })
})
