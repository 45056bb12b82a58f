// The one executor: every effect on the cluster goes through here. It re-reads live state before
// acting (a stale plan is skipped, not forced), journals each step before and after, and each unit
// of work undoes itself when it fails (no plan-wide rollback).
import type {Backend, RawSnapshot, StepResult, VfDevice} from '../backends/types.js'
import {letSignalsIn} from '../event-loop.js'
import type {Action, Host, PlannedMigration, PlannedVfChange} from '../document/schema.js'
import {placementOf} from './rates.js'
export {dryRunActions} from './dry-run.js'
import {expandMigration, firstFreeVf, locateVm, vfChangeStep, withUuid, type Step} from './plan-steps.js'
import {type ActionBounds, DEFAULT_ACTION_BOUNDS} from './action-bounds.js'
import {HostLocks, runByHost, runWithinCaps, type Stop} from './migration-slots.js'
import {isUnfinished, owedDetaches, planReconciliation} from './reconcile.js'
import type {Store} from '../store/store.js'
import type {RuleSet} from '../policy/rules.js'
import {migrationRefusal, vfChangeRefusal, vfOnArrivalAllowed} from './rule-gate.js'

/** What an Executor may be told beside its backend and store. */
export interface ExecutorOptions {
  /**
   * The operator's rules in force now, read before each action: an action they forbid (a pin set
   * after the plan was made, even during a long run) is skipped.
   */
  rules?: () => RuleSet
  /** How many actions run at once (the configuration's, config-bounds.ts); default DEFAULT_ACTION_BOUNDS. */
  bounds?: ActionBounds
}

export class Executor {
  constructor(
    private readonly backend: Backend,
    private readonly store: Store,
    private readonly runId: string,
    /** True once SIGINT/SIGTERM asked to stop: the actions under way finish, later ones do not start. */
    private readonly shouldStop: () => boolean = () => false,
    private readonly options: ExecutorOptions = {},
  ) {}

  private static readonly STOPPED = 'not started: a stop was requested (SIGINT/SIGTERM); the action under way finished'

  /**
   * A lock per host for what two moves must not interleave on it: reading a target's memory and
   * counting the moves already bound there, and choosing a free VF on arrival.
   */
  private readonly hostLocks = new HostLocks()
  /**
   * Memory (MiB) promised to moves under way into each host, by VM, and whether the move's call has
   * returned: counted against the host until the host shows the VM after the call returned.
   */
  private readonly arriving = new Map<string, Map<string, {memoryMiB: number; returned: boolean}>>()

  private get bounds(): ActionBounds {
    return this.options.bounds ?? DEFAULT_ACTION_BOUNDS
  }

  /** Whether to stop starting actions: after letting the event loop turn (a signal is seen even on a backend that never waits), or now. */
  private readonly stop: Stop = {
    poll: async () => {
      await letSignalsIn()
      return this.shouldStop()
    },
    asked: () => this.shouldStop(),
  }

  /**
   * Every planned migration, each as migrate() does it, as many at once as the bounds allow (per
   * host, in the whole cluster), started in plan order. Actions in plan order; after a stop, the
   * moves not started are journalled as such once those under way have finished.
   */
  async migrateAll(items: readonly PlannedMigration[]): Promise<Action[]> {
    const {migrationsPerHost, migrationsInCluster} = this.bounds
    const results = await runWithinCaps(items, {perHost: migrationsPerHost, total: migrationsInCluster}, (item) => this.migrateNow(item), this.stop)
    return items.flatMap((item, index) => results[index] ?? [this.notStarted(migrationStep(item))])
  }

  /**
   * Every planned VF change, each as switchVf() does it: one after another on a host, in plan order
   * (a detach that frees a VF comes before the attach that takes it), and as many hosts at once as
   * the bounds allow. Actions in plan order; after a stop, as migrateAll.
   */
  async switchVfAll(changes: readonly PlannedVfChange[]): Promise<Action[]> {
    const results = await runByHost(changes, (change) => change.host, this.bounds.vfHostsAtOnce, (change) => this.switchVfNow(change), this.stop)
    return changes.map((change, index) => results[index] ?? this.notStarted(vfChangeStep(change)))
  }

