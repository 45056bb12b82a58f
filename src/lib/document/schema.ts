// The Sova document, defined once: these TypeBox schemas are both the TypeScript types
// (through Static<>) and the runtime validator, and `sova schema` prints them as JSON Schema.
// Objects accept unknown properties (JSON Schema's default) so fields added by other tools
// or later stages pass through untouched.
import {FormatRegistry, type Static, type TSchema, Type} from '@sinclair/typebox'
import {FORMATS} from './formats.js'
import {
  formatLimit, MAX_CPUS, MAX_FIGURE, MAX_HOSTS, MAX_MEMORY_MIB, MAX_RATE_BPS, MAX_SPEED_MBPS, MAX_UTILISATION, MAX_VCPUS,
  MAX_VFS, MAX_VMS_PER_HOST, MAX_WINDOW, MIN_SPEED_MBPS,
} from './limits.js'

import {DOCUMENT_VERSION, NAME_EXPECTED, NAME_PATTERN, PCI_PATTERN, TAG_PATTERN} from './constants.js'

export {DOCUMENT_VERSION, NAME_EXPECTED, NAME_PATTERN, PCI_PATTERN, TAG_PATTERN}

// The string formats the schemas name, for TypeBox's interpreted checks (the precompiled document
// check reads formats.ts itself).
for (const [name, check] of Object.entries(FORMATS)) if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check)

// `expected` is our own annotation: the validator quotes it in error messages.
const ratio = (description: string) =>
  Type.Number({minimum: 0, maximum: 1, description, expected: 'a number from 0 to 1'})
// Every number has an upper limit (limits.ts): `limit` says what it stands for in the refusal.
const nonNegative = (description: string, maximum = MAX_FIGURE, limit = '') =>
  Type.Number({minimum: 0, maximum, description, expected: `a number from 0 to ${formatLimit(maximum)}${limit && ` (${limit})`}`})
const count = (description: string, maximum = MAX_FIGURE, limit = '') =>
  Type.Integer({minimum: 0, maximum, description, expected: `a whole number from 0 to ${formatLimit(maximum)}${limit && ` (${limit})`}`})
const figure = (description: string) =>
  Type.Number({minimum: -MAX_FIGURE, maximum: MAX_FIGURE, description, expected: `a number from ${formatLimit(-MAX_FIGURE)} to ${formatLimit(MAX_FIGURE)}`})
const rate = (description: string) => nonNegative(description, MAX_RATE_BPS, '10 Tbit/s')
const memory = (description: string) => nonNegative(description, MAX_MEMORY_MIB, '1 PiB')

const name = (description: string) =>
  Type.String({pattern: NAME_PATTERN, description, expected: NAME_EXPECTED})

const pci = (description: string) =>
  Type.String({pattern: PCI_PATTERN, description, expected: 'a PCI address [DDDD:]BB:SS.F'})

const oneOf = <T extends string>(values: readonly T[], description: string) =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    {description, expected: `one of ${values.join(', ')}`},
  )

export const NetPath = oneOf(['pv', 'vf'] as const, 'how the VM reaches the physical port now')

const tag = (description: string) => Type.String({pattern: TAG_PATTERN, description, expected: NAME_EXPECTED})

/** Where each rule in force came from (the configuration's key, a one-off command, drain), for reports. */
const RuleOrigins = Type.Object({
  migrate: Type.Optional(Type.String()),
  vf: Type.Optional(Type.String()),
  exclude: Type.Optional(Type.String()),
  antiAffinity: Type.Optional(Type.String()),
  maintenance: Type.Optional(Type.String()),
}, {description: 'for each rule in force, where it was said'})

/** The operator's rules in force for a VM; absent keys mean "Sova decides" (auto). */
export const VmRules = Type.Object({
  migrate: Type.Optional(oneOf(['never'] as const, 'never: pinned to its host (never migrated, also not by drain)')),
  vf: Type.Optional(oneOf(['always', 'never'] as const, 'always: keeps or gets a VF whenever one is free; never: never holds one')),
  exclude: Type.Optional(Type.Literal(true, {description: 'Sova neither moves it nor changes its path; its load still counts'})),
  groups: Type.Optional(Type.Array(name('a group the VM belongs to'))),
  antiAffinity: Type.Optional(Type.Array(name('an anti-affinity group: no two of its VMs on one host'))),
  by: RuleOrigins,
}, {description: 'rules the operator set for this VM (configuration, one-off commands, hypervisor metadata)'})

