// Who a process is, beyond its pid: its start time (clock ticks since boot) and the boot it
// belongs to. Pids are reused; a pid with a different start time or boot is another process.
// Only Linux tells this (through /proc); elsewhere the identity is unknown (null).
import {readFileSync} from 'node:fs'

/** A process's start time and boot, as recorded with the run lock. */
export interface ProcessIdentity {
  startTicks: number | null
  bootId: string | null
}

/** /proc/<pid>/stat field 22 is the start time; fields are 1-based, field 3 follows the comm. */
const START_TIME_FIELD = 22
const FIRST_FIELD_AFTER_COMM = 3

/**
 * The start time (field 22) of a /proc/<pid>/stat line, or null when the line is malformed.
 * The comm (field 2) is in parentheses and may hold spaces and ')', so the split is after the LAST ')'.
 */
export function parseStartTicks(statLine: string): number | null {
  const commEnd = statLine.lastIndexOf(')')
  if (commEnd < 0) return null
  const fields = statLine.slice(commEnd + 1).trim().split(/\s+/)
  const raw = fields[START_TIME_FIELD - FIRST_FIELD_AFTER_COMM]
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null
}

/** A file's text, or null when it cannot be read (no /proc, process gone, no permission). */
function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** This boot's id, so a lock recorded before a reboot never matches a process after it. */
export function readBootId(): string | null {
  return readOrNull('/proc/sys/kernel/random/boot_id')?.trim() || null
}

/** The identity of process `pid` now; both parts null where /proc does not tell (macOS). */
export function processIdentity(pid: number): ProcessIdentity {
  const stat = readOrNull(`/proc/${pid}/stat`)
  return {startTicks: stat === null ? null : parseStartTicks(stat), bootId: readBootId()}
}

/**
 * True only when both identities are known and differ: a reused pid or another boot.
 * Unknown parts (old lock rows, no /proc) never count as a change: the pid check decides then.
 */
export function identityDiffers(recorded: ProcessIdentity, current: ProcessIdentity): boolean {
  const bootChanged = recorded.bootId !== null && current.bootId !== null && recorded.bootId !== current.bootId
  const startChanged = recorded.startTicks !== null && current.startTicks !== null && recorded.startTicks !== current.startTicks
  return bootChanged || startChanged
}