  /**
   * The hosts an action touches as their hypervisors' tools show them now: the checks before and
   * after acting must not read a sensing system that lags (Prometheus). A backend without
   * liveSnapshot reads itself whole, as it senses.
   */
  private live(hosts: string[]): Promise<RawSnapshot> {
    return this.backend.liveSnapshot ? this.backend.liveSnapshot(hosts) : this.backend.snapshot()
  }

  /** Detach VF, migrate, give a VF on arrival; a failed migration gives the VF back on the source. */
  async migrate(item: PlannedMigration): Promise<Action[]> {
    return (await this.stop.poll()) ? [this.notStarted(migrationStep(item))] : this.migrateNow(item)
  }

  private async migrateNow(item: PlannedMigration): Promise<Action[]> {
    const checked = await this.hostLocks.hold(item.to, async () => {
      const found = await this.checkMigration(item)
      // Bound to the target within the check's lock, until the move returns: every later check counts it.
      if ('hosts' in found) this.bindArrival(item, found.memoryMiB)
      return found
    })
    if ('stale' in checked) return [this.record(migrationStep(item), 'skipped', checked.stale)]
    try {
      return await this.migrateChecked(item, checked.hosts)
    } finally {
      // Under the target's lock: a check reading the target now sees the move's outcome or counts it, never neither.
      await this.hostLocks.hold(item.to, async () => this.unbindArrival(item))
    }
  }

  /** The live state a move starts from, or why it must not start. Run under the target's lock. */
  private async checkMigration(item: PlannedMigration): Promise<{hosts: Host[]; memoryMiB: number} | {stale: string}> {
    const live = await this.live([item.from, item.to])
    const hosts = placementOf(live)
    const stale = unanswered(live, [item.from, item.to]) ?? this.migrationPrecondition(item, hosts, live) ?? this.ruled(migrationRefusal, item, hosts)
    return stale ? {stale} : {hosts, memoryMiB: locateVm(hosts, item.vm)?.vm.memoryMiB ?? 0}
  }

  private bindArrival(item: PlannedMigration, memoryMiB: number): void {
    const bound = this.arriving.get(item.to) ?? new Map<string, {memoryMiB: number; returned: boolean}>()
    bound.set(item.vm, {memoryMiB, returned: false})
    this.arriving.set(item.to, bound)
  }

  private unbindArrival(item: PlannedMigration): void {
    const bound = this.arriving.get(item.to)
    bound?.delete(item.vm)
    if (bound?.size === 0) this.arriving.delete(item.to)
  }

  /**
   * Memory promised to moves under way into `host` that its live reading may not count yet: every
   * move whose call has not returned (an incoming domain can be listed before its memory is all
   * there), and those that returned while the reading does not show their VM.
   */
  private boundTo(host: Host): number {
    let total = 0
    for (const [vm, {memoryMiB, returned}] of this.arriving.get(host.name) ?? []) if (!returned || !host.vms.some((resident) => resident.name === vm)) total += memoryMiB
    return total
  }

