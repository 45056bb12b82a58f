// `sova check` in one pure function: the snapshot's invariants, then the journal's, and what
// could not be checked at all (the PV path), said in words rather than faked.
import type {RawSnapshot} from '../backends/types.js'
import {type InvariantViolation, snapshotViolations} from '../invariants.js'
import type {JournalEntry} from '../store/store.js'
import {lostAfterMigration, unfinishedActions, vfBeforeMigration, vfNotGivenBack} from './journal-invariants.js'

/** What a check found, and how much it looked at (for the summary line). */
export interface CheckReport {
  violations: InvariantViolation[]
  hosts: number
  vms: number
  journalEntries: number
  /** Invariants a snapshot cannot show, with why; never counted as passed. */
  unchecked: string[]
}

/** Why the PV-path invariant is not checked: a snapshot reports the active path, not the PV NIC itself. */
export function pvPathNote(backend: string): string {
  return backend === 'sim'
    ? 'pv-path: not visible in a snapshot; the simulator gives every VM its PV NIC by construction'
    : `pv-path: not visible in a ${backend} snapshot (it shows the active path, not the PV NIC); not checked`
}

/** Every §8 violation the snapshot and the journal show. */
export function checkAll(input: {
  snapshot: RawSnapshot
  journal: readonly JournalEntry[]
  isRunLive: (runId: string) => boolean
  backend: string
}): CheckReport {
  const {snapshot, journal, isRunLive, backend} = input
  const out = new Set(snapshot.missing?.map((entry) => entry.host))
  // What the journal still owes on a host that is out cannot be settled until it answers: not a finding yet.
  const owed = [...unfinishedActions(journal, isRunLive), ...vfNotGivenBack(journal, isRunLive)]
  const waiting = owed.filter((violation) => out.has(violation.host))
  const violations = [
    ...snapshotViolations(snapshot),
    ...lostAfterMigration(journal, snapshot),
    ...owed.filter((violation) => !out.has(violation.host)),
    ...vfBeforeMigration(journal),
  ]
  return {
    violations,
    hosts: snapshot.hosts.length,
    vms: snapshot.hosts.reduce((sum, host) => sum + host.vms.length, 0),
    journalEntries: journal.length,
    unchecked: [
      pvPathNote(backend),
      ...(snapshot.missing ?? []).map((entry) => `${entry.host}: ${entry.reason}; its VMs and VFs not checked, nor whether a VM seen nowhere was lost`),
      ...waiting.map((violation) => `${violation.invariant} on ${violation.host} not judged while it is out: ${violation.detail}`),
    ],
  }
}

/** The stderr line of a clean check. */
export function cleanSummary(report: CheckReport): string {
  return `no violation (${report.hosts} hosts, ${report.vms} VMs, ${report.journalEntries} journal entries checked)`
}
