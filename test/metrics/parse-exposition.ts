// The real Prometheus text-format parser from npm, typed for what the tests read of it.
// @ts-expect-error -- the package ships no type declarations; ParsedFamily types what the tests read.
import parseUntyped from 'parse-prometheus-text-format'

export interface ParsedFamily {
  name: string
  help: string
  type: string
  metrics: {value: string; labels?: Record<string, string>}[]
}

/** Parses an exposition text into metric families, as a scraper would. */
export const parseExposition = parseUntyped as (text: string) => ParsedFamily[]
