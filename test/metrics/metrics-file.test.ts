// --metrics-file end to end: the real CLI on the simulated cluster writes a file that a real
// Prometheus text-format parser reads, with every figure equal to the document on stdout.
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {BIN, documents, freshStateDir, sova} from '../cli/helpers.js'
import {parseExposition as parse} from './parse-exposition.js'


type Series = Map<string, {labels: Record<string, string>; value: number}[]>

function readMetrics(path: string): Series {
  const families = parse(readFileSync(path, 'utf8'))
  for (const family of families) {
    assert.ok(family.help.length > 0, `${family.name} has HELP`)
    // The journal's totals are counters; every figure of the sample is a gauge.
    assert.equal(family.type, family.name.endsWith('_total') ? 'COUNTER' : 'GAUGE', `${family.name}'s type`)
    assert.match(family.name, /^sova_/)
  }
  return new Map(families.map((f) => [f.name, f.metrics.map((m) => ({labels: m.labels ?? {}, value: Number(m.value)}))]))
}

/** The one value of `name` whose labels include `labels`. */
function value(series: Series, name: string, labels: Record<string, string> = {}): number {
  const matching = (series.get(name) ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
  assert.equal(matching.length, 1, `one ${name}${JSON.stringify(labels)}`)
  return matching[0].value
}

/** Every host and VM figure of the document is in the file, equal to the document's. */
function assertHostsAndVms(series: Series, doc: any): void {
  assert.equal(value(series, 'sova_sample_timestamp_seconds'), Date.parse(doc.at) / 1000)
  assert.ok(value(series, 'sova_cycle_duration_seconds') > 0)
  assert.equal(value(series, 'sova_cluster_info', {cluster: doc.source.cluster, backend: doc.source.backend}), 1)
  assert.equal(series.get('sova_host_port_utilisation_ratio')?.length, doc.hosts.length)
  for (const host of doc.hosts) {
    const h = {host: host.name}
    assert.equal(value(series, 'sova_host_port_utilisation_ratio', h), host.nic.utilisation, `${host.name} utilisation`)
    assert.ok(Math.abs(value(series, 'sova_host_port_busier_direction_utilisation_ratio', h) - (8 * Math.max(host.nic.rxBps, host.nic.txBps)) / (host.nic.speedMbps * 1e6)) < 1e-12)
    assert.equal(value(series, 'sova_host_port_receive_bytes_per_second', h), host.nic.rxBps)
    assert.equal(value(series, 'sova_host_port_transmit_bytes_per_second', h), host.nic.txBps)
    assert.equal(value(series, 'sova_host_port_speed_bytes_per_second', h), (host.nic.speedMbps * 1e6) / 8)
    assert.equal(value(series, 'sova_host_vfs_limit', h), host.vfs.total)
    assert.equal(value(series, 'sova_host_vfs_in_use', h), host.vfs.total - host.vfs.free.length)
    assert.equal(value(series, 'sova_host_missing', h), 0)
    for (const vm of host.vms) {
      const v = {vm: vm.name, host: host.name}
      assert.equal(value(series, 'sova_vm_path', {...v, path: vm.path}), 1, `${vm.name} on ${vm.path}`)
      assert.equal(value(series, 'sova_vm_path', {...v, path: vm.path === 'vf' ? 'pv' : 'vf'}), 0)
      assert.equal(value(series, 'sova_vm_receive_bytes_per_second', v), vm.net.rxBps)
      assert.equal(value(series, 'sova_vm_transmit_bytes_per_second', v), vm.net.txBps)
    }
  }
}

/** Scores and actions of a `run` document are in the file too. */
function assertScoresAndActions(series: Series, doc: any): void {
  assert.equal(value(series, 'sova_cluster_info', {policy: doc.scores.policy}), 1)
  for (const [host, score] of Object.entries<any>(doc.scores.hosts)) {
    assert.equal(value(series, 'sova_host_hotspot', {host}), score.hot ? 1 : 0)
    const forecasts = (series.get('sova_host_utilisation_forecast_ratio') ?? []).filter((s) => s.labels.host === host)
    if (score.forecast === null) assert.equal(forecasts.length, 0, `no forecast for ${host}`)
    else assert.deepEqual(forecasts, [{labels: {host, measure: score.measure}, value: score.forecast}])
  }
  const actions = series.get('sova_last_cycle_actions') ?? []
  assert.equal(actions.length, 12, 'every kind × result')
  for (const s of actions) {
    const expected = doc.actions.filter((a: any) => a.kind === s.labels.kind && a.status === s.labels.result).length
    assert.equal(s.value, expected, `${s.labels.kind}/${s.labels.result}`)
  }
}

describe('--metrics-file', () => {
  it('sova run --once: the file matches the document on stdout, cycle after cycle, and no temporary file stays', async () => {
    const state = freshStateDir()
    const file = join(state, 'textfile', 'sova.prom')
    mkdirSync(join(state, 'textfile'))
    let forecasts = 0
    let acted = 0
    const totals = new Map<string, number>()
    for (let cycle = 1; cycle <= 16; cycle++) {
      const result = await sova(['run', '--once', '--quiet', '--metrics-file', file], {state})
      assert.equal(result.exitCode, 0, `cycle ${cycle}: ${result.stderr}`)
      assert.equal(result.stderr, '')
      const [doc] = documents(result.stdout)
      const series = readMetrics(file)
      assertHostsAndVms(series, doc)
      assertScoresAndActions(series, doc)
      forecasts += Object.values<any>(doc.scores.hosts).filter((score) => score.forecast !== null).length
      acted += doc.actions.length
      // The counters are the journal's own totals, as sova history lists them, and only go up.
      const rows = documents((await sova(['history', '--format', 'json', '--limit', '100000'], {state})).stdout)
      for (const kind of ['detach-vf', 'migrate', 'attach-vf']) {
        const total = value(series, 'sova_journal_actions_total', {kind})
        assert.equal(total, rows.filter((row: any) => row.kind === kind).length, `${kind} total`)
        assert.ok(total >= (totals.get(kind) ?? 0), `${kind} never goes down`)
        totals.set(kind, total)
        for (const outcome of ['failed', 'skipped', 'rolled-back']) {
          assert.equal(value(series, 'sova_journal_action_outcomes_total', {kind, outcome}), rows.filter((row: any) => row.kind === kind && row.status === outcome).length)
        }
      }
      assert.deepEqual(readdirSync(join(state, 'textfile')), ['sova.prom'])
    }
    // The paper scenario heats host1 within these cycles: forecasts and actions were compared, not only absences.
    assert.ok(forecasts > 0, 'some forecast compared')
    assert.ok(acted > 0, 'some action compared')
  })

  it('a host that did not answer: sova_host_missing is 1 for it, 0 for the others', async () => {
    const state = freshStateDir()
    const file = join(state, 'sova.prom')
    await sova(['sim', 'outage', 'host3'], {state})
    const result = await sova(['run', '--once', '--quiet', '--metrics-file', file], {state})
    assert.equal(result.exitCode, 69, String(result.stderr))
    const series = readMetrics(file)
    assert.deepEqual((series.get('sova_host_missing') ?? []).map((s) => [s.labels.host, s.value]), [['host1', 0], ['host2', 0], ['host3', 1]])
  })

  it('sova run --dry-run counts its actions as dry-run', async () => {
    const state = freshStateDir()
    const file = join(state, 'sova.prom')
    const result = await sova(['run', '--cycles', '12', '--interval', '0s', '--dry-run', '--metrics-file', file], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const docs = documents(result.stdout)
    const last = docs[docs.length - 1]
    assert.ok(last.actions.every((a: any) => a.status === 'dry-run'))
    assertScoresAndActions(readMetrics(file), last)
  })

  it('sova collect: host and VM series, no scores or actions', async () => {
    const state = freshStateDir()
    const file = join(state, 'collect.prom')
    const result = await sova(['collect', '--metrics-file', file], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    const [doc] = documents(result.stdout)
    const series = readMetrics(file)
    assertHostsAndVms(series, doc)
    for (const absent of ['sova_host_hotspot', 'sova_host_utilisation_forecast_ratio', 'sova_last_cycle_actions']) assert.ok(!series.has(absent), absent)
  })

  it('a path that cannot be written exits 2 with one line, before anything is done', async () => {
    const state = freshStateDir()
    for (const [path, why] of [
      ['/proc/sova-no-such-dir/sova.prom', /cannot create directory \/proc\/sova-no-such-dir \(ENOENT\)/],
      [state, /it is a directory/],
    ] as const) {
      const result = await sova(['run', '--once', '--metrics-file', path], {state})
      assert.equal(result.exitCode, 2)
      assert.equal(result.stdout, '', 'nothing ran')
      assert.match(String(result.stderr), /^sova run: --metrics-file: cannot write .*\n$/)
      assert.match(String(result.stderr), why)
    }
    // Nothing was collected either: the next run is the cluster's first sample.
    const first = await sova(['run', '--once', '--dry-run'], {state})
    assert.equal(documents(first.stdout)[0].source.tick, 12)
  })

  it('a missing directory is made (0755, readable by node_exporter) and the cycle runs: a host without node_exporter yet', async () => {
    const state = freshStateDir()
    const file = join(state, 'prometheus', 'node-exporter', 'sova.prom')
    const result = await sova(['run', '--once', '--quiet', '--metrics-file', file], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(String(result.stderr), '')
    assert.equal(documents(result.stdout).length, 1)
    assert.match(readFileSync(file, 'utf8'), /^sova_cluster_info\{/m)
    assert.equal(statSync(join(state, 'prometheus', 'node-exporter')).mode & 0o755, 0o755)
  })

  it('a write failing after a document keeps that document on stdout and exits 2 with one line', async () => {
    const state = freshStateDir()
    const dir = join(state, 'textfile')
    const file = join(dir, 'sova.prom')
    mkdirSync(dir)
    const child = execa(process.execPath, [BIN, 'collect', '--quiet', '--watch', '3s', '--count', '2', '--format', 'json', '--metrics-file', file], {
      env: {SOVA_STATE_DIR: state},
      reject: false,
      stripFinalNewline: false,
    })
    // Once the first file is written, a directory takes its place: the second write cannot rename onto it.
    for (let waited = 0; !existsSync(file) && child.exitCode === null && waited < 20_000; waited += 50) await sleep(50)
    if (!existsSync(file)) assert.fail(`the first document's metrics were not written: ${(await child).stderr}`)
    rmSync(file)
    mkdirSync(file)
    const result = await child
    assert.equal(result.exitCode, 2)
    assert.equal(documents(result.stdout).length, 2, 'both documents reached stdout')
    assert.match(String(result.stderr), /^sova collect: --metrics-file: cannot write .*sova\.prom \(EISDIR\); the document was written to stdout\n$/)
    assert.deepEqual(readdirSync(dir), ['sova.prom'], 'no temporary file left')
  })
})