/** The operator's rules in force for a host. */
export const HostRules = Type.Object({
  maintenance: Type.Optional(Type.Literal(true, {description: 'no VM moves in and no VF is handed out here (drain, or the configuration)'})),
  exclude: Type.Optional(Type.Literal(true, {description: 'Sova neither moves VMs in or out nor changes VFs here; its load still counts'})),
  by: RuleOrigins,
}, {description: 'rules the operator set for this host'})

export const Vm = Type.Object({
  name: name('VM (domain) name, unique in the cluster'),
  id: Type.String({description: 'backend id (Xen domid, libvirt UUID, sim index)'}),
  uuid: Type.Optional(Type.String({description: 'the hypervisor\'s identity of the domain (libvirt UUID, Xen domain UUID, sim id): every action addresses the domain by it and checks it still bears this name'})),
  vcpus: count('virtual CPUs', MAX_VCPUS),
  memoryMiB: memory('memory assigned to the VM, MiB'),
  cpu: Type.Object({
    usedRatio: nonNegative('CPU time received / window length (may exceed 1 with several vCPUs)', MAX_VCPUS, 'one per vCPU'),
    blockedRatio: nonNegative('time blocked waiting for I/O / window length', MAX_VCPUS, 'one per vCPU'),
  }),
  net: Type.Object({
    rxBps: rate('bytes per second received'),
    txBps: rate('bytes per second sent'),
    activeRatio: ratio('share of the 1 s ticks of the window in which both rx and tx moved > 128 bytes'),
  }),
  path: NetPath,
  vf: Type.Optional(Type.Union([pci('the VF assigned to this VM'), Type.Null()], {expected: 'a PCI address [DDDD:]BB:SS.F or null'})),
  tags: Type.Optional(Type.Array(tag('a tag from the hypervisor\'s metadata of the domain'), {maxItems: 64})),
  rules: Type.Optional(VmRules),
})

/** The PV backend's CPU over the window: what sova's backend-capacity estimate divides PV traffic by (docs/path-capacity.md). */
export const HostBackend = Type.Object({
  busyCores: nonNegative('CPU the PV backend used over the window, in cores (CPU seconds / window length)', MAX_CPUS, 'one per host CPU'),
  cores: nonNegative('cores the PV backend may use', MAX_CPUS, 'one per host CPU'),
  includes: Type.Optional(Type.String({maxLength: 1000, description: 'what the CPU figure counts, in words (on Xen: all of Domain-0\'s work, not netback alone)'})),
}, {description: 'the PV backend\'s CPU (simulator: its backend; Xen: Domain-0); absent where the backend cannot report it (libvirt)'})

export const Host = Type.Object({
  name: name('host name, unique in the cluster'),
  nic: Type.Object({
    device: Type.String({description: 'physical function (PF) device name'}),
    speedMbps: Type.Number({
      minimum: MIN_SPEED_MBPS,
      maximum: MAX_SPEED_MBPS,
      description: 'link speed',
      expected: `a number from ${MIN_SPEED_MBPS} to ${formatLimit(MAX_SPEED_MBPS)} (1 Mbit/s to 10 Tbit/s)`,
    }),
    rxBps: rate('bytes per second received by the port'),
    txBps: rate('bytes per second sent by the port'),
    utilisation: nonNegative('8 * (rx + tx) / speed: the seed policy measure, can exceed 1 (full duplex)', MAX_UTILISATION, 'both directions at 10 Tbit/s on a 1 Mbit/s port'),
    basis: Type.Optional(
      Type.Union([Type.Literal('port-counters'), Type.Literal('pf+vfs'), Type.Literal('pf-only')], {
        description: 'what the rates count (docs/port-counters.md): the driver\'s whole-port counters, the PF plus its VFs, or the PF alone (VF traffic missing); absent on the simulator and with port.counters "vms"',
        expected: 'port-counters, pf+vfs or pf-only',
      }),
    ),
    basisWhy: Type.Optional(Type.String({maxLength: 1000, description: 'why the port is read on this basis: which counters, and if not the port\'s, why not'})),
  }),
  vfs: Type.Object({
    total: count('VFs this host may hand out', MAX_VFS),
    free: Type.Array(pci('a free VF'), {maxItems: MAX_VFS}),
  }),
  cpus: count('physical CPUs', MAX_CPUS),
  memoryMiB: Type.Object({total: memory('host memory'), free: memory('memory free for VMs')}),
  vms: Type.Array(Vm, {maxItems: MAX_VMS_PER_HOST, expected: `at most ${MAX_VMS_PER_HOST} VMs on a host`}),
  backend: Type.Optional(HostBackend),
  rules: Type.Optional(HostRules),
})

