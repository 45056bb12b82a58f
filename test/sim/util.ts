// Helpers shared by the simulator tests: utilisation the way collect computes it, and a seeded pick.
import type {RawSnapshot} from '../../src/lib/backends/types.js'
import {hashUnit} from '../../src/lib/backends/sim/demand.js'
import {type SimCluster, findVm} from '../../src/lib/backends/sim/cluster.js'
import {simUuid} from '../../src/lib/backends/sim/model.js'
import type {VmRef} from '../../src/lib/backends/types.js'

/** How an action addresses the simulated VM `name`: its name and its stable identity. */
export function simRef(cluster: SimCluster, name: string): VmRef {
  const vm = findVm(cluster, name)
  if (!vm) throw new Error(`no VM ${name} in the simulated cluster`)
  return {name, uuid: simUuid(vm.index)}
}

/** Per-host port utilisation between two snapshots: 8·(Δrx+Δtx)/Δt/(speed·1e6), the seed measure. */
export function utilisation(before: RawSnapshot, after: RawSnapshot): Record<string, number> {
  const dt = (Date.parse(after.at) - Date.parse(before.at)) / 1000
  const out: Record<string, number> = {}
  for (const host of after.hosts) {
    const prev = before.hosts.find((h) => h.name === host.name)
    if (!prev) throw new Error(`host ${host.name} missing from the earlier snapshot`)
    const bytes = host.nic.rxBytes - prev.nic.rxBytes + host.nic.txBytes - prev.nic.txBytes
    out[host.name] = (8 * bytes) / dt / (host.nic.speedMbps * 1e6)
  }
  return out
}

/** Deterministic picks for randomised tests: pick(step, channel, list). */
export function picker(seed: number): <T>(step: number, channel: number, list: readonly T[]) => T {
  return (step, channel, list) => list[Math.floor(hashUnit(seed, step, channel) * list.length)]
}

/** Deep equality where numbers may differ by float rounding (relative 1e-12): for time sliced differently. */
export function assertClose(actual: unknown, expected: unknown, path = '$'): void {
  if (typeof actual === 'number' && typeof expected === 'number') {
    const scale = Math.max(1, Math.abs(actual), Math.abs(expected))
    if (Math.abs(actual - expected) > 1e-12 * scale) throw new Error(`${path}: ${actual} != ${expected}`)
    return
  }
  if (actual === null || expected === null || typeof actual !== 'object' || typeof expected !== 'object') {
    if (actual !== expected) throw new Error(`${path}: ${String(actual)} != ${String(expected)}`)
    return
  }
  const keys = new Set([...Object.keys(actual), ...Object.keys(expected)])
  for (const key of keys) {
    assertClose((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`)
  }
}
