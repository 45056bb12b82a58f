// Scenario files (`sova sim reset --scenario ./my.json`, docs/scenario-file.md): a cluster described
// in JSON, validated like a document (TypeBox shape, then cross checks), every refusal one line
// naming the file and the JSON path. Unknown keys are refused everywhere, so a typo cannot pass.
import {readFileSync} from 'node:fs'
import {basename} from 'node:path'
import {type Static, Type} from '@sinclair/typebox'
import {NAME_PATTERN, PCI_PATTERN, TAG_PATTERN} from '../../document/schema.js'
import {describeValue, schemaErrorLine} from '../../document/schema-errors.js'
import {InputError, UsageError} from '../../errors.js'
import {
  type DemandProfile,
  SIM_CONSTANTS,
  SIM_NIC_COUNTERS,
  type SimCluster,
  type SimHost,
  type SimPhysics,
  type SimVm,
  type VmKind,
  emptyCounters,
  newCluster,
  pciAddress,
} from './cluster.js'
import {isTraceScenarioFile, loadTraceScenario, traceRequestFromFile} from './trace-options.js'

/** The most VFs one port may have (ixgbe: 63). */
export const MAX_VFS_PER_PORT = 63

const NAME_EXPECTED = 'a name of letters, digits and . _ : @ + - (at most 64, not starting with -)'
const strict = {additionalProperties: false} as const
const name = (description: string) => Type.String({pattern: NAME_PATTERN, description, expected: NAME_EXPECTED})
const atLeast0 = (description: string) => Type.Number({minimum: 0, description, expected: 'a number >= 0'})
const above0 = (description: string) => Type.Number({exclusiveMinimum: 0, description, expected: 'a number > 0'})
const share = (description: string) => Type.Number({minimum: 0, maximum: 1, description, expected: 'a number from 0 to 1'})
const series = (description: string) => Type.Array(atLeast0(description), {minItems: 1, description, expected: 'a non-empty array of numbers >= 0'})

const KIND_NAMES = ['web', 'bulk', 'cpu', 'idle'] as const
const Kind = Type.Union(KIND_NAMES.map((kind) => Type.Literal(kind)), {expected: `one of ${KIND_NAMES.join(', ')}`})

const Physics = Type.Object(
  Object.fromEntries(Object.keys(SIM_CONSTANTS).map((key) => [key, Type.Optional(atLeast0(`override of SIM_CONSTANTS.${key}`))])),
  {...strict, description: 'overrides of the simulator\'s physics constants'},
)

const Host = Type.Object(
  {
    name: name('host name, unique'),
    device: Type.Optional(Type.String({minLength: 1, description: 'physical port device name', expected: 'a non-empty string'})),
    speedMbps: Type.Optional(above0('link speed, Mbit/s (default 10000)')),
    cpus: Type.Optional(Type.Integer({minimum: 1, description: 'host CPUs (default 32)', expected: 'a whole number >= 1'})),
    memoryMiB: Type.Optional(above0('host memory, MiB (default 131072)')),
    vfs: Type.Union(
      [
        Type.Integer({minimum: 0, maximum: MAX_VFS_PER_PORT}),
        Type.Array(Type.String({pattern: PCI_PATTERN, expected: 'a PCI address [DDDD:]BB:SS.F'})),
      ],
      {description: 'VF count or their PCI addresses', expected: `a whole number of VFs from 0 to ${MAX_VFS_PER_PORT}, or an array of PCI addresses [DDDD:]BB:SS.F`},
    ),
    backendCores: Type.Optional(atLeast0('cores of the PV backend (default physics.backendCores)')),
    nicCounters: Type.Optional(
      Type.Union(SIM_NIC_COUNTERS.map((basis) => Type.Literal(basis)), {
        description: 'the counters the NIC offers (default port-counters; pf+vfs: no port counters; pf-only: neither port nor VF counters, the VFs\' traffic unseen)',
        expected: `one of ${SIM_NIC_COUNTERS.join(', ')}`,
      }),
    ),
  },
  strict,
)

