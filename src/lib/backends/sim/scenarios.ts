// Named, seeded scenarios: a cluster built deterministically from (name, seed[, options]). Hosts run
// a mix of four VM kinds; a scenario tunes their demand (surges, bursts, waves, heavier rates) so
// that a host turns hot, a backend saturates, or VFs are worth moving. The seed varies sizes, base
// rates, phases and timing through the hash, never through RNG state; demand stays a pure function
// of (seed, VM, tick) (demand.ts).
import {type PhysicsOverride, withPhysics} from './physics-overrides.js'
import {UsageError} from '../../errors.js'
import {
  type DemandProfile,
  SIM_CONSTANTS,
  type SimCluster,
  type SimHost,
  type SimVm,
  type VmKind,
  emptyCounters,
  newCluster,
  pciAddress,
} from './cluster.js'
import {hashInt, hashUnit} from './demand.js'
import {loadScenarioFile} from './scenario-file.js'
import {TRACE_SCENARIO, type TraceFlagValues, hasTraceFlags, loadTraceScenario, traceRequestFromFlags} from './trace-options.js'

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
  /** Request/response size range, KiB (drawn per VM). */
  requestKiB: [number, number]
}

// Network-intensive request/response (small requests, larger responses, mostly waiting), bulk
// transfer (high rate, few acks, large transfers), CPU-bound (busy, little network), idle (keep-alives only).
const KINDS: Record<VmKind, KindSpec> = {
  web: {vcpus: [2, 4], memoryGiB: [2, 4], rxMbps: 150, txMbps: 450, cpuCores: 0.25, ioWait: 0.85, jitter: 0.2, wave: {amplitude: 0.15, periodS: 600}, requestKiB: [16, 64]},
  bulk: {vcpus: [2, 4], memoryGiB: [4, 8], rxMbps: 12, txMbps: 400, cpuCores: 0.3, ioWait: 0.35, jitter: 0.1, wave: {amplitude: 0.1, periodS: 900}, requestKiB: [512, 2048]},
  cpu: {vcpus: [4, 8], memoryGiB: [8, 16], rxMbps: 8, txMbps: 12, cpuCores: 0, cpuShare: 0.85, ioWait: 0.05, jitter: 0.1, wave: {amplitude: 0, periodS: 0}, requestKiB: [4, 16]},
  idle: {vcpus: [1, 2], memoryGiB: [1, 2], rxMbps: 0.0008, txMbps: 0.0008, cpuCores: 0.02, ioWait: 0.02, jitter: 0.6, wave: {amplitude: 0, periodS: 0}, requestKiB: [0.25, 1]},
}
const KIND_ORDER: readonly VmKind[] = ['web', 'bulk', 'cpu', 'idle']

// Hash channels for build-time draws, so each field is an independent function of (seed, VM).
const Draw = {Vcpus: 11, Memory: 12, Rate: 13, Phase: 14, SurgeStart: 15, SurgeSize: 16, Request: 17, SurgeHost: 18} as const

/** A VM being built: what a scenario's `tune` may look at and change. */
interface Draft {
  kind: VmKind
  hostIndex: number
  /** Position among the host's VMs of this kind (from 0). */
  nth: number
  demand: DemandProfile
  /** This VM's seeded unit draw on a channel. */
  draw: (channel: number) => number
}

interface Layout {
  hosts: number
  vfsPerHost: number
  /** VMs of each kind per host, booted in KIND_ORDER. */
  mix: (hostIndex: number) => Record<VmKind, number>
  /** Host CPUs and memory (MiB). */
  cpus: number
  memoryMiB: number
  /** Kinds that booted first and took the VFs, first come first served, in this order. */
  bootVfKinds: readonly VmKind[]
  /** Scenario-specific demand: surges, bursts, waves, heavier rates. */
  tune: (vm: Draft, layout: Layout, seed: number) => void
}

interface ScenarioSpec {
  description: string
  /** Whether --hosts / --vms-per-host apply. */
  parametric?: boolean
  layout: (seed: number, options: ScenarioOptions) => Layout
}

/** Options of the parametric scenarios (`large`, `trace`). */
export interface ScenarioOptions {
  hosts?: number
  vmsPerHost?: number
  /** The trace scenario's own options (trace-options.ts). */
  trace?: TraceFlagValues
  /** How long the scenario will run, s: a trace slice's default length (evaluate's --duration). */
  durationHintS?: number
  /** Physics other than the scenario's own (--physics). */
  physics?: readonly PhysicsOverride[]
}

