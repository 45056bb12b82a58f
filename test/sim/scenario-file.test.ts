import assert from 'node:assert/strict'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {findVm} from '../../src/lib/backends/sim/cluster.js'
import {advance, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {loadScenarioFile, parseScenarioFile} from '../../src/lib/backends/sim/scenario-file.js'
import {resolveScenario} from '../../src/lib/backends/sim/scenarios.js'
import {EXIT, InputError, UsageError} from '../../src/lib/errors.js'
import {checkInvariants} from '../../src/lib/invariants.js'

const EXAMPLE = fileURLToPath(new URL('../../docs/examples/scenario.json', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), 'sova-scenario-'))
after(() => rmSync(dir, {recursive: true, force: true}))

const minimal = () => ({
  hosts: [{name: 'a', vfs: 1}, {name: 'b', vfs: 2, memoryMiB: 16384}],
  vms: [
    {name: 'x', host: 'a', vcpus: 2, memoryMiB: 2048, demand: {rxMbps: 10, txMbps: 20}},
    {name: 'y', host: 'b', vcpus: 1, memoryMiB: 1024, kind: 'idle', demand: {rxMbps: 0, txMbps: 0}},
  ],
})

/** The message of the InputError that `value` as file F.json gives. */
function refusal(value: unknown): string {
  try {
    parseScenarioFile(value, 'F.json', 1)
  } catch (error) {
    assert.ok(error instanceof InputError, `InputError, got ${String(error)}`)
    assert.equal(error.exit, EXIT.badInput)
    return error.message
  }
  assert.fail('accepted')
}

function edit(change: (file: any) => void): unknown {
  const file: any = minimal()
  change(file)
  return file
}

