// How long a condition (a port above its hotspot threshold, a VM's demand above its PV path) is
// likely to last, from how long it lasted before: its episodes in the remembered samples. A move
// or a VF swap pays back only if the condition outlasts what the action takes or commits; a
// condition whose earlier episodes were short will most likely end as soon (a renewal estimate:
// a typical episode's length minus the current one's age). With no finished episode to go by,
// the caller's horizon stands. Pure.

/** Finished episodes kept per series: enough for a median, few enough to follow a change of pattern. */
export const EPISODES_KEPT = 3

/** What the samples say of a condition's episodes. */
export interface EpisodeStats {
  /** Seconds the current episode has lasted (from the first sample that showed it), 0 when the condition does not hold now. */
  ageSeconds: number
  /** Median length of the latest finished episodes, seconds; undefined when none finished within the samples. */
  typicalSeconds?: number
  /** How many finished episodes the median is of. */
  finished: number
  /** Seconds from the first sample to the last: how long the condition was watched. */
  watchedSeconds: number
}

/** The median of `lengths` (the middle one, or the mean of the middle two); undefined for none. */
export function medianSeconds(lengths: readonly number[]): number | undefined {
  if (lengths.length === 0) return undefined
  const sorted = [...lengths].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/**
 * Episodes of a condition over samples at `timesMs` (ascending), `holds[i]` whether it held at
 * sample i. An episode runs from the first sample that shows the condition to the first that no
 * longer does; one still running at the start of the samples has an unknown length and is not
 * counted as finished.
 */
export function episodesOf(timesMs: readonly number[], holds: readonly boolean[]): EpisodeStats {
  const lengths: number[] = []
  let start: number | undefined
  let sawClear = false
  for (let i = 0; i < timesMs.length; i++) {
    if (holds[i]) {
      if (start === undefined) start = timesMs[i]
      continue
    }
    if (start !== undefined && sawClear) {
      lengths.push((timesMs[i] - start) / 1000)
      if (lengths.length > EPISODES_KEPT) lengths.shift()
    }
    start = undefined
    sawClear = true
  }
  const last = timesMs.length - 1
  const ageSeconds = start === undefined || last < 0 ? 0 : (timesMs[last] - start) / 1000
  const typicalSeconds = medianSeconds(lengths)
  const watchedSeconds = last < 0 ? 0 : (timesMs[last] - timesMs[0]) / 1000
  return typicalSeconds === undefined ? {ageSeconds, finished: 0, watchedSeconds} : {ageSeconds, typicalSeconds, finished: lengths.length, watchedSeconds}
}

/**
 * Seconds the condition is expected to last from now, at most `horizonSeconds`: the typical
 * finished episode's length minus the current one's age; the horizon when no episode finished
 * within the samples (nothing to go by). An episode that has already outlived the typical one is
 * not of that kind: it is expected to last about as long again as it has (its age).
 */
export function expectedRemainingSeconds(stats: Pick<EpisodeStats, 'ageSeconds' | 'typicalSeconds'>, horizonSeconds: number): number {
  if (stats.typicalSeconds === undefined) return horizonSeconds
  const left = stats.ageSeconds <= stats.typicalSeconds ? stats.typicalSeconds - stats.ageSeconds : stats.ageSeconds
  return Math.min(horizonSeconds, left)
}
