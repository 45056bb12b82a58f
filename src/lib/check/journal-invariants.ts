// The §8 invariants that only the action journal shows: actions left unfinished by a crashed run,
// a VF not given back after a failed migration, a migration while the VM still held a VF, and a
// VM lost after the journal says it migrated. Pure: rows and a snapshot in, violations out.
import type {RawSnapshot} from '../backends/types.js'
import type {InvariantViolation} from '../invariants.js'
import type {JournalEntry} from '../store/store.js'

type Liveness = (runId: string) => boolean

const violation = (invariant: string, entry: JournalEntry, detail: string, vf = entry.vf ?? ''): InvariantViolation => ({
  invariant, host: entry.host, vm: entry.vm, vf, detail,
})

/** Rows still planned or started whose run is over: a crash mid-action that reconciliation must settle. */
export function unfinishedActions(journal: readonly JournalEntry[], isRunLive: Liveness): InvariantViolation[] {
  return journal
    .filter((entry) => (entry.status === 'planned' || entry.status === 'started') && !isRunLive(entry.runId))
    .map((entry) => violation('journal-unfinished', entry,
      `unfinished action #${entry.id} (${entry.kind} ${entry.vm}) of run ${entry.runId}: left ${entry.status}, the run is no longer running`))
}

/** Rows of one run in journal order, by run id. */
function byRun(journal: readonly JournalEntry[]): Map<string, JournalEntry[]> {
  const runs = new Map<string, JournalEntry[]>()
  for (const entry of [...journal].sort((a, b) => a.id - b.id)) runs.set(entry.runId, [...(runs.get(entry.runId) ?? []), entry])
  return runs
}

/** How hypervisors say a domain is gone: xl's invalid domain, virsh's "failed to get domain", the simulator's "no such domain". */
const DESTROYED = /no such domain|failed to get domain|is an invalid domain identifier|Domain not found/i

/**
 * A failed migration gives the VF back: the detach-vf before it (same run, same VM) is rolled-back,
 * or some attach-vf of that VM is done after it. Failed migrations of a live run may still be undoing.
 */
export function vfNotGivenBack(journal: readonly JournalEntry[], isRunLive: Liveness): InvariantViolation[] {
  const problems: InvariantViolation[] = []
  const ordered = [...journal].sort((a, b) => a.id - b.id)
  for (const [runId, rows] of byRun(journal)) {
    if (isRunLive(runId)) continue
    for (const [index, migrate] of rows.entries()) {
      if (migrate.kind !== 'migrate' || migrate.status !== 'failed') continue
      const before = rows.slice(0, index).reverse()
      const detach = before.find((row) => row.vm === migrate.vm && (row.kind === 'detach-vf' || row.kind === 'migrate'))
      // Only the move's own detach is owed back: a VF change of an earlier cycle that took the VM's VF is not.
      if (!detach || detach.kind !== 'detach-vf' || detach.status !== 'done' || !/^detach before migrating/.test(detach.reason)) continue
      const givenBack = ordered.some((row) => row.id > migrate.id && row.vm === migrate.vm && row.kind === 'attach-vf' && row.status === 'done')
      // A VM the hypervisor says was destroyed (during or after the move) has nothing to give back to.
      const destroyed = ordered.some((row) => row.id >= migrate.id && row.vm === migrate.vm && DESTROYED.test(row.error ?? ''))
      if (givenBack || destroyed) continue
      problems.push(violation('vf-given-back', detach,
        `VF ${detach.vf ?? '?'} detached from ${detach.vm} by #${detach.id} was not given back after migrate #${migrate.id} to ${migrate.toHost ?? '?'} failed (run ${runId})`))
    }
  }
  return problems
}

/**
 * A VF is detached before its VM migrates: within a run, a migrate done while the VM's last VF step
 * was an attach-vf done (no detach-vf since) broke the rule. A VM's VF state before the run is not
 * in the journal, so only what the run itself attached is known.
 */
export function vfBeforeMigration(journal: readonly JournalEntry[]): InvariantViolation[] {
  const problems: InvariantViolation[] = []
  for (const [runId, rows] of byRun(journal)) {
    const attachedBy = new Map<string, JournalEntry>()
    for (const row of rows) {
      if (row.kind === 'attach-vf' && row.status === 'done') attachedBy.set(row.vm, row)
      // A rolled-back detach did detach; the attach that gave the VF back is its own row.
      if (row.kind === 'detach-vf' && (row.status === 'done' || row.status === 'rolled-back')) attachedBy.delete(row.vm)
      if (row.kind === 'migrate' && row.status === 'done') {
        const attach = attachedBy.get(row.vm)
        if (attach) {
          problems.push(violation('vf-before-migration', row,
            `migrate #${row.id} of ${row.vm} to ${row.toHost ?? '?'} (run ${runId}) while it held VF ${attach.vf ?? '?'} attached by #${attach.id}, with no detach-vf done in between`,
            attach.vf ?? ''))
        }
        attachedBy.delete(row.vm)
      }
    }
  }
  return problems
}

/**
 * No VM is lost: a VM whose last done migrate is in the journal is on some host. Migrations to a
 * host this snapshot does not have are of another cluster (a sim reset to another scenario): skipped.
 */
export function lostAfterMigration(journal: readonly JournalEntry[], snapshot: RawSnapshot): InvariantViolation[] {
  // A VM seen nowhere may be on a host that did not answer (moved there outside Sova): nothing to say.
  if ((snapshot.missing?.length ?? 0) > 0) return []
  const hosts = new Set(snapshot.hosts.map((host) => host.name))
  const present = new Set(snapshot.hosts.flatMap((host) => host.vms.map((vm) => vm.name)))
  const lastMigrate = new Map<string, JournalEntry>()
  // A VM the hypervisor itself later said no longer exists was destroyed outside Sova, not lost by it.
  const destroyedAfter = new Map<string, number>()
  for (const entry of [...journal].sort((a, b) => a.id - b.id)) {
    if (entry.kind === 'migrate' && entry.status === 'done') lastMigrate.set(entry.vm, entry)
    if (DESTROYED.test(entry.error ?? '')) destroyedAfter.set(entry.vm, entry.id)
  }
  return [...lastMigrate.values()]
    .filter((entry) => entry.toHost !== null && hosts.has(entry.toHost) && !present.has(entry.vm))
    .filter((entry) => (destroyedAfter.get(entry.vm) ?? -1) < entry.id)
    .map((entry) => ({
      invariant: 'vm-lost', host: entry.toHost ?? '', vm: entry.vm, vf: '',
      detail: `VM ${entry.vm} last migrated to ${entry.toHost} (#${entry.id}, run ${entry.runId}) is in no host`,
    }))
}
