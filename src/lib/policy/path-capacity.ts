// What sova takes a host's PV path cap and PV backend capacity to be: given (a flag or the
// configuration, used as known), else estimated from what the samples show, else a safe prior.
// Pure: the document and the remembered samples in, one figure and one line of why per host out.
// One pass over the remembered samples, with a few numbers per host and a handful per cluster:
// cheap at 10,000 hosts × 40 VMs (docs/path-capacity.md).
//
// PV cap (per direction). A PV path that saturates shows a shared ceiling: several PV samples (of
// different VMs, or of one VM over several samples) at the same top rate, and a VM at it that goes
// faster on a VF as soon as it gets one. The evidence is pooled across hosts: one hypervisor build
// has one PV path (netfront → netback → bridge), so a ceiling seen on one host holds on the
// others; a host whose PV path differs gets its own figure through the host's configuration
// (hosts[].policy.sova.pvCapMbps).
// Samples of a host whose port's busier direction or PV backend (by its measured CPU, or against a
// given capacity) was near saturation are left out: fair shares there look like a ceiling too.
//
// Backend capacity (rx + tx of PV traffic). Where the backend's CPU is reported (document
// host.backend: the simulator's backend, Xen's Domain-0), capacity ≈ PV traffic × cores / busy
// cores, summed over the window's samples in which the backend was busy enough to say something.
// Dom0's CPU counts more than netback, so on Xen the figure is low: the safe side (below). Without
// the figure: the level the host's PV traffic flattens at, if several samples show one, else the
// prior (or the most it was seen to carry, if more).
//
// Priors: which error is cheaper? A PV cap taken too low makes PV VMs that are not saturated look
// saturated: sova guesses them a higher demand, swaps VFs to them and back (each swap costs a
// hot-plug) and wants a VF for every move; taken too high, a VF is valued by its latency term
// alone, which still ranks VMs by their traffic, so VFs go to the busiest VMs as a static ranking
// would, and the first VM that goes faster on a VF than PV VMs ever go reveals the ceiling. So
// the PV cap's prior is high: the port's line rate. A backend capacity taken too high hides a
// saturated backend (PV VMs throttled by its CPU look like VMs that want little: the loss the
// audit measured on `mixed` with half the backend); taken too low, PV VMs are valued by their
// traffic, which again ranks them by traffic, at the price of a few more VF swaps. So the
// backend's prior is low: a quarter of the line rate.
import type {FigureSource, HostCapacity, HostScore, SovaDocument} from '../document/schema.js'
import type {HistoryEntry} from '../loop/history.js'
import {peakUtilisation, pvTrafficMbps, vmRateMbps} from '../loop/collect.js'
import {ownValue} from '../named.js'
import {formatMbps as mbps} from './format-figure.js'
import type {SovaParams} from './sova-params.js'

/** The estimator's own constants (docs/path-capacity.md). */
export const PATH_CAPACITY = Object.freeze({
  /** A ceiling needs at least this many samples at the top (of one VM or several): one sample is noise. */
  ceilingSamples: 3,
  /** Samples within this share below the top count as "at the top" (a capped VM's 10 s average dips below the cap when its demand does). */
  ceilingTolerance: 0.05,
  /** A PV ceiling counts only when some VM on a VF carried at least this multiple of it. */
  vfAbove: 1.1,
  /** A host-sample whose port (busier direction) or backend is at this share of capacity is left out of the PV ceiling. */
  busyShare: 0.9,
  /** Backend CPU samples below this share of its cores (and below 0.1 core) say too little to divide by. */
  minBusyCoreShare: 0.1,
  /** A level of PV traffic below this share of line rate is no evidence of a backend ceiling. */
  minLevelShare: 0.05,
  /** The PV cap's prior, as a share of the host's line rate: high, the cheaper error. */
  pvCapPriorShare: 1,
  /** The backend capacity's prior (rx + tx), as a share of the host's line rate: low, the cheaper error. */
  backendPriorShare: 0.25,
})

/**
 * The PV cap a host was scored with; for scores that carry none (an older version's, another
 * tool's), the given figure, else the prior.
 */
export function scoredPvCapMbps(score: HostScore | undefined, params: Pick<SovaParams, 'pvCapMbps'>, lineRateMbps: number): number {
  return score?.capacity?.pvCapMbps ?? params.pvCapMbps ?? PATH_CAPACITY.pvCapPriorShare * lineRateMbps
}

