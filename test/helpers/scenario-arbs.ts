// Random simulated scenarios for property tests: built-in scenarios with random seeds, and small
// random scenario files (docs/scenario-file.md). Shared by the policy and the bound properties.
import fc from 'fast-check'
import type {SimCluster} from '../../src/lib/backends/sim/cluster.js'
import {parseScenarioFile} from '../../src/lib/backends/sim/scenario-file.js'
import {buildScenario} from '../../src/lib/backends/sim/scenarios.js'

/** fast-check's seed: fixed for a reproducible CI run; FC_SEED=N explores others. */
export const FC_SEED = process.env.FC_SEED === undefined ? 20_240_611 : Number(process.env.FC_SEED)

export const BUILT_IN = ['paper', 'steady', 'bursty', 'diurnal', 'flash-crowd', 'mixed', 'two-hotspots'] as const
/** The simulator's PV path capacity (9.4 Gbit/s / 3.8): demands above it need a VF. */
export const PV_CAP_MBPS = 9400 / 3.8

// --- scenarios -------------------------------------------------------------------------------

/** A scenario as the test sees it: how to build it, and how to name it in a failure. */
export interface ScenarioCase {
  label: string
  build: () => SimCluster
}

/** fast-check shows a case by its label. */
const scenarioCase = (label: string, build: () => SimCluster): ScenarioCase => ({label, build, [fc.toStringMethod]: () => label}) as ScenarioCase

export const builtInArb: fc.Arbitrary<ScenarioCase> = fc
  .record({name: fc.constantFrom(...BUILT_IN), seed: fc.integer({min: 0, max: 100_000})})
  .map(({name, seed}) => scenarioCase(`${name} seed ${seed}`, () => buildScenario(name, seed)))

const mbpsArb = fc.oneof(
  {weight: 3, arbitrary: fc.integer({min: 0, max: 900})},
  {weight: 1, arbitrary: fc.integer({min: Math.ceil(PV_CAP_MBPS) + 1, max: 6000})},
)

const demandArb = fc.record(
  {
    rxMbps: mbpsArb,
    txMbps: mbpsArb,
    jitter: fc.integer({min: 0, max: 30}).map((n) => n / 100),
    surges: fc.array(
      fc.record({
        startS: fc.integer({min: 0, max: 400}),
        rampS: fc.integer({min: 0, max: 30}),
        holdS: fc.integer({min: 20, max: 400}),
        factor: fc.constantFrom(0, 0.5, 2, 4, 8),
      }),
      {minLength: 1, maxLength: 2},
    ),
    onOff: fc.record({slotS: fc.constantFrom(10, 20, 30, 60), onShare: fc.constantFrom(0.2, 0.5, 0.8), factor: fc.constantFrom(2, 5)}),
  },
  {requiredKeys: ['rxMbps', 'txMbps']},
)

const vmArb = fc.record({
  vcpus: fc.integer({min: 1, max: 8}),
  memoryMiB: fc.constantFrom(1024, 2048, 4096, 8192),
  kind: fc.constantFrom('web', 'bulk', 'cpu', 'idle'),
  vf: fc.boolean(),
  demand: demandArb,
})

const hostArb = fc.record({vfs: fc.integer({min: 2, max: 6}), vms: fc.array(vmArb, {minLength: 3, maxLength: 10})})

/** A small scenario file (docs/scenario-file.md): 2–4 hosts, 2–6 VFs, 3–10 VMs each. */
const fileArb: fc.Arbitrary<Record<string, unknown>> = fc.array(hostArb, {minLength: 2, maxLength: 4}).map((hosts) => ({
  name: 'generated',
  hosts: hosts.map((host, h) => ({name: `host${h + 1}`, vfs: host.vfs})),
  vms: hosts.flatMap((host, h) => {
    let booted = 0
    return host.vms.map((vm, v) => {
      // No more VMs may hold a VF at boot than the host has.
      const vf = vm.vf && booted < host.vfs
      if (vf) booted++
      return {...vm, name: `h${h + 1}vm${v + 1}`, host: `host${h + 1}`, vf}
    })
  }),
}))

export const generatedArb: fc.Arbitrary<ScenarioCase> = fc
  .record({file: fileArb, seed: fc.integer({min: 0, max: 100_000})})
  .map(({file, seed}) =>
    scenarioCase(`generated file, seed ${seed}: ${JSON.stringify(file)}`, () => parseScenarioFile(structuredClone(file), 'generated.json', seed)),
  )

export const scenarioArb = fc.oneof(builtInArb, generatedArb)

