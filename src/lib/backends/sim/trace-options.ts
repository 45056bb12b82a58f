// The trace scenario's options as a user gives them (sova sim reset / evaluate flags, or a scenario
// file with a "traces" object), checked and turned into TraceScenarioOptions; then the one place that
// reads the trace directory and builds the cluster. Bad values: UsageError (2); a bad scenario file
// or trace file: InputError (65); nothing is written before the cluster is built.
import {dirname, isAbsolute, join} from 'node:path'
import {type Static, Type} from '@sinclair/typebox'
import {schemaErrorLine} from '../../document/schema-errors.js'
import {InputError, UsageError} from '../../errors.js'
import type {SimCluster} from './cluster.js'
import {DEFAULT_TRACE_BURST} from './trace-burst.js'
import {TRACE_BIN_S, indexTraceDir, readTraceWindows} from './trace-read.js'
import {TRACE_DEFAULTS, TRACE_LIMITS, type TraceScenarioOptions, type TraceSource, buildTraceCluster, planTraceWindows} from './trace-scenario.js'

/** The built-in name of the trace scenario. */
export const TRACE_SCENARIO = 'trace'
export const TRACE_SCENARIO_DESCRIPTION =
  'real per-VM traces (--traces DIR or SOVA_TRACES, e.g. Bitbrains GWA-T-12 Rnd): --hosts (8) × --vms-per-host (30) VMs drawn by the seed, scaled to --target-peak (0.8) of the busiest port; docs/traces.md'

/** The trace options of the command line, before defaults (durations in seconds). */
export interface TraceFlagValues {
  traces?: string
  traceStart?: string
  traceDuration?: string
  traceScale?: number
  targetPeak?: number
  vmCap?: number
  burstSigma?: number
}

/** A trace time: an offset from the trace's first bin ("7d9h", "90m", "3600") or an instant with its zone (ISO 8601). */
export type TraceTime = {offsetS: number} | {atS: number}

/** Reads "2d9h30m", "45m", "3600" (seconds), or "2013-07-08T09:00+02:00"; `what` names it in the message. */
export function parseTraceTime(text: string, what: string): TraceTime {
  const value = text.trim()
  const offset = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$/.exec(value)
  if (value !== '' && offset) {
    const [d, h, m, s] = offset.slice(1).map((part) => Number(part ?? 0))
    return {offsetS: d * 86_400 + h * 3600 + m * 60 + s}
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:?\d{2})$/.test(value) && Number.isFinite(Date.parse(value))) return {atS: Date.parse(value) / 1000}
  throw new UsageError(`${what}: expected an offset such as 7d9h or 90m, or a time with its zone such as 2013-07-08T09:00+02:00, got "${text}"`)
}

/** A duration as an offset ("2h", "1d", "90m", "3600"); an instant is refused. */
function durationOf(text: string, what: string): number {
  const time = /T/.test(text) ? undefined : parseTraceTime(text, what)
  if (!time || !('offsetS' in time) || time.offsetS <= 0) throw new UsageError(`${what}: expected a duration above 0 such as 30m, 2h or 1d, got "${text}"`)
  return time.offsetS
}

function checkRange(what: string, value: number | undefined, low: number, high: number, whole = false): void {
  if (value === undefined) return
  if (!Number.isFinite(value) || value < low || value > high || (whole && !Number.isSafeInteger(value))) {
    throw new UsageError(`${what}: expected ${whole ? 'a whole number' : 'a number'} from ${low} to ${high}, got ${value}`)
  }
}

/** What load needs besides the seed: options with the start still unresolved (it may be an instant). */
export interface TraceRequest {
  options: Omit<TraceScenarioOptions, 'startS'>
  start: TraceTime
}

