// The string formats the document's schema names (format: 'date-time'), checked without TypeBox:
// the precompiled document check and TypeBox's registry (schema.ts) use these same functions.

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/

/** An ISO 8601 date and time with its zone, that names a real instant. */
export function isDateTime(value: string): boolean {
  return ISO_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value))
}

export const FORMATS: Readonly<Record<string, (value: string) => boolean>> = {'date-time': isDateTime}
