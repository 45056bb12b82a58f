// How a refusal shows the value it refused, without TypeBox (accept.ts words a non-object with it).

/** A value as a message shows it; strings quoted as JSON so a newline cannot break the line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value)
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}