type SampleTuple = NonNullable<HistoryEntry['knowledge']>['vms'][number]
const K = PATH_CAPACITY.ceilingSamples

/** Inserts `value` into `top` (descending, length K, starting at -1): the K largest seen. Returns the slot, or -1. */
function insertTop(top: Float64Array, offset: number, value: number): number {
  if (value <= top[offset + K - 1]) return -1
  let i = offset + K - 1
  while (i > offset && top[i - 1] < value) {
    top[i] = top[i - 1]
    i--
  }
  top[i] = value
  return i - offset
}

/** Whether the K largest at `offset` all lie within the tolerance below the largest (and there are K of them). */
function levelsOff(top: Float64Array, offset: number): boolean {
  return top[offset + K - 1] >= 0 && top[offset + K - 1] >= (1 - PATH_CAPACITY.ceilingTolerance) * top[offset]
}

interface BackendEvidence {
  pvSum: number
  busySum: number
  samples: number
}

/**
 * Each host's PV cap and backend capacity, given or estimated, with why. `entries` are the
 * remembered samples, oldest first (the document's own may be among them: it is read from the
 * document instead); `paramsOf` gives a host's parameters (a given figure wins).
 */
export function estimatePathCapacities(
  doc: SovaDocument,
  entries: readonly HistoryEntry[],
  paramsOf: (host: string) => Pick<SovaParams, 'pvCapMbps' | 'backendCapacityMbps'>,
): Map<string, HostCapacity> {
  const at = Date.parse(doc.at)
  const past = entries.filter((entry) => entry.at < at && entry.knowledge)
  const hosts = doc.hosts
  const index = new Map(hosts.map((host, i) => [host.name, i]))

  // Backend: per host, the K largest PV traffic figures and the CPU evidence, over the window.
  const levels = new Float64Array(hosts.length * K).fill(-1)
  const evidence: BackendEvidence[] = hosts.map(() => ({pvSum: 0, busySum: 0, samples: 0}))
  const minBusy = hosts.map((host) => (host.backend ? Math.max(0.1, PATH_CAPACITY.minBusyCoreShare * host.backend.cores) : Number.POSITIVE_INFINITY))
  const observe = (h: number, pvMbps: number, busy: number | null | undefined) => {
    insertTop(levels, h * K, pvMbps)
    if (busy !== null && busy !== undefined && busy >= minBusy[h]) {
      const seen = evidence[h]
      seen.pvSum += pvMbps
      seen.busySum += busy
      seen.samples++
    }
  }
  const pvNow = hosts.map(pvTrafficMbps)

  // PV cap: the K largest PV rates cluster-wide (with their VMs), and the largest PV and VF rates of all.
  const top = new Float64Array(K).fill(-1)
  const topVm: string[] = new Array(K).fill('')
  let highestPv = 0
  let highestVf = 0
  // A host-sample at or near saturation of its port or backend: its PV VMs' fair shares look like a
  // ceiling. The backend counts as saturated by its measured CPU, or against a given capacity: a
  // capacity estimated from the level PV traffic flattens at would call every flat host saturated.
  const givenBackend = hosts.map((host) => paramsOf(host.name).backendCapacityMbps)
  const saturated = (peak: number | undefined, figures: readonly [number, number | null] | undefined, h: number | undefined) => {
    if ((peak ?? 0) >= PATH_CAPACITY.busyShare) return true
    if (h === undefined || !figures) return false
    const cores = hosts[h].backend?.cores
    const given = givenBackend[h]
    return (figures[1] !== null && cores !== undefined && figures[1] >= PATH_CAPACITY.busyShare * cores) || (given !== undefined && figures[0] >= PATH_CAPACITY.busyShare * given)
  }
  const onTop = (vm: string, rate: number) => {
    const slot = insertTop(top, 0, rate)
    for (let i = K - 1; i > slot; i--) topVm[i] = topVm[i - 1]
    topVm[slot] = vm
  }
  // Hosts a VM came to, left or changed path on since the previous sample: that sample's window
  // counts the VM's traffic on one path or host although part of it ran on the other, so its PV
  // traffic is no measure against the backend's CPU. Found by position (samples list VMs in one
  // order as a rule); a VM out of place is not compared.
  const changed = new Set<string>()
  // Every switch of a VM from PV to a VF between two consecutive samples: [its last rate on PV, its
  // first on the VF]. Few (a switch is an action), so kept in a list.
  const switches: Switch[] = []
  const compare = (before: SampleTuple | undefined, vm: string, host: string, path: string, rate: number) => {
    if (before === undefined || before[0] !== vm || (before[1] === host && before[2] === path)) return
    changed.add(host)
    changed.add(before[1])
    if (before[2] !== 'vf' && path === 'vf') switches.push({vm, pvMbps: before[3], vfMbps: rate})
  }
  let previous: readonly SampleTuple[] = []
  // Index loops, nothing allocated per VM: this runs for every VM of every remembered sample.
  for (const entry of past) {
    const knowledge = entry.knowledge as NonNullable<HistoryEntry['knowledge']>
    const tuples = knowledge.vms
    changed.clear()
    for (let i = 0; i < tuples.length; i++) {
      const tuple = tuples[i]
      compare(previous[i], tuple[0], tuple[1], tuple[2], tuple[3])
      const rate = tuple[3]
      if (tuple[2] === 'vf') {
        if (rate > highestVf) highestVf = rate
        continue
      }
      if (rate > highestPv) highestPv = rate
      if (rate <= top[K - 1]) continue
      const host = tuple[1]
      if (!saturated(ownValue(knowledge.peak, host), ownValue(knowledge.pv, host), index.get(host))) onTop(tuple[0], rate)
    }
    const pv = knowledge.pv
    if (pv) {
      for (let h = 0; h < hosts.length; h++) {
        const figures = ownValue(pv, hosts[h].name)
        if (figures && !changed.has(hosts[h].name)) observe(h, figures[0], figures[1])
      }
    }
    previous = tuples
  }
  changed.clear()
  let position = 0
  for (let h = 0; h < hosts.length; h++) {
    const host = hosts[h]
    const busy = saturated(peakUtilisation(host), [pvNow[h], host.backend?.busyCores ?? null], h)
    for (const vm of host.vms) {
      const rate = vmRateMbps(vm)
      compare(previous[position++], vm.name, host.name, vm.path, rate)
      if (vm.path === 'vf') {
        if (rate > highestVf) highestVf = rate
        continue
      }
      if (rate > highestPv) highestPv = rate
      if (rate > top[K - 1] && !busy) onTop(vm.name, rate)
    }
  }
  for (let h = 0; h < hosts.length; h++) if (!changed.has(hosts[h].name)) observe(h, pvNow[h], hosts[h].backend?.busyCores)
  const backend = hosts.map((host, h) => backendFigure(host.nic.speedMbps, host.backend, givenBackend[h], evidence[h], levels, h))
  const ceiling = pvCeiling(top, topVm, highestPv, highestVf, switches, (vm) => bestOnVf(vm, past, hosts))

  const capacities = new Map<string, HostCapacity>()
  for (let h = 0; h < hosts.length; h++) {
    const host = hosts[h]
    const given = paramsOf(host.name).pvCapMbps
    const pv: Figure =
      given !== undefined
        ? {value: given, from: 'given', why: 'given (--pv-cap or the configuration)'}
        : ceiling.value !== undefined
          ? {value: ceiling.value, from: 'estimated', why: ceiling.why}
          : {value: PATH_CAPACITY.pvCapPriorShare * host.nic.speedMbps, from: 'prior', why: `prior: the port's line rate (${ceiling.why})`}
    capacities.set(host.name, {pvCapMbps: pv.value, pvCapFrom: pv.from, pvCapWhy: pv.why, backendMbps: backend[h].backendMbps, backendFrom: backend[h].from, backendWhy: backend[h].why})
  }
  return capacities
}