const Demand = Type.Object(
  {
    rxMbps: atLeast0('offered receive rate, Mbit/s'),
    txMbps: atLeast0('offered transmit rate, Mbit/s'),
    cpuCores: Type.Optional(atLeast0('CPU cores of work besides networking')),
    ioWait: Type.Optional(share('share of time waiting on the network when served at once')),
    requestKiB: Type.Optional(above0('request/response size, KiB')),
    jitter: Type.Optional(share('relative amplitude of per-second noise')),
    wave: Type.Optional(
      Type.Object(
        {amplitude: share('relative amplitude'), periodS: above0('period, s'), phaseS: Type.Optional(atLeast0('phase, s'))},
        strict,
      ),
    ),
    surges: Type.Optional(
      Type.Array(
        Type.Object(
          {startS: atLeast0('start, s'), rampS: atLeast0('ramp up and down, s'), holdS: atLeast0('held, s'), factor: atLeast0('demand multiplier while held')},
          strict,
        ),
      ),
    ),
    onOff: Type.Optional(
      Type.Object(
        {slotS: above0('slot length, s'), onShare: share('probability a slot is on'), factor: atLeast0('demand multiplier when on')},
        strict,
      ),
    ),
  },
  strict,
)

const Trace = Type.Object(
  {
    stepS: above0('seconds each value holds'),
    rxMbps: series('offered receive rates, Mbit/s'),
    txMbps: series('offered transmit rates, Mbit/s'),
    cpuCores: Type.Optional(series('CPU cores besides networking')),
    ioWait: Type.Optional(share('share of time waiting on the network when served at once')),
    requestKiB: Type.Optional(above0('request/response size, KiB')),
  },
  strict,
)

const Vm = Type.Object(
  {
    name: name('VM name, unique'),
    host: name('the host it boots on'),
    vcpus: Type.Integer({minimum: 1, maximum: 1024, expected: 'a whole number from 1 to 1024'}),
    memoryMiB: above0('memory, MiB'),
    kind: Type.Optional(Kind),
    vf: Type.Optional(Type.Boolean({description: 'holds a VF at boot'})),
    demand: Type.Optional(Demand),
    trace: Type.Optional(Trace),
    tags: Type.Optional(Type.Array(Type.String({pattern: TAG_PATTERN, expected: 'a tag of letters, digits and . _ : @ + - (at most 64)'}), {maxItems: 64, description: 'tags as a hypervisor\'s metadata would carry them (rules.groups[].match.tag selects by them)', expected: 'at most 64 tags'})),
  },
  strict,
)

export const ScenarioFile = Type.Object(
  {
    name: Type.Optional(name('scenario name (default: the file name without .json)')),
    description: Type.Optional(Type.String()),
    physics: Type.Optional(Physics),
    hosts: Type.Array(Host, {minItems: 1, expected: 'a non-empty array of hosts'}),
    vms: Type.Array(Vm, {expected: 'an array of VMs'}),
  },
  strict,
)
export type ScenarioFile = Static<typeof ScenarioFile>

/** Defaults of the built-in kinds, for what a file leaves out. */
export const KIND_DEFAULTS: Record<VmKind, {ioWait: number; requestKiB: number; cpuCores: (vcpus: number) => number}> = {
  web: {ioWait: 0.85, requestKiB: 32, cpuCores: () => 0.25},
  bulk: {ioWait: 0.35, requestKiB: 1024, cpuCores: () => 0.3},
  cpu: {ioWait: 0.05, requestKiB: 8, cpuCores: (vcpus) => 0.85 * vcpus},
  idle: {ioWait: 0.02, requestKiB: 0.5, cpuCores: () => 0.02},
}

function unknownKeyWords(path: string): string {
  if (/^physics\.[^.]+$/.test(path)) return `unknown physics constant (expected one of ${Object.keys(SIM_CONSTANTS).join(', ')})`
  return 'unknown key (see docs/scenario-file.md)'
}

/** What is wrong with a set of physics figures beyond each being a number >= 0, as `physics.NAME: message`. */
export function physicsProblem(physics: SimPhysics): string | undefined {
  if (physics.portEfficiency <= 0 || physics.portEfficiency > 1) return `physics.portEfficiency: expected a number > 0 and <= 1, got number ${physics.portEfficiency}`
  if (physics.maxQueueUtilisation >= 1) return `physics.maxQueueUtilisation: expected a number below 1, got number ${physics.maxQueueUtilisation}`
  if (physics.downtimeMinMs > physics.downtimeMaxMs) return `physics.downtimeMinMs: ${physics.downtimeMinMs} exceeds downtimeMaxMs ${physics.downtimeMaxMs}`
  if (physics.maxOverloadFactor < 1) return `physics.maxOverloadFactor: expected a number >= 1, got number ${physics.maxOverloadFactor}`
  return undefined
}