const PAPER_MIX = () => ({web: 3, bulk: 3, cpu: 3, idle: 3})
const paperLayout = (hosts: number, tune: Layout['tune']): Layout => ({
  hosts,
  vfsPerHost: 8,
  mix: PAPER_MIX,
  cpus: 32,
  memoryMiB: 131_072,
  bootVfKinds: ['web', 'cpu'],
  tune,
})

/** The host's bulk-transfer VMs ramp from ~400 Mbit/s to `mbps` after startS + 0–10 s, for 25 minutes. */
function bulkRamp(vm: Draft, hostIndex: number, startS: number, mbps = 3000): void {
  if (vm.kind !== 'bulk' || vm.hostIndex !== hostIndex) return
  const factor = (mbps * (0.95 + 0.1 * vm.draw(Draw.SurgeSize))) / vm.demand.txMbps
  vm.demand.surges.push({startS: startS + Math.floor(vm.draw(Draw.SurgeStart) * 11), rampS: 20, holdS: 1500, factor})
}

/** Constant demand: no wave, no surges, small jitter. */
function flatten(vm: Draft): void {
  vm.demand.wave = {amplitude: 0, periodS: 0, phaseS: 0}
  vm.demand.jitter = Math.min(vm.demand.jitter, 0.03)
}

const SPECS: Record<string, ScenarioSpec> = {
  paper: {
    description: '3 hosts, 12 VMs each (web, bulk, cpu, idle), 8 VFs; host1\'s bulk transfers ramp to ~3 Gb/s at ~60–90 s and keep its port hot for 25 min',
    layout: () => paperLayout(3, (vm) => bulkRamp(vm, 0, 60)),
  },
  steady: {
    description: '3 hosts, 4 VFs, constant demand: three bulk VMs a host offer ~3 Gb/s (above the PV cap) without overloading the port; the right VFs deliver nearly everything',
    layout: () => ({
      ...paperLayout(3, (vm) => {
        flatten(vm)
        if (vm.kind !== 'bulk') return
        const heavy = 2900 + 400 * vm.draw(Draw.SurgeSize)
        // Every other bulk VM ingests (rx-heavy), so both port directions stay below 90 %.
        if (vm.nth % 2 === 1) Object.assign(vm.demand, {rxMbps: heavy, txMbps: 12})
        else Object.assign(vm.demand, {rxMbps: 12, txMbps: heavy})
      }),
      vfsPerHost: 4,
    }),
  },
  bursty: {
    description: '3 hosts, 6 VFs; web and bulk VMs burst on and off (5–7× demand for 30–40 s slots at seeded random times)',
    layout: () => ({
      ...paperLayout(3, (vm) => {
        if (vm.kind === 'web') vm.demand.onOff = {slotS: 30, onShare: 0.25, factor: 5}
        if (vm.kind === 'bulk') vm.demand.onOff = {slotS: 40, onShare: 0.3, factor: 7}
      }),
      vfsPerHost: 6,
    }),
  },
  diurnal: {
    description: '3 hosts, 6 VFs; network demand follows a 25-minute sinusoid (±60 %), each host a third of a period apart, so one host overloads near its peak while others have room',
    layout: () => ({
      ...paperLayout(3, (vm, layout) => {
        if (vm.kind !== 'web' && vm.kind !== 'bulk') return
        const periodS = 1500
        if (vm.kind === 'bulk') Object.assign(vm.demand, {rxMbps: vm.demand.rxMbps * 3, txMbps: vm.demand.txMbps * 4.5})
        const phaseS = Math.floor((vm.hostIndex * periodS) / layout.hosts + 30 * vm.draw(Draw.Phase))
        vm.demand.wave = {amplitude: 0.6, periodS, phaseS}
      }),
      vfsPerHost: 6,
    }),
  },
  'flash-crowd': {
    description: '3 hosts, 8 VFs; host2\'s web VMs get 8× their demand within 5 s at t≈120 s for 3 minutes, then calm down',
    layout: () =>
      paperLayout(3, (vm) => {
        if (vm.kind === 'web' && vm.hostIndex === 1) {
          vm.demand.surges.push({startS: 120 + Math.floor(vm.draw(Draw.SurgeStart) * 6), rampS: 5, holdS: 180, factor: 8})
        }
      }),
  },
  mixed: {
    description: '4 hosts, 4 VFs; host1–2 run mostly PV-heavy web VMs that saturate the backend CPU (VFs booted on cpu/idle VMs), host3–4 mostly CPU-bound VMs',
    layout: () => ({
      hosts: 4,
      vfsPerHost: 4,
      mix: (h) => (h < 2 ? {web: 6, bulk: 2, cpu: 2, idle: 2} : {web: 2, bulk: 1, cpu: 6, idle: 3}),
      cpus: 32,
      memoryMiB: 131_072,
      bootVfKinds: ['cpu', 'idle'],
      tune: (vm) => {
        if (vm.hostIndex >= 2) return
        if (vm.kind === 'web') Object.assign(vm.demand, {rxMbps: vm.demand.rxMbps * 2.3, txMbps: vm.demand.txMbps * 2})
        if (vm.kind === 'bulk') vm.demand.txMbps *= 2
      },
    }),
  },
  large: {
    description: 'parametric (--hosts, default 20; --vms-per-host, default 20), the paper\'s kind mix, 6 VFs; ~10% of hosts get a bulk surge at seeded times',
    parametric: true,
    layout: (seed, options) => {
      const hosts = options.hosts ?? 20
      const perHost = options.vmsPerHost ?? 20
      const scale = Math.ceil(perHost / 12)
      const surging = new Set(
        Array.from({length: hosts}, (_, h) => h)
          .sort((a, b) => hashUnit(seed, a, Draw.SurgeHost) - hashUnit(seed, b, Draw.SurgeHost) || a - b)
          .slice(0, Math.max(1, Math.round(hosts / 10))),
      )
      const bulkPerHost = Math.floor(perHost / 4) + (perHost % 4 > 1 ? 1 : 0)
      return {
        hosts,
        vfsPerHost: 6,
        mix: () => Object.fromEntries(KIND_ORDER.map((kind, k) => [kind, Math.floor(perHost / 4) + (k < perHost % 4 ? 1 : 0)])) as Record<VmKind, number>,
        cpus: 32 * scale,
        memoryMiB: 131_072 * scale,
        bootVfKinds: ['web', 'cpu'],
        tune: (vm) => {
          if (!surging.has(vm.hostIndex)) return
          const startS = 60 + Math.floor(hashUnit(seed, vm.hostIndex, Draw.SurgeStart) * 540)
          bulkRamp(vm, vm.hostIndex, startS, Math.min(4000, Math.max(2000, 9000 / Math.max(1, bulkPerHost))))
        },
      }
    },
  },
  'two-hotspots': {
    description: '4 hosts, 8 VFs; host1 (t≈60 s) and host2 (t≈150 s) both turn hot, so targets can be piled on',
    layout: () =>
      paperLayout(4, (vm) => {
        bulkRamp(vm, 0, 60)
        bulkRamp(vm, 1, 150)
      }),
  },
  quiet: {
    description: '3 hosts, 8 VFs, the paper mix without surges: nothing should ever move',
    layout: () => paperLayout(3, () => {}),
  },
}

