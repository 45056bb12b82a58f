// Bounded parallelism: at most `limit` calls in flight, results in input order. Collecting from
// hundreds of hosts must not open hundreds of ssh sessions at once.

/** Maps `items` through `fn` with at most `limit` running at a time; settles every item. */
export async function mapSettled<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const index = next++
      try {
        results[index] = {status: 'fulfilled', value: await fn(items[index], index)}
      } catch (error) {
        results[index] = {status: 'rejected', reason: error}
      }
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(limit, items.length))}, worker))
  return results
}
