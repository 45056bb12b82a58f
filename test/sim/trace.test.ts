// Trace scenarios: both trace formats (fixtures of made-up numbers in the dataset's layouts), the
// seeded packing, scaling and caps, the within-bin burst model, and refusals of bad input.
import assert from 'node:assert/strict'
import {copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {after, describe, it} from 'node:test'
import type {SimVm} from '../../src/lib/backends/sim/cluster.js'
import {offeredDemand} from '../../src/lib/backends/sim/demand.js'
import {toSnapshot} from '../../src/lib/backends/sim/model.js'
import {loadScenarioFile} from '../../src/lib/backends/sim/scenario-file.js'
import {resolveScenario} from '../../src/lib/backends/sim/scenarios.js'
import {burstWeight} from '../../src/lib/backends/sim/trace-burst.js'
import {parseTraceTime} from '../../src/lib/backends/sim/trace-options.js'
import {type TraceIndex, type TraceSlice, indexTraceDir, readTraceWindows} from '../../src/lib/backends/sim/trace-read.js'
import {type TraceScenarioOptions, peakUtilisation, planTraceWindows, scaleForPeak} from '../../src/lib/backends/sim/trace-scenario.js'
import {EXIT, InputError, UsageError} from '../../src/lib/errors.js'
import {checkInvariants} from '../../src/lib/invariants.js'
import {sharedTraces} from '../helpers/traces.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'traces')
const PER_VM = join(FIXTURES, 'per-vm')
const GRID = join(FIXTURES, 'grid')
const tmp = mkdtempSync(join(tmpdir(), 'sova-traces-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

const mbps = (kbps: number) => Number(((kbps * 1024 * 8) / 1e6).toPrecision(4))

/** The message and exit code of what `fn` throws. */
function refusal(fn: () => unknown): {message: string; exit: number; type: string} {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof InputError || error instanceof UsageError, `a SovaError, got ${String(error)}`)
    return {message: error.message, exit: error.exit, type: error.name}
  }
  assert.fail('accepted')
}

/** A copy of fixture directory `from`, with `edit` applied to file `file` of it. */
function brokenCopy(from: string, file: string, edit: (text: string) => string): string {
  const dir = mkdtempSync(join(tmp, 'bad-'))
  cpSync(from, dir, {recursive: true})
  writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8')))
  return dir
}

describe('trace formats', () => {
  it('reads the dataset\'s per-VM files: months joined, samples binned to 5 minutes, units converted, a gap filled', () => {
    const index = indexTraceDir(PER_VM)
    assert.equal(index.format, 'per-vm')
    assert.deepEqual(index.vmIds, ['vm1', 'vm2', 'vm5'])
    assert.equal(index.originS, 1372629600)
    assert.equal(index.spanBins, 24)
    const [vm2, vm5] = readTraceWindows(index, [{vmId: 'vm2', fromBin: 10, bins: 4}, {vmId: 'vm5', fromBin: 2, bins: 3}])
    // Bins 10-13 cross from the 2013-7 file into the 2013-8 file.
    assert.deepEqual(vm2.rxMbps, [30, 31, 32, 33].map(mbps))
    assert.deepEqual(vm2.txMbps, [220, 222, 224, 226].map(mbps))
    assert.equal(vm2.vcpus, 4)
    assert.equal(vm2.memoryMiB, 8192)
    // CPU usage MHz / (capacity / cores): 10400 MHz over 4 cores, usage 0.1..0.4 of it.
    assert.deepEqual(vm2.cpuCores, [1.2, 1.6, 0.4, 0.8])
    // vm5 has no sample in bin 3: it carries bin 2's value.
    assert.deepEqual(vm5.rxMbps, [52, 52, 54].map(mbps))
    assert.equal(vm5.missingBins, 1)
    assert.equal(vm5.memoryMiB, 1024)
  })

  it('reads the compact grid, plain or gzip, with hourly CPU and memory; 0 memory is missing', () => {
    const gz = mkdtempSync(join(tmp, 'gz-'))
    for (const name of readdirSync(GRID)) writeFileSync(join(gz, `${name}.gz`), gzipSync(readFileSync(join(GRID, name))))
    for (const dir of [GRID, gz]) {
      const index = indexTraceDir(dir)
      assert.equal(index.format, 'grid')
      assert.deepEqual(index.vmIds, ['vm1', 'vm2', 'vm5'])
      assert.equal(index.spanBins, 24)
      const [vm2, vm5] = readTraceWindows(index, [{vmId: 'vm2', fromBin: 10, bins: 4}, {vmId: 'vm5', fromBin: 2, bins: 3}])
      assert.deepEqual(vm2.rxMbps, [30, 31, 32, 33].map(mbps))
      assert.deepEqual(vm2.txMbps, [220, 222, 224, 226].map(mbps))
      // Hourly: bins 10-11 are hour 0, 12-13 hour 1 (the same figures here); 2080 MHz at 2600 MHz a core.
      assert.deepEqual(vm2.cpuCores, [0.8, 0.8, 0.8, 0.8])
      assert.equal(vm2.vcpus, 4)
      assert.deepEqual(vm5.rxMbps, [52, 52, 54].map(mbps))
      assert.equal(vm5.missingBins, 1)
      assert.equal(vm5.memoryMiB, 4096, 'no provisioned memory known: the default')
    }
  })

  it('refuses a bad file with one line naming the file and the line (exit 65)', () => {
    const cases: [string, string, (text: string) => string, RegExp][] = [
      [PER_VM, 'rnd/2013-8/2.csv', (t) => t.replace(/;\t33;/, ';\tabc;'), /rnd\/2013-8\/2\.csv: line 3: Network received throughput \[KB\/s\]: expected a number >= 0, got "abc"$/],
      [PER_VM, 'rnd/2013-7/1.csv', (t) => t.replace('Network transmitted', 'Net transmitted'), /rnd\/2013-7\/1\.csv: line 1: missing column "Network transmitted throughput \[KB\/s\]"/],
      [PER_VM, 'rnd/2013-7/5.csv', (t) => t.replace(/\n1372630802;[^\n]*/, '\n1372630802;\t1'), /rnd\/2013-7\/5\.csv: line 5: expected 11 ';'-separated columns, got 2$/],
      [GRID, 'net_tx_KBps_5min.csv', (t) => t.replace('\n1372630500,', '\n1372630500,7,'), /net_tx_KBps_5min\.csv: line 5: expected 4 cells like the header, got 5$/],
      [GRID, 'net_rx_KBps_5min.csv', (t) => t.replace('\n1372630200,', '\n13726x0200,'), /net_rx_KBps_5min\.csv: line 4: t_utc_s: expected Unix seconds/],
      [GRID, 'net_rx_KBps_5min.csv', (t) => t.replace('\n1372630200,12,22,', '\n1372630200,-1,22,'), /net_rx_KBps_5min\.csv: line 4: vm1: expected a number >= 0, got "-1"$/],
    ]
    for (const [from, file, edit, expected] of cases) {
      const dir = brokenCopy(from, file, edit)
      const result = refusal(() => {
        const index = indexTraceDir(dir)
        readTraceWindows(index, index.vmIds.map((vmId) => ({vmId, fromBin: 0, bins: index.spanBins})))
      })
      assert.equal(result.exit, EXIT.badInput, result.message)
      assert.match(result.message, expected)
      assert.ok(result.message.startsWith(join(dir, file)), result.message)
      assert.ok(!result.message.includes('\n'))
    }
    const missing = refusal(() => indexTraceDir(join(tmp, 'nowhere')))
    assert.equal(missing.exit, EXIT.usage)
    assert.match(missing.message, /nowhere: not a readable directory/)
    const empty = mkdtempSync(join(tmp, 'empty-'))
    assert.match(refusal(() => indexTraceDir(empty)).message, /no traces found/)
  })
})

const options = (over: Partial<TraceScenarioOptions> = {}): TraceScenarioOptions => ({
  name: 'trace', dir: GRID, hosts: 1, vmsPerHost: 3, startS: 0, durationS: 3600, targetPeak: 0.5, vmCapMbps: 4000, burst: {slotS: 10, sigma: 0.8}, vfsPerHost: 2, ...over,
})

describe('trace scenarios', () => {
  it('packs VMs by a seeded draw: the same seed gives the same cluster, another seed another order', () => {
    const build = (seed: number) => resolveScenario('trace', seed, {hosts: 1, vmsPerHost: 3, trace: {traces: PER_VM, targetPeak: 0.5, traceDuration: '1h'}})
    assert.deepEqual(build(4), build(4))
    const orders = new Set([1, 2, 3, 4, 5, 6].map((seed) => build(seed).vms.map((vm) => vm.name).join(',')))
    assert.ok(orders.size > 1, 'some seed draws another order')
    const cluster = build(4)
    assert.deepEqual(checkInvariants(toSnapshot(cluster)), [])
    assert.deepEqual(cluster.vms.map((vm) => vm.name).sort(), ['vm1', 'vm2', 'vm5'])
    assert.equal(cluster.vms.filter((vm) => vm.vf !== null).length, 3, 'default 8 VFs a host: all three boot with one')
    // The slice is 1 h at 5-minute resolution, nothing more.
    for (const vm of cluster.vms) assert.equal(vm.demand.trace?.rxMbps.length, 12)
    assert.equal(cluster.traceSource?.format, 'per-vm')
  })

  it('draws again from day-shifted windows when more VMs are needed than the traces hold', () => {
    const index: TraceIndex = {dir: 'D', format: 'grid', vmIds: ['vm1', 'vm2'], originS: 0, spanBins: 288 * 3}
    const {windows, shifts} = planTraceWindows(index, 9, options({hosts: 1, vmsPerHost: 5, startS: 600}))
    assert.deepEqual(shifts, [0, 0, 1, 1, 2])
    assert.deepEqual(windows.map((w) => w.fromBin), [2, 2, 290, 290, 578])
    assert.deepEqual(new Set(windows.slice(0, 2).map((w) => w.vmId)), new Set(['vm1', 'vm2']))
    // Late in the trace, copies go back in time.
    assert.deepEqual(planTraceWindows(index, 9, options({vmsPerHost: 5, startS: 2 * 86_400})).shifts, [0, 0, -1, -1, -2])
    const tooMany = refusal(() => planTraceWindows(index, 9, options({vmsPerHost: 7})))
    assert.match(tooMany.message, /7 VMs need 4 draws of the 2 traced VMs, but D \(3\.0 days\) has room for 3 day-shifted windows/)
    assert.match(refusal(() => planTraceWindows(index, 9, options({startS: 3 * 86_400 - 600, durationS: 1200}))).message, /runs past the end of D/)
  })

  it('picks the scale so the busiest host peaks at the target, with the per-VM cap clipping', () => {
    const slice = (txMbps: number[]): TraceSlice => ({vmId: 'v', fromBin: 0, rxMbps: txMbps.map(() => 0), txMbps, cpuCores: txMbps.map(() => 0), vcpus: 1, memoryMiB: 1024, missingBins: 0})
    const host = [slice([100, 200]), slice([300, 100])]
    assert.equal(scaleForPeak(host, 2, 0.8, 100_000), 20, '8000 Mbit/s over the 400 Mbit/s busiest bin')
    // At 5000 Mbit/s a VM, bin 0 needs 5000 + 3000: scale 30.
    assert.equal(scaleForPeak(host, 2, 0.8, 5000), 30)
    assert.equal(peakUtilisation(host, 2, 30, 5000), 0.8)
    // Two hosts: the busier one sets the scale.
    assert.equal(scaleForPeak([...host, slice([10, 10]), slice([10, 1000])], 2, 0.8, 100_000), 7.92)
    const unreachable = refusal(() => scaleForPeak(host, 2, 0.8, 3000))
    assert.equal(unreachable.exit, EXIT.usage)
    assert.match(unreachable.message, /target peak 0\.8: unreachable; with a per-VM cap of 3000 Mbit\/s these VMs reach at most 0\.600 of a port/)
    // Built through the scenario, the fixture's busiest bin lands on the target, and the scale is reported.
    const cluster = resolveScenario('trace', 1, {hosts: 1, vmsPerHost: 3, trace: {traces: GRID, targetPeak: 0.5, vmCap: 9000}})
    assert.ok(Math.abs((cluster.traceSource?.peakUtilisation ?? 0) - 0.5) < 0.002, String(cluster.traceSource?.peakUtilisation))
    const fixed = resolveScenario('trace', 1, {hosts: 1, vmsPerHost: 3, trace: {traces: GRID, traceScale: 10}})
    assert.equal(fixed.traceSource?.scale, 10)
    const vm1 = fixed.vms.find((vm) => vm.name === 'vm1') as SimVm
    assert.deepEqual(vm1.demand.trace?.txMbps.slice(0, 2), [mbps(100) * 10, mbps(102) * 10].map((v) => Number(v.toPrecision(4))))
  })

  it('caps each second\'s offered rate per VM, and keeps each bin\'s mean when the cap does not bite', () => {
    const cluster = resolveScenario('trace', 3, {hosts: 1, vmsPerHost: 3, trace: {traces: GRID, traceScale: 10, vmCap: 9000}})
    for (const vm of cluster.vms) {
      const trace = vm.demand.trace as NonNullable<typeof vm.demand.trace>
      for (const bin of [0, 5]) {
        let tx = 0
        for (let t = bin * 300; t < (bin + 1) * 300; t++) tx += offeredDemand(cluster.seed, vm, t).txMbps
        assert.ok(Math.abs(tx / 300 - trace.txMbps[bin]) < 1e-9 * trace.txMbps[bin], `${vm.name} bin ${bin}: ${tx / 300} vs ${trace.txMbps[bin]}`)
      }
    }
    const capped = resolveScenario('trace', 3, {hosts: 1, vmsPerHost: 3, trace: {traces: GRID, traceScale: 10, vmCap: 5}})
    let max = 0
    for (const vm of capped.vms) for (let t = 0; t < 600; t++) max = Math.max(max, offeredDemand(capped.seed, vm, t).txMbps)
    assert.equal(max, 5)
  })

  it('varies demand inside a bin by a seeded burst model whose bin mean is exactly 1', () => {
    const burst = {slotS: 10, sigma: 0.8}
    const weights = (seed: number, vm: number, bin: number) => Array.from({length: 300}, (_, s) => burstWeight(seed, vm, bin * 300 + s, 300, burst))
    const w = weights(1, 4, 7)
    assert.ok(Math.abs(w.reduce((sum, x) => sum + x, 0) / 300 - 1) < 1e-12)
    assert.equal(new Set(w.slice(0, 10)).size, 1, 'constant within a 10 s slot')
    assert.ok(Math.max(...w) > 1.5 && Math.min(...w) < 0.6, `varies: ${Math.min(...w)}..${Math.max(...w)}`)
    assert.deepEqual(weights(1, 4, 7), w, 'a pure function of (seed, VM, tick)')
    assert.notDeepEqual(weights(2, 4, 7), w)
    assert.notDeepEqual(weights(1, 5, 7), w)
    // A 7 s slot leaves a 6 s last slot: still exactly 1 on average over the bin.
    const odd = Array.from({length: 300}, (_, s) => burstWeight(3, 1, s, 300, {slotS: 7, sigma: 1.2}))
    assert.ok(Math.abs(odd.reduce((sum, x) => sum + x, 0) / 300 - 1) < 1e-12)
    assert.equal(burstWeight(1, 4, 123, 300, {slotS: 10, sigma: 0}), 1, 'sigma 0: flat')
  })

  it('reads trace times and refuses bad options with the flag in the message', () => {
    assert.deepEqual(parseTraceTime('7d9h30m', 'x'), {offsetS: 7 * 86_400 + 9 * 3600 + 1800})
    assert.deepEqual(parseTraceTime('3600', 'x'), {offsetS: 3600})
    assert.deepEqual(parseTraceTime('2013-07-01T00:05+02:00', 'x'), {atS: 1372629900})
    assert.match(refusal(() => parseTraceTime('2013-07-01T00:05', '--trace-start')).message, /^--trace-start: expected an offset such as 7d9h/)
    const build = (trace: object, sizes: object = {hosts: 1, vmsPerHost: 3}) => () => resolveScenario('trace', 1, {...sizes, trace: {traces: GRID, ...trace}})
    assert.match(refusal(build({traceScale: 2, targetPeak: 0.5})).message, /--trace-scale and --target-peak: give one, not both/)
    assert.match(refusal(build({burstSigma: 9})).message, /--burst-sigma: expected a number from 0 to 3, got 9/)
    assert.match(refusal(build({traceDuration: '0m'})).message, /--trace-duration: expected a duration above 0/)
    assert.match(refusal(build({}, {hosts: 501})).message, /--hosts: expected a whole number from 1 to 500, got 501/)
    assert.match(refusal(build({traceStart: '2013-06-30T00:00Z'})).message, /trace start is \d+ s before the first sample/)
    assert.match(refusal(() => resolveScenario('paper', 1, {trace: {traces: GRID}})).message, /apply to the trace scenario only/)
    assert.match(refusal(() => resolveScenario('trace', 1, {trace: {}})).message, /needs a trace directory: --traces DIR or SOVA_TRACES/)
  })

  it('takes a scenario file with a "traces" object, its dir relative to the file', () => {
    const dir = mkdtempSync(join(tmp, 'file-'))
    mkdirSync(join(dir, 'data'))
    for (const name of readdirSync(GRID)) copyFileSync(join(GRID, name), join(dir, 'data', name))
    const file = join(dir, 'real.json')
    writeFileSync(file, JSON.stringify({traces: {dir: 'data', hosts: 1, vmsPerHost: 2, targetPeak: 0.3, burst: {sigma: 0}}}))
    const cluster = loadScenarioFile(file, 2, 1800)
    assert.equal(cluster.scenario, 'real')
    assert.equal(cluster.vms.length, 2)
    assert.equal(cluster.vms[0].demand.trace?.rxMbps.length, 6, 'the duration hint: 30 minutes')
    assert.equal(cluster.traceSource?.burst.sigma, 0)
    assert.deepEqual(resolveScenario(file, 2, {durationHintS: 1800}), cluster)
    writeFileSync(file, JSON.stringify({traces: {dir: 'data', hots: 1}}))
    const typo = refusal(() => loadScenarioFile(file, 2))
    assert.equal(typo.exit, EXIT.badInput)
    assert.match(typo.message, new RegExp(`^${file}: traces`))
    writeFileSync(file, JSON.stringify({traces: {dir: 'data', targetPeak: 0.3, scale: 2}}))
    assert.match(refusal(() => loadScenarioFile(file, 2)).message, new RegExp(`^${file}: traces.scale and traces.targetPeak: give one, not both`))
  })
})

describe('trace scenarios on the shared traces', () => {
  const shared = sharedTraces()
  it('8 hosts × 30 VMs at a target peak of 0.8: the busiest host lands there, deterministically', {skip: shared.skip}, () => {
    const build = () => resolveScenario('trace', 5, {hosts: 8, vmsPerHost: 30, trace: {traces: shared.dir, traceStart: '1d9h', targetPeak: 0.8}, durationHintS: 1800})
    const cluster = build()
    assert.equal(cluster.vms.length, 240)
    assert.ok(Math.abs((cluster.traceSource?.peakUtilisation ?? 0) - 0.8) < 0.005, String(cluster.traceSource?.peakUtilisation))
    assert.deepEqual(build(), cluster)
    assert.deepEqual(checkInvariants(toSnapshot(cluster)), [])
  })

  it('100 hosts × 40 VMs draw the 250 traced VMs again from day-shifted windows, every name unique', {skip: shared.skip}, () => {
    const cluster = resolveScenario('trace', 1, {hosts: 100, vmsPerHost: 40, trace: {traces: shared.dir, targetPeak: 0.6}, durationHintS: 1800})
    assert.equal(cluster.vms.length, 4000)
    assert.equal(new Set(cluster.vms.map((vm) => vm.name)).size, 4000)
    assert.ok(cluster.vms.some((vm) => /\+\d+d$/.test(vm.name)))
    // The stored cluster stays small: 30 minutes are 6 values a series.
    assert.ok(JSON.stringify(cluster).length < 4_000_000)
  })
})