/** Scenario names and one-line descriptions, for `sova sim scenarios` and help. */
export const SCENARIOS: ReadonlyArray<{name: string; description: string}> = Object.entries(SPECS).map(
  ([name, spec]) => ({name, description: spec.description}),
)

/** Limits of the parametric scenario's options. */
export const LARGE_LIMITS = {hosts: [1, 10_000], vmsPerHost: [1, 100]} as const

function buildHost(hostIndex: number, layout: Layout): SimHost {
  return {
    name: `host${hostIndex + 1}`,
    device: 'p5p1',
    speedMbps: 10_000,
    cpus: layout.cpus,
    memoryMiB: layout.memoryMiB,
    vfPool: Array.from({length: layout.vfsPerHost}, (_, fn) => pciAddress(hostIndex, fn)),
    backendCores: SIM_CONSTANTS.backendCores,
    reachable: true,
    port: {rxBytes: 0, txBytes: 0},
  }
}

function buildVm(seed: number, layout: Layout, kind: VmKind, hostIndex: number, nth: number, index: number, ordinal: number): SimVm {
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
    requestKiB: Math.round((k.requestKiB[0] + (k.requestKiB[1] - k.requestKiB[0]) * draw(Draw.Request)) * 4) / 4,
  }
  layout.tune({kind, hostIndex, nth, demand, draw}, layout, seed)
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
    counters: emptyCounters(),
  }
}

