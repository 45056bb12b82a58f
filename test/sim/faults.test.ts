import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {Executor} from '../../src/lib/loop/apply.js'
import {SimBackend, readSimCluster, resetSim, setHostReachable, setSimFaults} from '../../src/lib/backends/sim/backend.js'
import {type SimCluster, findVm, freeMemoryMiB, freeVfs, parseSimCluster, withFaults} from '../../src/lib/backends/sim/cluster.js'
import {FAULT_KINDS, type FaultRates, decideFault, formatFaults, parseFaults} from '../../src/lib/backends/sim/faults.js'
import {attachVf, detachVf, migrate, toSnapshot} from '../../src/lib/backends/sim/model.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'
import type {StepResult} from '../../src/lib/backends/types.js'
import {policyParams} from '../../src/lib/cli/flags.js'
import {EXIT, UnreachableError, UsageError} from '../../src/lib/errors.js'
import {SampleHistory} from '../../src/lib/loop/history.js'
import {checkInvariants} from '../../src/lib/invariants.js'
import {collectStage, runCycle} from '../../src/lib/loop/stages.js'
import {Store} from '../../src/lib/store/store.js'
import {simRef} from './util.js'

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-faults-'))
  dirs.push(dir)
  return dir
}

/** The error of a failed call (undefined when it succeeded). */
const errorOf = (result: StepResult): string | undefined => (result.ok ? undefined : result.error)

const paper = (rates: FaultRates = {}): SimCluster => withFaults(buildScenario('paper', 1), rates)

/** Where every VM is, which VF it holds, and which hosts answer: what a fault must not change. */
function placement(cluster: SimCluster) {
  return {
    vms: Object.fromEntries(cluster.vms.map((vm) => [vm.name, {host: vm.host, vf: vm.vf, path: vm.path}])),
    reachable: cluster.hosts.map((host) => host.reachable),
  }
}

/** A VM holding a VF, a VM on PV on the same host, a free VF there, and another host with room. */
function cast(cluster: SimCluster) {
  const host = cluster.hosts[0]
  const withVf = cluster.vms.find((vm) => vm.host === host.name && vm.vf !== null)!
  const onPv = cluster.vms.find((vm) => vm.host === host.name && vm.vf === null && vm.memoryMiB <= freeMemoryMiB(cluster, cluster.hosts[1]))!
  const free = freeVfs(cluster, host)[0]
  assert.ok(withVf && onPv && free, 'paper seed 1 has a VF holder, a PV VM that fits on host2, and a free VF')
  return {host: host.name, other: cluster.hosts[1].name, withVf, onPv, free}
}

describe('parseFaults', () => {
  it('reads KIND=RATE lists and none', () => {
    assert.deepEqual(parseFaults('attach=0.1,detach=0.05,migrate=0.1,timeout=0.02,outage=0.01,vanish=0.01'), {
      attach: 0.1, detach: 0.05, migrate: 0.1, timeout: 0.02, outage: 0.01, vanish: 0.01,
    })
    assert.deepEqual(parseFaults(' migrate = 1 , attach=0 '), {migrate: 1, attach: 0})
    assert.deepEqual(parseFaults('none'), {})
    assert.equal(formatFaults(parseFaults('vanish=0.01,attach=0.1,detach=0')), 'attach=0.1,vanish=0.01')
    assert.equal(formatFaults(undefined), 'none')
  })

  it('refuses a bad part with a usage error naming it', () => {
    const cases: Array<[string, string]> = [
      ['crash=0.1', '--faults: unknown fault kind "crash" in "crash=0.1"; expected one of attach, detach, migrate, timeout, outage, vanish'],
      ['attach=1.5', '--faults: rate 1.5 of attach is outside 0..1'],
      ['detach=-0.1', '--faults: rate -0.1 of detach is outside 0..1'],
      ['migrate=lots', '--faults: rate "lots" of migrate is not a number'],
      ['migrate=', '--faults: rate "" of migrate is not a number'],
      ['attach=0.1,timeout', '--faults: "timeout" is not KIND=RATE; expected KIND=RATE[,KIND=RATE...] with KIND one of attach, detach, migrate, timeout, outage, vanish and RATE from 0 to 1, or none'],
      ['attach=0.1,attach=0.2', '--faults: attach is given twice'],
      ['', '--faults: empty; expected KIND=RATE[,KIND=RATE...] with KIND one of attach, detach, migrate, timeout, outage, vanish and RATE from 0 to 1, or none'],
    ]
    for (const [spec, message] of cases) {
      assert.throws(() => parseFaults(spec), (error: unknown) => {
        assert.ok(error instanceof UsageError, spec)
        assert.equal(error.exit, EXIT.usage)
        assert.equal(error.message, message)
        return true
      })
    }
  })
})

