// Issue 5, item 6: no decision on data that is missing, too old, or from a host that did not answer.
// The real CLI on the simulated cluster: a host in an outage, a document replayed too late.
import assert from 'node:assert/strict'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {setHostReachable} from '../../src/lib/backends/sim/backend.js'
import {Store} from '../../src/lib/store/store.js'
import {BIN, documents, freshStateDir, pipeline, sova} from './helpers.js'

/** A state whose cluster has two samples, so the next collect takes rates since the last one. */
async function sampledState(): Promise<string> {
  const state = freshStateDir()
  for (let i = 0; i < 2; i++) assert.equal((await sova(['collect'], {state})).exitCode, 0)
  return state
}

const journalRows = async (state: string) => documents((await sova(['history', '--format', 'json'], {state})).stdout)

describe('a host that does not answer', () => {
  it('collect writes the other hosts, lists it missing with why and how old its last sample is, and exits 69', async () => {
    const state = await sampledState()
    await sova(['sim', 'outage', 'host2'], {state})
    const result = await sova(['collect'], {state})
    assert.equal(result.exitCode, 69)
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.hosts.map((host: {name: string}) => host.name), ['host1', 'host3'])
    assert.equal(doc.missing.length, 1)
    assert.equal(doc.missing[0].host, 'host2')
    assert.match(doc.missing[0].reason, /^did not answer \(simulated outage.*\); its last sample is 10 s old: no decision about host2 or its VMs$/)
    assert.equal(Date.parse(doc.at) - Date.parse(doc.missing[0].lastSampleAt), 10_000)
    const lines = String(result.stderr).trim().split('\n')
    assert.match(lines.at(-1) as string, /^sova collect: host2 gave no readings, so nothing was decided about it; the other hosts were handled/)

    // The age grows while the outage lasts: the last sample stays the one before it began.
    const later = documents((await sova(['collect'], {state})).stdout)[0]
    assert.match(later.missing[0].reason, /its last sample is 20 s old/)
    assert.equal(later.missing[0].lastSampleAt, doc.missing[0].lastSampleAt)
  })

  it('run --once acts on the hosts that answered only, writes its document and exits 69', async () => {
    const state = await sampledState()
    await sova(['sim', 'outage', 'host1'], {state})
    const result = await sova(['run', '--once'], {state})
    assert.equal(result.exitCode, 69)
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.missing.map((entry: {host: string}) => entry.host), ['host1'])
    assert.ok(doc.actions.length > 0, 'the hosts that answered are still managed')
    for (const action of doc.actions) {
      assert.notEqual(action.host, 'host1')
      assert.notEqual(action.to, 'host1')
    }
    assert.equal(Object.keys(doc.scores.hosts).includes('host1'), false)
    for (const row of await journalRows(state)) assert.notEqual(row.host, 'host1')
    // Asked about it, explain says it gave no readings, and why.
    const explained = await sova(['explain', '--host', 'host1'], {state, input: String(result.stdout)})
    assert.equal(explained.exitCode, 69)
    assert.match(String(explained.stderr), /^sova explain: --host: host1 gave no readings in cluster \S+ at \S+: did not answer \(simulated outage/)
  })

  it('a one-off about that host does nothing and exits 69, naming it', async () => {
    const state = await sampledState()
    const vmOnHost2 = documents((await sova(['collect'], {state})).stdout)[0].hosts[1].vms[0].name as string
    await sova(['sim', 'outage', 'host2'], {state})
    const toIt = await sova(['migrate', 'cpu1', '--to', 'host2'], {state})
    assert.equal(toIt.exitCode, 69)
    assert.match(String(toIt.stderr), /^sova migrate: --to: host2 did not answer .*: nothing done\n$/)
    const onIt = await sova(['switch-vf', vmOnHost2, '--to', 'pv'], {state})
    assert.equal(onIt.exitCode, 69)
    assert.match(String(onIt.stderr), new RegExp(`^sova switch-vf: VM ${vmOnHost2} is on none of the hosts that answered, and host2 did not answer .*: nothing done\\n$`))
    assert.deepEqual(await journalRows(state), [])
    assert.equal(String(toIt.stdout) + String(onIt.stdout), '')
  })

  it('when no host answers there is no document: exit 69 with one line', async () => {
    const state = await sampledState()
    for (const host of ['host1', 'host2', 'host3']) await sova(['sim', 'outage', host], {state})
    const result = await sova(['run', '--once'], {state})
    assert.equal(result.exitCode, 69)
    assert.equal(String(result.stdout), '')
    assert.match(String(result.stderr), /^sova run: no host answered: host1 did not answer/)
  })

  it('a loop goes on when no host answers for a while: it says so, samples again once they are back, and exits 69', async () => {
    const state = await sampledState()
    for (const host of ['host1', 'host2', 'host3']) await sova(['sim', 'outage', host], {state})
    const loop = execa(process.execPath, [BIN, 'run', '--cycles', '3', '--interval', '3s'], {env: {SOVA_STATE_DIR: state}, reject: false})
    // The first cycle's complaint on stderr: then the hosts come back.
    await new Promise<void>((resolve) => loop.stderr?.on('data', (chunk: Buffer) => /cycle 1: no host answered/.test(String(chunk)) && resolve()))
    // All three back at once (in this process, well within the 3 s pause), as a network blip ends.
    const store = Store.open(state)
    for (const host of ['host1', 'host2', 'host3']) setHostReachable(store, host, true)
    store.close()
    const result = await loop
    assert.equal(result.exitCode, 69, String(result.stderr))
    const docs = documents(result.stdout)
    assert.ok(docs.length >= 1 && docs.length <= 2, `${docs.length} documents`)
    assert.deepEqual(docs.at(-1).hosts.map((host: {name: string}) => host.name), ['host1', 'host2', 'host3'])
    assert.match(String(result.stderr), /^run: cycle 1: no host answered: host1 did not answer .*; no document this cycle$/m)
  })

  it('back again, it gets rates over a fresh window, not zeros from a missing start', async () => {
    const state = await sampledState()
    await sova(['sim', 'outage', 'host3'], {state})
    await sova(['collect'], {state})
    await sova(['sim', 'outage', 'host3', '--clear'], {state})
    const result = await sova(['collect'], {state})
    assert.equal(result.exitCode, 0)
    assert.match(String(result.stderr), /collect: the previous sample has no readings of host3; sampling for 2 s/)
    const [doc] = documents(result.stdout)
    assert.equal(doc.missing, undefined)
    const host3 = doc.hosts.find((host: {name: string}) => host.name === 'host3')
    assert.ok(host3.nic.rxBps + host3.nic.txBps > 0, 'host3 has real rates')
  })

  it('sova check checks the others and exits 69, saying what it could not see', async () => {
    const state = await sampledState()
    await sova(['sim', 'outage', 'host2'], {state})
    const result = await sova(['check'], {state})
    assert.equal(result.exitCode, 69)
    assert.match(String(result.stderr), /check: no violation \(2 hosts, .*host2: did not answer .*its VMs and VFs not checked/)
    assert.match(String(result.stderr), /sova check: not every host was checked: host2 could not be read\n$/)
  })
})

