// How the policy scales: scoring + balancing + VF planning on generated clusters of 100, 1,000 and
// 10,000 hosts × 40 VMs, for the default policy and for seed. Each size runs in its own child
// process, so its peak memory (maxRSS) is its own; times are the median of 3 runs.
// Usage (imports the TypeScript sources through tsx; no build needed):
//   node --import tsx bench/scale.mjs [--sizes 100,1000,10000] [--vms 40] [--runs 3]
// With --cli, the same documents through the built commands instead (npm run build first): each
// stage against parse+serialise of its input and output, and the five-process pipeline against
// `run --once` (bench/scale-cli.mjs):
//   node --import tsx bench/scale.mjs --cli [--hosts 1000] [--pipeline-hosts 250] [--vms 40] [--runs 5]
// The pipeline runs on the simulator, whose own cost grows with the cluster (--pipeline-hosts 0: skip it).
import {spawnSync} from 'node:child_process'
import {parseArgs} from 'node:util'
import {prng} from './lib/prng.mjs'

const {values: args} = parseArgs({
  options: {
    sizes: {type: 'string', default: '100,1000,10000'},
    vms: {type: 'string', default: '40'},
    runs: {type: 'string', default: '3'},
    child: {type: 'string'},
    policy: {type: 'string'},
    cli: {type: 'boolean', default: false},
    hosts: {type: 'string', default: '1000'},
    'pipeline-hosts': {type: 'string', default: '250'},
  },
})
const VMS_PER_HOST = Number(args.vms)
const RUNS = Number(args.runs)

// --- document generation (deterministic) ------------------------------------------------------

const VFS_PER_HOST = 8
const vfAddress = (fn) => `0000:04:10.${fn}`
// Per kind: share of VMs, rx/tx Mbit/s, CPU used ratio, blocked ratio, active ratio.
const KINDS = [
  {kind: 'web', share: 0.3, rx: 30, tx: 90, cpu: 0.4, blocked: 0.8, active: 0.9},
  {kind: 'bulk', share: 0.2, rx: 5, tx: 150, cpu: 0.5, blocked: 0.35, active: 0.95},
  {kind: 'cpu', share: 0.25, rx: 8, tx: 12, cpu: 3.2, blocked: 0.05, active: 0.4},
  {kind: 'idle', share: 0.25, rx: 0.001, tx: 0.001, cpu: 0.02, blocked: 0.01, active: 0},
]

function kindOf(r) {
  let acc = 0
  for (const k of KINDS) {
    acc += k.share
    if (r < acc) return k
  }
  return KINDS.at(-1)
}

/** A valid version-1 document: 10 GbE ports about 30% busy, ~1 host in 8 hot (its bulk VMs surge 5–7×), VFs partly held, partly free. */
function generateDocument(hostCount, vmsPerHost, seed = 1) {
  const random = prng(seed)
  const hosts = []
  for (let h = 0; h < hostCount; h++) {
    const hot = random() < 0.125
    const surge = hot ? 5 + 2 * random() : 1
    const vms = []
    let rxBps = 0
    let txBps = 0
    let memory = 0
    for (let j = 0; j < vmsPerHost; j++) {
      const k = kindOf(random())
      const rate = 0.7 + 0.6 * random()
      const boost = k.kind === 'bulk' ? surge : 1
      const vmRx = (k.rx * rate * boost * 1e6) / 8
      const vmTx = (k.tx * rate * boost * 1e6) / 8
      rxBps += vmRx
      txBps += vmTx
      const memoryMiB = 1024 * (1 + Math.floor(random() * 8))
      memory += memoryMiB
      vms.push({
        name: `vm${h + 1}-${j + 1}`,
        id: String(h * vmsPerHost + j),
        vcpus: 1 + Math.floor(random() * 4),
        memoryMiB,
        cpu: {usedRatio: k.cpu * (0.8 + 0.4 * random()), blockedRatio: k.blocked * (0.8 + 0.4 * random())},
        net: {rxBps: vmRx, txBps: vmTx, activeRatio: k.active},
        path: 'pv',
        vf: null,
      })
    }
    // VFs were handed out at boot to the first VMs: six of eight held, two free.
    for (let fn = 0; fn < 6 && fn < vms.length; fn++) {
      vms[fn].vf = vfAddress(fn)
      vms[fn].path = 'vf'
    }
    const speedMbps = 10_000
    const totalMemory = 524_288
    hosts.push({
      name: `host${h + 1}`,
      nic: {device: 'p5p1', speedMbps, rxBps, txBps, utilisation: (8 * (rxBps + txBps)) / (speedMbps * 1e6)},
      vfs: {total: VFS_PER_HOST, free: [vfAddress(6), vfAddress(7)]},
      cpus: 64,
      memoryMiB: {total: totalMemory, free: Math.max(0, totalMemory - 4096 - memory)},
      vms,
    })
  }
  return {sova: 1, at: '2026-01-01T00:10:00.000Z', source: {backend: 'sim', cluster: `scale:${hostCount}`, windowSeconds: 10}, hosts}
}

// --- child: one size, both policies -------------------------------------------------------------

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

