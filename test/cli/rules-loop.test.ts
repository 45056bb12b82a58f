// The rules end to end on the simulated paper cluster, where host1's bulk VMs turn its port hot and
// the loop, left alone, moves bulk1 to host3 within 14 cycles: the rules in the configuration and
// from `sova rule set` change what the loop and drain do, and every refusal names its rule.
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {documents, freshStateDir, sova} from './helpers.js'

function configFile(value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sova-rules-loop-')), 'config.json')
  writeFileSync(file, JSON.stringify(value, null, 2))
  return file
}

const CYCLES = ['run', '--cycles', '14', '--interval', '0s', '-q', '--format', 'json']
const moves = (docs: any[]) => docs.flatMap((doc) => (doc.actions ?? []).filter((action: any) => action.kind === 'migrate' && action.status === 'done'))
const attaches = (docs: any[]) => docs.flatMap((doc) => (doc.actions ?? []).filter((action: any) => action.kind === 'attach-vf' && action.status === 'done'))

describe('rules change what the loop does', () => {
  it('unruled, the loop moves a bulk VM off hot host1 (the baseline the rules below change)', async () => {
    const run = await sova(CYCLES, {state: freshStateDir()})
    assert.equal(run.exitCode, 0, String(run.stderr))
    assert.ok(moves(documents(run.stdout)).some((move) => /^bulk/.test(move.vm) && move.host === 'host1'), 'expected a bulk VM to leave host1')
  })

  it('bulk VMs pinned by a group: none moves; host1 is relieved by another VM or reported blocked, naming the rule', async () => {
    const config = configFile({rules: {groups: [{name: 'bulk', match: {name: 'bulk*'}, migrate: 'never'}]}})
    const run = await sova([...CYCLES, '--config', config], {state: freshStateDir()})
    assert.equal(run.exitCode, 0, String(run.stderr))
    const docs = documents(run.stdout)
    assert.deepEqual(moves(docs).filter((move) => /^bulk/.test(move.vm)), [])
    const relieved = moves(docs).some((move) => move.host === 'host1')
    const said = docs.flatMap((doc) => doc.plan?.rejected?.migrations ?? []).some((line: string) => /bulk\d+ is pinned to host1 by never-migrate \(configuration rules\.groups\[0\] "bulk"\)/.test(line))
    assert.ok(said, 'the pin is named among the rejected alternatives')
    assert.ok(relieved || docs.some((doc) => /hotspot blocked/.test(doc.plan?.noop?.migrations ?? '')), 'host1 relieved by another VM, or reported blocked')
  })

  it('host3 in maintenance by the configuration: no VM moves in and no VF is handed out there', async () => {
    const config = configFile({rules: {hosts: {host3: {maintenance: true}}}})
    const run = await sova([...CYCLES, '--config', config], {state: freshStateDir()})
    assert.equal(run.exitCode, 0, String(run.stderr))
    const docs = documents(run.stdout)
    assert.deepEqual(moves(docs).filter((move) => move.to === 'host3'), [])
    assert.deepEqual(attaches(docs).filter((action) => action.host === 'host3'), [])
    assert.ok(moves(docs).some((move) => move.host === 'host1'), 'host1 still relieved, to another host')
  })

  it('a pin set with sova rule set between cycles holds from the next cycle, and drain refuses naming it', async () => {
    const state = freshStateDir()
    assert.equal((await sova(['run', '--once', '-q'], {state})).exitCode, 0)
    const set = await sova(['rule', 'set', 'bulk1', '--migrate', 'never'], {state})
    assert.equal(set.exitCode, 0, String(set.stderr))
    const run = await sova(CYCLES, {state})
    assert.equal(run.exitCode, 0, String(run.stderr))
    assert.deepEqual(moves(documents(run.stdout)).filter((move) => move.vm === 'bulk1'), [])
    const drain = await sova(['drain', 'host1', '--format', 'json'], {state})
    assert.equal(drain.exitCode, 1, String(drain.stderr))
    assert.match(String(drain.stderr), /drain: host1: blocked: bulk1 is pinned to host1 by never-migrate \(sova rule set/)
    assert.deepEqual((documents(drain.stdout)[0].actions ?? []).filter((action: any) => action.status === 'done'), [], 'nothing done')
  })
})