interface Figure {
  value: number
  from: FigureSource
  why: string
}

/** A VM's switch from PV to a VF between two consecutive samples. */
interface Switch {
  vm: string
  /** Its rate in its last sample on PV, and in its first on the VF. */
  pvMbps: number
  vfMbps: number
}

/**
 * The most `vm` carried on a VF over the window, or undefined if never on one. Asked only of the
 * few VMs at the top of a candidate ceiling: a pass over the samples without a map of every VM.
 */
function bestOnVf(vm: string, past: readonly HistoryEntry[], hosts: SovaDocument['hosts']): number | undefined {
  let best: number | undefined
  for (const entry of past) {
    const tuples = (entry.knowledge as NonNullable<HistoryEntry['knowledge']>).vms
    for (let i = 0; i < tuples.length; i++) {
      const tuple = tuples[i]
      if (tuple[2] === 'vf' && tuple[0] === vm && (best === undefined || tuple[3] > best)) best = tuple[3]
    }
  }
  for (const host of hosts) {
    for (const one of host.vms) {
      const rate = vmRateMbps(one)
      if (one.path === 'vf' && one.name === vm && (best === undefined || rate > best)) best = rate
    }
  }
  return best
}

/** The pooled PV ceiling, or why there is none (for the prior's reason). */
function pvCeiling(
  top: Float64Array,
  topVm: readonly string[],
  highestPv: number,
  highestVf: number,
  switches: readonly Switch[],
  bestOnVfOf: (vm: string) => number | undefined,
): {value?: number; why: string} {
  const {vfAbove, ceilingTolerance} = PATH_CAPACITY
  const best = top[0]
  if (best <= 0) return {why: 'no PV traffic seen yet'}
  const seen = `highest PV rate seen ${mbps(highestPv)}`
  if (!levelsOff(top, 0)) return {why: `${seen}, no ${K} PV samples level off at a top`}
  if (highestPv > best * (1 + ceilingTolerance)) return {why: `${seen}, above the level of the others (a port or backend near saturation)`}
  if (highestVf < vfAbove * best) return {why: `${seen}, and no VF carried more than ${vfAbove} × that: it may be what the VMs want`}
  // A VM at the top that carried no more on a VF (down to the tolerance below) shows that the top
  // is its demand, not the path's; one that carried more was capped, and says nothing against it.
  for (const vm of new Set(topVm)) {
    const onVf = bestOnVfOf(vm)
    if (onVf !== undefined && onVf >= (1 - ceilingTolerance) * best && onVf <= best) {
      return {why: `${seen}, but ${vm} carried as much on a VF: the top is its demand`}
    }
  }
  // VMs that want the same (replicas behind one balancer) level off together too: only a VM that
  // left its PV path at the level and went faster on a VF at once (its next sample) shows that the
  // path held it back.
  const jump = switches.find((one) => one.pvMbps >= (1 - ceilingTolerance) * best && one.vfMbps >= vfAbove * one.pvMbps)
  if (!jump) return {why: `${seen}: ${K} PV samples level off there, but no VM at that level went ${vfAbove} × faster on a VF right after leaving its PV path (VMs that want the same level off together too)`}
  const vms = new Set(topVm).size
  return {
    value: best,
    why: `estimated: ${K} PV samples (${vms} VM${vms === 1 ? '' : 's'}) level off at ${mbps(best)}, and ${jump.vm} went from ${mbps(jump.pvMbps)} on PV to ${mbps(jump.vfMbps)} on a VF`,
  }
}