async function child(hostCount, policy) {
  const [{parseDocument}, {SampleHistory}, {knowledgeOf, utilisationOf}, {policyParams}, stages] = await Promise.all([
    import('../src/lib/document/validate.ts'),
    import('../src/lib/loop/history.ts'),
    import('../src/lib/loop/collect.ts'),
    import('../src/lib/cli/flags.ts'),
    import('../src/lib/loop/stages.ts'),
  ])
  const doc = parseDocument(generateDocument(hostCount, VMS_PER_HOST), 'generated') // valid per the schema
  // Four earlier samples: each host gets a 5-sample window, rising on the hot hosts.
  const now = utilisationOf(doc)
  const knowledge = knowledgeOf(doc)
  const stored = [4, 3, 2, 1].map((back) => {
    const scale = (u) => (u > 0.9 ? u * (1 - 0.08 * back) : u * (1 + 0.02 * ((back % 2) - 0.5)))
    return {
      at: new Date(Date.parse(doc.at) - back * 10_000).toISOString(),
      raw: '',
      utilisation: Object.fromEntries(Object.entries(now).map(([host, u]) => [host, scale(u)])),
      knowledge: {...knowledge, peak: Object.fromEntries(Object.entries(knowledge.peak).map(([host, u]) => [host, scale(u)]))},
    }
  })
  const store = {
    samplesBefore: (_cluster, before, limit) => stored.filter((sample) => sample.at < before).slice(-limit),
    samplesSince: (_cluster, since, before) => stored.filter((sample) => sample.at >= since && sample.at < before),
  }
  const params = policyParams({policy})
  const times = []
  let last
  for (let run = 0; run < RUNS; run++) {
    const history = new SampleHistory(store)
    const started = process.hrtime.bigint()
    let next = stages.scoreStage(doc, history, params)
    next = stages.balanceStage(next, params)
    next = await stages.switchVfStage(next, params, undefined)
    times.push(Number(process.hrtime.bigint() - started) / 1e6)
    last = next
  }
  const hot = Object.values(last.scores.hosts).filter((h) => h.hot).length
  const result = {
    hosts: hostCount,
    vms: hostCount * VMS_PER_HOST,
    policy,
    medianMs: median(times),
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    hot,
    migrations: last.plan.migrations.length,
    vfChanges: last.plan.vf.length,
  }
  process.stdout.write(JSON.stringify(result) + '\n')
}

// --- parent: every size in its own process, then the report ----------------------------------------

async function parent() {
  const {DEFAULT_POLICY} = await import('../src/lib/policy/policies.ts')
  const sizes = args.sizes.split(',').map(Number)
  const policies = [...new Set([DEFAULT_POLICY, 'seed'])]
  console.log(`scale: score + balance + VF plan, ${VMS_PER_HOST} VMs per host, median of ${RUNS} (node ${process.version})`)
  console.log('policy'.padEnd(8) + 'hosts'.padStart(8) + 'VMs'.padStart(10) + 'median ms'.padStart(12) + 'µs/host'.padStart(10) + 'maxRSS MiB'.padStart(12) + 'growth'.padStart(9) + '  plan (hot hosts, migrations, VF changes)')
  for (const policy of policies) {
    let previous
    for (const size of sizes) {
      const run = spawnSync(process.execPath, [...process.execArgv, '--max-old-space-size=12288', import.meta.filename, '--child', String(size), '--policy', policy, '--vms', String(VMS_PER_HOST), '--runs', String(RUNS)], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      })
      if (run.status !== 0) {
        console.log(`${policy.padEnd(8)}${String(size).padStart(8)}  failed (exit ${run.status}): ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`)
        previous = undefined
        continue
      }
      const r = JSON.parse(run.stdout.trim().split('\n').at(-1))
      const growth = previous ? `${(r.medianMs / previous.medianMs).toFixed(1)}×` : '-'
      console.log(
        policy.padEnd(8) +
          String(r.hosts).padStart(8) +
          String(r.vms).padStart(10) +
          r.medianMs.toFixed(1).padStart(12) +
          ((r.medianMs * 1000) / r.hosts).toFixed(1).padStart(10) +
          r.maxRssMiB.toFixed(0).padStart(12) +
          growth.padStart(9) +
          `  (${r.hot}, ${r.migrations}, ${r.vfChanges})`,
      )
      previous = r
    }
  }
  console.log('growth: time ratio to the previous size; about 10× per 10× more hosts is linear')
}

if (args.child) await child(Number(args.child), args.policy ?? 'seed')
else if (args.cli) {
  const {benchStages, benchPipeline} = await import('./scale-cli.mjs')
  const hosts = Number(args.hosts)
  const runs = process.argv.includes('--runs') ? RUNS : 5
  console.log(`scale through the CLI (node ${process.version}), ${hosts} hosts × ${VMS_PER_HOST} VMs`)
  benchStages(generateDocument(hosts, VMS_PER_HOST), hosts, runs)
  if (Number(args['pipeline-hosts']) > 0) benchPipeline(Number(args['pipeline-hosts']), VMS_PER_HOST, runs)
} else await parent()
