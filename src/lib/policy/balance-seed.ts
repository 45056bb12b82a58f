// The seed's cluster level (ALGORITHM.md §2): one live migration per predicted-hot host, the
// most unusual VM to the least loaded other host. Faithful to the prototype, including its
// gaps (ALGORITHM.md §3): the target's headroom is not reserved, so two hot hosts may pick the
// same target in one cycle; the target's CPU, memory, free VFs and own forecast are ignored
// (a host predicted hot can be a target if its current sample is low); one sample decides.
// The operator's rules (rules.ts) are not the prototype's but hold here too: the victim is the
// VM with the largest factor among those that may move, the target the least loaded host that
// may receive it (not excluded, not in maintenance, no VM of its anti-affinity group there).
import type {Host, PlannedMigration, SovaDocument} from '../document/schema.js'
import {byName, formatFigure} from './format-figure.js'
import {migrationFactors} from './migration-factor.js'
import {ownValue} from '../named.js'
import {Residents, vfOnArrival} from './rule-checks.js'
import {arrivalBlocker, hostExcluded, migrationBlocker} from './rules.js'

/** Parameters of the seed balancer. */
export interface SeedBalanceParams {
  targetBelow: number
}

/** The prototype's value: a target must be below 60% port utilisation. */
export const SEED_BALANCE_DEFAULTS: Readonly<SeedBalanceParams> = Object.freeze({targetBelow: 0.6})

/** One sentence per parameter, for --help and the man page. */
export const SEED_BALANCE_PARAM_DOCS: Readonly<Record<keyof SeedBalanceParams, string>> = Object.freeze({
  targetBelow: 'A host receives a migrated VM only if its current port utilisation is below this value.',
})

/** Every problem with a parameter set at once, each saying what was expected and what came in. */
export function validateSeedBalanceParams(params: SeedBalanceParams): string[] {
  const {targetBelow} = params
  if (typeof targetBelow !== 'number' || !Number.isFinite(targetBelow) || targetBelow <= 0) {
    return [`targetBelow: expected a number > 0, got ${typeof targetBelow} ${String(targetBelow)}`]
  }
  return []
}

/** The seed's moves; `skipped` says why each hot host without a move got none. */
export interface SeedMigrationPlan {
  migrations: PlannedMigration[]
  skipped: string[]
  noop?: string
}


// The VM with the largest migration factor on the host among those the rules let go, ties by
// name (the factors are of all its VMs: a pinned VM's load still shapes them); `held` names the
// rules that kept back a VM with a larger factor.
function pickVictim(host: Host): {vm?: Host['vms'][number]; factor: number; held: string[]} {
  const factors = migrationFactors(host.vms.map((vm) => ({
    name: vm.name,
    netBps: vm.net.rxBps + vm.net.txBps,
    memoryMiB: vm.memoryMiB,
    cpuUsedRatio: vm.cpu.usedRatio,
  })))
  const ranked = [...host.vms].sort((a, b) => (factors.get(b.name) ?? 0) - (factors.get(a.name) ?? 0) || byName(a, b))
  const held: string[] = []
  for (const vm of ranked) {
    const blocker = migrationBlocker(vm, host)
    if (!blocker) return {vm, factor: factors.get(vm.name) ?? 0, held}
    held.push(blocker)
  }
  return {factor: 0, held}
}

// Hosts least utilised first (ties by name), sorted once per plan: a hot host takes the first that
// is not itself and that the rules let its victim arrive on, usually the first or second.
function byLoad(hosts: readonly Host[]): Host[] {
  return [...hosts].sort((a, b) => a.nic.utilisation - b.nic.utilisation || byName(a, b))
}

/**
 * Plans the seed's migrations: for each host the scores mark hot (document order), its VM with
 * the largest migration factor moves to the other host with the lowest utilisation, if that is
 * below `targetBelow`. The arriving VM is to get a free VF at once (seed rule 4).
 */
export function planSeedMigrations(
  doc: SovaDocument,
  cluster: SeedBalanceParams,
  of: (host: string) => {balance: SeedBalanceParams} = () => ({balance: cluster}),
): SeedMigrationPlan {
  const scores = doc.scores
  if (!scores) throw new Error('balance needs scores: run sova score first')
  const migrations: PlannedMigration[] = []
  const skipped: string[] = []
  let hotHosts = 0
  const ordered = byLoad(doc.hosts)
  const residents = new Residents(doc.hosts)
  for (const host of doc.hosts) {
    const score = ownValue(scores.hosts, host.name)
    if (!score?.hot) continue
    hotHosts++
    const excluded = hostExcluded(host)
    if (excluded) {
      skipped.push(`${host.name}: hotspot blocked: ${excluded}`)
      continue
    }
    if (host.vms.length === 0) {
      skipped.push(`${host.name} hot but has no VMs to move`)
      continue
    }
    const victim = pickVictim(host)
    if (!victim.vm) {
      skipped.push(`${host.name}: hotspot blocked: no VM may move (${victim.held.join('; ')})`)
      continue
    }
    const vm = victim.vm
    const refused: string[] = []
    const target = ordered.find((candidate) => {
      if (candidate.name === host.name) return false
      const blocker = arrivalBlocker(vm, candidate, residents.of(candidate.name))
      if (blocker) refused.push(blocker)
      return blocker === undefined
    })
    const more = refused.length > 3 ? `; and ${refused.length - 3} more hosts` : ''
    const ruledOut = refused.length > 0 ? ` (less loaded hosts refused: ${refused.slice(0, 3).join('; ')}${more})` : ''
    if (!target) {
      skipped.push(refused.length > 0 ? `${host.name}: hotspot blocked: no other host may receive ${vm.name}${ruledOut}` : `${host.name} hot but there is no other host to move to`)
      continue
    }
    // The target's own limit: a host of the configuration may keep more headroom than the rest.
    const params = of(target.name).balance
    const below = params.targetBelow.toFixed(2)
    const load = formatFigure(target.nic.utilisation, params.targetBelow)
    if (!(target.nic.utilisation < params.targetBelow)) {
      skipped.push(`${host.name} hot but no target below ${below} (lowest ${target.name} at ${load})${ruledOut}`)
      continue
    }
    residents.move(vm, host.name, target.name)
    const held = victim.held.length > 0 ? ` among the VMs that may move (${victim.held.join('; ')})` : ''
    migrations.push({
      vm: vm.name,
      from: host.name,
      to: target.name,
      migrationFactor: victim.factor,
      giveVfOnArrival: vfOnArrival(vm, target, target.vfs.free.length, true),
      reason:
        `${host.name} predicted hot (${score.reason}); ` +
        `victim ${vm.name} has the largest migration factor ${victim.factor.toFixed(2)}${held}; ` +
        `target ${target.name} has the lowest utilisation ${load} < ${below}${ruledOut}`,
    })
  }
  if (hotHosts === 0) return {migrations, skipped, noop: 'no host predicted hot'}
  if (migrations.length === 0) return {migrations, skipped, noop: skipped.join('; ')}
  return {migrations, skipped}
}