describe('decideFault', () => {
  const all: FaultRates = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0.1]))

  it('is a pure function of (seed, draw): the same seed gives the same sequence, another seed another', () => {
    const sequence = (seed: number) => Array.from({length: 300}, (_, draw) => JSON.stringify(decideFault(seed, draw, 'migrate', all) ?? null))
    assert.deepEqual(sequence(1), sequence(1))
    assert.notDeepEqual(sequence(1), sequence(2))
    const hits = sequence(1).filter((s) => s !== 'null').length
    assert.ok(hits > 60 && hits < 180, `about 40% of 300 draws fault, got ${hits}`)
  })

  it('fires with each rate, and only the kinds that apply to the call', () => {
    assert.equal(decideFault(1, 0, 'attach', {}), undefined)
    for (let draw = 0; draw < 50; draw++) {
      assert.deepEqual(decideFault(3, draw, 'attach', {attach: 1}), {kind: 'fail'})
      assert.equal(decideFault(3, draw, 'detach', {attach: 1, migrate: 1}), undefined)
      assert.deepEqual(decideFault(3, draw, 'detach', {vanish: 1}), {kind: 'vanish'})
      assert.deepEqual(decideFault(3, draw, 'attach', {outage: 1}), {kind: 'outage', host: 'source'})
    }
    const moved = Array.from({length: 200}, (_, draw) => decideFault(5, draw, 'migrate', {timeout: 1}))
    const share = moved.filter((d) => d?.kind === 'timeout' && d.moved).length / 200
    assert.ok(share > 0.35 && share < 0.65, `a timed-out migration moved about half of the time, got ${share}`)
    const targets = Array.from({length: 200}, (_, draw) => decideFault(5, draw, 'migrate', {outage: 1})).filter((d) => d?.kind === 'outage' && d.host === 'target')
    assert.ok(targets.length > 60 && targets.length < 140)
  })
})

describe('faults stored with the cluster', () => {
  it('withFaults sets rates and a draw counter; none removes them; older clusters have none', () => {
    const c = paper({attach: 0.5})
    assert.deepEqual(c.faults, {rates: {attach: 0.5}, draws: 0})
    assert.equal(withFaults(c, {}).faults, undefined)
    assert.equal('faults' in withFaults(c, {attach: 0}), false)
    assert.deepEqual(parseSimCluster(JSON.stringify(c)).faults, c.faults)
    const old = buildScenario('paper', 1)
    assert.equal(parseSimCluster(JSON.stringify(old)).faults, undefined)
    assert.throws(() => parseSimCluster(JSON.stringify({...c, faults: {rates: {}, draws: 'x'}})), /malformed faults/)
    // Without faults, nothing draws and the model is as before.
    const {withVf} = cast(old)
    const done = detachVf(old, withVf.host, withVf.name, withVf.vf!)
    assert.equal(done.result.ok, true)
    assert.equal(done.cluster.faults, undefined)
  })

  it('a refused call does not draw; a valid one draws once whether or not it faults', () => {
    const c = paper({attach: 0.5})
    const {host, onPv, free} = cast(c)
    const refused = attachVf(c, host, 'nobody', free)
    assert.match(errorOf(refused.result) ?? '', /unknown VM nobody/)
    assert.equal(refused.cluster.faults!.draws, 0)
    const drawn = attachVf(c, host, onPv.name, free)
    assert.equal(drawn.cluster.faults!.draws, 1)
  })
})

