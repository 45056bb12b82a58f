// Migrations at the same time, within each host's cap (the configuration's migration.maxParallel):
// at most N migrations leaving or entering one host at once, started in plan order (an item waits
// until both its hosts have room; the ones after it wait behind it, so a plan's order still says
// which move starts first). And a lock per host, for the steps two moves must not interleave on it
// (choosing and attaching a VF on arrival).

/** At most this many migrations may leave or enter `host` at once. */
export type MigrationCap = (host: string) => number

/**
 * Runs `run` on every item, at most `cap(host)` at once on any host an item leaves or enters;
 * results in item order. A `run` that throws stops new starts; the ones under way finish, then it is thrown.
 */
export async function runWithinCaps<T extends {from: string; to: string}, R>(items: readonly T[], cap: MigrationCap, run: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  const busy = new Map<string, number>()
  const count = (host: string) => busy.get(host) ?? 0
  const fits = (item: T) => count(item.from) < Math.max(1, cap(item.from)) && count(item.to) < Math.max(1, cap(item.to))
  const running = new Set<Promise<void>>()
  let failure: {error: unknown} | undefined
  for (const [index, item] of items.entries()) {
    while (!fits(item) && !failure) await Promise.race(running)
    if (failure) break
    for (const host of [item.from, item.to]) busy.set(host, count(host) + 1)
    const task: Promise<void> = run(item).then(
      (result) => {
        results[index] = result
      },
      (error: unknown) => {
        failure ??= {error}
      },
    ).finally(() => {
      for (const host of [item.from, item.to]) busy.set(host, count(host) - 1)
      running.delete(task)
    })
    running.add(task)
  }
  await Promise.all(running)
  if (failure) throw failure.error
  return results
}

/** One holder at a time per host: `hold(host, fn)` runs fn after every earlier holder of that host is done. */
export class HostLocks {
  private readonly tails = new Map<string, Promise<unknown>>()

  async hold<R>(host: string, fn: () => Promise<R>): Promise<R> {
    const before = this.tails.get(host) ?? Promise.resolve()
    const mine = before.then(fn, fn)
    const tail = mine.catch(() => undefined)
    this.tails.set(host, tail)
    try {
      return await mine
    } finally {
      if (this.tails.get(host) === tail) this.tails.delete(host)
    }
  }
}
