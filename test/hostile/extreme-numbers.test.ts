// Extreme but valid numbers. A document may claim any figure up to the limits of
// src/lib/document/limits.ts and nothing beyond: rates near 1e308 used to make `score` write nulls
// (Infinity in JSON) that `balance` then refused, blaming itself. Properties: a document with every
// figure drawn from the edges of its range (0, the smallest double, the limit) goes through score ->
// balance -> migrate -> switch-vf (dry run, each output written and read back) with every figure
// finite and every output readable by the next stage; beyond a limit the reader refuses, naming the
// field and the limit; and through the CLI, a rate of 1e308 is refused by `score` with exit 65.
import assert from 'node:assert/strict'
import {after, describe, it} from 'node:test'
import {rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import fc from 'fast-check'
import {policyParams} from '../../src/lib/cli/flags.js'
import {assertFiniteDocument, firstNonFinite} from '../../src/lib/document/finite.js'
import {MAX_CPUS, MAX_HOSTS, MAX_MEMORY_MIB, MAX_RATE_BPS, MAX_SPEED_MBPS, MAX_UTILISATION, MAX_VCPUS, MAX_VMS, MAX_VMS_PER_HOST, MIN_SPEED_MBPS} from '../../src/lib/document/limits.js'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {parseDocument} from '../../src/lib/document/validate.js'
import {InputError} from '../../src/lib/errors.js'
import {SampleHistory} from '../../src/lib/loop/history.js'
import {POLICY_NAMES} from '../../src/lib/policy/policies.js'
import {balanceStage, migrateStage, scoreStage, switchVfStage} from '../../src/lib/loop/stages.js'
import {documents, freshStateDir, sova} from '../cli/helpers.js'
import {doc, host, vm} from '../helpers/build.js'

const FC_SEED = process.env.FC_SEED === undefined ? 20_261_204 : Number(process.env.FC_SEED)

/** A figure from the edges of [0, max]: where overflow, underflow and division by tiny numbers live. */
const edge = (max: number) => fc.constantFrom(0, Number.MIN_VALUE, 1e-300, 1, max / 2, max * (1 - 1e-12), max)

const vmArb = fc.record({
  vcpus: fc.constantFrom(1, MAX_VCPUS),
  memoryMiB: edge(MAX_MEMORY_MIB),
  used: edge(MAX_VCPUS),
  blocked: edge(MAX_VCPUS),
  rx: edge(MAX_RATE_BPS),
  tx: edge(MAX_RATE_BPS),
  active: fc.constantFrom(0, Number.MIN_VALUE, 0.5, 1),
  vf: fc.boolean(),
})

const hostArb = fc.record({
  speed: fc.constantFrom(MIN_SPEED_MBPS, 1.5, 10_000, MAX_SPEED_MBPS),
  rx: edge(MAX_RATE_BPS),
  tx: edge(MAX_RATE_BPS),
  utilisation: edge(MAX_UTILISATION),
  cpus: fc.constantFrom(0, 1, MAX_CPUS),
  memoryTotal: edge(MAX_MEMORY_MIB),
  memoryFree: edge(MAX_MEMORY_MIB),
  vms: fc.array(vmArb, {minLength: 1, maxLength: 6}),
})

const VFS = ['0000:03:10.0', '0000:03:10.1', '0000:03:10.2', '0000:03:10.3']

/** A valid document of 2-4 hosts built from drawn figures; VFs given to the first VMs that want one. */
const documentArb = fc.array(hostArb, {minLength: 2, maxLength: 4}).map((hosts) =>
  doc(
    hosts.map((drawn, h) => {
      let given = 0
      const vms = drawn.vms.map((v, i) =>
        vm(`h${h}vm${i}`, {
          vcpus: v.vcpus,
          memoryMiB: v.memoryMiB,
          cpu: {usedRatio: v.used, blockedRatio: v.blocked},
          net: {rxBps: v.rx, txBps: v.tx, activeRatio: v.active},
          ...(v.vf && given < VFS.length ? {path: 'vf' as const, vf: VFS[given++]} : {}),
        }),
      )
      return host(`host${h}`, vms, (built) => {
        built.nic = {device: 'eth0', speedMbps: drawn.speed, rxBps: drawn.rx, txBps: drawn.tx, utilisation: drawn.utilisation}
        built.cpus = drawn.cpus
        built.memoryMiB = {total: drawn.memoryTotal, free: drawn.memoryFree}
      })
    }),
  ),
)

/** What a pipeline does between stages; the writer's guard first. */
function piped(next: SovaDocument, stage: string): SovaDocument {
  assertFiniteDocument(next, `${stage} output`)
  return parseDocument(JSON.parse(JSON.stringify(next)), `${stage} output`)
}

describe('extreme but valid numbers', () => {
  for (const policy of POLICY_NAMES) {
    it(`${policy}: score, balance, migrate and switch-vf write only finite figures the next stage reads`, async () => {
      const params = policyParams({policy})
      await fc.assert(
        fc.asyncProperty(documentArb, fc.integer({min: 1, max: 4}), async (first, samples) => {
          const history = new SampleHistory(undefined)
          let input = parseDocument(JSON.parse(JSON.stringify(first)), 'generated')
          // A few samples of the same cluster, so that forecasts have a history to extrapolate.
          for (let s = 0; s < samples; s++) {
            const at = new Date(Date.parse(first.at) + s * 10_000).toISOString()
            let next = piped(scoreStage({...input, at}, history, params), 'score')
            next = piped(balanceStage(next, params), 'balance')
            next = piped(await migrateStage(next, undefined), 'migrate')
            next = piped(await switchVfStage(next, params, undefined), 'switch-vf')
            input = {...first}
          }
        }),
        {seed: FC_SEED, numRuns: 150, endOnFailure: true},
      )
    })
  }
})

describe('beyond the limits, the reader refuses, naming the field and the limit', () => {
  const base = doc([host('h1', [vm('v1'), vm('v2')]), host('h2', [vm('v3')])])
  const refusal = (change: (d: any) => void): string => {
    const copy: any = structuredClone(base)
    change(copy)
    try {
      parseDocument(copy, 'stdin line 1')
    } catch (error) {
      assert.ok(error instanceof InputError, String(error))
      return error.message
    }
    assert.fail('accepted')
  }
  const cases: [string, (d: any) => void, RegExp][] = [
    ['a port rate of 1e308', (d) => (d.hosts[0].nic.rxBps = 1e308), /^stdin line 1: hosts\[0\]\.nic\.rxBps: expected a number from 0 to 1\.25e12 \(10 Tbit\/s\), got number 1e\+308$/],
    ['a VM rate just beyond 10 Tbit/s', (d) => (d.hosts[1].vms[0].net.txBps = MAX_RATE_BPS * 1.001), /^stdin line 1: hosts\[1\]\.vms\[0\]\.net\.txBps: expected a number from 0 to 1\.25e12 \(10 Tbit\/s\)/],
    ['a 20 Tbit/s port', (d) => (d.hosts[0].nic.speedMbps = 2e7), /^stdin line 1: hosts\[0\]\.nic\.speedMbps: expected a number from 1 to 1e7 \(1 Mbit\/s to 10 Tbit\/s\), got number 20000000$/],
    ['a port of 1e-300 Mbit/s', (d) => (d.hosts[0].nic.speedMbps = 1e-300), /^stdin line 1: hosts\[0\]\.nic\.speedMbps: expected a number from 1 to 1e7/],
    ['a utilisation of 1e300', (d) => (d.hosts[0].nic.utilisation = 1e300), /^stdin line 1: hosts\[0\]\.nic\.utilisation: expected a number from 0 to 2e7/],
    ['memory of 1e308 MiB', (d) => (d.hosts[0].vms[1].memoryMiB = 1e308), /^stdin line 1: hosts\[0\]\.vms\[1\]\.memoryMiB: expected a number from 0 to 1073741824 \(1 PiB\)/],
    ['a CPU share of 1e10', (d) => (d.hosts[0].vms[0].cpu.usedRatio = 1e10), /^stdin line 1: hosts\[0\]\.vms\[0\]\.cpu\.usedRatio: expected a number from 0 to 4096 \(one per vCPU\)/],
    ['a forecast of 1e300', (d) => (d.scores = {policy: 'seed', vms: {}, hosts: {h1: {utilisation: 0, window: [0], forecast: 1e300, predictor: 'burg', hot: true, reason: 'x'}}}), /^stdin line 1: scores\.hosts\.h1\.forecast: expected a number from -1e15 to 1e15, or null/],
    [`${MAX_HOSTS + 1} hosts`, (d) => (d.hosts = Array.from({length: MAX_HOSTS + 1}, (_, i) => ({...d.hosts[0], name: `h${i}`, vms: []}))), new RegExp(`^stdin line 1: hosts: ${MAX_HOSTS + 1} hosts, more than the ${MAX_HOSTS} a document may hold$`)],
    [`${MAX_VMS_PER_HOST + 1} VMs on a host`, (d) => (d.hosts[1].vms = Array.from({length: MAX_VMS_PER_HOST + 1}, (_, i) => vm(`x${i}`))), new RegExp(`^stdin line 1: hosts\\[1\\]\\.vms: ${MAX_VMS_PER_HOST + 1} VMs, more than the ${MAX_VMS_PER_HOST} a host may hold$`)],
    [
      `${MAX_VMS + 1} VMs in all`,
      (d) => {
        const one = vm('x')
        const perHost = MAX_VMS_PER_HOST
        d.hosts = Array.from({length: Math.ceil((MAX_VMS + 1) / perHost)}, (_, h) => ({...d.hosts[0], name: `h${h}`, vms: Array.from({length: Math.min(perHost, MAX_VMS + 1 - h * perHost)}, () => one)}))
      },
      new RegExp(`^stdin line 1: hosts: ${MAX_VMS + 1} VMs, more than the ${MAX_VMS} a document may hold$`),
    ],
  ]
  for (const [why, change, message] of cases) {
    it(why, () => assert.match(refusal(change), message))
  }
  it('at the limits themselves the document is read', () => {
    const copy = structuredClone(base)
    copy.hosts[0].nic = {device: 'eth0', speedMbps: MAX_SPEED_MBPS, rxBps: MAX_RATE_BPS, txBps: MAX_RATE_BPS, utilisation: MAX_UTILISATION}
    copy.hosts[1].nic.speedMbps = MIN_SPEED_MBPS
    copy.hosts[0].vms[0].memoryMiB = MAX_MEMORY_MIB
    assert.doesNotThrow(() => parseDocument(copy, 'stdin line 1'))
  })
})

describe('the writer never lets a non-finite figure out', () => {
  it('names where the first one is', () => {
    const bad: any = doc([host('h1', [vm('v1')])])
    bad.hosts[0].vms[0].net.rxBps = Number.POSITIVE_INFINITY
    assert.deepEqual(firstNonFinite(bad), {path: 'hosts[0].vms[0].net.rxBps', value: Number.POSITIVE_INFINITY})
    assert.throws(() => assertFiniteDocument(bad, 'score output'), /^NonFiniteFigureError: score output: hosts\[0\]\.vms\[0\]\.net\.rxBps is Infinity, not a finite number; nothing written$/)
    assert.equal(firstNonFinite(doc([host('h1', [vm('v1')])])), undefined)
  })
})

describe('extreme numbers through the CLI', () => {
  const state = freshStateDir()
  after(() => rmSync(state, {recursive: true, force: true}))

  it('sova score refuses a rate of 1e308 with exit 65, naming the field and the limit; at the limit it scores', async () => {
    const collected = await sova(['collect', '--format', 'json'], {state})
    assert.equal(collected.exitCode, 0, String(collected.stderr))
    const [sample] = documents(collected.stdout)
    const beyond = structuredClone(sample)
    beyond.hosts[0].vms[0].net.rxBps = 1e308
    const refused = await sova(['score', '--format', 'json'], {state, input: JSON.stringify(beyond)})
    assert.equal(refused.exitCode, 65, String(refused.stderr))
    assert.equal(String(refused.stdout), '')
    assert.match(String(refused.stderr), /^sova score: stdin line 1: hosts\[0\]\.vms\[0\]\.net\.rxBps: expected a number from 0 to 1\.25e12 \(10 Tbit\/s\), got number 1e\+308\n$/)
    const atLimit = structuredClone(sample)
    for (const h of atLimit.hosts) {
      h.nic = {...h.nic, speedMbps: MIN_SPEED_MBPS, rxBps: MAX_RATE_BPS, txBps: MAX_RATE_BPS, utilisation: MAX_UTILISATION}
      for (const v of h.vms) v.net = {rxBps: MAX_RATE_BPS, txBps: MAX_RATE_BPS, activeRatio: 1}
    }
    const scored = await sova(['score', '--format', 'json'], {state, input: JSON.stringify(atLimit)})
    assert.equal(scored.exitCode, 0, String(scored.stderr))
    const balanced = await sova(['balance', '--format', 'json'], {state, input: String(scored.stdout)})
    assert.equal(balanced.exitCode, 0, String(balanced.stderr))
    assert.equal(firstNonFinite(documents(balanced.stdout)[0]), undefined)
  })

  it('sova sim reset refuses a scenario file no document could describe (1,001 VMs on a host): exit 2, nothing reset', async () => {
    const path = join(state, 'crowded.json')
    const vms = Array.from({length: MAX_VMS_PER_HOST + 1}, (_, i) => ({name: `v${i}`, host: 'h1', vcpus: 1, memoryMiB: 64, kind: 'idle', demand: {rxMbps: 0, txMbps: 0}}))
    writeFileSync(path, JSON.stringify({hosts: [{name: 'h1', vfs: 0}], vms}))
    const result = await sova(['sim', 'reset', '--scenario', path], {state})
    assert.equal(result.exitCode, 2, String(result.stderr))
    assert.equal(String(result.stderr), `sova sim reset: scenario ${path}: ${MAX_VMS_PER_HOST + 1} VMs on h1, more than the ${MAX_VMS_PER_HOST} a host may hold (see "Document limits" in the README)\n`)
  })
})
