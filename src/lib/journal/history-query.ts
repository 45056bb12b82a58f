// `sova history`: what an operator asks of the action journal (since when, which VM, host, status)
// and the flat record each journalled action becomes. Pure: the store runs the query.
import {parseDuration} from '../cli/duration.js'
import {UsageError} from '../errors.js'
import {validateName} from '../identifiers.js'
import type {FlatRecord} from '../render/records.js'
import type {JournalEntry, JournalStatus} from '../store/store.js'

/** Every journal status, for --status's choices (the store's type is the source of truth). */
export const JOURNAL_STATUSES = ['planned', 'started', 'done', 'failed', 'rolled-back', 'skipped'] as const satisfies readonly JournalStatus[]

/** The filters of `sova history`, values only: the store binds them as SQL parameters. */
export interface JournalFilter {
  /** Wall-clock ISO time (toISOString form): actions last updated at or after it. */
  since?: string
  vm?: string
  /** Matches the source or the target host. */
  host?: string
  status?: JournalStatus
  limit: number
}

const ISO_TIME = /^\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?$/

/** --since as an ISO time: a duration (1h, 30m) counts back from `now`; else an ISO date or time. */
export function parseSince(input: string, now: Date): string {
  const value = input.trim()
  if (/^\d/.test(value) && !value.includes('-')) {
    try {
      return new Date(now.getTime() - parseDuration(value, 'since') * 1000).toISOString()
    } catch {
      // Not a duration: reported below with both forms.
    }
  }
  const ms = ISO_TIME.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(ms)) {
    throw new UsageError(`--since: expected a duration such as 30m or 1h, or an ISO time such as 2024-05-01T12:00:00Z, got "${input}"`)
  }
  return new Date(ms).toISOString()
}

/** The flags checked and turned into a filter: names validated before they reach the store. */
export function journalFilter(
  flags: {since?: string; vm?: string; host?: string; status?: JournalStatus; limit: number},
  now: Date,
): JournalFilter {
  return {
    since: flags.since === undefined ? undefined : parseSince(flags.since, now),
    vm: flags.vm === undefined ? undefined : validateName(flags.vm, '--vm'),
    host: flags.host === undefined ? undefined : validateName(flags.host, '--host'),
    status: flags.status,
    limit: flags.limit,
  }
}

/** True when the filter narrows the journal (so an empty answer means "no match", not "empty"). */
export function isFiltered(filter: JournalFilter): boolean {
  return filter.since !== undefined || filter.vm !== undefined || filter.host !== undefined || filter.status !== undefined
}

/** One journalled action as an operator reads it; absent values are empty strings. */
export function historyRecord(entry: JournalEntry): FlatRecord {
  return {
    id: entry.id,
    // This machine's clock: documents' `at` is the cluster's (simulated time on sim), so the name says which.
    wall_time: entry.updatedAt,
    run: entry.runId,
    kind: entry.kind,
    vm: entry.vm,
    host: entry.host,
    to: entry.toHost ?? '',
    vf: entry.vf ?? '',
    status: entry.status,
    reason: entry.reason,
    error: entry.error ?? '',
  }
}

/** The stderr note for an empty answer. */
export function emptyNote(journalEmpty: boolean): string {
  return journalEmpty ? 'history: no actions journalled yet' : 'history: no action matches'
}