  /** The steps of a move whose checks passed on `hosts`. */
  private async migrateChecked(item: PlannedMigration, hosts: Host[]): Promise<Action[]> {
    const rules = this.options.rules?.()
    const allowed = rules ? vfOnArrivalAllowed(rules, item, hosts) : item
    const steps = expandMigration(allowed, hosts)
    const actions: Action[] = []
    const detach = steps.find((step) => step.kind === 'detach-vf')
    const migrate = steps.find((step) => step.kind === 'migrate') as Step

    let detached: Action | undefined
    let taken: VfDevice | undefined
    if (detach) {
      ;({action: detached, device: taken} = await this.performWithDevice(detach))
      actions.push(detached)
      if (detached.status !== 'done') {
        actions.push(this.record(migrate, 'skipped', `VF ${detach.vf} could not be detached`))
        return actions
      }
    }
    let moved = await this.perform(migrate)
    const binding = this.arriving.get(item.to)?.get(item.vm)
    if (binding) binding.returned = true
    // The hypervisors decide, not the tool's exit code: confirm the VM runs on the target and is
    // gone from the source, and journal what is true when either end disagrees.
    const seen = await this.whereIs(item.vm, [item.from, item.to])
    if (moved.status !== 'done' && seen.hosts.length === 1 && seen.hosts[0] === item.to) moved = this.arrivedAnyway(moved)
    else if (moved.status === 'done') moved = await this.confirmArrival(moved, seen)
    actions.push(moved)
    if (moved.status !== 'done') {
      if (detach && detached) {
        const giveBack: Step = {...detach, kind: 'attach-vf', reason: `give VF back after failed migration to ${item.to}`}
        const undone = await this.perform(giveBack, taken)
        actions.push(undone)
        if (undone.status === 'done') this.markRolledBack(detached)
      }
      return actions
    }
    if (!allowed.giveVfOnArrival) return actions
    // Moves side by side could pick the same free VF: it is chosen on the target as it is now, one arrival at a time.
    const given = await this.hostLocks.hold(item.to, () => this.arriveWithFreeVf(migrate))
    if (typeof given !== 'string') actions.push(given)
    else {
      // Said, not left for the operator to find out: the plan wanted a VF on arrival and none was given.
      const note = `${given}: ${item.vm} runs on its para-virtual NIC until a VF is free`
      actions[actions.length - 1] = {...moved, note: moved.note ? `${moved.note}; ${note}` : note}
    }
    return actions
  }

  /** The arrival step on the target as it is now: a free VF attached, or why none was tried. */
  private async arriveWithFreeVf(migrate: Step): Promise<Action | string> {
    const to = migrate.to as string
    let target: Host | undefined
    try {
      target = placementOf(await this.live([to])).find((host) => host.name === to)
    } catch (error) {
      // The VM has moved: it runs on PV, said in its note, rather than failing the moves beside it.
      return `${to} could not be read on arrival (${(error as Error).message})`
    }
    const vf = target ? firstFreeVf(target) : undefined
    if (!vf) return target ? `${to} had no free VF on arrival` : `${to} gave no readings on arrival`
    return this.perform({kind: 'attach-vf', vm: migrate.vm, ...withUuid(migrate.uuid), host: to, vf, reason: `arrived from ${migrate.host}: gets a free VF`})
  }

  /** One VF hot-plug or unplug, if it still makes sense on the live cluster. */
  async switchVf(change: PlannedVfChange): Promise<Action> {
    return (await this.stop.poll()) ? this.notStarted(vfChangeStep(change)) : this.switchVfNow(change)
  }

  private async switchVfNow(change: PlannedVfChange): Promise<Action> {
    const step = vfChangeStep(change)
    const live = await this.live([change.host])
    const hosts = placementOf(live)
    const stale = unanswered(live, [change.host]) ?? this.vfPrecondition(change, hosts) ?? this.ruled(vfChangeRefusal, change, hosts)
    if (stale) return this.record(step, 'skipped', stale)
    // Act on the domain that bears the name now (checked above to be the one the plan meant).
    return this.perform({...step, ...withUuid(locateVm(hosts, change.vm)?.vm.uuid)})
  }

