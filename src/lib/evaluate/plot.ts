// The evaluation as a self-contained SVG (no dependency, a pure string builder): two stacked
// panels sharing the time axis, delivered traffic and p99 response time, one line per policy.
import type {Evaluation, PolicyEvaluation, SeriesPoint} from './summary.js'

/** Okabe–Ito colours (distinguishable with colour-blindness), then a few more. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#8C564B', '#7F7F7F']
/** Dash patterns, so lines stay apart in grey print too ('' = solid). */
const DASHES = ['', '7 3', '2 3', '9 3 2 3', '4 4', '1 2', '12 4', '6 2 2 2 2 2', '3 6']

const WIDTH = 960
const LEFT = 78
const RIGHT = 230
const TOP = 84
const PANEL_HEIGHT = 230
const GAP = 72
const BOTTOM = 56
const HEIGHT = TOP + 2 * PANEL_HEIGHT + GAP + BOTTOM
const PLOT_WIDTH = WIDTH - LEFT - RIGHT

/** Text and attribute values made safe for XML. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;'})[c] as string)
}

const num = (value: number): string => String(Math.round(value * 10) / 10)

/** About `count` round tick values (1, 2, 5 × 10^k steps) covering [min, max]. */
export function linearTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min]
  const rough = (max - min) / count
  const power = 10 ** Math.floor(Math.log10(rough))
  const step = ([1, 2, 5, 10].find((m) => m * power >= rough) ?? 10) * power
  const ticks: number[] = []
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)))
  return ticks
}

/** Ticks of a log axis: powers of ten, with 2 and 5 between them when the range is short. */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min))
  const high = Math.ceil(Math.log10(max))
  const mantissas = high - low <= 2 ? [1, 2, 5] : [1]
  const ticks: number[] = []
  for (let e = low; e <= high; e++) {
    for (const m of mantissas) {
      const v = Number((m * 10 ** e).toPrecision(12))
      if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v)
    }
  }
  return ticks
}

function tickLabel(value: number): string {
  if (value === 0) return '0'
  if (Math.abs(value) >= 1000) return value.toLocaleString('en-US', {maximumFractionDigits: 0})
  return String(Number(value.toPrecision(3)))
}

interface Axis {
  toY: (value: number) => number
  ticks: number[]
  log: boolean
}

/** A value axis for one panel: linear from 0, or log when the values span more than `logSpan`×. */
function valueAxis(values: number[], top: number, logSpan = 20): Axis {
  const bottom = top + PANEL_HEIGHT
  const finite = values.filter((v) => Number.isFinite(v))
  const positive = finite.filter((v) => v > 0)
  const maxValue = Math.max(0, ...finite)
  const minPositive = positive.length > 0 ? Math.min(...positive) : 0
  if (positive.length > 0 && maxValue / minPositive > logSpan) {
    const low = 10 ** Math.floor(Math.log10(minPositive))
    const high = 10 ** Math.ceil(Math.log10(maxValue))
    const span = Math.log10(high) - Math.log10(low)
    const toY = (v: number) => bottom - ((Math.log10(Math.max(v, low)) - Math.log10(low)) / span) * PANEL_HEIGHT
    return {toY, ticks: logTicks(low, high), log: true}
  }
  const ticks = linearTicks(0, maxValue > 0 ? maxValue * 1.05 : 1)
  const high = Math.max(ticks.at(-1) as number, maxValue > 0 ? maxValue : 1)
  return {toY: (v) => bottom - (Math.max(0, v) / high) * PANEL_HEIGHT, ticks, log: false}
}

interface TimeAxis {
  toX: (seconds: number) => number
  ticks: number[]
  unit: 's' | 'min'
}

function timeAxis(endSeconds: number): TimeAxis {
  const unit = endSeconds >= 180 ? 'min' : 's'
  const scale = unit === 'min' ? 60 : 1
  const end = Math.max(endSeconds, 1)
  return {toX: (s) => LEFT + (s / end) * PLOT_WIDTH, ticks: linearTicks(0, end / scale, 6).map((t) => t * scale), unit}
}

/** The offered traffic: a wide pale line under the policies' (what they all are measured against). */
const OFFERED_STROKE = 'fill="none" stroke="#bbbbbb" stroke-width="6" stroke-linejoin="round"'

