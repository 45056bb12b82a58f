// The exposition text and its writer, read back by a real Prometheus text-format parser: escaping
// of hostile label values, one HELP/TYPE per family, and a durable write that is all or nothing.
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {EXIT, SovaError} from '../../src/lib/errors.js'
import {documentMetricsText} from '../../src/lib/metrics/document-metrics.js'
import {escapeHelp, escapeLabelValue, formatValue, renderExposition} from '../../src/lib/metrics/exposition.js'
import {type DurableFs, openMetricsFile, writeFileDurably} from '../../src/lib/metrics/metrics-file.js'
import {type ParsedFamily, parseExposition as parse} from './parse-exposition.js'


const scratch = () => mkdtempSync(join(tmpdir(), 'sova-metrics-'))

const HOSTILE = ['back\\slash', 'quote"d', 'new\nline', 'all \\"\n\\n of them', 'trailing\\', '{x="y"} 1', 'ünïcödé ✓']

/** A small scored, acted-on document with a VM name no real backend would give. */
function documentWith(vmName: string): SovaDocument {
  return {
    sova: 1,
    at: '2026-01-01T00:00:10.000Z',
    source: {backend: 'sim', cluster: 'c"1', windowSeconds: 10},
    hosts: [
      {
        name: 'h1',
        nic: {device: 'eth0', speedMbps: 10000, rxBps: 125e6, txBps: 250e6, utilisation: 0.3},
        vfs: {total: 4, free: ['0000:04:10.1', '0000:04:10.2', '0000:04:10.3']},
        cpus: 8,
        memoryMiB: {total: 1024, free: 512},
        vms: [
          {name: vmName, id: '1', vcpus: 1, memoryMiB: 256, cpu: {usedRatio: 0.1, blockedRatio: 0}, net: {rxBps: 1, txBps: 2, activeRatio: 1}, path: 'vf', vf: '0000:04:10.0'},
        ],
      },
    ],
    scores: {
      policy: 'sova',
      vms: {},
      hosts: {h1: {utilisation: 0.2, window: [0.2], forecast: 0.25, predictor: 'burg', measure: 'peak', hot: true, reason: 'test'}},
    },
    actions: [
      {kind: 'attach-vf', vm: 'x', host: 'h1', status: 'done', reason: 'r'},
      {kind: 'attach-vf', vm: 'y', host: 'h1', status: 'done', reason: 'r'},
      {kind: 'migrate', vm: 'z', host: 'h1', to: 'h2', status: 'failed', reason: 'r'},
    ],
  }
}

function series(families: ParsedFamily[], name: string) {
  const family = families.find((f) => f.name === name)
  assert.ok(family, `${name} present`)
  return family.metrics.map((m) => ({labels: m.labels ?? {}, value: Number(m.value)}))
}

describe('exposition format', () => {
  it('escapes backslash, double quote and newline in label values, and nothing else', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd')
    assert.equal(escapeLabelValue('plain {x} ✓'), 'plain {x} ✓')
    assert.equal(escapeHelp('a\\b "c"\nd'), 'a\\\\b "c"\\nd')
  })

  it('a parser reads every hostile label value back unchanged', () => {
    const text = renderExposition([{name: 'sova_test', help: 'help with \\ and\nnewline', type: 'gauge', samples: HOSTILE.map((value, i) => ({labels: {vm: value}, value: i}))}])
    assert.equal(text.split('\n').filter((line) => line.startsWith('sova_test')).length, HOSTILE.length, 'one line per sample: no raw newline leaked')
    const [family] = parse(text)
    assert.equal(family.type, 'GAUGE')
    assert.deepEqual(family.metrics.map((m) => m.labels?.vm), HOSTILE)
  })

  it('spells NaN and infinities as Prometheus does, and refuses names that are not metric or label names', () => {
    assert.deepEqual([NaN, Infinity, -Infinity, 0.5, 1e21].map(formatValue), ['NaN', '+Inf', '-Inf', '0.5', '1e+21'])
    assert.throws(() => renderExposition([{name: 'sova-bad', help: '', type: 'gauge', samples: [{labels: {}, value: 1}]}]), /metric name/)
    assert.throws(() => renderExposition([{name: 'sova_ok', help: '', type: 'gauge', samples: [{labels: {'bad-label': 'x'}, value: 1}]}]), /label name/)
  })

  it('a document with a hostile VM name gives one HELP and TYPE per family and parses', () => {
    const text = documentMetricsText(documentWith('evil"vm\n\\'), 0.5)
    const names = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1])
    assert.equal(new Set(names).size, names.length, 'each family once')
    const families = parse(text)
    assert.deepEqual(families.map((f) => f.name), names)
    for (const family of families) assert.ok(family.help.length > 10 && family.type === 'GAUGE', family.name)
    assert.deepEqual(
      series(families, 'sova_vm_path').map((s) => [s.labels.vm, s.labels.path, s.value]),
      [['evil"vm\n\\', 'vf', 1], ['evil"vm\n\\', 'pv', 0]],
    )
    assert.deepEqual(series(families, 'sova_cluster_info')[0].labels, {cluster: 'c"1', backend: 'sim', policy: 'sova'})
    assert.deepEqual(series(families, 'sova_host_utilisation_forecast_ratio'), [{labels: {host: 'h1', measure: 'peak'}, value: 0.25}])
    assert.deepEqual(series(families, 'sova_host_vfs_in_use'), [{labels: {host: 'h1'}, value: 1}])
    const actions = series(families, 'sova_last_cycle_actions')
    assert.equal(actions.length, 12, 'every kind × result, zeros included')
    const count = (kind: string, result: string) => actions.find((s) => s.labels.kind === kind && s.labels.result === result)?.value
    assert.equal(count('attach-vf', 'done'), 2)
    assert.equal(count('migrate', 'failed'), 1)
    assert.equal(count('detach-vf', 'dry-run'), 0)
    assert.equal(series(families, 'sova_sample_timestamp_seconds')[0].value, Date.parse('2026-01-01T00:00:10Z') / 1000)
    assert.equal(series(families, 'sova_cycle_duration_seconds')[0].value, 0.5)
  })

  it('a document that was neither scored nor acted on has no hotspot, forecast or action series', () => {
    const {scores, actions, ...collected} = documentWith('vm1')
    const names = parse(documentMetricsText(collected, 1)).map((f) => f.name)
    for (const absent of ['sova_host_hotspot', 'sova_host_utilisation_forecast_ratio', 'sova_last_cycle_actions']) assert.ok(!names.includes(absent), absent)
    assert.ok(names.includes('sova_host_port_utilisation_ratio'))
  })
})