  /**
   * Settles what runs that died mid-action left unfinished (ARCHITECTURE.md §7), before anything
   * new is planned: each row is marked by what the backend shows, a VF detached for a migration that
   * never happened is given back. `isRunAlive` tells a dead run from a pipeline neighbour at work.
   * Returns one line per fix, for the log.
   */
  async reconcile(isRunAlive: (runId: string) => boolean): Promise<string[]> {
    const entries = this.store.journalOpen()
    // This run's own rows count too: between cycles nothing of it is under way, and a VF its
    // failed migration could not give back (the host was out) is still owed.
    const settleable = new Set([...new Set(entries.map((entry) => entry.runId))].filter((runId) => runId === this.runId || !isRunAlive(runId)))
    const rowsOf = (runId: string) => entries.filter((entry) => entry.runId === runId)
    const dead = new Set([...settleable].filter((runId) => rowsOf(runId).some(isUnfinished) || owedDetaches(rowsOf(runId)).length > 0))
    if (dead.size === 0) return []
    const live = await this.live([...new Set(entries.filter((entry) => dead.has(entry.runId)).flatMap((entry) => [entry.host, ...(entry.toHost ? [entry.toHost] : [])]))])
    const fixes = planReconciliation(entries, dead, placementOf(live), new Set(live.missing?.map((entry) => entry.host)))
    const said: string[] = []
    for (const fix of fixes) {
      if (fix.kind === 'wait') {
        said.push(`journal #${fix.id} left for later: ${fix.note}`)
        continue
      }
      if (fix.kind === 'settle') {
        this.store.journalUpdate(fix.id, fix.status, fix.note)
        said.push(`journal #${fix.id} ${fix.status}: ${fix.note}`)
        continue
      }
      const given = await this.perform(fix.step, fix.restore)
      if (given.status === 'done' && fix.undo !== undefined) this.store.journalUpdate(fix.undo, 'rolled-back', 'VF given back by reconciliation after the run died')
      said.push(`${fix.step.reason}: attach ${fix.step.vf} to ${fix.step.vm} on ${fix.step.host} ${given.status}${given.error ? ` (${given.error})` : ''}`)
    }
    return said
  }

  /** Journals an action that was refused before reaching the backend (e.g. no free VF). */
  refused(action: Action): Action {
    return this.record(action, 'failed', action.error ?? 'refused')
  }

  /**
   * Why a planned move must not start, checked on the live cluster before its first step (a plan
   * may be hand-edited or come from another tool): the VM is where the plan says and is the domain
   * it meant, the target is another host of the cluster, it answered, and it has the memory.
   */
  private migrationPrecondition(item: PlannedMigration, hosts: Host[], live: RawSnapshot): string | undefined {
    const where = locateVm(hosts, item.vm)
    if (!where) return `${item.vm} is no longer in the cluster`
    if (where.host.name !== item.from) return `${item.vm} is no longer on ${item.from} (now on ${where.host.name})`
    const renamed = anotherDomain(item.vm, item.uuid, where.vm.uuid)
    if (renamed) return renamed
    if (item.to === item.from) return `refused: the target ${item.to} is ${item.vm}'s own host`
    const target = hosts.find((host) => host.name === item.to)
    if (!target) {
      const missing = live.missing?.some((entry) => entry.host === item.to)
      if (missing) return undefined // said by unanswered(), with the host's reason
      return `refused: the target ${item.to} is not a host of the cluster (hosts: ${hosts.map((host) => host.name).join(', ')})`
    }
    const bound = this.boundTo(target)
    if (target.memoryMiB.free - bound < where.vm.memoryMiB) {
      const promised = bound > 0 ? ` (${Math.round(bound)} MiB of it promised to moves under way into it)` : ''
      return `refused: ${item.to} has ${Math.round(target.memoryMiB.free)} MiB free${promised}, ${item.vm} needs ${where.vm.memoryMiB} MiB`
    }
    return undefined
  }

  /** Why the rules in force now (if the executor was given them) forbid the item. */
  private ruled<T>(refusal: (rules: RuleSet, item: T, hosts: Host[]) => string | undefined, item: T, hosts: Host[]): string | undefined {
    const rules = this.options.rules?.()
    return rules ? refusal(rules, item, hosts) : undefined
  }