describe('a sample too old to decide on', () => {
  /** A scored and balanced document, then `collects` more samples (10 s of simulated time each). */
  async function oldDocument(collects: number): Promise<{state: string; file: string}> {
    const state = await sampledState()
    const planned = await pipeline(['collect', 'score', 'balance'], {state})
    assert.equal(planned.exitCode, 0)
    const file = join(state, 'old.ndjson')
    writeFileSync(file, String(planned.stdout))
    for (let i = 0; i < collects; i++) await sova(['collect'], {state})
    return {state, file}
  }

  it('switch-vf decides no VF change on it, says why, exits 0 and touches nothing', async () => {
    const {state, file} = await oldDocument(13)
    const result = await sova(['switch-vf'], {state, input: (await import('node:fs')).readFileSync(file, 'utf8')})
    assert.equal(result.exitCode, 0)
    const [doc] = documents(result.stdout)
    assert.deepEqual(doc.plan.vf, [])
    assert.equal(doc.actions, undefined)
    assert.match(doc.plan.noop.vf, /^sample of \S+ is 130 s old, more than the 120 s allowed \(--max-sample-age\): no VF change decided$/)
    assert.match(String(result.stderr), /^switch-vf: sample of \S+ is 130 s old, more than the 120 s allowed/)
    assert.deepEqual(await journalRows(state), [])
  })

  it('a longer --max-sample-age, or the configuration\'s maxSampleAgeSeconds, lets it through', async () => {
    const {state, file} = await oldDocument(13)
    const input = (await import('node:fs')).readFileSync(file, 'utf8')
    const byFlag = documents((await sova(['switch-vf', '--dry-run', '--max-sample-age', '10m'], {state, input})).stdout)[0]
    assert.ok(byFlag.plan.vf.length > 0, 'VF changes planned on the same document')
    const config = join(state, 'config.json')
    writeFileSync(config, JSON.stringify({maxSampleAgeSeconds: 600}))
    const byFile = documents((await sova(['switch-vf', '--dry-run', '--config', config], {state, input})).stdout)[0]
    assert.deepEqual(byFile.plan.vf, byFlag.plan.vf)
    // The flag still wins over the file.
    const flagWins = documents((await sova(['switch-vf', '--dry-run', '--config', config, '--max-sample-age', '1m'], {state, input})).stdout)[0]
    assert.deepEqual(flagWins.plan.vf, [])
  })

  it('a sample within the limit is decided on as usual', async () => {
    const {state, file} = await oldDocument(11)
    const result = await sova(['switch-vf', '--dry-run'], {state, input: (await import('node:fs')).readFileSync(file, 'utf8')})
    assert.equal(result.exitCode, 0)
    assert.ok(documents(result.stdout)[0].plan.vf.length > 0)
  })

  it('a bad --max-sample-age is a usage error before anything runs', async () => {
    const state = freshStateDir()
    const result = await sova(['run', '--once', '--max-sample-age', '0s'], {state})
    assert.equal(result.exitCode, 2)
    assert.match(String(result.stderr), /^sova run: --max-sample-age: expected a duration above 0/)
    assert.equal(String(result.stdout), '')
  })
})
