// Reconciliation (ARCHITECTURE.md §7): a run that died mid-action (kill -9, a power cut) leaves
// journal rows `planned` or `started`. The next acting run settles each one against what the
// backend reports, before planning anything new: a step that did happen is marked done, one that
// did not is marked failed, and a VF detached for a migration that never happened is given back
// (one given on arrival for a migration that did). Pure: the journal and the placement in, fixes out.
import type {Host} from './document/schema.js'
import {firstFreeVf, locateVm, type Step} from './plan-steps.js'
import type {JournalEntry, JournalStatus} from './store/store.js'

export type ReconcileFix =
  /** Settle a row of the dead run: what the backend shows happened. */
  | {kind: 'settle'; id: number; status: Extract<JournalStatus, 'done' | 'failed'>; note: string}
  /** Give a VF (back) to a VM the dead run left without one; `undo` is the detach row it reverses. */
  | {kind: 'give-vf'; step: Step; undo?: number}

const UNFINISHED = new Set<JournalStatus>(['planned', 'started'])

/** True for a row a run left behind unfinished. */
export function isUnfinished(entry: JournalEntry): boolean {
  return UNFINISHED.has(entry.status)
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
 * The fixes for the unfinished rows of dead runs. `entries` is the journal (oldest first), so a
 * run's own earlier steps (the detach before its migration) are known; `deadRuns` are the runs
 * that are no longer running; `hosts` is where everything is now.
 */
export function planReconciliation(entries: readonly JournalEntry[], deadRuns: ReadonlySet<string>, hosts: Host[]): ReconcileFix[] {
  const fixes: ReconcileFix[] = []
  const runs = new Map<string, JournalEntry[]>()
  for (const entry of entries) if (deadRuns.has(entry.runId)) runs.set(entry.runId, [...(runs.get(entry.runId) ?? []), entry])
  const taken = new Set<string>() // VFs this reconciliation gives, so two VMs never get the same one
  const free = (host: Host) => ({...host, vfs: {...host.vfs, free: host.vfs.free.filter((vf) => !taken.has(`${host.name}/${vf}`))}})
  for (const runEntries of runs.values()) {
    const settled = new Map<number, JournalStatus>()
    for (const entry of runEntries.filter(isUnfinished)) {
      const fix = settle(entry, hosts)
      fixes.push(fix)
      if (fix.kind === 'settle') settled.set(entry.id, fix.status)
    }
    const statusOf = (entry: JournalEntry) => settled.get(entry.id) ?? entry.status
    // A VF this run detached to migrate a VM: back on the source if the move did not happen, a
    // free one on the target if it did and nothing was given on arrival.
    for (const detach of runEntries.filter((entry) => entry.kind === 'detach-vf' && statusOf(entry) === 'done' && /^detach before migrating/.test(entry.reason))) {
      const later = runEntries.filter((entry) => entry.id > detach.id && entry.vm === detach.vm)
      const migrate = later.find((entry) => entry.kind === 'migrate')
      if (later.some((entry) => entry.kind === 'attach-vf' && statusOf(entry) === 'done')) continue
      const where = locateVm(hosts, detach.vm)
      if (!where || where.vm.vf) continue
      const moved = migrate !== undefined && statusOf(migrate) === 'done'
      const host = free(where.host)
      const vf = !moved && host.vfs.free.includes(detach.vf ?? '') ? (detach.vf as string) : firstFreeVf(host)
      if (!vf) continue
      taken.add(`${host.name}/${vf}`)
      const reason = moved
        ? `give a VF on arrival: the run that migrated ${detach.vm} from ${detach.host} died before it could`
        : `give VF back: the run that detached it to migrate ${detach.vm} died before the migration happened`
      fixes.push({kind: 'give-vf', step: {kind: 'attach-vf', vm: detach.vm, host: where.host.name, vf, reason}, undo: moved ? undefined : detach.id})
    }
  }
  return fixes
}