  private vfPrecondition(change: PlannedVfChange, hosts: Host[]): string | undefined {
    const where = locateVm(hosts, change.vm)
    if (!where) return `${change.vm} is no longer in the cluster`
    if (where.host.name !== change.host) return `${change.vm} is no longer on ${change.host} (now on ${where.host.name})`
    const renamed = anotherDomain(change.vm, change.uuid, where.vm.uuid)
    if (renamed) return renamed
    if (change.op === 'detach' && where.vm.vf !== change.vf) return `${change.vm} no longer holds VF ${change.vf}`
    if (change.op === 'attach') {
      if (where.vm.vf) return `${change.vm} already holds VF ${where.vm.vf}`
      if (!where.host.vfs.free.includes(change.vf)) return `VF ${change.vf} is no longer free on ${change.host}`
    }
    return undefined
  }

  /** The journal row of a step, written before anything happens to it. */
  private journalPlanned(step: Step): number {
    return this.store.journalPlanned({
      runId: this.runId, kind: step.kind, vm: step.vm, uuid: step.uuid, host: step.host, toHost: step.to, vf: step.vf, reason: step.reason,
    })
  }

  /** Runs one step through the backend, journalled before and after; `restore` gives a VF back as it was. */
  private async perform(step: Step, restore?: VfDevice): Promise<Action> {
    return (await this.performWithDevice(step, restore)).action
  }

  /** perform(), and on a done detach the device as it was (kept in the journal too). */
  private async performWithDevice(step: Step, restore?: VfDevice): Promise<{action: Action; device?: VfDevice}> {
    const journalId = this.journalPlanned(step)
    this.store.journalUpdate(journalId, 'started')
    let result: StepResult
    try {
      result = await this.call(step, restore)
    } catch (error) {
      result = {ok: false, durationMs: 0, error: (error as Error).message}
    }
    if (result.ok && result.device) this.store.journalDevice(journalId, JSON.stringify(result.device))
    this.store.journalUpdate(journalId, result.ok ? 'done' : 'failed', result.ok ? undefined : result.error)
    if (!result.ok) await this.dateFailure(journalId)
    const action: Action = {...step, status: result.ok ? 'done' : 'failed', journalId, durationMs: result.durationMs}
    if (!result.ok) action.error = result.error
    if (result.ok && result.vf && result.vf !== step.vf) {
      action.note = `asked for VF ${step.vf}; the host's pool gave ${result.vf}`
      action.vf = result.vf
    }
    return {action, device: result.ok ? result.device : undefined}
  }

  private async call(step: Step, restore?: VfDevice): Promise<StepResult> {
    // Every backend call addresses the domain by its identity, never by a name alone.
    if (step.uuid === undefined) return {ok: false, durationMs: 0, error: `refused: no hypervisor identity (UUID) of ${step.vm} is known`}
    const vm = {name: step.vm, uuid: step.uuid}
    switch (step.kind) {
      case 'attach-vf':
        return this.backend.attachVf(step.host, vm, step.vf as string, restore?.vf === step.vf ? restore : undefined)
      case 'detach-vf':
        return this.backend.detachVf(step.host, vm, step.vf as string)
      case 'migrate':
        return this.backend.migrate(vm, step.host, step.to as string)
    }
  }

  /**
   * Where a VM is now, by the backend's own account: the hosts that list it, those that did not
   * answer, or why nothing could be read. A migration
   * tool can fail after the VM has already moved (a timeout that killed the client, a lost ssh
   * session): what the hypervisors say decides, not the tool's exit code.
   */
  private async whereIs(vm: string, among: string[]): Promise<Whereabouts> {
    try {
      const live = await this.live(among)
      const hosts = placementOf(live)
      return {hosts: hosts.filter((host) => host.vms.some((candidate) => candidate.name === vm)).map((host) => host.name), missing: (live.missing ?? []).map((entry) => entry.host)}
    } catch (error) {
      return {hosts: [], missing: [], error: (error as Error).message}
    }
  }

