// The seed's cluster level (ALGORITHM.md §2): one live migration per predicted-hot host, the
// most unusual VM to the least loaded other host. Faithful to the prototype, including its
// gaps (ALGORITHM.md §3): the target's headroom is not reserved, so two hot hosts may pick the
// same target in one cycle; the target's CPU, memory, free VFs and own forecast are ignored
// (a host predicted hot can be a target if its current sample is low); one sample decides.
import type {Host, PlannedMigration, SovaDocument} from '../document/schema.js'
import {byName, formatFigure} from './format-figure.js'
import {migrationFactors} from './migration-factor.js'
import {ownValue} from '../named.js'

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


// The VM with the largest migration factor on the host, ties by name; undefined when no VMs.
function pickVictim(host: Host): {name: string; factor: number} | undefined {
  const factors = migrationFactors(host.vms.map((vm) => ({
    name: vm.name,
    netBps: vm.net.rxBps + vm.net.txBps,
    memoryMiB: vm.memoryMiB,
    cpuUsedRatio: vm.cpu.usedRatio,
  })))
  let best: {name: string; factor: number} | undefined
  for (const vm of [...host.vms].sort(byName)) {
    const factor = factors.get(vm.name) ?? 0
    if (!best || factor > best.factor) best = {name: vm.name, factor}
  }
  return best
}

// The two least utilised hosts of this sample (ties by name): the target of any hot host is the
// first of them that is not itself. Found once per plan, not once per hot host (10,000 hosts).
function leastLoadedTwo(hosts: readonly Host[]): Host[] {
  const lowest: Host[] = []
  const before = (a: Host, b: Host) => a.nic.utilisation < b.nic.utilisation || (a.nic.utilisation === b.nic.utilisation && byName(a, b) < 0)
  for (const host of hosts) {
    if (lowest.length < 2 || before(host, lowest[1])) {
      lowest.push(host)
      lowest.sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))
      lowest.length = Math.min(lowest.length, 2)
    }
  }
  return lowest
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
  const leastLoaded = leastLoadedTwo(doc.hosts)
  for (const host of doc.hosts) {
    const score = ownValue(scores.hosts, host.name)
    if (!score?.hot) continue
    hotHosts++
    const victim = pickVictim(host)
    if (!victim) {
      skipped.push(`${host.name} hot but has no VMs to move`)
      continue
    }
    const target = leastLoaded.find((candidate) => candidate.name !== host.name)
    if (!target) {
      skipped.push(`${host.name} hot but there is no other host to move to`)
      continue
    }
    // The target's own limit: a host of the configuration may keep more headroom than the rest.
    const params = of(target.name).balance
    const below = params.targetBelow.toFixed(2)
    const load = formatFigure(target.nic.utilisation, params.targetBelow)
    if (!(target.nic.utilisation < params.targetBelow)) {
      skipped.push(`${host.name} hot but no target below ${below} (lowest ${target.name} at ${load})`)
      continue
    }
    migrations.push({
      vm: victim.name,
      from: host.name,
      to: target.name,
      migrationFactor: victim.factor,
      giveVfOnArrival: true,
      reason:
        `${host.name} predicted hot (${score.reason}); ` +
        `victim ${victim.name} has the largest migration factor ${victim.factor.toFixed(2)}; ` +
        `target ${target.name} has the lowest utilisation ${load} < ${below}`,
    })
  }
  if (hotHosts === 0) return {migrations, skipped, noop: 'no host predicted hot'}
  if (migrations.length === 0) return {migrations, skipped, noop: skipped.join('; ')}
  return {migrations, skipped}
}
