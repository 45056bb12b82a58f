// Sensing through a real Prometheus beside the real libvirt lab (scripts/libvirt-lab.sh): Debian's
// prometheus, prometheus-node-exporter and prometheus-libvirt-exporter on loopback (prometheus-stack.ts),
// `sova export --textfile` per lab host. `sova collect --prometheus` must agree with `sova collect`
// on the same cycle, `sova run --once --prometheus` acts in the lab from Prometheus's readings, and a
// stopped libvirt exporter makes its host missing with the reason.
//
// Gated like libvirt-lab.test.ts: skipped with the reason when the lab or the Prometheus tools cannot
// run here; SOVA_LAB=required (.ci/run) turns that into a failure; SOVA_LAB=0 skips it. Its own lab
// folder, so it never shares daemons with libvirt-lab.test.ts.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, before, describe, it} from 'node:test'
import {execa} from 'execa'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {freshStateDir, sova} from '../cli/helpers.js'
import {HOST_LABEL, PrometheusStack, TOOLS} from './prometheus-stack.js'

const LAB_SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'libvirt-lab.sh')
const LAB_DIR = process.env.SOVA_PROM_LAB_DIR ?? '/tmp/sova-lab-prom'
/** The other lab test's folder: its guest files, if already fetched, spare a download. */
const OTHER_LAB_CACHE = join(process.env.SOVA_LAB_DIR ?? '/tmp/sova-lab', 'cache')
const uri = (daemon: 'a' | 'b') => `qemu+unix:///system?socket=${LAB_DIR}/${daemon}/sock/libvirt-sock`
/** Rates over this window (10 scrapes at 1 s). */
const WINDOW_SECONDS = 10
/**
 * How far the two readings' rates may differ. Each end of Prometheus's window is the last scrape at
 * or before it, so the window it really spans is off by at most one scrape interval (1 s of 10 s:
 * 10%); the direct reading's 10 s window is a second or so earlier than Prometheus's (the commands
 * run one after the other), and the guest's pktgen under TCG on a shared machine varies by a few
 * percent from one window to the next. 20% holds both with room, and still fails a rate counted
 * twice, or half of it missed, or taken over a wrong window.
 */
const RATE_TOLERANCE = 0.2

function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root'
  for (const tool of ['libvirtd', 'virsh', 'qemu-system-x86_64', 'unshare', ...TOOLS]) {
    if (spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool]).status !== 0) return `${tool} is not installed`
  }
  return undefined
}

const mode = process.env.SOVA_LAB ?? 'auto'
const missing = mode === '0' ? 'SOVA_LAB=0' : missingPrerequisite()
if (missing && mode === 'required') throw new Error(`SOVA_LAB=required, but the Prometheus lab cannot run: ${missing}`)
const skip = missing ? `Prometheus lab skipped: ${missing}` : false

const firstDoc = (stdout: unknown): SovaDocument => JSON.parse(String(stdout).split('\n')[0])
const close = (a: number, b: number) => Math.abs(a - b) <= RATE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b))

async function runningOn(daemon: 'a' | 'b'): Promise<string[]> {
  const result = await execa('virsh', ['-q', '-c', uri(daemon), 'list', '--name'], {reject: false})
  return result.stdout.split('\n').map((line) => line.trim()).filter(Boolean)
}

