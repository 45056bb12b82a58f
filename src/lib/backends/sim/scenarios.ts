// Named, seeded scenarios: a cluster built deterministically from (name, seed). Each host runs
// the same mix of four VM kinds; a scenario adds the surges that make a host hot. The seed varies
// sizes, base rates, phases and surge timing through the hash, never through RNG state.
import {UsageError} from '../../errors.js'
import {type DemandProfile, SIM_CONSTANTS, SIM_FORMAT, type SimCluster, type SimHost, type SimVm, type Surge, type VmKind} from './cluster.js'
import {hashInt, hashUnit} from './demand.js'

interface KindSpec {
  vcpus: [number, number]
  memoryGiB: [number, number]
  rxMbps: number
  txMbps: number
  /** CPU work besides networking: cores, or a share of the vCPUs when `cpuShare` is set. */
  cpuCores: number
  cpuShare?: number
  ioWait: number
  jitter: number
  wave: {amplitude: number; periodS: number}
}

// Network-intensive request/response (small requests, larger responses, mostly waiting), bulk
// transfer (high rate, few acks), CPU-bound (busy, little network), idle (keep-alives only).
const KINDS: Record<VmKind, KindSpec> = {
  web: {vcpus: [2, 4], memoryGiB: [2, 4], rxMbps: 150, txMbps: 450, cpuCores: 0.25, ioWait: 0.85, jitter: 0.2, wave: {amplitude: 0.15, periodS: 600}},
  bulk: {vcpus: [2, 4], memoryGiB: [4, 8], rxMbps: 12, txMbps: 400, cpuCores: 0.3, ioWait: 0.35, jitter: 0.1, wave: {amplitude: 0.1, periodS: 900}},
  cpu: {vcpus: [4, 8], memoryGiB: [8, 16], rxMbps: 8, txMbps: 12, cpuCores: 0, cpuShare: 0.85, ioWait: 0.05, jitter: 0.1, wave: {amplitude: 0, periodS: 0}},
  idle: {vcpus: [1, 2], memoryGiB: [1, 2], rxMbps: 0.0008, txMbps: 0.0008, cpuCores: 0.02, ioWait: 0.02, jitter: 0.6, wave: {amplitude: 0, periodS: 0}},
}
const KIND_ORDER: readonly VmKind[] = ['web', 'bulk', 'cpu', 'idle']
const PER_KIND = 3
const VFS_PER_HOST = 8

// Hash channels for build-time draws, so each field is an independent function of (seed, VM).
const Draw = {Vcpus: 11, Memory: 12, Rate: 13, Phase: 14, SurgeStart: 15, SurgeSize: 16} as const

/** Which surges a scenario gives one VM (host index from 0; `draw` is this VM's seeded unit draw). */
type SurgePlan = (vm: {kind: VmKind; hostIndex: number; demand: DemandProfile}, draw: (channel: number) => number) => Surge[]

interface ScenarioSpec {
  description: string
  hosts: number
  surges: SurgePlan
}

/** host1's bulk-transfer VMs ramp from ~400 Mbit/s to ~3000 Mbit/s after 60–90 s, for 25 minutes. */
const bulkRamp = (hostIndex: number, startS: number): SurgePlan => (vm, draw) =>
  vm.kind === 'bulk' && vm.hostIndex === hostIndex
    ? [{startS: startS + Math.floor(draw(Draw.SurgeStart) * 11), rampS: 20, holdS: 1500, factor: (3000 * (0.95 + 0.1 * draw(Draw.SurgeSize))) / vm.demand.txMbps}]
    : []

const SPECS: Record<string, ScenarioSpec> = {
  paper: {
    description: '3 hosts, 12 VMs each (web, bulk, cpu, idle); host1\'s bulk transfers ramp up at ~60–90 s and keep its port hot',
    hosts: 3,
    surges: bulkRamp(0, 60),
  },
  'flash-crowd': {
    description: '3 hosts; host2\'s web VMs get 8× their demand within 5 s at t≈120 s for 3 minutes, then calm down',
    hosts: 3,
    surges: (vm, draw) =>
      vm.kind === 'web' && vm.hostIndex === 1
        ? [{startS: 120 + Math.floor(draw(Draw.SurgeStart) * 6), rampS: 5, holdS: 180, factor: 8}]
        : [],
  },
  'two-hotspots': {
    description: '4 hosts; host1 (t≈60 s) and host2 (t≈150 s) both turn hot, so targets can be piled on',
    hosts: 4,
    surges: (vm, draw) => [...bulkRamp(0, 60)(vm, draw), ...bulkRamp(1, 150)(vm, draw)],
  },
  quiet: {
    description: '3 hosts, the paper mix without surges: nothing should ever move',
    hosts: 3,
    surges: () => [],
  },
}