/** Checks option values and fills the documented defaults. */
function requestOf(name: string, dir: string | undefined, given: {hosts?: number; vmsPerHost?: number; start?: TraceTime; durationS?: number; scale?: number; targetPeak?: number; vmCapMbps?: number; burstSigma?: number; burstSlotS?: number; vfsPerHost?: number}, where: (key: string) => string): TraceRequest {
  if (!dir) throw new UsageError('the trace scenario needs a trace directory: --traces DIR or SOVA_TRACES', 'e.g. --traces ../shared/traces/bitbrains-rnd, or the unzipped rnd/ of GWA-T-12; see docs/traces.md')
  checkRange(where('hosts'), given.hosts, TRACE_LIMITS.hosts[0], TRACE_LIMITS.hosts[1], true)
  checkRange(where('vmsPerHost'), given.vmsPerHost, TRACE_LIMITS.vmsPerHost[0], TRACE_LIMITS.vmsPerHost[1], true)
  checkRange(where('duration'), given.durationS, 1, 366 * 86_400)
  checkRange(where('scale'), given.scale, 0, 1e9)
  checkRange(where('targetPeak'), given.targetPeak, 0.001, 10)
  checkRange(where('vmCapMbps'), given.vmCapMbps, 1, 1e6)
  checkRange(where('burstSigma'), given.burstSigma, 0, 3)
  checkRange(where('burstSlotS'), given.burstSlotS, 1, TRACE_BIN_S, true)
  checkRange(where('vfsPerHost'), given.vfsPerHost, 0, 63, true)
  if (given.scale !== undefined && given.targetPeak !== undefined) throw new UsageError(`${where('scale')} and ${where('targetPeak')}: give one, not both`)
  return {
    start: given.start ?? {offsetS: TRACE_DEFAULTS.startS},
    options: {
      name,
      dir,
      hosts: given.hosts ?? TRACE_DEFAULTS.hosts,
      vmsPerHost: given.vmsPerHost ?? TRACE_DEFAULTS.vmsPerHost,
      durationS: given.durationS ?? TRACE_DEFAULTS.durationS,
      ...(given.scale === undefined ? {targetPeak: given.targetPeak ?? TRACE_DEFAULTS.targetPeak} : {scale: given.scale}),
      vmCapMbps: given.vmCapMbps ?? TRACE_DEFAULTS.vmCapMbps,
      burst: {slotS: given.burstSlotS ?? DEFAULT_TRACE_BURST.slotS, sigma: given.burstSigma ?? DEFAULT_TRACE_BURST.sigma},
      vfsPerHost: given.vfsPerHost ?? TRACE_DEFAULTS.vfsPerHost,
    },
  }
}

/** The built-in `trace` scenario from flags; `durationHintS` (evaluate's --duration) when --trace-duration is absent. */
export function traceRequestFromFlags(flags: TraceFlagValues, sizes: {hosts?: number; vmsPerHost?: number}, durationHintS?: number): TraceRequest {
  const flag = (key: string) => `--${{vmsPerHost: 'vms-per-host', duration: 'trace-duration', scale: 'trace-scale', targetPeak: 'target-peak', vmCapMbps: 'vm-cap', burstSigma: 'burst-sigma'}[key] ?? key}`
  return requestOf(TRACE_SCENARIO, flags.traces, {
    ...sizes,
    start: flags.traceStart === undefined ? undefined : parseTraceTime(flags.traceStart, '--trace-start'),
    durationS: flags.traceDuration === undefined ? durationHintS : durationOf(flags.traceDuration, '--trace-duration'),
    scale: flags.traceScale,
    targetPeak: flags.targetPeak,
    vmCapMbps: flags.vmCap,
    burstSigma: flags.burstSigma,
  }, flag)
}

/** True when a trace option was given (they apply to the trace scenario only). */
export function hasTraceFlags(flags: TraceFlagValues | undefined): boolean {
  return flags !== undefined && Object.values(flags).some((value) => value !== undefined)
}