/** One host's backend capacity: given, from its CPU, from a level its PV traffic flattens at, else the prior. */
function backendFigure(
  lineRateMbps: number,
  cpu: SovaDocument['hosts'][number]['backend'],
  given: number | undefined,
  evidence: BackendEvidence,
  levels: Float64Array,
  h: number,
): {backendMbps: number; from: FigureSource; why: string} {
  if (given !== undefined) return {backendMbps: given, from: 'given', why: 'given (--backend-capacity or the configuration)'}
  if (cpu && cpu.cores > 0 && evidence.samples > 0 && evidence.busySum > 0) {
    const value = (evidence.pvSum * cpu.cores) / evidence.busySum
    const n = evidence.samples
    const counts = cpu.includes ? `; the CPU counts ${cpu.includes}` : ''
    return {
      backendMbps: value,
      from: 'estimated',
      why: `estimated from ${n} sample${n === 1 ? '' : 's'} of the backend's CPU: ${(evidence.busySum / n).toFixed(2)} of ${cpu.cores} cores busy for ${mbps(evidence.pvSum / n)} of PV traffic${counts}`,
    }
  }
  const top = levels[h * K]
  const prior = PATH_CAPACITY.backendPriorShare * lineRateMbps
  const noCpu = cpu ? 'its backend\'s CPU too idle to measure by' : 'no backend CPU figure'
  if (top >= PATH_CAPACITY.minLevelShare * lineRateMbps && levelsOff(levels, h * K)) {
    return {backendMbps: top, from: 'estimated', why: `estimated: its PV traffic levels off at ${mbps(top)} (${K} samples within ${PATH_CAPACITY.ceilingTolerance * 100}%; ${noCpu})`}
  }
  if (top > prior) return {backendMbps: top, from: 'estimated', why: `at least the ${mbps(top)} of PV traffic it carried (${noCpu}, no level seen)`}
  return {backendMbps: prior, from: 'prior', why: `prior: a quarter of the line rate (${noCpu}, no level seen)`}
}