/** Scenario names and one-line descriptions, for `sova sim` help and listings. */
export const SCENARIOS: ReadonlyArray<{name: string; description: string}> = Object.entries(SPECS).map(
  ([name, spec]) => ({name, description: spec.description}),
)

function pciOf(hostIndex: number, fn: number): string {
  return `0000:${(4 + hostIndex).toString(16).padStart(2, '0')}:10.${fn}`
}

function buildHost(hostIndex: number): SimHost {
  return {
    name: `host${hostIndex + 1}`,
    device: 'p5p1',
    speedMbps: 10_000,
    cpus: 32,
    memoryMiB: 131_072,
    vfPool: Array.from({length: VFS_PER_HOST}, (_, fn) => pciOf(hostIndex, fn)),
    reachable: true,
    port: {rxBytes: 0, txBytes: 0},
  }
}

function buildVm(seed: number, spec: ScenarioSpec, kind: VmKind, hostIndex: number, index: number, ordinal: number): SimVm {
  const k = KINDS[kind]
  const draw = (channel: number) => hashUnit(seed, index, channel)
  const vcpus = hashInt(k.vcpus[0], k.vcpus[1], seed, index, Draw.Vcpus)
  const rate = 0.8 + 0.4 * draw(Draw.Rate)
  const demand: DemandProfile = {
    rxMbps: k.rxMbps * rate,
    txMbps: k.txMbps * rate,
    cpuCores: k.cpuShare === undefined ? k.cpuCores : k.cpuShare * vcpus,
    ioWait: k.ioWait,
    jitter: k.jitter,
    wave: {amplitude: k.wave.amplitude, periodS: k.wave.periodS, phaseS: Math.floor(draw(Draw.Phase) * (k.wave.periodS || 1))},
    surges: [],
  }
  demand.surges = spec.surges({kind, hostIndex, demand}, draw)
  return {
    name: `${kind}${ordinal}`,
    index,
    kind,
    host: `host${hostIndex + 1}`,
    vcpus,
    memoryMiB: 1024 * hashInt(k.memoryGiB[0], k.memoryGiB[1], seed, index, Draw.Memory),
    path: 'pv',
    vf: null,
    demand,
    counters: {cpuSeconds: 0, blockedSeconds: 0, rxBytes: 0, txBytes: 0, activeSeconds: 0},
  }
}

/** Builds scenario `name` for `seed`: the same pair always gives the same cluster, at time 0. */
export function buildScenario(name: string, seed: number): SimCluster {
  const spec = Object.hasOwn(SPECS, name) ? SPECS[name] : undefined
  if (!spec) {
    throw new UsageError(`unknown scenario "${name}"; expected one of ${Object.keys(SPECS).join(', ')}`, 'sova sim scenarios lists them')
  }
  if (!Number.isSafeInteger(seed)) throw new UsageError(`seed must be a whole number, got ${seed}`)
  const hosts = Array.from({length: spec.hosts}, (_, h) => buildHost(h))
  const vms: SimVm[] = []
  for (let h = 0; h < spec.hosts; h++) {
    for (const kind of KIND_ORDER) {
      for (let j = 0; j < PER_KIND; j++) {
        vms.push(buildVm(seed, spec, kind, h, vms.length, h * PER_KIND + j + 1))
      }
    }
    // VFs were handed out at boot, first come first served: the web and CPU-bound VMs started
    // first and hold six; two stay free. The first ranking then moves VFs to the bulk VMs.
    const bootedFirst = vms.filter((vm) => vm.host === hosts[h].name && (vm.kind === 'web' || vm.kind === 'cpu'))
    for (const [fn, vm] of bootedFirst.slice(0, VFS_PER_HOST).entries()) {
      vm.vf = pciOf(h, fn)
      vm.path = 'vf'
    }
  }
  return {format: SIM_FORMAT, scenario: name, seed, timeMs: 0, physics: {...SIM_CONSTANTS}, hosts, vms}
}
