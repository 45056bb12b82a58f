// How old a sample may be when Sova decides on it. A plan made from old figures is a guess about a
// cluster that has moved on: the acting stages take no decision on it and say why. Pure.

/** Default longest age of a sample that decisions are taken on, s: two cron periods. */
export const DEFAULT_MAX_SAMPLE_AGE_SECONDS = 120

/** Clocks of one machine agree; this much of a sample "from the future" is rounding, not skew. */
const AHEAD_SLACK_SECONDS = 1

/** What an acting stage needs to judge its document's age: the limit and the cluster's clock now. */
export interface Freshness {
  maxAgeSeconds: number
  /** The cluster's clock, ISO 8601 (simulated time on the simulator), read when the stage starts. */
  now: () => Promise<string>
  /** Told each time a sample is found too old: the operator hears it on stderr, not only in the document. */
  onStale?: (problem: string) => void
}

/** Why a sample taken at `sampleAt` is too old (or too new) to decide on at `now`; undefined when it is fine. */
export function sampleAgeProblem(sampleAt: string, now: string, maxAgeSeconds: number): string | undefined {
  const age = (Date.parse(now) - Date.parse(sampleAt)) / 1000
  if (age > maxAgeSeconds) return `sample of ${sampleAt} is ${Math.round(age)} s old, more than the ${maxAgeSeconds} s allowed (--max-sample-age)`
  if (age < -AHEAD_SLACK_SECONDS) return `sample of ${sampleAt} is ${Math.round(-age)} s ahead of the cluster's clock (${now}): not a sample of this cluster's present`
  return undefined
}

/** The problem with `doc`'s age now, if there is one and a limit applies. */
export async function staleness(sampleAt: string, freshness: Freshness | undefined): Promise<string | undefined> {
  if (freshness === undefined) return undefined
  const problem = sampleAgeProblem(sampleAt, await freshness.now(), freshness.maxAgeSeconds)
  if (problem) freshness.onStale?.(problem)
  return problem
}
