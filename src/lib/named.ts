// Records keyed by host or VM name. A name may be any Object.prototype member (`__proto__`,
// `constructor`, `toString`): on a plain `{}`, assigning `__proto__` sets the prototype instead of a
// key, and reading a name nobody set finds the inherited member. These records have no prototype,
// and lookups see own keys only, whoever built the record (JSON.parse, a spread, another stage).

/** An empty record keyed by name, without a prototype. */
export function namedRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}

/** A record of [name, value] pairs, without a prototype. */
export function namedRecordOf<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  const record = namedRecord<T>()
  for (const [name, value] of entries) record[name] = value
  return record
}

/** The value under `name` if the record has it as its own key, else undefined (never an inherited member). */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, name: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, name) ? record[name] : undefined
}
