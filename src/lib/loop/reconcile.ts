// Reconciliation (ARCHITECTURE.md §7): a run that died mid-action (kill -9, a power cut) leaves
// journal rows `planned` or `started`. The next acting run settles each one against what the
// backend reports, before planning anything new: a step that did happen is marked done, one that
// did not is marked failed, and a VF detached for a migration that never happened is given back.
// Pure: the journal and the placement in, fixes out.
import type {VfDevice} from '../backends/types.js'
import type {Host} from '../document/schema.js'
import {firstFreeVf, locateVm, type Step, withUuid} from './plan-steps.js'
import type {JournalEntry, JournalStatus} from '../store/store.js'

export type ReconcileFix =
  /** Settle a row of the dead run: what the backend shows happened. */
  | {kind: 'settle'; id: number; status: Extract<JournalStatus, 'done' | 'failed'>; note: string}
  /**
   * Give a VF (back) to a VM the dead run left without one; `undo` is the detach row it reverses,
   * `restore` the device as that detach found it (when the same VF is given back).
   */
  | {kind: 'give-vf'; step: Step; undo?: number; restore?: VfDevice}
  /** Leave a row as it is: a host it concerns did not answer, so what happened cannot be seen yet. */
  | {kind: 'wait'; id: number; note: string}

const UNFINISHED = new Set<JournalStatus>(['planned', 'started'])

/** True for a row a run left behind unfinished. */
export function isUnfinished(entry: JournalEntry): boolean {
  return UNFINISHED.has(entry.status)
}

/**
 * The VF detaches of one run that are still owed back: done to migrate a VM whose migration did
 * not complete, with no VF attached to that VM by the run afterwards.
 */
export function owedDetaches(runEntries: readonly JournalEntry[], statusOf: (entry: JournalEntry) => JournalStatus = (entry) => entry.status): JournalEntry[] {
  return runEntries.filter((detach) => {
    if (detach.kind !== 'detach-vf' || statusOf(detach) !== 'done' || !/^detach before migrating/.test(detach.reason)) return false
    const later = runEntries.filter((entry) => entry.id > detach.id && entry.vm === detach.vm)
    const migrate = later.find((entry) => entry.kind === 'migrate')
    if (migrate && statusOf(migrate) === 'done') return false
    return !later.some((entry) => entry.kind === 'attach-vf' && statusOf(entry) === 'done')
  })
}

/** What the backend shows became of one unfinished step. */
function settle(entry: JournalEntry, hosts: Host[]): ReconcileFix {
  const where = locateVm(hosts, entry.vm)
  const at = where ? `${entry.vm} is on ${where.host.name}${where.vm.vf ? ` with VF ${where.vm.vf}` : ' without a VF'}` : `${entry.vm} is on no host`
  const happened =
    entry.kind === 'attach-vf'
      ? where?.host.name === entry.host && where.vm.vf === entry.vf
      : entry.kind === 'detach-vf'
        ? where !== undefined && where.vm.vf !== entry.vf
        : where?.host.name === entry.toHost
  return {kind: 'settle', id: entry.id, status: happened ? 'done' : 'failed', note: `reconciled after the run died: ${at}`}
}

/**
 * Why a row cannot be settled yet: a host it names is missing from the snapshot, or its VM is on
 * none of the hosts that answered while some did not (it may well be on one of them).
 */
function unseen(entry: JournalEntry, hosts: Host[], missing: ReadonlySet<string>): string | undefined {
  const host = [entry.host, entry.toHost].find((name): name is string => typeof name === 'string' && missing.has(name))
  if (host) return `${host} did not answer`
  if (missing.size > 0 && !locateVm(hosts, entry.vm)) return `${entry.vm} is on none of the hosts that answered, and ${[...missing].join(', ')} did not`
  return undefined
}

/**
 * The fixes for the runs in `deadRuns` (runs no longer at work, and the caller's own run between
 * cycles): their unfinished rows settled, and the VFs they still owe given (a give-back that
 * failed too, under an outage, is owed until it succeeds). `entries` is the journal (oldest
 * first), so a run's earlier steps are known; `hosts` is where everything is now, of the hosts
 * that answered; a row about a host in `missing` waits for a run that can see it.
 */
export function planReconciliation(entries: readonly JournalEntry[], deadRuns: ReadonlySet<string>, hosts: Host[], missing: ReadonlySet<string> = new Set()): ReconcileFix[] {
  const fixes: ReconcileFix[] = []
  const runs = new Map<string, JournalEntry[]>()
  for (const entry of entries) if (deadRuns.has(entry.runId)) runs.set(entry.runId, [...(runs.get(entry.runId) ?? []), entry])
  const taken = new Set<string>() // VFs this reconciliation gives, so two VMs never get the same one
  const free = (host: Host) => ({...host, vfs: {...host.vfs, free: host.vfs.free.filter((vf) => !taken.has(`${host.name}/${vf}`))}})
  for (const runEntries of runs.values()) {
    const settled = new Map<number, JournalStatus>()
    const waitingVms = new Set<string>()
    for (const entry of runEntries.filter(isUnfinished)) {
      const waiting = unseen(entry, hosts, missing)
      if (waiting) {
        fixes.push({kind: 'wait', id: entry.id, note: waiting})
        waitingVms.add(entry.vm)
        continue
      }
      const fix = settle(entry, hosts)
      fixes.push(fix)
      if (fix.kind === 'settle') settled.set(entry.id, fix.status)
    }
    const statusOf = (entry: JournalEntry) => settled.get(entry.id) ?? entry.status
    // A VF this run detached to migrate a VM that did not move goes back. One that moved gets
    // whatever the next cycle's VF plan gives it: a VF on arrival is the policy's choice, not a debt.
    for (const detach of owedDetaches(runEntries, statusOf)) {
      const where = locateVm(hosts, detach.vm)
      if (!where || where.vm.vf || where.host.name !== detach.host || waitingVms.has(detach.vm)) continue
      // Another domain took the name since: the VF is not its to have.
      if (detach.uuid !== null && detach.uuid !== undefined && where.vm.uuid !== undefined && where.vm.uuid !== detach.uuid) continue
      const host = free(where.host)
      const vf = host.vfs.free.includes(detach.vf ?? '') ? (detach.vf as string) : firstFreeVf(host)
      if (!vf) continue
      taken.add(`${host.name}/${vf}`)
      const reason = `give VF back: ${detach.vm}'s migration from ${detach.host} did not happen (the run that detached it died, or the give-back failed)`
      const restore = vf === detach.vf ? deviceOf(detach) : undefined
      const step: Step = {kind: 'attach-vf', vm: detach.vm, ...withUuid(where.vm.uuid), host: where.host.name, vf, reason}
      fixes.push({kind: 'give-vf', step, undo: detach.id, ...(restore ? {restore} : {})})
    }
  }
  return fixes
}

/** The VF device a detach row kept, if it kept one that can be read. */
function deviceOf(entry: JournalEntry): VfDevice | undefined {
  if (!entry.device) return undefined
  try {
    const device = JSON.parse(entry.device) as Partial<VfDevice>
    return typeof device.vf === 'string' && typeof device.definition === 'string' ? {vf: device.vf, definition: device.definition} : undefined
  } catch {
    return undefined
  }
}
