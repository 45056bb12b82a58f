// The xenstore keys the agent writes under the guest's home (/local/domain/<domid>/), and the one
// `xenstore-write` argv that writes them all in a single transaction (INTERFACES.md §1.9). Pure.
import type {Tally} from './meter.js'

/** Key names: fixed, dom0's Xen driver reads exactly these (relative to the guest's home). */
export const XENSTORE_KEYS = {
  /** rx+tx bytes in the last interval (the research prototype's key). */
  value: 'network/value',
  /** Active seconds in the last interval (the research prototype's key). */
  freq: 'network/freq',
  /** Received bytes since the agent started; dom0 differences these into rates. */
  rxBytes: 'network/rx-bytes',
  /** Sent bytes since the agent started. */
  txBytes: 'network/tx-bytes',
  /** Active seconds since the agent started. */
  activeSeconds: 'network/active-seconds',
  /** Seconds the last interval covered. */
  interval: 'network/interval',
  /** When these were written, unix seconds. */
  updated: 'network/updated',
} as const

/** One key and the decimal value written to it. */
export type XenstoreEntry = readonly [path: string, value: number]

/** What one publication writes, in a fixed order: the interval's figures, then the running totals. */
export function xenstoreEntries(window: Tally, total: Tally, nowUnixSeconds: number): XenstoreEntry[] {
  return [
    [XENSTORE_KEYS.value, window.rxBytes + window.txBytes],
    [XENSTORE_KEYS.freq, window.activeSeconds],
    [XENSTORE_KEYS.rxBytes, total.rxBytes],
    [XENSTORE_KEYS.txBytes, total.txBytes],
    [XENSTORE_KEYS.activeSeconds, total.activeSeconds],
    [XENSTORE_KEYS.interval, window.seconds],
    [XENSTORE_KEYS.updated, Math.floor(nowUnixSeconds)],
  ]
}

/** `xenstore-write PATH VALUE [PATH VALUE...]`: all pairs in one call, so dom0 never reads half an update. */
export function xenstoreWriteArgs(entries: readonly XenstoreEntry[]): string[] {
  return entries.flatMap(([path, value]) => [path, String(value)])
}

/** The entries as one flat record (`--once` output): key path to number. */
export function entriesRecord(entries: readonly XenstoreEntry[]): Record<string, number> {
  return Object.fromEntries(entries)
}