describe('each fault kind', () => {
  it('attach: fails like the hypervisor, VM stays on PV, VF stays free', () => {
    const c = paper({attach: 1})
    const {host, onPv, free} = cast(c)
    const {cluster, result} = attachVf(c, host, onPv.name, free)
    assert.deepEqual(result, {ok: false, durationMs: c.physics.attachMs, error: `attach ${free} to ${onPv.name} on ${host}: hot-plug of PCI device ${free} failed: device or resource busy (injected fault)`})
    assert.deepEqual(placement(cluster), placement(c))
    assert.ok(freeVfs(cluster, cluster.hosts[0]).includes(free))
  })

  it('detach: fails, the VF stays attached', () => {
    const c = paper({detach: 1})
    const {host, withVf} = cast(c)
    const {cluster, result} = detachVf(c, host, withVf.name, withVf.vf!)
    assert.equal(result.ok, false)
    assert.equal(errorOf(result), `detach ${withVf.vf} from ${withVf.name} on ${host}: guest did not release PCI device ${withVf.vf}: device still in use (injected fault)`)
    assert.deepEqual(placement(cluster), placement(c))
  })

  it('migrate: aborted during pre-copy, the VM still runs on the source', () => {
    const c = paper({migrate: 1})
    const {host, other, onPv} = cast(c)
    const {cluster, result} = migrate(c, onPv.name, host, other)
    assert.equal(result.ok, false)
    assert.equal(errorOf(result), `migrate ${onPv.name} ${host} -> ${other}: migration aborted: connection to ${other} reset during pre-copy (injected fault)`)
    assert.ok(result.durationMs > 0)
    assert.deepEqual(placement(cluster), placement(c))
    assert.equal(cluster.metrics.migrations, c.metrics.migrations)
  })

  it('migrate still refuses a VM holding a VF before any fault (the invariant comes first)', () => {
    const c = paper({migrate: 1, vanish: 0})
    const {host, other, withVf} = cast(c)
    assert.match(errorOf(migrate(c, withVf.name, host, other).result) ?? '', /still holds VF .* detach the VF first/)
  })

  it('timeout: attach/detach change nothing; a migration moved anyway exactly when the draw says so', () => {
    const c = paper({timeout: 1})
    const {host, other, onPv, withVf, free} = cast(c)
    const attach = attachVf(c, host, onPv.name, free)
    assert.deepEqual(attach.result, {ok: false, durationMs: 30_000, error: `attach ${free} to ${onPv.name} on ${host}: timed out after 30 s (injected fault)`})
    assert.deepEqual(placement(attach.cluster), placement(c))
    const detach = detachVf(c, host, withVf.name, withVf.vf!)
    assert.match(errorOf(detach.result) ?? '', /timed out after 30 s/)
    assert.deepEqual(placement(detach.cluster), placement(c))
    const seen = {moved: 0, stayed: 0}
    for (let draw = 0; draw < 12; draw++) {
      const start: SimCluster = {...c, faults: {rates: {timeout: 1}, draws: draw}}
      const moved = (decideFault(c.seed, draw, 'migrate', {timeout: 1}) as {moved: boolean}).moved
      const {cluster, result} = migrate(start, onPv.name, host, other)
      assert.equal(result.ok, false)
      assert.match(errorOf(result) ?? '', new RegExp(`^migrate ${onPv.name} ${host} -> ${other}: timed out after \\d+ s \\(injected fault\\)$`))
      assert.ok(result.durationMs >= 120_000)
      assert.equal(findVm(cluster, onPv.name)!.host, moved ? other : host)
      seen[moved ? 'moved' : 'stayed']++
    }
    assert.ok(seen.moved > 0 && seen.stayed > 0, JSON.stringify(seen))
  })

  it('outage: the host the call talks to stops answering; snapshots list it missing until --clear', async () => {
    const store = Store.open(tempDir())
    try {
      const c = paper({outage: 1})
      const {host, onPv, free} = cast(c)
      resetSim(store, c)
      const backend = new SimBackend(store)
      const result = await backend.attachVf(host, simRef(c, onPv.name), free)
      assert.deepEqual(result, {ok: false, durationMs: c.physics.unreachableTimeoutMs, error: `attach ${free} to ${onPv.name} on ${host}: ${host}: unreachable (injected outage; sova sim outage ${host} --clear ends it)`})
      const after = readSimCluster(store)
      assert.deepEqual(placement(after).vms, placement(c).vms)
      assert.deepEqual(after.hosts.map((h) => h.reachable), [false, true, true])
      assert.deepEqual((await backend.snapshot()).missing?.map((entry) => entry.host), [host])
      setHostReachable(store, host, true)
      assert.equal((await backend.snapshot()).missing, undefined)
      // A migration's outage hits the source or the target, as drawn.
      const start = readSimCluster(store)
      const {other} = cast(start)
      const which = (decideFault(start.seed, start.faults!.draws, 'migrate', {outage: 1}) as {host: string}).host
      const moved = migrate(start, onPv.name, host, other)
      assert.equal(moved.result.ok, false)
      assert.equal(findVm(moved.cluster, onPv.name)!.host, host)
      assert.equal(moved.cluster.hosts.find((h) => h.name === (which === 'source' ? host : other))!.reachable, false)
    } finally {
      store.close()
    }
  })

  it('vanish: the VM is destroyed mid-call, "no such domain", its VF freed', () => {
    const c = paper({vanish: 1})
    const {host, withVf} = cast(c)
    const {cluster, result} = detachVf(c, host, withVf.name, withVf.vf!)
    assert.equal(result.ok, false)
    assert.equal(errorOf(result), `detach ${withVf.vf} from ${withVf.name} on ${host}: no such domain '${withVf.name}': it was destroyed during the call (injected fault)`)
    assert.equal(findVm(cluster, withVf.name), undefined)
    assert.equal(cluster.vms.length, c.vms.length - 1)
    assert.ok(freeVfs(cluster, cluster.hosts[0]).includes(withVf.vf!))
    assert.deepEqual(checkInvariants(toSnapshot(cluster)), [])
  })
})