export const Source = Type.Object({
  backend: Type.String({description: 'backend that produced the sample: sim, xen, libvirt'}),
  cluster: Type.String({description: 'identity of the cluster: history is only shared between samples of one cluster'}),
  windowSeconds: Type.Number({exclusiveMinimum: 0, description: 'length of the window the rates cover', expected: 'a number > 0'}),
  scenario: Type.Optional(Type.String()),
  seed: Type.Optional(Type.Integer()),
  tick: Type.Optional(Type.Integer({description: 'simulated seconds since the scenario started'})),
})

export const Tier = oneOf(['list1', 'list2', 'list3'] as const, 'seed tier: list1 holds VFs')

export const VmMemory = Type.Object({
  recentMoves: count('migrations seen within the remembered window'),
  lastMoveAt: Type.Optional(Type.String({format: 'date-time', description: 'first sample that showed the VM on its current host'})),
  lastPathChangeAt: Type.Optional(Type.String({format: 'date-time', description: 'first sample that showed its current path (pv or vf)'})),
  vfRateMbps: Type.Optional(nonNegative('highest busier-direction rate seen while on a VF, Mbit/s: its demand, known')),
  sustainedMbps: Type.Optional(nonNegative('lowest busier-direction rate of its latest samples on this host, Mbit/s: load that lasts')),
  samplesOnHost: Type.Optional(count('samples the loop has seen the VM in on its current host')),
  secondsOnHost: Type.Optional(nonNegative('seconds from the first to the latest sample that showed it on its current host: a VF is taken from it only after the warm-up (sova)')),
  recentFailures: Type.Optional(count('actions on the VM that failed within the remembered window: they count for its backoff like moves')),
  lastFailureAt: Type.Optional(Type.String({format: 'date-time', description: 'when the last of them failed (cluster clock)'})),
  needForSeconds: Type.Optional(nonNegative('seconds its rate has been at or above what its PV path carries, from the first sample that showed it (sova); absent when it is not')),
  needEpisodeSeconds: Type.Optional(nonNegative('median length of its latest finished episodes of such need within the remembered samples, seconds (sova)')),
  floorMbps: Type.Optional(nonNegative('the busier-direction rate it falls back to between bursts, Mbit/s: the lowest it reached, rising towards a higher rate with a 2-minute time constant (sova); given while it bursts')),
  burstForSeconds: Type.Optional(nonNegative('seconds its current burst (a rate at least twice its floor) has lasted, from the first sample that showed it (sova); absent when it is not bursting')),
  burstEpisodeSeconds: Type.Optional(nonNegative('median length of its latest finished bursts within the remembered samples, seconds (sova)')),
}, {description: 'what the loop remembers of the VM from recent samples (cooldowns, hysteresis, demand)'})

export const VmScore = Type.Object({
  host: Type.String(),
  ioRatio: nonNegative(`blocked time / CPU time (blocked time alone when the VM got no CPU; at most ${formatLimit(MAX_FIGURE)})`),
  netScore: count('floor(bytes per 10 s / 1024 / 10000) + active seconds of 10'),
  tier: Type.Optional(Tier),
  rateMbps: Type.Optional(nonNegative('busier direction of the VM\'s traffic, Mbit/s')),
  demandMbps: Type.Optional(nonNegative('estimated demand in the busier direction, Mbit/s (sova)')),
  vfValueMbps: Type.Optional(nonNegative('what a VF is worth to this VM, Mbit/s-equivalent (sova)')),
  memory: Type.Optional(VmMemory),
  reason: Type.String(),
})

export const Predictor = oneOf(['burg', 'lsq'] as const, 'how the AR(p) forecast was fitted')

export const FigureSource = oneOf(['given', 'estimated', 'prior'] as const, 'given: a flag or the configuration; estimated: from the samples; prior: nothing observed yet, the safe default')

/** The PV path's cap and the PV backend's capacity sova decided this host with, and where each came from (sova). */
export const HostCapacity = Type.Object({
  pvCapMbps: nonNegative('PV path capacity per direction, Mbit/s'),
  pvCapFrom: FigureSource,
  pvCapWhy: Type.String({description: 'what the figure rests on, in one line'}),
  backendMbps: nonNegative('PV traffic (rx + tx, Mbit/s) the backend carries before its CPU saturates'),
  backendFrom: FigureSource,
  backendWhy: Type.String({description: 'what the figure rests on, in one line'}),
}, {description: 'the PV cap and backend capacity sova used for this host, given or estimated (docs/path-capacity.md)'})

