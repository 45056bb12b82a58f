// The stages never change the document they are given: each returns its input with parts added or
// replaced at the top level. The writer relies on it (document/finite.ts checks only the parts a
// stage computed, not those it passed on as parsed), and a pipeline of processes and `sova run`
// take the same decisions only if no stage leaves a trace in what it read. Every stage runs here,
// under each policy, on a deeply frozen copy of its input: a write into it throws.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {SimBackend} from '../../src/lib/backends/sim/backend.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import {policyParams} from '../../src/lib/cli/flags.js'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {assertFiniteDocument, markParsed} from '../../src/lib/document/finite.js'
import {SampleHistory} from '../../src/lib/loop/history.js'
import {balanceStage, collectStage, migrateStage, scoreStage, switchVfStage} from '../../src/lib/loop/stages.js'
import {POLICY_NAMES} from '../../src/lib/policy/policies.js'
import {Store} from '../../src/lib/store/store.js'

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const part of Object.values(value)) deepFreeze(part)
    Object.freeze(value)
  }
  return value
}

/** What the next process of a pipeline reads: the document through JSON, frozen. */
const asRead = (doc: SovaDocument): SovaDocument => deepFreeze(JSON.parse(JSON.stringify(doc)) as SovaDocument)

describe('stages leave their input as they found it', () => {
  for (const scenario of ['two-hotspots', 'paper'] as const) {
    for (const policy of POLICY_NAMES) {
      it(`${policy} on ${scenario}: score, balance, migrate and switch-vf on frozen input`, async () => {
        const store = Store.openInMemory()
        try {
          store.writeSim(JSON.stringify(buildScenario(scenario, 3)))
          const backend = new SimBackend(store)
          const history = new SampleHistory(store)
          const params = policyParams({policy})
          let planned = 0
          // Enough cycles for the hot hosts to be predicted hot, so plans are not empty.
          for (let cycle = 0; cycle < 12; cycle++) {
            const collected = asRead(await collectStage(backend, store, {log: () => {}}))
            const scored = scoreStage(collected, history, params)
            const balanced = balanceStage(asRead(scored), params)
            const migrated = await migrateStage(asRead(balanced), undefined)
            const switched = await switchVfStage(asRead(migrated), params, undefined)
            planned += (switched.plan?.migrations.length ?? 0) + (switched.plan?.vf.length ?? 0)
            assert.ok(switched.scores, 'the last stage passes the scores on')
          }
          // A plan that is never empty shows the planners ran on the frozen documents, not just returned them.
          if (!['none', 'static-pv', 'static-vf'].includes(policy)) assert.ok(planned > 0, `${policy} planned nothing in 12 cycles on ${scenario}`)
        } finally {
          store.close()
        }
      })
    }
  }
})

describe('the writer checks what a stage computed', () => {
  const parsed = (): SovaDocument => {
    const doc = JSON.parse(JSON.stringify(buildScenarioDocument())) as SovaDocument
    markParsed(doc)
    return doc
  }

  it('refuses a non-finite figure in a part the stage added', () => {
    const doc = parsed()
    const scored = {...doc, scores: {policy: 'sova', vms: {}, hosts: {h1: {forecast: Number.NaN}}}} as unknown as SovaDocument
    assert.throws(() => assertFiniteDocument(scored, 'score output'), /^NonFiniteFigureError: score output: scores\.hosts\.h1\.forecast is NaN/)
  })

  it('refuses a non-finite figure in a part the stage replaced', () => {
    const doc = parsed()
    const hosts = doc.hosts.map((host, index) => (index === 0 ? {...host, speedBps: Number.POSITIVE_INFINITY} : host))
    assert.throws(() => assertFiniteDocument({...doc, hosts}, 'balance output'), /hosts\[0\]\.speedBps is Infinity/)
  })

  it('refuses one in a document nobody parsed', () => {
    const doc = JSON.parse(JSON.stringify(buildScenarioDocument())) as SovaDocument
    const hosts = doc.hosts.map((host, index) => (index === 0 ? {...host, speedBps: Number.NaN} : host))
    assert.throws(() => assertFiniteDocument({...doc, hosts}, 'collect output'), /hosts\[0\]\.speedBps is NaN/)
  })
})

/** A small valid document, as collect writes one. */
function buildScenarioDocument(): SovaDocument {
  return {
    sova: 1,
    at: '2026-01-01T00:00:10.000Z',
    source: {backend: 'sim', cluster: 'purity', windowSeconds: 10},
    hosts: [{name: 'h1', speedBps: 1.25e9, nic: {rxBps: 1e6, txBps: 2e6}, vfs: {total: 2, free: 2}, vms: []}],
  } as unknown as SovaDocument
}
