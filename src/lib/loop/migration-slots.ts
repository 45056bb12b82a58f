// Actions at the same time, within the bounds (action-bounds.ts). Migrations: at most N leaving or
// entering one host at once and M in the whole cluster, started in plan order (an item waits until
// its hosts and the cluster have room; the ones after it wait behind it, so a plan's order still
// says which move starts first). VF changes: grouped by host, one after another on a host in plan
// order, several hosts at once. Either way results come back in plan order, and once a stop is
// asked for nothing new starts: what is under way finishes first, so every row of an action that
// ran is journalled before any row of one that did not. And a lock per host, for the steps two
// moves must not interleave on it (reading a target's memory, choosing a VF on arrival).

/** At most this many migrations may leave or enter `host` at once. */
export type MigrationCap = (host: string) => number

export interface MigrationCaps {
  perHost: MigrationCap
  /** At most this many at once in the whole cluster. */
  total: number
}

/**
 * Whether to stop starting actions. `poll` lets the event loop turn first, so a signal is seen even
 * on a backend that never waits (the simulator); `asked` does not. A batch of actions that fit is
 * polled for once and then started together, so on such a backend too they are under way side by
 * side (their steps interleave) rather than each finishing before the next one's turn.
 */
export interface Stop {
  poll(): Promise<boolean>
  asked(): boolean
}

const NEVER: Stop = {poll: async () => false, asked: () => false}

/**
 * Runs `run` on every item within the caps; results in item order, `undefined` for an item not
 * started because `stop` said so. An item also waits for every earlier one still under way that
 * leaves the host it enters (the plan counted on the memory and VF that one frees) or moves the
 * same VM. A `run` that throws stops new starts; the ones under way finish, then it is thrown.
 */
export async function runWithinCaps<T extends {from: string; to: string; vm?: string}, R>(
  items: readonly T[],
  caps: MigrationCaps,
  run: (item: T) => Promise<R>,
  stop: Stop = NEVER,
): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined)
  const busy = new Map<string, number>()
  const underWay = new Set<number>()
  const count = (host: string) => busy.get(host) ?? 0
  const total = Math.max(1, caps.total)
  const waitsFor = (item: T) => [...underWay].some((index) => items[index].from === item.to || (item.vm !== undefined && items[index].vm === item.vm))
  const fits = (item: T) => underWay.size < total && count(item.from) < Math.max(1, caps.perHost(item.from)) && count(item.to) < Math.max(1, caps.perHost(item.to)) && !waitsFor(item)
  const running = new Set<Promise<void>>()
  let failure: {error: unknown} | undefined
  let batchStart = true
  for (const [index, item] of items.entries()) {
    while (!fits(item) && !failure) {
      await Promise.race(running)
      batchStart = true
    }
    if (failure || (batchStart ? await stop.poll() : stop.asked()) || failure) break
    batchStart = false
    // Counted before anything awaits: a later item sees this one's hosts taken.
    for (const host of [item.from, item.to]) busy.set(host, count(host) + 1)
    underWay.add(index)
    const task: Promise<void> = run(item)
      .then(
        (result) => {
          results[index] = result
        },
        (error: unknown) => {
          failure ??= {error}
        },
      )
      .finally(() => {
        for (const host of [item.from, item.to]) busy.set(host, count(host) - 1)
        underWay.delete(index)
        running.delete(task)
      })
    running.add(task)
  }
  await Promise.all(running)
  if (failure) throw failure.error
  return results
}

/**
 * Runs `run` on every item, grouped by `hostOf`: one after another on a host, in item order, and
 * at most `hostsAtOnce` hosts at once, taken in the order of their first item. Results in item
 * order, `undefined` for an item not started because `stop` said so (then no host starts another).
 */
export async function runByHost<T, R>(
  items: readonly T[],
  hostOf: (item: T) => string,
  hostsAtOnce: number,
  run: (item: T) => Promise<R>,
  stop: Stop = NEVER,
): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined)
  const byHost = new Map<string, number[]>()
  for (const [index, item] of items.entries()) {
    const host = hostOf(item)
    const group = byHost.get(host)
    if (group) group.push(index)
    else byHost.set(host, [index])
  }
  const groups = [...byHost.values()]
  let stopped = false
  let failure: {error: unknown} | undefined
  const runGroup = async (group: number[]) => {
    for (const [position, index] of group.entries()) {
      if (stopped || failure || (position > 0 && stop.asked())) {
        stopped ||= !failure
        return
      }
      try {
        results[index] = await run(items[index])
      } catch (error) {
        failure ??= {error}
      }
    }
  }
  const running = new Set<Promise<void>>()
  let next = 0
  while (next < groups.length && !stopped && !failure) {
    if (await stop.poll()) {
      stopped = true
      break
    }
    // Started together: their first steps interleave even on a backend that never waits.
    for (; running.size < Math.max(1, hostsAtOnce) && next < groups.length; next++) {
      const task: Promise<void> = runGroup(groups[next]).finally(() => running.delete(task))
      running.add(task)
    }
    if (next < groups.length) await Promise.race(running)
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