  /**
   * The tool said the migration succeeded: done only when the VM runs on the target alone. A
   * guest that died on arrival, or one still (or also) on the source, is journalled as what it is.
   */
  private async confirmArrival(moved: Action, seen: Whereabouts): Promise<Action> {
    const {host: source, to: target, vm} = moved
    const onTarget = seen.hosts.includes(target as string)
    const onSource = seen.hosts.includes(source)
    if (onTarget && !onSource) return moved
    let error: string
    if (seen.error) error = `the tool reported success, but where ${vm} runs could not be read afterwards (${seen.error})`
    else if (onTarget && onSource) error = `the tool reported success, but ${vm} runs on both ${source} and ${target}`
    else if (onSource) error = `the tool reported success, but ${vm} still runs on ${source} and not on ${target}`
    else if (seen.missing.includes(target as string)) error = `the tool reported success, but ${target} did not answer afterwards: ${vm}'s arrival is not confirmed`
    else error = `the tool reported success, but ${vm} runs on no host that answered: it did not survive the move`
    if (moved.journalId !== undefined) {
      this.store.journalUpdate(moved.journalId, 'failed', error)
      await this.dateFailure(moved.journalId)
    }
    return {...moved, status: 'failed', error}
  }

  /** The tool said the migration failed, but the VM is on the target: it is done, and journalled so. */
  private arrivedAnyway(moved: Action): Action {
    const note = `the tool reported a failure (${moved.error}), but ${moved.vm} is running on ${moved.to}`
    if (moved.journalId !== undefined) this.store.journalUpdate(moved.journalId, 'done', note)
    const {error: _ignored, ...rest} = moved
    return {...rest, status: 'done', note}
  }

  /** An action not started because a stop was asked for: journalled, with why. */
  private notStarted(step: Step): Action {
    return this.record(step, 'skipped', Executor.STOPPED)
  }

  /** A step decided against at execution time is journalled too, with why. */
  private record(step: Step, status: 'skipped' | 'failed', error: string): Action {
    const journalId = this.journalPlanned(step)
    this.store.journalUpdate(journalId, status, error)
    return {...step, status, error, journalId}
  }

  /** A failed action counts for its VM's backoff: dated on the cluster's clock (best effort: a clock that cannot be read dates nothing). */
  private async dateFailure(journalId: number): Promise<void> {
    try {
      const [cluster, now] = await Promise.all([this.backend.clusterName(), this.backend.now()])
      this.store.journalFailedAt(journalId, cluster, Date.parse(now))
    } catch {
      // The failure stays journalled; only its backoff is lost.
    }
  }

  private markRolledBack(action: Action): void {
    if (action.journalId !== undefined) this.store.journalUpdate(action.journalId, 'rolled-back', 'VF given back after the migration failed')
  }
}


/** A planned move as the one step it is journalled as when it does not start. */
function migrationStep(item: PlannedMigration): Step {
  return {kind: 'migrate', vm: item.vm, ...withUuid(item.uuid), host: item.from, to: item.to, reason: item.reason}
}

/** Where a VM runs now by the backend's account: the hosts that list it, and those that did not answer. */
interface Whereabouts {
  hosts: string[]
  missing: string[]
  /** The snapshot itself failed. */
  error?: string
}

/** Why a plan for `vm` must not run: the VM of that name is another domain than the one planned for. */
function anotherDomain(vm: string, planned: string | undefined, live: string | undefined): string | undefined {
  if (planned === undefined || planned === live) return undefined
  return `${vm} is no longer the domain the plan meant: UUID ${live ?? 'unknown'} now, ${planned} planned`
}

/** Why a step cannot start: one of the hosts it needs did not answer the snapshot just taken. */
function unanswered(live: RawSnapshot, hosts: string[]): string | undefined {
  const missing = live.missing?.find((entry) => hosts.includes(entry.host))
  return missing ? `not started: ${missing.host} gave no readings just before it (${missing.reason})` : undefined
}