export const HostScore = Type.Object({
  utilisation: nonNegative('port utilisation of this sample', MAX_UTILISATION),
  window: Type.Array(figure('a utilisation'), {maxItems: MAX_WINDOW, description: 'utilisation history the prediction used, oldest first, this sample last'}),
  forecast: Type.Union([figure('predicted next utilisation'), Type.Null()], {
    description: 'predicted next utilisation; null when not predicted',
    expected: `a number from ${formatLimit(-MAX_FIGURE)} to ${formatLimit(MAX_FIGURE)}, or null`,
  }),
  predictor: Predictor,
  lastShedAt: Type.Optional(Type.String({format: 'date-time', description: 'first sample that showed a VM of this host gone elsewhere (sova)'})),
  measure: Type.Optional(oneOf(['sum', 'peak'] as const, 'sum: (rx + tx) / line rate (seed); peak: busier direction / line rate (sova)')),
  threshold: Type.Optional(nonNegative('the hotspot threshold this host\'s samples and forecast were held against')),
  hotForSeconds: Type.Optional(nonNegative('seconds its samples have been at or above the threshold, from the first that was (sova, hot hosts)')),
  hotSpellSeconds: Type.Optional(nonNegative('median length of its latest finished spells at or above the threshold within the remembered samples, seconds (sova, hot hosts)')),
  watchedSeconds: Type.Optional(nonNegative('seconds from the first remembered sample of the host to this one, given when a sample showed it below the threshold (sova, hot hosts): a spell that began while the loop had watched it for less than watchBeforeMoveSeconds is too young to tell a burst from a lasting change; one that held from the first sample has none')),
  clusterBurstSeconds: Type.Optional(nonNegative('median length of the finished bursts of the cluster\'s VMs within the remembered samples, seconds (sova, hot hosts): what a burst of a VM never seen to end one is expected to last')),
  backendBusy: Type.Optional(Type.Object({
    forSeconds: nonNegative('seconds its PV traffic has been at or above saturatedShare of its backend capacity, from the first sample that was'),
    spellSeconds: Type.Optional(nonNegative('median length of its latest finished such spells within the remembered samples, seconds')),
    watchedSeconds: Type.Optional(nonNegative('seconds from the first remembered sample of the host to this one, given when a sample showed its backend below that share')),
  }, {description: 'given when the port is not hot but the PV backend (netback, vhost) is busy in 2 of the latest 3 samples (sova): its PV VMs are held back by the backend\'s CPU'})),
  hot: Type.Boolean(),
  reason: Type.String(),
  capacity: Type.Optional(HostCapacity),
})

export const Scores = Type.Object({
  policy: Type.String(),
  vms: Type.Record(Type.String(), VmScore),
  hosts: Type.Record(Type.String(), HostScore),
})

export const PlannedMigration = Type.Object({
  vm: name('VM to move'),
  from: name('source host'),
  to: name('target host'),
  migrationFactor: Type.Optional(nonNegative('how unusual the VM is on its host (seed victim measure)')),
  reliefMbps: Type.Optional(nonNegative('load the move takes off the source port\'s busier direction, Mbit/s (sova)')),
  copyMiB: Type.Optional(nonNegative('memory the live migration copies, MiB (sova)')),
  giveVfOnArrival: Type.Boolean({description: 'attach a free VF on the target after arrival'}),
  uuid: Type.Optional(Type.String({description: 'the domain the plan means (vms[].uuid): executed only while the VM of this name is still that domain'})),
  reason: Type.String(),
})

export const VfOp = oneOf(['attach', 'detach'] as const, 'VF hot-plug or unplug')

export const PlannedVfChange = Type.Object({
  host: name('host'),
  vm: name('VM'),
  op: VfOp,
  vf: pci('the VF'),
  uuid: Type.Optional(Type.String({description: 'the domain the plan means (vms[].uuid): executed only while the VM of this name is still that domain'})),
  reason: Type.String(),
})

export const Plan = Type.Object({
  policy: Type.String(),
  migrations: Type.Array(PlannedMigration),
  vf: Type.Array(PlannedVfChange),
  // "Nothing to do" always comes with its reason, per stage.
  noop: Type.Optional(Type.Object({
    migrations: Type.Optional(Type.String()),
    vf: Type.Optional(Type.String()),
  })),
  // Every alternative the policy weighed and did not take, with why.
  rejected: Type.Optional(Type.Object({
    migrations: Type.Optional(Type.Array(Type.String())),
    vf: Type.Optional(Type.Array(Type.String())),
  })),
})

