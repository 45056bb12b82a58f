// The trace scenario through the real CLI: sim reset from a trace directory, then the loop runs on it;
// a bad trace file is refused with one line (exit 65) and leaves the stored cluster as it was.
import assert from 'node:assert/strict'
import {cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {sharedTraces} from '../helpers/traces.js'
import {documents, freshStateDir, sova} from './helpers.js'

const PER_VM = join(import.meta.dirname, '..', 'fixtures', 'traces', 'per-vm')
const tmp = mkdtempSync(join(tmpdir(), 'sova-trace-cli-'))
after(() => rmSync(tmp, {recursive: true, force: true}))

/** `sova run --once --dry-run` on `state`: its document, after checking it ran cleanly. */
async function dryRun(state: string, env: Record<string, string> = {}): Promise<any> {
  const run = await sova(['run', '--once', '--dry-run', '--format', 'json', '--quiet'], {state, env})
  assert.equal(run.exitCode, 0, String(run.stderr))
  const [doc] = documents(run.stdout)
  return doc
}

describe('sova sim reset --scenario trace', () => {
  it('builds the cluster from per-VM trace files, reports its scale, and sova run --once --dry-run works on it', async () => {
    const state = freshStateDir()
    const reset = await sova(['sim', 'reset', '--scenario', 'trace', '--traces', PER_VM, '--hosts', '1', '--vms-per-host', '3', '--target-peak', '0.5', '--seed', '2', '--format', 'json'], {state})
    assert.equal(reset.exitCode, 0, String(reset.stderr))
    const [summary] = documents(reset.stdout)
    assert.equal(summary.scenario, 'trace')
    assert.equal(summary.vms, 3)
    assert.equal(summary.traceFormat, 'per-vm')
    assert.equal(summary.targetPeak, 0.5)
    assert.ok(summary.traceScale > 0)
    assert.ok(Math.abs(summary.peakUtilisation - 0.5) < 0.002, String(summary.peakUtilisation))
    const doc = await dryRun(state)
    assert.equal(doc.source.scenario, 'trace')
    assert.deepEqual(doc.hosts[0].vms.map((vm: any) => vm.name).sort(), ['vm1', 'vm2', 'vm5'])
    assert.ok(doc.hosts[0].nic.txBps > 0, 'the traced VMs send')
  })

  it('refuses a bad trace file with one line naming file and line (exit 65) and keeps the stored cluster', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['sim', 'reset', '--scenario', 'steady', '--quiet'], {state})).exitCode, 0)
    const dir = join(tmp, 'bad')
    cpSync(PER_VM, dir, {recursive: true})
    const file = join(dir, 'rnd', '2013-7', '2.csv')
    writeFileSync(file, readFileSync(file, 'utf8').replace(/;\t21;/, ';\t2x1;'))
    const reset = await sova(['sim', 'reset', '--scenario', 'trace', '--traces', dir, '--hosts', '1', '--vms-per-host', '3'], {state})
    assert.equal(reset.exitCode, 65)
    assert.equal(String(reset.stdout), '')
    const stderr = String(reset.stderr).trim()
    assert.equal(stderr.split('\n').length, 1, stderr)
    assert.ok(stderr.startsWith(`sova sim reset: ${file}: line 3: Network received throughput [KB/s]: expected a number >= 0, got "2x1"`), stderr)
    assert.equal((await dryRun(state)).source.scenario, 'steady')
  })

  it('sova evaluate runs the trace scenario like a built-in one', async () => {
    const evaluation = await sova(['evaluate', '--scenario', 'trace', '--traces', PER_VM, '--hosts', '1', '--vms-per-host', '3', '--duration', '1m', '--policies', 'seed,sova', '--format', 'json', '--quiet'], {state: freshStateDir()})
    assert.equal(evaluation.exitCode, 0, String(evaluation.stderr))
    const [result] = documents(evaluation.stdout)
    assert.equal(result.scenario, 'trace')
    assert.deepEqual(result.policies.map((p: any) => p.policy), ['seed', 'sova'])
    // Both policies saw the same offered traffic: the traced VMs' demand, a pure function of (seed, VM, second).
    assert.ok(result.policies[0].offeredMbit > 0)
    assert.equal(result.policies[1].offeredMbit, result.policies[0].offeredMbit)
  })

  it('takes the directory from SOVA_TRACES: the shared traces at 8 hosts × 30 VMs', {skip: sharedTraces().skip}, async () => {
    const state = freshStateDir()
    const env = {SOVA_TRACES: sharedTraces().dir}
    const reset = await sova(['sim', 'reset', '--scenario', 'trace', '--trace-start', '1d9h', '--trace-duration', '30m', '--format', 'json'], {state, env})
    assert.equal(reset.exitCode, 0, String(reset.stderr))
    const [summary] = documents(reset.stdout)
    assert.deepEqual([summary.hosts, summary.vms, summary.traceFormat, summary.traceStartS, summary.traceDurationS], [8, 240, 'grid', 118_800, 1800])
    const doc = await dryRun(state, env)
    assert.equal(doc.hosts.length, 8)
  })
})
