// The operator's rules through the CLI: a document carrying `rules` (as collect annotates it)
// piped through `sova score | sova balance` and `sova switch-vf --dry-run`. A pinned VM never
// moves (another relieves its host, or the hotspot is reported blocked naming the rule); a
// `vf: never` VM never gets a VF; a `vf: always` VM keeps its VF when others want it more.
import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {Host, SovaDocument, Vm} from '../../src/lib/document/schema.js'
import {type RuleSet, withRules} from '../../src/lib/policy/rules.js'
import {DEFAULT_VFS, doc, host, vm} from '../helpers/build.js'
import {documents, freshStateDir, pipeline} from './helpers.js'

/** One sample decides (a hand-made document has no history). */
const SCORE = 'score --recent 1 --hot-samples 1'
const PIN: RuleSet['vms'][number] = {match: {name: 'db*'}, migrate: 'never', origin: 'configuration rules.groups[0] "databases"'}

const busy = (name: string, mbps: number, tweak: Partial<Vm> = {}) => vm(name, {net: {rxBps: (mbps * 1e6) / 8, txBps: 0, activeRatio: 1}, ...tweak})

function loaded(name: string, vms: Vm[]): Host {
  const built = host(name, vms)
  const rxBps = vms.reduce((sum, guest) => sum + guest.net.rxBps, 0)
  built.nic = {...built.nic, rxBps, utilisation: (rxBps * 8) / (built.nic.speedMbps * 1e6)}
  return built
}

/**
 * The last document out of `stages` fed `samples` copies of `input` 10 s apart (sova counts the
 * samples it has seen a VM in before it takes a VF away).
 */
async function through(stages: string[], input: SovaDocument, policy?: string, samples = 1): Promise<any> {
  const withPolicy = policy ? stages.map((stage) => `${stage} --policy ${policy}`) : stages
  const stream = Array.from({length: samples}, (_, i) => JSON.stringify({...input, at: new Date(Date.parse(input.at) + i * 10_000).toISOString()}))
  const result = await pipeline(withPolicy, {state: freshStateDir(), input: `${stream.join('\n')}\n`})
  assert.equal(result.exitCode, 0, String(result.stderr))
  return documents(result.stdout).at(-1)
}

describe('rules through the CLI', () => {
  it('score | balance: the pinned db1 stays; web1 relieves h1 instead (sova and seed)', async () => {
    const cluster = doc([loaded('h1', [busy('db1', 6000), busy('web1', 3500)]), loaded('h2', [busy('web2', 300)])])
    // Without the pin db1 is sova's choice: the test would notice a pin that is not honoured.
    const free = await through([SCORE, 'balance'], cluster)
    assert.deepEqual(free.plan.migrations.map((m: any) => m.vm), ['db1'])
    for (const policy of ['sova', 'seed']) {
      const out = await through([SCORE, 'balance'], withRules(cluster, {vms: [PIN], hosts: []}), policy)
      assert.deepEqual(out.plan.migrations.map((m: any) => `${m.vm} ${m.from}→${m.to}`), ['web1 h1→h2'], policy)
      assert.equal(out.hosts[0].vms[0].rules.migrate, 'never', 'the rules pass through the stages')
    }
    const sova = await through([SCORE, 'balance'], withRules(cluster, {vms: [PIN], hosts: []}))
    assert.ok(sova.plan.rejected.migrations.includes('h1: db1 stays: db1 is pinned to h1 by never-migrate (configuration rules.groups[0] "databases")'), sova.plan.rejected.migrations.join('\n'))
  })

  it('score | balance: a hotspot only the pinned VM could relieve is reported blocked, naming the rule', async () => {
    const cluster = withRules(doc([loaded('h1', [busy('db1', 9000)]), loaded('h2', [])]), {vms: [PIN], hosts: []})
    const blocked = 'h1: hotspot blocked: no VM that may move relieves its rx (db1 is pinned to h1 by never-migrate (configuration rules.groups[0] "databases"))'
    const out = await through([SCORE, 'balance'], cluster)
    assert.deepEqual(out.plan.migrations, [])
    assert.ok(out.plan.rejected.migrations.includes(blocked))
    assert.equal(out.plan.noop.migrations, `no beneficial migration: ${blocked}; every other alternative was rejected (see plan.rejected.migrations)`)
    const seed = await through([SCORE, 'balance'], cluster, 'seed')
    assert.equal(seed.plan.noop.migrations, 'h1: hotspot blocked: no VM may move (db1 is pinned to h1 by never-migrate (configuration rules.groups[0] "databases"))')
  })

  it('score | switch-vf --dry-run: vf: never gets no VF and gives its own back; vf: always keeps its VF under pressure', async () => {
    const [vf0, vf1, vf2, vf3] = DEFAULT_VFS
    // Four VFs, all held: by never1 (busy), always1 (idle: worth least), and two light VMs; three
    // busy VMs on PV want one. never2 is the busiest and wants none.
    const pressed = withRules(
      doc([
        loaded('h1', [
          busy('never1', 4000, {vf: vf0}),
          busy('always1', 1, {vf: vf1}),
          busy('light1', 50, {vf: vf2}),
          busy('light2', 60, {vf: vf3}),
          busy('never2', 6000),
          busy('hungry1', 3000),
          busy('hungry2', 2800),
        ]),
      ]),
      {
        vms: [
          {match: {name: 'never*'}, vf: 'never', origin: 'configuration rules.groups[1] "batch"'},
          {match: {name: 'always*'}, vf: 'always', origin: 'sova rule set always1 --vf always'},
        ],
        hosts: [],
      },
    )
    for (const policy of ['sova', 'seed', 'dsriov', 'static-vf', 'static-pv']) {
      // A hand-made document is old by the simulator's clock: its age is not what is tested here.
      const out = await through([SCORE, 'switch-vf --dry-run --max-sample-age 100000000s'], pressed, policy, 3)
      const changes = out.plan.vf.map((c: any) => `${c.op} ${c.vm}`)
      assert.ok(changes.includes('detach never1'), `${policy}: ${changes}`)
      assert.equal(out.plan.vf.find((c: any) => c.vm === 'never1').reason.startsWith('never1 has vf: never (configuration rules.groups[1] "batch")'), true)
      assert.ok(!out.plan.vf.some((c: any) => c.op === 'attach' && c.vm.startsWith('never')), `${policy}: ${changes}`)
      assert.ok(!out.plan.vf.some((c: any) => c.vm === 'always1'), `${policy}: always1 keeps its VF: ${changes}`)
      assert.ok(out.actions.every((a: any) => a.status === 'dry-run'))
      if (policy !== 'static-pv') assert.ok(out.plan.vf.some((c: any) => c.op === 'attach' && c.vm.startsWith('hungry')), `${policy}: under pressure: ${changes}`)
    }
  })
})