export const ActionKind = oneOf(['detach-vf', 'migrate', 'attach-vf'] as const, 'what the action does')
export const ActionStatus = oneOf(
  ['done', 'failed', 'skipped', 'dry-run'] as const,
  'done; failed (and undone); skipped (precondition no longer true); dry-run (not executed)',
)

export const Action = Type.Object({
  kind: ActionKind,
  vm: name('VM'),
  uuid: Type.Optional(Type.String({description: 'the domain acted on (hypervisor UUID): the backend addressed it by this and checked it bore the name `vm`'})),
  host: name('host the action ran on (the source, for a migration)'),
  to: Type.Optional(name('target host of a migration')),
  vf: Type.Optional(pci('VF attached or detached')),
  status: ActionStatus,
  reason: Type.String({description: 'why the action was planned'}),
  error: Type.Optional(Type.String({description: 'why it failed or was skipped'})),
  note: Type.Optional(Type.String({description: 'what else is worth knowing, e.g. a tool that failed although the VM did arrive'})),
  journalId: Type.Optional(Type.Integer({description: 'row in the state store journal'})),
  durationMs: Type.Optional(nonNegative('time the action took (modelled time on the sim backend)')),
})

export const Missing = Type.Object({
  host: name('a host of the cluster this sample has no usable readings of'),
  reason: Type.String({description: 'why (it did not answer, its readings could not be used, no earlier readings to take rates from), how old its last sample is, and that nothing is decided about it'}),
  lastSampleAt: Type.Optional(Type.String({format: 'date-time', description: 'the last sample that had its readings'})),
})

export const Unmanaged = Type.Object({
  host: name('host the domain runs on'),
  // Not `name()`: this is the very name Sova refuses; it is only ever printed, never passed to a tool.
  name: Type.String({description: 'the domain\'s name as the hypervisor gives it'}),
  uuid: Type.Optional(Type.String({description: 'the hypervisor\'s identity of the domain'})),
  why: Type.String({description: 'why Sova does not manage it'}),
  vf: Type.Union([pci('the VF it holds: not free for others'), Type.Null()], {expected: 'a PCI address [DDDD:]BB:SS.F or null'}),
})

export const SovaDocument = Type.Object({
  sova: Type.Literal(DOCUMENT_VERSION, {description: 'document major version', expected: `version ${DOCUMENT_VERSION}`}),
  at: Type.String({format: 'date-time', description: 'sample time (simulated time on the sim backend)'}),
  source: Source,
  hosts: Type.Array(Host, {maxItems: MAX_HOSTS, expected: `at most ${MAX_HOSTS} hosts`}),
  missing: Type.Optional(Type.Array(Missing, {description: 'hosts left out of this sample and why: no decision is taken about them or their VMs'})),
  unmanaged: Type.Optional(Type.Array(Unmanaged, {description: 'domains on hosts that answered that Sova does not manage, and why: never acted on, their VFs and traffic still count'})),
  scores: Type.Optional(Scores),
  plan: Type.Optional(Plan),
  actions: Type.Optional(Type.Array(Action)),
}, {$id: 'https://sova.dev/schema/document-1.json', title: 'Sova cluster document, version 1'})

export type SovaDocument = Static<typeof SovaDocument>
export type Host = Static<typeof Host>
export type Missing = Static<typeof Missing>
export type Unmanaged = Static<typeof Unmanaged>
export type Vm = Static<typeof Vm>
export type VmRules = Static<typeof VmRules>
export type HostRules = Static<typeof HostRules>
export type NetPath = Static<typeof NetPath>
export type Source = Static<typeof Source>
export type Tier = Static<typeof Tier>
export type VmScore = Static<typeof VmScore>
export type VmMemory = Static<typeof VmMemory>
export type HostScore = Static<typeof HostScore>
export type HostCapacity = Static<typeof HostCapacity>
export type FigureSource = Static<typeof FigureSource>
export type HostBackend = Static<typeof HostBackend>
export type Scores = Static<typeof Scores>
export type Predictor = Static<typeof Predictor>
export type PlannedMigration = Static<typeof PlannedMigration>
export type PlannedVfChange = Static<typeof PlannedVfChange>
export type Plan = Static<typeof Plan>
export type Action = Static<typeof Action>
export type ActionKind = Static<typeof ActionKind>
export type ActionStatus = Static<typeof ActionStatus>

/** The JSON Schema of the document (TypeBox schemas are JSON Schema already). */
export function documentJsonSchema(): TSchema {
  return JSON.parse(JSON.stringify(SovaDocument)) as TSchema
}
