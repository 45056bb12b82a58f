import {UsageError} from '../errors.js'

// Durations on the command line: 500ms, 2s, 10s, 5m, 1h, or a bare number of seconds.
const UNITS: Record<string, number> = {ms: 0.001, s: 1, m: 60, h: 3600}

/** Seconds as people write a duration: 10s, 5m, 30m, 1h, 500ms (the largest unit that divides it). */
export function formatDuration(seconds: number): string {
  if (seconds > 0 && seconds < 1) return `${+(seconds * 1000).toFixed(3)}ms`
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`
  return `${+seconds.toFixed(3)}s`
}

/** Seconds in a duration string; throws a message naming the flag and the value when it cannot be read. */
export function parseDuration(input: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(input.trim())
  if (!match) throw new UsageError(`--${flag}: expected a duration such as 500ms, 10s or 5m, got "${input}"`)
  return Number(match[1]) * UNITS[match[2] ?? 's']
}