/** Checks the schema cannot express; returns the first problem as `path: message`. */
function crossCheck(file: ScenarioFile, physics: SimPhysics): string | undefined {
  const problem = physicsProblem(physics)
  if (problem) return problem
  const hosts = new Map<string, number>()
  for (const [h, host] of file.hosts.entries()) {
    const seen = hosts.get(host.name)
    if (seen !== undefined) return `hosts[${h}].name: host "${host.name}" appears twice (also hosts[${seen}])`
    hosts.set(host.name, h)
    if (Array.isArray(host.vfs)) {
      if (host.vfs.length > MAX_VFS_PER_PORT) return `hosts[${h}].vfs: ${host.vfs.length} VFs, a port has at most ${MAX_VFS_PER_PORT}`
      const pci = new Set<string>()
      for (const [i, vf] of host.vfs.entries()) {
        if (pci.has(vf.toLowerCase())) return `hosts[${h}].vfs[${i}]: VF ${vf} is listed twice`
        pci.add(vf.toLowerCase())
      }
    }
  }
  const vmNames = new Map<string, number>()
  const bootVfs = new Map<string, number>()
  const memory = new Map<string, number>()
  for (const [v, vm] of file.vms.entries()) {
    const where = `vms[${v}]`
    const seen = vmNames.get(vm.name)
    if (seen !== undefined) return `${where}.name: VM "${vm.name}" appears twice (also vms[${seen}])`
    vmNames.set(vm.name, v)
    const h = hosts.get(vm.host)
    if (h === undefined) return `${where}.host: unknown host "${vm.host}"; expected one of ${[...hosts.keys()].join(', ')}`
    const host = file.hosts[h]
    if ((vm.demand === undefined) === (vm.trace === undefined)) return `${where}: expected exactly one of "demand" or "trace"`
    if (vm.trace) {
      const n = vm.trace.rxMbps.length
      if (vm.trace.txMbps.length !== n) return `${where}.trace.txMbps: has ${vm.trace.txMbps.length} values, rxMbps has ${n}`
      if (vm.trace.cpuCores && vm.trace.cpuCores.length !== n) return `${where}.trace.cpuCores: has ${vm.trace.cpuCores.length} values, rxMbps has ${n}`
    }
    if (vm.vf) {
      const used = (bootVfs.get(vm.host) ?? 0) + 1
      const total = Array.isArray(host.vfs) ? host.vfs.length : host.vfs
      if (used > total) return `${where}.vf: host "${vm.host}" has ${total} VF${total === 1 ? '' : 's'}, fewer than the VMs holding one at boot`
      bootVfs.set(vm.host, used)
    }
    const needed = (memory.get(vm.host) ?? 0) + vm.memoryMiB
    const room = (host.memoryMiB ?? 131_072) - physics.hostReserveMiB
    if (needed > room) {
      return `${where}.memoryMiB: the VMs on "${vm.host}" need ${needed} MiB, more than its ${room} MiB (memory less the ${physics.hostReserveMiB} MiB host reserve)`
    }
    memory.set(vm.host, needed)
  }
  return undefined
}