describe('scenario files', () => {
  it('the documented example loads, runs and keeps the invariants', () => {
    const c = resolveScenario(EXAMPLE, 5)
    assert.equal(c.scenario, 'two-racks')
    assert.equal(c.seed, 5)
    assert.deepEqual(c.hosts.map((h) => [h.name, h.vfPool.length, h.backendCores]), [['rack-a', 2, 3], ['rack-b', 3, 4]])
    assert.equal(c.physics.attachMs, 2000)
    assert.equal(findVm(c, 'shop')!.vf, c.hosts[0].vfPool[0])
    assert.equal(findVm(c, 'batch')!.path, 'vf')
    assert.equal(findVm(c, 'backup1')!.demand.requestKiB, 1024, 'kind default')
    const later = advance(c, 600)
    assert.deepEqual(checkInvariants(toSnapshot(later)), [])
    assert.ok(later.metrics.deliveredMbit > 0)
    assert.deepEqual(resolveScenario(EXAMPLE, 5), c, 'deterministic')
    // The trace repeats: 60 s steps, 4 values.
    const shop = findVm(c, 'shop')!
    assert.equal(shop.demand.trace?.txMbps[2], 1200)
  })

  it('defaults: the name from the file name, generated PCI addresses, 10 GbE, physics defaults', () => {
    const path = join(dir, 'tiny.json')
    writeFileSync(path, JSON.stringify(minimal()))
    const c = loadScenarioFile(path, 1)
    assert.equal(c.scenario, 'tiny')
    assert.deepEqual(c.hosts[1].vfPool, ['0000:05:10.0', '0000:05:10.1'])
    assert.equal(c.hosts[0].speedMbps, 10_000)
    assert.equal(c.hosts[0].backendCores, 4)
    assert.equal(c.vms[1].kind, 'idle')
    assert.equal(c.vms[0].kind, 'web')
  })

  it('an unreadable file is a usage error naming the path; a non-JSON file is bad input', () => {
    const missing = join(dir, 'missing.json')
    assert.throws(() => resolveScenario(missing, 1), (error: unknown) =>
      error instanceof UsageError && error.exit === EXIT.usage && error.message === `cannot read scenario file ${missing}: ENOENT`)
    assert.throws(() => resolveScenario(dir + '/', 1), UsageError)
    const broken = join(dir, 'broken.json')
    writeFileSync(broken, '{"hosts": [')
    assert.throws(() => loadScenarioFile(broken, 1), (error: unknown) =>
      error instanceof InputError && error.message.startsWith(`${broken}: not valid JSON`))
  })

  it('shape errors name the file and the JSON path', () => {
    assert.equal(refusal(edit((f) => (f.vms[1].demand.rxMbps = 'x'))), 'F.json: vms[1].demand.rxMbps: expected a number >= 0, got "x"')
    assert.equal(refusal(edit((f) => (f.vms[0].demand.txMbps = -1))), 'F.json: vms[0].demand.txMbps: expected a number >= 0, got number -1')
    assert.equal(refusal(edit((f) => delete f.vms[0].vcpus)), 'F.json: vms[0].vcpus: expected a value (required), got nothing')
    assert.equal(refusal(edit((f) => (f.hosts[0].vfs = 64))), 'F.json: hosts[0].vfs: expected a whole number of VFs from 0 to 63, or an array of PCI addresses [DDDD:]BB:SS.F, got number 64')
    assert.equal(refusal(edit((f) => (f.vms[0].kind = 'db'))), 'F.json: vms[0].kind: expected one of web, bulk, cpu, idle, got "db"')
    assert.equal(refusal(edit((f) => (f.vms[0].name = '-rf'))), 'F.json: vms[0].name: expected a name of letters, digits and . _ : @ + - (at most 64, not starting with -), got "-rf"')
    assert.equal(refusal([]), 'F.json: expected a scenario (a JSON object), got an array')
    assert.equal(refusal(edit((f) => (f.hosts = []))), 'F.json: hosts: expected a non-empty array of hosts, got an array')
  })

  it('unknown keys are refused, physics typos included', () => {
    assert.match(refusal(edit((f) => (f.physics = {atachMs: 100}))), /^F\.json: physics\.atachMs: unknown physics constant \(expected one of portEfficiency, pvCapMbps, /)
    assert.equal(refusal(edit((f) => (f.vms[0].demand.rxMbs = 1))), 'F.json: vms[0].demand.rxMbs: unknown key (see docs/scenario-file.md)')
    assert.equal(refusal(edit((f) => (f.physics = {maxQueueUtilisation: 1}))), 'F.json: physics.maxQueueUtilisation: expected a number below 1, got number 1')
  })

  it('cross checks: unknown host, duplicates, demand xor trace, boot VFs, memory', () => {
    assert.equal(refusal(edit((f) => (f.vms[1].host = 'c'))), 'F.json: vms[1].host: unknown host "c"; expected one of a, b')
    assert.equal(refusal(edit((f) => (f.vms[1].name = 'x'))), 'F.json: vms[1].name: VM "x" appears twice (also vms[0])')
    assert.equal(refusal(edit((f) => (f.hosts[1].name = 'a'))), 'F.json: hosts[1].name: host "a" appears twice (also hosts[0])')
    assert.equal(refusal(edit((f) => (f.hosts[1].vfs = ['04:10.0', '04:10.0']))), 'F.json: hosts[1].vfs[1]: VF 04:10.0 is listed twice')
    assert.equal(refusal(edit((f) => delete f.vms[0].demand)), 'F.json: vms[0]: expected exactly one of "demand" or "trace"')
    assert.equal(
      refusal(edit((f) => (f.vms[0] = {...f.vms[0], demand: undefined, trace: {stepS: 10, rxMbps: [1, 2], txMbps: [1]}}))),
      'F.json: vms[0].trace.txMbps: has 1 values, rxMbps has 2',
    )
    assert.equal(
      refusal(edit((f) => f.vms.push({name: 'z', host: 'a', vcpus: 1, memoryMiB: 1024, vf: true, demand: {rxMbps: 1, txMbps: 1}}, {name: 'w', host: 'a', vcpus: 1, memoryMiB: 1024, vf: true, demand: {rxMbps: 1, txMbps: 1}}))),
      'F.json: vms[3].vf: host "a" has 1 VF, fewer than the VMs holding one at boot',
    )
    assert.equal(
      refusal(edit((f) => f.vms.push({name: 'fat', host: 'b', vcpus: 1, memoryMiB: 12000, demand: {rxMbps: 1, txMbps: 1}}))),
      'F.json: vms[2].memoryMiB: the VMs on "b" need 13024 MiB, more than its 12288 MiB (memory less the 4096 MiB host reserve)',
    )
  })

  it('a trace drives demand step by step and repeats', () => {
    const c = parseScenarioFile(edit((f) => (f.vms[0] = {name: 't', host: 'a', vcpus: 1, memoryMiB: 1024, trace: {stepS: 10, rxMbps: [100, 200], txMbps: [300, 400]}})), 'F.json', 1)
    const rx = (from: number, seconds: number) => {
      const start = advance(c, from)
      return (findVm(advance(start, seconds), 't')!.counters.rxBytes - findVm(start, 't')!.counters.rxBytes) / 125_000 / seconds
    }
    assert.ok(Math.abs(rx(0, 10) - 100) < 1e-6)
    assert.ok(Math.abs(rx(10, 10) - 200) < 1e-6)
    assert.ok(Math.abs(rx(20, 10) - 100) < 1e-6)
  })
})