const positive = Type.Number({exclusiveMinimum: 0, expected: 'a number > 0'})
const whole = Type.Integer({minimum: 0, expected: 'a whole number >= 0'})
/** The "traces" object of a scenario file (docs/traces.md). */
export const TraceFileOptions = Type.Object(
  {
    dir: Type.String({minLength: 1, description: 'trace directory, relative to the scenario file', expected: 'a non-empty path'}),
    hosts: Type.Optional(whole),
    vmsPerHost: Type.Optional(whole),
    start: Type.Optional(Type.String({expected: 'an offset such as "7d9h" or an ISO time with its zone'})),
    durationS: Type.Optional(positive),
    scale: Type.Optional(Type.Number({minimum: 0, expected: 'a number >= 0'})),
    targetPeak: Type.Optional(positive),
    vmCapMbps: Type.Optional(positive),
    burst: Type.Optional(Type.Object({slotS: Type.Optional(whole), sigma: Type.Optional(Type.Number({minimum: 0, expected: 'a number >= 0'}))}, {additionalProperties: false})),
    vfsPerHost: Type.Optional(whole),
  },
  {additionalProperties: false},
)
const TraceFile = Type.Object(
  {name: Type.Optional(Type.String()), description: Type.Optional(Type.String()), traces: TraceFileOptions},
  {additionalProperties: false},
)

/** True when a parsed scenario file describes a trace scenario (it has a "traces" object). */
export function isTraceScenarioFile(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'traces' in value
}

/** A trace scenario file's request; `where` is its path (messages and the relative dir). */
export function traceRequestFromFile(value: unknown, where: string, name: string, durationHintS?: number): TraceRequest {
  const shape = schemaErrorLine(TraceFile, value, {annotateTypeErrors: true})
  if (shape) throw new InputError(`${where}: ${shape}`, 'see docs/traces.md for the trace scenario file')
  const file = value as Static<typeof TraceFile>
  const t = file.traces
  const dir = isAbsolute(t.dir) ? t.dir : join(dirname(where), t.dir)
  try {
    return requestOf(file.name ?? name, dir, {
      hosts: t.hosts, vmsPerHost: t.vmsPerHost, durationS: t.durationS ?? durationHintS, scale: t.scale, targetPeak: t.targetPeak,
      vmCapMbps: t.vmCapMbps, burstSigma: t.burst?.sigma, burstSlotS: t.burst?.slotS, vfsPerHost: t.vfsPerHost,
      start: t.start === undefined ? undefined : parseTraceTime(t.start, 'traces.start'),
    }, (key) => `traces.${key === 'duration' ? 'durationS' : key}`)
  } catch (error) {
    if (error instanceof UsageError) throw new InputError(`${where}: ${error.message}`, 'see docs/traces.md for the trace scenario file')
    throw error
  }
}

/** Reads the directory and builds the cluster (the only I/O of a trace scenario). */
export function loadTraceScenario(request: TraceRequest, seed: number): SimCluster {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`seed must be a whole number >= 0, got ${seed}`)
  const index = indexTraceDir(request.options.dir)
  const startS = 'offsetS' in request.start ? request.start.offsetS : request.start.atS - index.originS
  if (startS < 0) throw new UsageError(`trace start is ${-startS} s before the first sample of ${index.dir} (${new Date(index.originS * 1000).toISOString()})`)
  const options: TraceScenarioOptions = {...request.options, startS}
  const {windows, shifts} = planTraceWindows(index, seed, options)
  return buildTraceCluster(index, readTraceWindows(index, windows), shifts, seed, options)
}

/** How a trace cluster was made, as flat fields of `sova sim reset`'s summary. */
export function traceSummary(source: TraceSource): Record<string, string | number> {
  return {
    traces: source.dir,
    traceFormat: source.format,
    traceStartS: source.startS,
    traceDurationS: source.durationS,
    traceScale: source.scale,
    ...(source.targetPeak === undefined ? {} : {targetPeak: source.targetPeak}),
    peakUtilisation: source.peakUtilisation,
    vmCapMbps: source.vmCapMbps,
    burstSlotS: source.burst.slotS,
    burstSigma: source.burst.sigma,
    traceMissingShare: source.missingShare,
  }
}