function panel(
  id: string,
  title: string,
  unitLabel: string,
  top: number,
  runs: readonly PolicyEvaluation[],
  pick: (point: SeriesPoint) => number,
  time: TimeAxis,
  offered?: readonly SeriesPoint[],
): string {
  const axis = valueAxis([...runs.flatMap((run) => run.series.map(pick)), ...(offered ?? []).map((point) => point.offeredGbps)], top)
  const bottom = top + PANEL_HEIGHT
  const out: string[] = [`<g id="${id}">`]
  out.push(`<text class="panel-title" x="${LEFT}" y="${top - 10}">${escapeXml(title)}${axis.log ? ' (log scale)' : ''}</text>`)
  out.push(`<rect x="${LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" fill="#ffffff" stroke="#888888"/>`)
  for (const tick of axis.ticks) {
    const y = num(axis.toY(tick))
    out.push(`<line class="grid" x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y}" y2="${y}"/>`)
    out.push(`<text class="tick" x="${LEFT - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(tickLabel(tick))}</text>`)
  }
  for (const tick of time.ticks) {
    const x = num(time.toX(tick))
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"/>`)
    const label = time.unit === 'min' ? tick / 60 : tick
    out.push(`<text class="tick" x="${x}" y="${bottom + 16}" text-anchor="middle">${escapeXml(tickLabel(label))}</text>`)
  }
  const middle = top + PANEL_HEIGHT / 2
  out.push(`<text class="axis-label" transform="translate(${LEFT - 56} ${middle}) rotate(-90)" text-anchor="middle">${escapeXml(unitLabel)}</text>`)
  out.push(`<text class="axis-label" x="${LEFT + PLOT_WIDTH / 2}" y="${bottom + 34}" text-anchor="middle">simulated time (${time.unit})</text>`)
  if (offered) {
    const points = offered.map((point) => `${num(time.toX(point.t))},${num(axis.toY(point.offeredGbps))}`).join(' ')
    out.push(`<polyline class="offered" points="${points}" ${OFFERED_STROKE}/>`)
  }
  for (const [i, run] of runs.entries()) {
    const points = run.series
      .filter((point) => Number.isFinite(pick(point)))
      .map((point) => `${num(time.toX(point.t))},${num(axis.toY(pick(point)))}`)
      .join(' ')
    out.push(`<polyline class="series" data-policy="${escapeXml(run.policy)}" points="${points}" ${strokeOf(i)}/>`)
  }
  out.push('</g>')
  return out.join('\n')
}

function strokeOf(i: number): string {
  const dash = DASHES[i % DASHES.length]
  return `fill="none" stroke="${COLOURS[i % COLOURS.length]}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} stroke-linejoin="round"`
}

/** A legend label: the policy's name; the bound's says what its line is (no policy does better). */
function labelOf(run: PolicyEvaluation): string {
  return run.kind === 'bound' ? `${run.policy} (best possible)` : run.policy
}

function legend(runs: readonly PolicyEvaluation[], offered: boolean): string {
  const x = WIDTH - RIGHT + 20
  const out: string[] = ['<g id="legend">', `<text class="panel-title" x="${x}" y="${TOP - 10}">policy</text>`]
  for (const [i, run] of runs.entries()) {
    const y = TOP + 14 + i * 24
    out.push(
      `<g class="legend-entry" data-policy="${escapeXml(run.policy)}">` +
        `<line x1="${x}" x2="${x + 36}" y1="${y}" y2="${y}" ${strokeOf(i)}/>` +
        `<text x="${x + 44}" y="${y}" dominant-baseline="middle">${escapeXml(labelOf(run))}</text></g>`,
    )
  }
  if (offered) {
    const y = TOP + 14 + runs.length * 24
    out.push(`<g class="legend-entry" data-offered="true"><line x1="${x}" x2="${x + 36}" y1="${y}" y2="${y}" ${OFFERED_STROKE}/><text x="${x + 44}" y="${y}" dominant-baseline="middle">offered traffic</text></g>`)
  }
  out.push('</g>')
  return out.join('\n')
}

/** The whole figure for one evaluation; the same evaluation always gives the same bytes. */
export function renderPlot(evaluation: Evaluation): string {
  const runs = evaluation.policies
  const end = Math.max(evaluation.durationSeconds, ...runs.flatMap((run) => run.series.map((point) => point.t)))
  const time = timeAxis(end)
  const title = `sova evaluate: scenario ${evaluation.scenario}, seed ${evaluation.seed}`
  // Every policy faces the same demand: the run with the finest periods draws it best (a policy
  // whose actions take long has long periods).
  const offered = runs.reduce<PolicyEvaluation | undefined>((finest, run) => (!finest || run.series.length > finest.series.length ? run : finest), undefined)?.series
  const subtitle = `${runs.length} ${runs.length === 1 ? 'policy' : 'policies'}, ${evaluation.periodSeconds} s periods over ${tickLabel(evaluation.durationSeconds / 60)} simulated minutes`
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    '<style>.grid{stroke:#e3e3e3;stroke-width:1}.tick{fill:#444}.panel-title{font-weight:bold;font-size:13px}.axis-label{fill:#222}</style>',
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fafafa"/>`,
    `<text x="${LEFT}" y="22" font-size="16" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="${LEFT}" y="38" fill="#555">${escapeXml(subtitle)}</text>`,
    panel('panel-delivered', 'Delivered traffic (Gbit/s)', 'Gbit/s', TOP, runs, (point) => point.deliveredGbps, time, offered),
    panel('panel-p99', 'p99 response time (ms)', 'ms', TOP + PANEL_HEIGHT + GAP, runs, (point) => point.p99Ms, time),
    legend(runs, offered !== undefined),
    '</svg>',
    '',
  ].join('\n')
}
