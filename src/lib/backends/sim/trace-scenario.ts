// Trace scenarios (docs/traces.md): N hosts packed with VMs drawn (seeded) from a directory of real
// per-VM traces, their 5-minute network means scaled by one factor and capped per VM, varied inside
// each 5-minute bin by a seeded burst model (trace-burst.ts). Building is pure: which windows to
// read (planTraceWindows), then the cluster from what was read (buildTraceCluster). The cluster keeps
// only the slice the scenario covers, at 5-minute resolution; past it the slice repeats.
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
import {hashUnit} from './demand.js'
import {KIND_DEFAULTS} from './scenario-file.js'
import type {TraceBurst} from './trace-burst.js'
import {TRACE_BIN_S, type TraceIndex, type TraceSlice, type TraceWindow} from './trace-read.js'

/** Everything that defines a trace scenario besides its seed. */
export interface TraceScenarioOptions {
  /** Scenario name (the summary's and documents' source.scenario). */
  name: string
  dir: string
  hosts: number
  vmsPerHost: number
  /** Start of the slice, seconds after the trace's first bin (rounded down to a bin). */
  startS: number
  /** Simulated seconds the slice covers (rounded up to whole bins). */
  durationS: number
  /** Trace Mbit/s -> offered Mbit/s; absent: chosen so the busiest host's peak bin is `targetPeak` of its port. */
  scale?: number
  targetPeak?: number
  /** Each direction of a VM's offered rate is clipped here, Mbit/s (after scaling and bursts). */
  vmCapMbps: number
  burst: TraceBurst
  vfsPerHost: number
}

/** Defaults of the `trace` scenario's options (docs/traces.md). */
export const TRACE_DEFAULTS = {hosts: 8, vmsPerHost: 30, startS: 0, durationS: 3600, targetPeak: 0.8, vmCapMbps: 4000, vfsPerHost: 8} as const
/** Limits: hosts as `large`; at most this many stored 5-minute values (VMs × bins), to keep the persisted cluster small. */
export const TRACE_LIMITS = {hosts: [1, 500], vmsPerHost: [1, 100], storedBins: 1_000_000} as const

/** How a trace cluster was made: kept in the cluster, printed by `sova sim reset`. */
export interface TraceSource {
  dir: string
  format: TraceIndex['format']
  startS: number
  durationS: number
  scale: number
  targetPeak?: number
  /** Busiest host's busiest bin (busier direction / line rate) at this scale, after the caps. */
  peakUtilisation: number
  vmCapMbps: number
  burst: TraceBurst
  /** Share of the stored bins that had no sample (filled from neighbours). */
  missingShare: number
}

const SPEED_MBPS = 10_000
const DAY_BINS = 86_400 / TRACE_BIN_S
const PERMUTE = 21

/** Day shifts in the order copies use them (0, +1, -1, +2, -2, ...), keeping the time of day. */
function dayShifts(startBin: number, bins: number, spanBins: number): number[] {
  const out: number[] = []
  for (let d = 0; d * DAY_BINS < spanBins; d++) {
    for (const shift of d === 0 ? [0] : [d, -d]) {
      const from = startBin + shift * DAY_BINS
      if (from >= 0 && from + bins <= spanBins) out.push(shift)
    }
  }
  return out
}