/** Turns a valid file into a cluster at time 0. */
function toCluster(file: ScenarioFile, scenario: string, seed: number, physics: SimPhysics): SimCluster {
  const hosts: SimHost[] = file.hosts.map((host, h) => ({
    name: host.name,
    device: host.device ?? 'p5p1',
    speedMbps: host.speedMbps ?? 10_000,
    cpus: host.cpus ?? 32,
    memoryMiB: host.memoryMiB ?? 131_072,
    vfPool: Array.isArray(host.vfs) ? host.vfs.slice() : Array.from({length: host.vfs}, (_, i) => pciAddress(h, i)),
    backendCores: host.backendCores ?? physics.backendCores,
    reachable: true,
    port: {rxBytes: 0, txBytes: 0},
    ...(host.nicCounters === undefined || host.nicCounters === 'port-counters' ? {} : {nicCounters: host.nicCounters}),
  }))
  const nextVf = new Map<string, number>()
  const vms: SimVm[] = file.vms.map((vm, index) => {
    const kind: VmKind = vm.kind ?? 'web'
    const defaults = KIND_DEFAULTS[kind]
    const d = vm.demand
    const t = vm.trace
    const demand: DemandProfile = {
      rxMbps: d?.rxMbps ?? 0,
      txMbps: d?.txMbps ?? 0,
      cpuCores: d?.cpuCores ?? defaults.cpuCores(vm.vcpus),
      ioWait: d?.ioWait ?? t?.ioWait ?? defaults.ioWait,
      jitter: d?.jitter ?? 0,
      wave: d?.wave ? {amplitude: d.wave.amplitude, periodS: d.wave.periodS, phaseS: d.wave.phaseS ?? 0} : {amplitude: 0, periodS: 0, phaseS: 0},
      surges: (d?.surges ?? []).map((surge) => ({...surge})),
      requestKiB: d?.requestKiB ?? t?.requestKiB ?? defaults.requestKiB,
    }
    if (d?.onOff) demand.onOff = {...d.onOff}
    if (t) demand.trace = {stepS: t.stepS, rxMbps: t.rxMbps.slice(), txMbps: t.txMbps.slice(), ...(t.cpuCores ? {cpuCores: t.cpuCores.slice()} : {})}
    let vf: string | null = null
    if (vm.vf) {
      const host = hosts.find((candidate) => candidate.name === vm.host) as SimHost
      const i = nextVf.get(host.name) ?? 0
      vf = host.vfPool[i]
      nextVf.set(host.name, i + 1)
    }
    return {name: vm.name, index, kind, host: vm.host, vcpus: vm.vcpus, memoryMiB: vm.memoryMiB, path: vf ? 'vf' : 'pv', vf, demand, counters: emptyCounters(), ...(vm.tags?.length ? {tags: [...new Set(vm.tags)]} : {})}
  })
  return newCluster(scenario, seed, hosts, vms, physics)
}

/**
 * Validates a parsed scenario file and builds its cluster. `where` (the path as given) prefixes
 * every message: `FILE: vms[3].demand.rxMbps: expected a number >= 0, got "x"` (InputError, exit 65).
 */
export function parseScenarioFile(value: unknown, where: string, seed: number): SimCluster {
  const fail = (detail: string): never => {
    throw new InputError(`${where}: ${detail}`, 'see docs/scenario-file.md for the format')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`expected a scenario (a JSON object), got ${describeValue(value)}`)
  const shape = schemaErrorLine(ScenarioFile, value, {annotateTypeErrors: true, unknownKey: unknownKeyWords})
  if (shape) fail(shape)
  const file = value as ScenarioFile
  const physics: SimPhysics = {...SIM_CONSTANTS, ...file.physics}
  const problem = crossCheck(file, physics)
  if (problem) fail(problem)
  const scenario = file.name ?? basename(where).replace(/\.json$/i, '')
  if (!new RegExp(NAME_PATTERN).test(scenario)) fail(`name: the file name "${scenario}" is not a valid scenario name; set "name" (${NAME_EXPECTED})`)
  return toCluster(file, scenario, seed, physics)
}

/**
 * Reads, validates and builds a scenario file, or a trace scenario file (one with "traces", trace-options.ts;
 * `durationHintS` is its slice's default length). Unreadable: UsageError (exit 2); invalid: InputError (exit 65).
 */
export function loadScenarioFile(path: string, seed: number, durationHintS?: number): SimCluster {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const {code, message} = error as NodeJS.ErrnoException
    throw new UsageError(`cannot read scenario file ${path}: ${code ?? message}`, 'give a readable JSON file, or a built-in name from sova sim scenarios')
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${(error as Error).message})`, 'see docs/scenario-file.md for the format')
  }
  if (isTraceScenarioFile(value)) return loadTraceScenario(traceRequestFromFile(value, path, basename(path).replace(/\.json$/i, ''), durationHintS), seed)
  return parseScenarioFile(value, path, seed)
}
