// `--physics NAME=VALUE`: any scenario, built-in or file, run on other physics than its own, e.g.
// to check that a policy does not depend on being told the simulator's constants (`sova evaluate
// --physics pvCapMbps=x0.5`). A value is a number, or `xFACTOR`: that multiple of the scenario's own.
import {UsageError} from '../../errors.js'
import {SIM_CONSTANTS, type SimCluster, type SimPhysics} from './cluster.js'
import {physicsProblem} from './scenario-file.js'

export interface PhysicsOverride {
  name: keyof SimPhysics
  /** The new value, or with `relative` the factor applied to the scenario's own. */
  value: number
  relative: boolean
}

const NUMBER = /^[+]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i

/** Parses `--physics` values (each NAME=VALUE or NAME=xFACTOR, or several of them comma-separated); a bad one is a usage error naming it. */
export function parsePhysicsOverrides(values: readonly string[]): PhysicsOverride[] {
  const overrides: PhysicsOverride[] = []
  const names = Object.keys(SIM_CONSTANTS)
  for (const item of values.flatMap((value) => value.split(','))) {
    const [name, value, ...rest] = item.trim().split('=')
    if (value === undefined || rest.length > 0 || name === '') throw new UsageError(`--physics: expected NAME=VALUE or NAME=xFACTOR, got "${item}"`)
    if (!names.includes(name)) throw new UsageError(`--physics: unknown physics constant "${name}" (expected one of ${names.join(', ')})`)
    const relative = value.startsWith('x')
    const number = relative ? value.slice(1) : value
    if (!NUMBER.test(number) || !Number.isFinite(Number(number))) {
      throw new UsageError(`--physics ${name}: expected a number >= 0 or xFACTOR (e.g. x0.5), got "${value}"`)
    }
    if (overrides.some((override) => override.name === name)) throw new UsageError(`--physics: ${name} is given twice`)
    overrides.push({name: name as keyof SimPhysics, value: Number(number), relative})
  }
  return overrides
}

/** `cluster` on its physics with `overrides` applied; refused (usage error) when the result is not a physics the simulator can run. */
export function withPhysics(cluster: SimCluster, overrides: readonly PhysicsOverride[]): SimCluster {
  if (overrides.length === 0) return cluster
  const physics: SimPhysics = {...cluster.physics}
  for (const {name, value, relative} of overrides) physics[name] = relative ? physics[name] * value : value
  const problem = physicsProblem(physics)
  if (problem) throw new UsageError(`--physics: ${problem.replace(/^physics\./, '')}`)
  return {...cluster, physics}
}

/** The overrides as given, for a report: `pvCapMbps=x0.5, attachMs=3000`. */
export function formatPhysicsOverrides(overrides: readonly PhysicsOverride[]): string {
  return overrides.map(({name, value, relative}) => `${name}=${relative ? 'x' : ''}${value}`).join(', ')
}
