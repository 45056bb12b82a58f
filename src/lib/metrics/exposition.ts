// The Prometheus text exposition format (0.0.4), as node_exporter's textfile collector reads it:
// each family once, HELP and TYPE before its samples, label values escaped, no timestamps (the
// textfile collector refuses samples that carry one). Pure: knows nothing of Sova's document.

/** Gauges for the figures of one sample; counters for the journal's totals, kept across runs. */
export type MetricType = 'gauge' | 'counter'

/** One series of a family: its labels (names are ours, values may be anything) and its value. */
export interface Sample {
  labels: Readonly<Record<string, string>>
  value: number
}

/** A metric name with its HELP, TYPE and every series of it, written together as the format requires. */
export interface MetricFamily {
  name: string
  help: string
  type: MetricType
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** A label value may hold anything (a VM name from a hand-made document): escape \, " and newline so the line still parses. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`))
}

/** HELP text escapes only backslash and newline (a quote is literal there). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (char) => (char === '\n' ? '\\n' : '\\\\'))
}

/** Sample values as Prometheus spells them: NaN, +Inf and -Inf have their own words. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

function formatLabels(labels: Sample['labels']): string {
  const pairs = Object.entries(labels).map(([name, value]) => {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`invalid Prometheus label name "${name}"`)
    return `${name}="${escapeLabelValue(value)}"`
  })
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`
}

/** The exposition text of these families; a family without samples is left out (nothing to say). */
export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = []
  for (const family of families) {
    // Names are ours, not data: a bad one is a bug, not something to escape.
    if (!METRIC_NAME.test(family.name)) throw new Error(`invalid Prometheus metric name "${family.name}"`)
    if (family.samples.length === 0) continue
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`)
    for (const sample of family.samples) lines.push(`${family.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`)
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`
}