describe('sensing through a real Prometheus beside the libvirt lab', {skip, timeout: 600_000}, () => {
  let state: string
  let direct: string
  let viaPrometheus: string
  let labConfig: {hosts: {name: string; port: {speedMbps?: number}}[]}
  let stack: PrometheusStack | undefined
  const started = Date.now()

  /** A copy of the lab's configuration with `change` applied; its path. */
  function configWith(name: string, change: (config: Record<string, any>) => void): string {
    const copy = structuredClone(labConfig) as Record<string, any>
    change(copy)
    const path = join(state, `${name}.json`)
    writeFileSync(path, JSON.stringify(copy, null, 2), {mode: 0o600})
    return path
  }

  const withProm = (args: string[], config = viaPrometheus) => sova([...args, '--prometheus', stack?.url ?? '', '--config', config, '--format', 'json'], {state})

  before(async () => {
    // The guest's files and QEMU's probed capabilities, if the other lab has them: no download, no probe.
    for (const [what, complete] of [['guest', '.complete'], ['qemu-capabilities', '']]) {
      if (existsSync(join(OTHER_LAB_CACHE, what, complete)) && !existsSync(join(LAB_DIR, 'cache', what, complete))) {
        cpSync(join(OTHER_LAB_CACHE, what), join(LAB_DIR, 'cache', what), {recursive: true})
      }
    }
    const up = await execa(LAB_SCRIPT, ['up'], {reject: false, timeout: 300_000, env: {SOVA_LAB_DIR: LAB_DIR}})
    assert.equal(up.exitCode, 0, `scripts/libvirt-lab.sh up failed:\n${up.stderr}`)
    direct = up.stdout.trim()
    labConfig = JSON.parse(readFileSync(direct, 'utf8'))
    state = freshStateDir()
    stack = new PrometheusStack(labConfig.hosts.map((host) => ({name: host.name, uri: uri(host.name === 'lab-a' ? 'a' : 'b')})), direct, state)
    try {
      await stack.up()
      viaPrometheus = configWith('via-prometheus', (config) => {
        config.sensing = {prometheus: {url: stack?.url, hostLabel: HOST_LABEL, windowSeconds: WINDOW_SECONDS}}
      })
      await stack.waitForHistory(WINDOW_SECONDS)
    } catch (error) {
      const logs = ['prometheus', 'node-lab-a', 'libvirt-lab-a'].map((name) => `--- ${name}:\n${stack?.log(name)}`).join('\n')
      await stack.stop()
      throw new Error(`${(error as Error).message}\n${logs}`)
    }
  })

  after(async () => {
    await stack?.stop()
    await execa(LAB_SCRIPT, ['down'], {reject: false, timeout: 120_000, env: {SOVA_LAB_DIR: LAB_DIR}})
    process.stderr.write(`prometheus lab: ${Math.round((Date.now() - started) / 1000)} s\n`)
  })

  it('collect --prometheus agrees with collect on the same cycle: VMs, paths, VFs, rates within 20%', async () => {
    const fromHosts = await sova(['collect', '--sample', `${WINDOW_SECONDS}s`, '--config', direct, '--format', 'json'], {state})
    const queriesBefore = await stack!.queriesAnswered()
    const fromPrometheus = await withProm(['collect'])
    assert.equal(fromHosts.exitCode, 0, String(fromHosts.stderr))
    assert.equal(fromPrometheus.exitCode, 0, String(fromPrometheus.stderr))
    const queriesAfter = await stack!.queriesAnswered()
    // One query per part (no textfile domain series: the libvirt exporter has every domain), all answered by Prometheus.
    assert.deepEqual({instant: queriesAfter.instant - queriesBefore.instant, range: queriesAfter.range - queriesBefore.range}, {instant: 7, range: 13}, 'the gauges at the end of the window, what both ends need over it')
    const a = firstDoc(fromHosts.stdout)
    const b = firstDoc(fromPrometheus.stdout)
    assert.equal(b.source.windowSeconds, WINDOW_SECONDS)
    const shape = (doc: SovaDocument) => doc.hosts.map((host) => ({host: host.name, vfs: host.vfs, vms: host.vms.map((vm) => [vm.name, vm.uuid, vm.path, vm.vf])}))
    assert.deepEqual(shape(b), shape(a))
    const ratio = (x: number, y: number) => (y === 0 ? 'n/a' : (x / y).toFixed(3))
    process.stderr.write(`prometheus lab: via Prometheus / direct: ${a.hosts.flatMap((host, i) => [`${host.name} port tx ${ratio(b.hosts[i].nic.txBps, host.nic.txBps)}`, ...host.vms.map((vm, j) => `${vm.name} tx ${ratio(b.hosts[i].vms[j].net.txBps, vm.net.txBps)} cpu ${ratio(b.hosts[i].vms[j].cpu.usedRatio, vm.cpu.usedRatio)}`)]).join(', ')}\n`)
    for (const [i, host] of a.hosts.entries()) {
      const other = b.hosts[i]
      assert.ok(close(host.nic.txBps, other.nic.txBps), `${host.name} port tx: ${host.nic.txBps} direct, ${other.nic.txBps} via Prometheus`)
      assert.equal(other.nic.speedMbps, host.nic.speedMbps)
      for (const [j, vm] of host.vms.entries()) {
        assert.ok(close(vm.net.txBps, other.vms[j].net.txBps), `${vm.name} tx: ${vm.net.txBps} direct, ${other.vms[j].net.txBps} via Prometheus`)
        assert.ok(other.vms[j].cpu.usedRatio > 0, `${vm.name} uses CPU`)
      }
    }
    assert.ok(b.hosts[0].vms[0].net.txBps * 8 > 5e6, 'the guest\'s ~20 Mbit/s is seen')
  })

  it('run --once --prometheus acts in the lab from Prometheus readings (a planted hotspot on lab-a)', async () => {
    // lab-a's port made 16 Mbit/s: the guest's ~20 Mbit/s makes it hot. The speed reaches Prometheus
    // through the textfile, as the exporter reads the configuration.
    const hot = (config: Record<string, any>) => {
      config.hosts[0].port.speedMbps = 16
    }
    stack!.exportConfig = configWith('hot-direct', hot)
    const hotViaPrometheus = configWith('hot-via-prometheus', (config) => {
      hot(config)
      config.sensing = {prometheus: {url: stack?.url, hostLabel: HOST_LABEL, windowSeconds: WINDOW_SECONDS}}
    })
    for (let waited = 0; ; waited++) {
      const doc = firstDoc((await withProm(['collect'], hotViaPrometheus)).stdout)
      if (doc.hosts[0]?.nic.speedMbps === 16) break
      assert.ok(waited < 20, 'the new port speed reached Prometheus')
      await sleep(500)
    }
    for (let sample = 0; sample < 4; sample++) {
      assert.equal((await withProm(['collect'], hotViaPrometheus)).exitCode, 0)
      await sleep(1000)
    }
    const result = await withProm(['run', '--once'], hotViaPrometheus)
    const doc = firstDoc(result.stdout)
    assert.equal(result.exitCode, 0, `${String(result.stderr)}\n${JSON.stringify(doc.actions)}\n${JSON.stringify(doc.plan)}`)
    assert.equal(doc.scores?.hosts['lab-a'].hot, true, doc.scores?.hosts['lab-a'].reason)
    assert.ok((doc.actions ?? []).length > 0, 'it acted')
    assert.deepEqual(doc.actions?.filter((action) => action.status !== 'done'), [], 'every action done')
    const migration = doc.actions?.find((action) => action.kind === 'migrate')
    assert.ok(migration, `a migration off the hot host: ${JSON.stringify(doc.actions)}`)
    assert.deepEqual([migration.host, migration.to], ['lab-a', 'lab-b'])
    assert.deepEqual(await runningOn('a'), [])
    assert.deepEqual(await runningOn('b'), ['vm1'])
    stack!.exportConfig = direct
  })

  it('a stopped libvirt exporter makes its host missing, with the reason', async () => {
    await stack!.stopOne('libvirt-lab-b')
    for (let waited = 0; (await stack!.value('min(up{job="libvirt"})')) !== 0; waited++) {
      assert.ok(waited < 40, 'Prometheus marks the stopped exporter down')
      await sleep(250)
    }
    const result = await withProm(['collect'])
    assert.equal(result.exitCode, 69, String(result.stderr))
    const doc = firstDoc(result.stdout)
    assert.deepEqual(doc.hosts.map((host) => host.name), ['lab-a'])
    assert.match(doc.missing?.[0].reason ?? '', /^read from Prometheus: its exporter target is down in Prometheus \(up == 0: libvirt at 127\.0\.0\.1:\d+\)/)
    assert.match(String(result.stderr), /lab-b: read from Prometheus: its exporter target is down/)
  })
})
