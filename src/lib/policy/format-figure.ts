// How policy reasons print figures, cap their lists, and order by name.

/**
 * Two decimals, or four when two would print the value and its limit alike, so a reason never
 * reads "0.75 < 0.75" (0.7499 against 0.75).
 */
export function formatFigure(value: number, against?: number): string {
  const short = value.toFixed(2)
  if (against === undefined || value === against || short !== against.toFixed(2)) return short
  return value.toFixed(4)
}

/** A rate in a reason: whole Mbit/s. */
export function formatMbps(value: number): string {
  return `${Math.round(value)} Mbit/s`
}

/** Above this many, a plan's rejected alternatives are summarised: a document stays readable at 10,000 hosts. */
export const MAX_REJECTED = 200

/** The first MAX_REJECTED reasons, and how many more there were. */
export function capRejected(rejected: string[]): string[] {
  if (rejected.length <= MAX_REJECTED) return rejected
  return [...rejected.slice(0, MAX_REJECTED), `… and ${rejected.length - MAX_REJECTED} more alternatives rejected`]
}

/** Ties are broken by name everywhere, so a plan never depends on input order. */
export const byName = (a: {name: string}, b: {name: string}): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