describe('durable metrics file', () => {
  it('replaces the file whole and leaves no temporary file', () => {
    const dir = scratch()
    const path = join(dir, 'sova.prom')
    writeFileSync(path, 'old\n')
    writeFileDurably(path, 'new\n', 'metrics-file')
    assert.equal(readFileSync(path, 'utf8'), 'new\n')
    assert.deepEqual(readdirSync(dir), ['sova.prom'])
  })

  it('the temporary file is hidden from the textfile collector: a dot name not ending in .prom, beside the file', () => {
    const dir = scratch()
    const path = join(dir, 'sova.prom')
    const seen: string[] = []
    writeFileDurably(path, 'new\n', 'metrics-file', {...fs, renameSync: (from: fs.PathLike, to: fs.PathLike) => (seen.push(String(from)), fs.renameSync(from, to))})
    assert.equal(seen.length, 1)
    assert.ok(seen[0].startsWith(join(dir, '.')) && !seen[0].endsWith('.prom'), seen[0])
  })

  it('a write failing half way leaves the old file whole and no temporary file; a full disk exits 70', () => {
    const dir = scratch()
    const path = join(dir, 'sova.prom')
    writeFileSync(path, 'old\n')
    const failing: DurableFs = {
      ...fs,
      writeFileSync: ((fd: number, text: string) => {
        fs.writeSync(fd, text.slice(0, text.length / 2))
        throw Object.assign(new Error('no space left on device'), {code: 'ENOSPC'})
      }) as DurableFs['writeFileSync'],
    }
    assert.throws(
      () => writeFileDurably(path, 'a much longer new text\n', 'metrics-file', failing),
      (error: unknown) => error instanceof SovaError && error.exit === EXIT.internal && /cannot write .*sova\.prom \(ENOSPC\); the document was written to stdout/.test(error.message),
    )
    assert.equal(readFileSync(path, 'utf8'), 'old\n')
    assert.deepEqual(readdirSync(dir), ['sova.prom'])
  })

  it('a path that cannot be written exits 2: up front for a directory that cannot be made, at the rename for a directory in the way', () => {
    const dir = scratch()
    assert.throws(() => openMetricsFile('/proc/sova-missing/sova.prom'), (error: unknown) => error instanceof SovaError && error.exit === EXIT.usage)
    openMetricsFile(join(dir, 'made', 'sova.prom'))
    assert.ok(fs.statSync(join(dir, 'made')).isDirectory(), 'a missing directory is made')
    fs.rmdirSync(join(dir, 'made'))
    const path = join(dir, 'sova.prom')
    fs.mkdirSync(path)
    assert.throws(() => writeFileDurably(path, 'x\n', 'metrics-file'), (error: unknown) => error instanceof SovaError && error.exit === EXIT.usage && /EISDIR/.test(error.message))
    assert.deepEqual(readdirSync(dir), ['sova.prom'], 'no temporary file left beside it')
    assert.ok(fs.statSync(path).isDirectory())
  })
})
