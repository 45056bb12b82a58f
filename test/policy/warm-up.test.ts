// sova's warm-up (sova-vf.ts): on a first sample, which may cover 2 seconds, no VF is taken from a
// VM that carries as much as its PV path (it could lose throughput there); a VF whose holder's
// traffic fits well within the PV path goes at once to a VM that gains more from it.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {policyParams} from '../../src/lib/cli/flags.js'
import type {NetPath, SovaDocument, Vm} from '../../src/lib/document/schema.js'
import {knowledgeOf, utilisationOf} from '../../src/lib/loop/collect.js'
import {planVf, scorePolicy} from '../../src/lib/policy/policies.js'
import {VF_TAKE_WARMUP_SECONDS} from '../../src/lib/policy/sova-vf.js'
import {DEFAULT_VFS, doc, host, vm} from '../helpers/build.js'

const PV_CAP = 2000
const sovaParams = policyParams({policy: 'sova', 'pv-cap': PV_CAP})
const T0 = Date.parse('2024-01-01T00:00:00Z')

const sender = (name: string, mbps: number, path: NetPath, vf: string | null = null): Vm =>
  vm(name, {net: {rxBps: 0, txBps: (mbps * 1e6) / 8, activeRatio: 1}, path, vf, memoryMiB: 1024})

/** h1 with one VF, held by `holder`; `gainer` saturates its PV path. `samples` samples 10 s apart. */
function plan(holderMbps: number, samples: number) {
  const docs: SovaDocument[] = Array.from({length: samples}, (_, i) => {
    const built = host('h1', [sender('holder', holderMbps, 'vf', DEFAULT_VFS[0]), sender('gainer', PV_CAP, 'pv')], {vfs: {total: 1, free: []}})
    return {...doc([built]), at: new Date(T0 + i * 10_000).toISOString()}
  })
  const entries = docs.map((sample) => ({at: Date.parse(sample.at), utilisation: utilisationOf(sample), knowledge: knowledgeOf(sample)}))
  const current = docs[docs.length - 1]
  return planVf(current.hosts, scorePolicy(current, entries, sovaParams), new Set(), current.at, sovaParams)
}

const moves = (result: ReturnType<typeof plan>) => result.items.map((change) => `${change.op} ${change.vm}`)

describe('sova: the warm-up', () => {
  it('keeps the VF of a holder that carries as much as its PV path on a first sample, and says why', () => {
    const result = plan(0.95 * PV_CAP, 1)
    assert.deepEqual(moves(result), [])
    const said = (result.rejected ?? []).join('\n')
    assert.match(said, new RegExp(`^h1: warm-up: no VF is taken from holder \\(1900 Mbit/s, 0 s so far\\) until the loop has watched it for ${VF_TAKE_WARMUP_SECONDS} s on h1: it carries 90% or more of the PV path \\(2000 Mbit/s\\), so it could lose throughput there$`, 'm'))
    assert.match(result.noop ?? '', /^no VF change: warm-up \(no VF is taken from a VM that carries as much as its PV path before the loop has watched it for 10 s on its host\)/)
  })

  it('moves a VF whose holder fits well within its PV path on the first sample: it loses only latency', () => {
    const result = plan(300, 1)
    assert.deepEqual(moves(result), ['detach holder', 'attach gainer'])
    assert.ok(!(result.rejected ?? []).some((line) => /warm-up/.test(line)), (result.rejected ?? []).join('\n'))
  })
})
