import {UsageError} from '../errors.js'

// Durations on the command line: 500ms, 2s, 10s, 5m, 1h, or a bare number of seconds.
const UNITS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600}

/** Seconds in a duration string; throws a message naming the flag and the value when it cannot be read. */
export function parseDuration(input: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(input.trim())
  if (!match) throw new UsageError(`--${flag}: expected a duration such as 500ms, 10s or 5m, got "${input}"`)
  return Number(match[1]) * UNITS[match[2] ?? 's']
}
