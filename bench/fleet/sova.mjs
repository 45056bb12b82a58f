// The measured side: the fleet's configuration file, and one sova command run as an operator runs
// it (./bin/run.js, the built CLI, from node's start to its exit), with its wall time, its own peak
// resident memory (rss-on-exit.mjs, preloaded) and Prometheus' query work during the run.
import {spawn} from 'node:child_process'
import {openSync, closeSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {counterDelta, queryCounters} from './prometheus.mjs'
import {hostName, PORT_DEVICE} from './model.mjs'

const ROOT = join(import.meta.dirname, '..', '..')
const PRELOAD = join(import.meta.dirname, 'rss-on-exit.mjs')

/**
 * The configuration of the fleet's hosts (libvirt over ssh, the port the exporters count), as one
 * shard of hosts [from, to), sensed through Prometheus with a query timeout long enough to measure
 * (the default 10 s would end a slow query) and no retries (a retry would repeat the whole cost).
 */
export function writeConfig(path, {cluster, from, to, url, timeoutSeconds}) {
  const hosts = []
  for (let h = from; h < to; h++) hosts.push({name: hostName(h), backend: 'libvirt', ssh: `root@${hostName(h)}`, port: {device: PORT_DEVICE}})
  const sensing = {prometheus: {url, timeoutSeconds, retries: 0}}
  writeFileSync(path, JSON.stringify({cluster, hosts, sensing}, null, 1) + '\n', {mode: 0o600})
}

/**
 * Runs `sova ARGS` with stdout to `outFile`; resolves with its exit code, wall seconds, peak RSS
 * (MiB), CPU seconds, stderr's tail, stdout's size and Prometheus' query work meanwhile.
 */
export async function runSova(args, {outFile, usageFile, env, prometheusUrl}) {
  const before = prometheusUrl ? await queryCounters(prometheusUrl) : undefined
  const out = openSync(outFile, 'w')
  const started = performance.now()
  const {code, stderr} = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', PRELOAD, join(ROOT, 'bin', 'run.js'), ...args], {
      cwd: ROOT,
      env: {...process.env, ...env, FLEET_USAGE_FILE: usageFile},
      stdio: ['ignore', out, 'pipe'],
    })
    let tail = ''
    child.stderr.on('data', (chunk) => (tail = (tail + chunk).slice(-4000)))
    child.on('error', reject)
    child.on('close', (status) => resolve({code: status, stderr: tail}))
  })
  const wallSeconds = (performance.now() - started) / 1000
  closeSync(out)
  const prometheus = prometheusUrl ? counterDelta(await queryCounters(prometheusUrl), before) : undefined
  let usage = {}
  try {
    usage = JSON.parse(readFileSync(usageFile, 'utf8'))
  } catch {
    // no usage written: the process died before its exit handler (a signal)
  }
  return {
    code,
    wallSeconds,
    peakRssMiB: usage.maxRssKiB / 1024,
    cpuSeconds: usage.userSeconds + usage.systemSeconds,
    stderr: stderr.trim(),
    outputBytes: statSync(outFile).size,
    prometheus,
  }
}

/** What the last document of a sova output file holds: hosts sampled and missing, VMs, planned changes. */
export function documentSummary(outFile) {
  const text = readFileSync(outFile, 'utf8').trim()
  if (!text) return undefined
  const doc = JSON.parse(text.slice(text.lastIndexOf('\n') + 1))
  const vms = doc.hosts?.reduce((sum, host) => sum + host.vms.length, 0) ?? 0
  return {
    hosts: doc.hosts?.length ?? 0,
    missing: doc.missing?.length ?? 0,
    vms,
    hot: doc.scores ? Object.values(doc.scores.hosts).filter((host) => host.hot).length : undefined,
    migrations: doc.plan?.migrations?.length,
    vfChanges: doc.plan?.vf?.length,
  }
}