describe('determinism across processes', () => {
  it('a store reopened between calls continues the same fault sequence as one pure run', async () => {
    const rates: FaultRates = {attach: 0.3, detach: 0.3, timeout: 0.1}
    const start = paper(rates)
    const {host, onPv, free} = cast(start)
    // Pure: attach then detach, over and over, following what happened.
    const calls = (cluster: SimCluster, n: number) => {
      const out: string[] = []
      for (let i = 0; i < n; i++) {
        const vm = findVm(cluster, onPv.name)!
        const t = vm.vf ? detachVf(cluster, host, vm.name, vm.vf) : attachVf(cluster, host, vm.name, free)
        out.push(t.result.ok ? 'ok' : t.result.error!)
        cluster = t.cluster
      }
      return out
    }
    const pure = calls(start, 20)
    assert.deepEqual(calls(start, 20), pure)
    assert.ok(pure.some((r) => r === 'ok') && pure.some((r) => r !== 'ok'))
    const dir = tempDir()
    let store = Store.open(dir)
    resetSim(store, start)
    store.close()
    const viaStore: string[] = []
    for (let i = 0; i < 20; i++) {
      store = Store.open(dir)
      const backend = new SimBackend(store)
      const vm = findVm(readSimCluster(store), onPv.name)!
      const ref = simRef(readSimCluster(store), vm.name)
      const r = vm.vf ? await backend.detachVf(host, ref, vm.vf) : await backend.attachVf(host, ref, free)
      viaStore.push(r.ok ? 'ok' : r.error!)
      store.close()
    }
    assert.deepEqual(viaStore, pure)
  })

  it('setSimFaults sets and clears the stored rates in place', () => {
    const store = Store.openInMemory()
    try {
      resetSim(store, buildScenario('paper', 1))
      assert.deepEqual(setSimFaults(store, {vanish: 0.2}).faults, {rates: {vanish: 0.2}, draws: 0})
      assert.deepEqual(readSimCluster(store).faults, {rates: {vanish: 0.2}, draws: 0})
      assert.equal(setSimFaults(store, {}).faults, undefined)
    } finally {
      store.close()
    }
  })
})

