// The seed's victim measure (ALGORITHM.md §2): how far a VM sits from its host's average
// guest, over network bytes, memory and CPU. The prototype meant this formula; its integer
// division broke it, which is not reproduced here.

/** A guest as the migration factor sees it. */
export interface FactorGuest {
  name: string
  /** rx + tx bytes per second */
  netBps: number
  memoryMiB: number
  cpuUsedRatio: number
}

const RESOURCES = ['netBps', 'memoryMiB', 'cpuUsedRatio'] as const

/**
 * The seed's "most unusual VM" score per guest: F = sqrt(Σ_r (x_r / mean_r − 1)²), means over
 * the given guests (one host). A resource whose mean is 0 (no guest uses it) contributes 0.
 */
export function migrationFactors(guests: readonly FactorGuest[]): Map<string, number> {
  const factors = new Map<string, number>()
  if (guests.length === 0) return factors
  const means = RESOURCES.map((resource) => guests.reduce((sum, guest) => sum + guest[resource], 0) / guests.length)
  for (const guest of guests) {
    let squares = 0
    for (const [r, resource] of RESOURCES.entries()) {
      if (means[r] > 0) squares += (guest[resource] / means[r] - 1) ** 2
    }
    factors.set(guest.name, Math.sqrt(squares))
  }
  return factors
}