/** A seeded permutation of 0..n-1 (Fisher–Yates on hash draws). */
function permutation(n: number, seed: number, round: number): number[] {
  const out = Array.from({length: n}, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(hashUnit(seed, round, i, PERMUTE) * (i + 1))
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** The slice's first bin and length in bins. */
export function sliceBins(options: TraceScenarioOptions): {startBin: number; bins: number} {
  return {startBin: Math.floor(options.startS / TRACE_BIN_S), bins: Math.max(1, Math.ceil(options.durationS / TRACE_BIN_S))}
}

/**
 * The trace windows of the scenario's VMs, in placement order (host by host): a seeded permutation
 * of the directory's VMs; when more VMs are needed than it has, each further round draws them again
 * from a window shifted by whole days (0, +1, -1, +2, ... days), so no two VMs replay the same bytes.
 */
export function planTraceWindows(index: TraceIndex, seed: number, options: TraceScenarioOptions): {windows: TraceWindow[]; shifts: number[]} {
  const {startBin, bins} = sliceBins(options)
  const traceDays = (index.spanBins / DAY_BINS).toFixed(1)
  if (startBin + bins > index.spanBins) {
    throw new UsageError(`trace start ${options.startS} s + duration ${options.durationS} s runs past the end of ${index.dir} (${traceDays} days)`, 'choose an earlier --trace-start or a shorter duration')
  }
  const need = options.hosts * options.vmsPerHost
  if (need * bins > TRACE_LIMITS.storedBins) {
    throw new UsageError(`${need} VMs × ${bins} five-minute bins is more than the ${TRACE_LIMITS.storedBins} values a simulated cluster keeps`, 'shorten the duration (the slice repeats after it) or use fewer VMs')
  }
  const shifts = dayShifts(startBin, bins, index.spanBins)
  const rounds = Math.ceil(need / index.vmIds.length)
  if (rounds > shifts.length) {
    throw new UsageError(`${need} VMs need ${rounds} draws of the ${index.vmIds.length} traced VMs, but ${index.dir} (${traceDays} days) has room for ${shifts.length} day-shifted windows`, 'use fewer hosts or VMs per host, or a shorter duration')
  }
  const windows: TraceWindow[] = []
  const windowShifts: number[] = []
  for (let round = 0; windows.length < need; round++) {
    for (const i of permutation(index.vmIds.length, seed, round)) {
      if (windows.length === need) break
      windows.push({vmId: index.vmIds[i], fromBin: startBin + shifts[round] * DAY_BINS, bins})
      windowShifts.push(shifts[round])
    }
  }
  return {windows, shifts: windowShifts}
}

/** Busiest host's busiest bin at `scale`: max over hosts and bins of the busier direction's Σ min(cap, scale·rate) / line rate. */
export function peakUtilisation(slices: readonly TraceSlice[], vmsPerHost: number, scale: number, capMbps: number): number {
  let peak = 0
  for (let first = 0; first < slices.length; first += vmsPerHost) {
    const onHost = slices.slice(first, first + vmsPerHost)
    const bins = onHost[0]?.rxMbps.length ?? 0
    for (let b = 0; b < bins; b++) {
      let rx = 0
      let tx = 0
      for (const slice of onHost) {
        rx += Math.min(capMbps, scale * slice.rxMbps[b])
        tx += Math.min(capMbps, scale * slice.txMbps[b])
      }
      peak = Math.max(peak, rx / SPEED_MBPS, tx / SPEED_MBPS)
    }
  }
  return peak
}

/** The scale (3 significant digits) at which peakUtilisation reaches `target`; refused when no scale can. */
export function scaleForPeak(slices: readonly TraceSlice[], vmsPerHost: number, target: number, capMbps: number): number {
  const reachable = peakUtilisation(slices, vmsPerHost, Number.MAX_VALUE, capMbps)
  if (reachable < target) {
    throw new UsageError(`target peak ${target}: unreachable; with a per-VM cap of ${capMbps} Mbit/s these VMs reach at most ${reachable.toFixed(3)} of a port`, 'raise --vm-cap, lower --target-peak, or pick another --seed or --trace-start')
  }
  let low = 0
  let high = 1
  while (peakUtilisation(slices, vmsPerHost, high, capMbps) < target) high *= 2
  for (let i = 0; i < 60; i++) {
    const middle = (low + high) / 2
    if (peakUtilisation(slices, vmsPerHost, middle, capMbps) < target) low = middle
    else high = middle
  }
  return Number(high.toPrecision(3))
}

/** A kind for the policy's defaults (I/O wait, request size), from the VM's scaled means (docs/traces.md). */
export function traceKind(rxMbps: number, txMbps: number, cpuCores: number, vcpus: number): VmKind {
  if (rxMbps + txMbps < 1) return 'idle'
  if (cpuCores >= 0.5 * vcpus) return 'cpu'
  if (Math.max(rxMbps, txMbps) >= 5 * Math.min(rxMbps, txMbps)) return 'bulk'
  return 'web'
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length)
const sig4 = (value: number) => Number(value.toPrecision(4))
const roundUp = (value: number, step: number) => Math.ceil(value / step) * step

/** The cluster at time 0 from the slices planTraceWindows asked for, in the same order. */
export function buildTraceCluster(index: TraceIndex, slices: readonly TraceSlice[], shifts: readonly number[], seed: number, options: TraceScenarioOptions): SimCluster {
  const scale = options.scale ?? scaleForPeak(slices, options.vmsPerHost, options.targetPeak ?? TRACE_DEFAULTS.targetPeak, options.vmCapMbps)
  const physics = {...SIM_CONSTANTS}
  const vms: SimVm[] = slices.map((slice, index) => {
    const rxMbps = slice.rxMbps.map((value) => sig4(value * scale))
    const txMbps = slice.txMbps.map((value) => sig4(value * scale))
    const cpuCores = slice.cpuCores.map((value) => Math.min(slice.vcpus, value))
    const kind = traceKind(mean(rxMbps), mean(txMbps), mean(cpuCores), slice.vcpus)
    const demand: DemandProfile = {
      rxMbps: sig4(mean(rxMbps)),
      txMbps: sig4(mean(txMbps)),
      cpuCores: sig4(mean(cpuCores)),
      ioWait: KIND_DEFAULTS[kind].ioWait,
      jitter: 0,
      wave: {amplitude: 0, periodS: 0, phaseS: 0},
      surges: [],
      requestKiB: KIND_DEFAULTS[kind].requestKiB,
      trace: {stepS: TRACE_BIN_S, rxMbps, txMbps, cpuCores, burst: {...options.burst}, capMbps: options.vmCapMbps},
    }
    const shift = shifts[index] ?? 0
    const name = shift === 0 ? slice.vmId : `${slice.vmId}${shift > 0 ? '+' : ''}${shift}d`
    const host = `host${Math.floor(index / options.vmsPerHost) + 1}`
    return {name, index, kind, host, vcpus: Math.min(1024, slice.vcpus), memoryMiB: slice.memoryMiB, path: 'pv', vf: null, demand, counters: emptyCounters()}
  })
  // Uniform hosts sized to what they run: memory for the fullest host plus its largest VM (so a
  // migration can land), CPUs at 2:1 vCPU overcommit; never below the built-in scenarios' hosts.
  const perHost = (value: (vm: SimVm) => number) =>
    Array.from({length: options.hosts}, (_, h) => vms.slice(h * options.vmsPerHost, (h + 1) * options.vmsPerHost).reduce((sum, vm) => sum + value(vm), 0))
  const largestVm = Math.max(0, ...vms.map((vm) => vm.memoryMiB))
  const memoryMiB = Math.max(131_072, roundUp(Math.max(...perHost((vm) => vm.memoryMiB)) + largestVm + physics.hostReserveMiB, 65_536))
  const cpus = Math.max(32, roundUp(Math.max(...perHost((vm) => vm.vcpus)) / 2, 8))
  const hosts: SimHost[] = Array.from({length: options.hosts}, (_, h) => ({
    name: `host${h + 1}`,
    device: 'p5p1',
    speedMbps: SPEED_MBPS,
    cpus,
    memoryMiB,
    vfPool: Array.from({length: options.vfsPerHost}, (_, fn) => pciAddress(h, fn)),
    backendCores: physics.backendCores,
    reachable: true,
    port: {rxBytes: 0, txBytes: 0},
  }))
  // VFs were handed out at boot to the first VMs of each host; the policies then move them.
  for (const [h, host] of hosts.entries()) {
    for (const [fn, vm] of vms.slice(h * options.vmsPerHost, h * options.vmsPerHost + options.vfsPerHost).entries()) {
      vm.vf = host.vfPool[fn]
      vm.path = 'vf'
    }
  }
  const cluster = newCluster(options.name, seed, hosts, vms, physics)
  const storedBins = slices.reduce((sum, slice) => sum + slice.rxMbps.length, 0)
  const traceSource: TraceSource = {
    dir: options.dir,
    format: index.format,
    startS: sliceBins(options).startBin * TRACE_BIN_S,
    durationS: sliceBins(options).bins * TRACE_BIN_S,
    scale,
    ...(options.scale === undefined ? {targetPeak: options.targetPeak ?? TRACE_DEFAULTS.targetPeak} : {}),
    peakUtilisation: Number(peakUtilisation(slices, options.vmsPerHost, scale, options.vmCapMbps).toFixed(4)),
    vmCapMbps: options.vmCapMbps,
    burst: {...options.burst},
    missingShare: Number((slices.reduce((sum, slice) => sum + slice.missingBins, 0) / Math.max(1, storedBins)).toFixed(4)),
  }
  return {...cluster, traceSource}
}