describe('through the Executor', () => {
  it('a failed migration leaves the VM on the source with its VF given back; journal: failed + rolled-back', async () => {
    const store = Store.openInMemory()
    try {
      const c = paper({migrate: 1})
      const {host, other, withVf} = cast(c)
      resetSim(store, c)
      const actions = await new Executor(new SimBackend(store), store, 'run').migrate({
        vm: withVf.name, from: host, to: other, migrationFactor: 2, giveVfOnArrival: true, reason: 'test',
      })
      assert.deepEqual(actions.map((a) => [a.kind, a.status]), [['detach-vf', 'done'], ['migrate', 'failed'], ['attach-vf', 'done']])
      const after = findVm(readSimCluster(store), withVf.name)!
      assert.equal(after.host, host)
      assert.equal(after.vf, withVf.vf)
      assert.equal(after.path, 'vf')
      const journal = store.journal()
      assert.deepEqual(journal.map((row) => [row.kind, row.status]), [['detach-vf', 'rolled-back'], ['migrate', 'failed'], ['attach-vf', 'done']])
      assert.match(journal[1].error!, /migration aborted/)
    } finally {
      store.close()
    }
  })

  it('a timed-out migration whose VM moved anyway counts as done', async () => {
    const c0 = paper({timeout: 1})
    const {host, other, onPv} = cast(c0)
    let draw = 0
    while (!(decideFault(c0.seed, draw, 'migrate', {timeout: 1}) as {moved: boolean}).moved) draw++
    const store = Store.openInMemory()
    try {
      resetSim(store, {...c0, faults: {rates: {timeout: 1}, draws: draw}})
      const actions = await new Executor(new SimBackend(store), store, 'run').migrate({
        vm: onPv.name, from: host, to: other, migrationFactor: 2, giveVfOnArrival: false, reason: 'test',
      })
      assert.deepEqual(actions.map((a) => [a.kind, a.status]), [['migrate', 'done']])
      assert.match(actions[0].note!, /reported a failure \(.*timed out after \d+ s/)
      assert.equal(findVm(readSimCluster(store), onPv.name)!.host, other)
    } finally {
      store.close()
    }
  })

  it('1,000 loop cycles of the bursty scenario with every fault at 0.05 keep the safety invariants', async () => {
    const store = Store.openInMemory()
    try {
      const rates = Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0.05])) as FaultRates
      resetSim(store, withFaults(buildScenario('bursty', 1), rates))
      const backend = new SimBackend(store)
      const executor = new Executor(backend, store, 'loop')
      const history = new SampleHistory(store)
      // The seed policy acts on every burst: some thousand actions meet every kind of fault. sova
      // leaves short hot spells alone and acts too rarely here to meet them all.
      const params = policyParams({policy: 'seed'})
      let vms = new Set(readSimCluster(store).vms.map((vm) => vm.name))
      const injected = {outages: 0, vanished: 0, interrupted: 0, actions: 0}
      for (let cycle = 0; cycle < 1000; cycle++) {
        let actions: NonNullable<Awaited<ReturnType<typeof runCycle>>['actions']> = []
        try {
          const doc = await collectStage(backend, store, {log: () => {}})
          actions = (await runCycle(doc, history, params, executor)).actions ?? []
        } catch (error) {
          // An outage mid-cycle stops the executor at its next snapshot, as it would in `sova run`.
          if (!(error instanceof UnreachableError)) throw error
          injected.interrupted++
        }
        const cluster = readSimCluster(store)
        for (const host of cluster.hosts.filter((h) => !h.reachable)) {
          injected.outages++
          setHostReachable(store, host.name, true)
        }
        const problems = checkInvariants(toSnapshot(readSimCluster(store)))
        assert.deepEqual(problems, [], `cycle ${cycle}`)
        // The VMs only shrink, and only by those an action reported destroyed.
        const now = new Set(cluster.vms.map((vm) => vm.name))
        for (const name of now) assert.ok(vms.has(name), `cycle ${cycle}: ${name} appeared`)
        const gone = [...vms].filter((name) => !now.has(name))
        const destroyed = new Set(store.journal(100_000).filter((row) => /no such domain/.test(row.error ?? '')).map((row) => row.vm))
        for (const name of gone) assert.ok(destroyed.has(name), `cycle ${cycle}: ${name} lost without a vanish`)
        injected.vanished += gone.length
        vms = now
        // Every action has its journal row, with the same outcome.
        const rows = new Map(store.journal(1_000_000).map((row) => [row.id, row]))
        for (const action of actions) {
          const row = rows.get(action.journalId ?? -1)
          assert.ok(row, `cycle ${cycle}: ${action.kind} ${action.vm} not journalled`)
          assert.ok(row.status === action.status || (row.status === 'rolled-back' && action.status === 'done'), `cycle ${cycle}: journal ${row.status}, action ${action.status}`)
          injected.actions++
        }
      }
      const journal = store.journal(1_000_000)
      assert.equal(journal.filter((row) => row.status === 'planned' || row.status === 'started').length, 0, 'no action left half-journalled')
      // The bursty scenario keeps the policy acting, so every kind of damage happens (deterministically).
      assert.ok(injected.actions > 100 && injected.outages > 0 && injected.vanished > 0 && journal.some((row) => row.status === 'failed'), JSON.stringify(injected))
    } finally {
      store.close()
    }
  })
})