function checkOptions(name: string, spec: ScenarioSpec, options: ScenarioOptions): void {
  const given = Object.entries(options).filter(([, value]) => value !== undefined)
  if (given.length === 0) return
  if (!spec.parametric) {
    throw new UsageError(`scenario "${name}" takes no --hosts or --vms-per-host (only "large" and "trace" do)`)
  }
  for (const [key, value] of given) {
    const limits = LARGE_LIMITS[key as keyof typeof LARGE_LIMITS]
    if (!limits) throw new UsageError(`unknown scenario option ${key}`)
    if (!Number.isSafeInteger(value) || value < limits[0] || value > limits[1]) {
      throw new UsageError(`${key} must be a whole number from ${limits[0]} to ${limits[1]}, got ${value}`)
    }
  }
}

/** Builds scenario `name` for `seed`: the same arguments always give the same cluster, at time 0. */
export function buildScenario(name: string, seed: number, options: ScenarioOptions = {}): SimCluster {
  const spec = Object.hasOwn(SPECS, name) ? SPECS[name] : undefined
  if (!spec) {
    throw new UsageError(`unknown scenario "${name}"; expected one of ${Object.keys(SPECS).join(', ')}, trace, or a scenario file (a path with / or ending in .json)`, 'sova sim scenarios lists them')
  }
  if (!Number.isSafeInteger(seed)) throw new UsageError(`seed must be a whole number, got ${seed}`)
  checkOptions(name, spec, options)
  const layout = spec.layout(seed, options)
  const hosts = Array.from({length: layout.hosts}, (_, h) => buildHost(h, layout))
  const vms: SimVm[] = []
  const ordinals: Record<VmKind, number> = {web: 0, bulk: 0, cpu: 0, idle: 0}
  for (let h = 0; h < layout.hosts; h++) {
    const mix = layout.mix(h)
    const firstOnHost = vms.length
    for (const kind of KIND_ORDER) {
      for (let j = 0; j < mix[kind]; j++) {
        ordinals[kind] += 1
        vms.push(buildVm(seed, layout, kind, h, j, vms.length, ordinals[kind]))
      }
    }
    // VFs were handed out at boot, first come first served, to the kinds that started first; the
    // first rankings then move them to the VMs that gain.
    const onHost = vms.slice(firstOnHost)
    const bootedFirst = layout.bootVfKinds.flatMap((kind) => onHost.filter((vm) => vm.kind === kind))
    for (const [fn, vm] of bootedFirst.slice(0, layout.vfsPerHost).entries()) {
      vm.vf = hosts[h].vfPool[fn]
      vm.path = 'vf'
    }
  }
  return newCluster(name, seed, hosts, vms)
}

/** True when `value` names a scenario file rather than a built-in: it contains '/' or ends in '.json'. */
export function isScenarioFile(value: string): boolean {
  return value.includes('/') || value.endsWith('.json')
}

/** A built-in scenario by name, or a scenario file by path (see docs/scenario-file.md). */
export function resolveScenario(nameOrPath: string, seed: number, options: ScenarioOptions = {}): SimCluster {
  const {physics = [], ...rest} = options
  return withPhysics(resolveScenarioOwnPhysics(nameOrPath, seed, rest), physics)
}

function resolveScenarioOwnPhysics(nameOrPath: string, seed: number, options: Omit<ScenarioOptions, 'physics'>): SimCluster {
  const {trace, durationHintS, ...sizes} = options
  if (nameOrPath === TRACE_SCENARIO) return loadTraceScenario(traceRequestFromFlags(trace ?? {}, sizes, durationHintS), seed)
  if (hasTraceFlags(trace)) throw new UsageError(`--traces and the other trace options apply to the ${TRACE_SCENARIO} scenario only`, 'a trace scenario file carries its own "traces" options')
  if (!isScenarioFile(nameOrPath)) return buildScenario(nameOrPath, seed, sizes)
  if (Object.values(sizes).some((value) => value !== undefined)) {
    throw new UsageError('--hosts and --vms-per-host apply to the large and trace scenarios only, not to a scenario file')
  }
  if (!Number.isSafeInteger(seed)) throw new UsageError(`seed must be a whole number, got ${seed}`)
  return loadScenarioFile(nameOrPath, seed, durationHintS)
}
