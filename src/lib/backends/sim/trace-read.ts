// Reads per-VM resource traces from a directory in one of two layouts: the compact grid of
// ../shared/traces/bitbrains-rnd (one CSV per metric, a column per VM, 5-minute rows) or the GWA-T-12
// dataset's own per-VM files (rnd/2013-7/1.csv, ';'+TAB separated). Only the windows a scenario needs
// are kept, at 5-minute resolution; every refusal is one line naming the file and the line (exit 65).
import {closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {InputError, UsageError} from '../../errors.js'

/** The traces' resolution: one value per 5-minute bin (a mean over the bin). */
export const TRACE_BIN_S = 300
/** CPU clock per core when a trace does not give the provisioned capacity (the dataset's common 2.6 GHz). */
export const DEFAULT_MHZ_PER_CORE = 2600
/** Mbit/s in one KB/s of the traces (KB = 1024 bytes). */
const MBPS_PER_KBPS = (1024 * 8) / 1e6

/** What a directory holds: its layout, its VMs (`vm1`, `vm3`, ...) and its time span in bins. */
export interface TraceIndex {
  dir: string
  format: 'grid' | 'per-vm'
  vmIds: string[]
  /** Start of bin 0, Unix seconds. */
  originS: number
  /** Bins from the first to the last sample. */
  spanBins: number
  /** Per-VM files (per-vm format): every file of a VM, oldest month first. */
  files?: Map<string, string[]>
}

/** One window of one VM: bins [fromBin, fromBin + bins), gaps filled (see fillGaps). */
export interface TraceWindow {
  vmId: string
  fromBin: number
  bins: number
}

/** A VM's window as the simulator uses it. */
export interface TraceSlice {
  vmId: string
  fromBin: number
  rxMbps: number[]
  txMbps: number[]
  /** CPU cores busy (usage MHz / MHz per core), per bin. */
  cpuCores: number[]
  /** Most vCPUs seen in the window (at least 1; 1 when unknown). */
  vcpus: number
  /** Most provisioned memory seen in the window, MiB (0 = missing; 4096 when unknown). */
  memoryMiB: number
  /** Bins with no sample in the window (filled from their neighbours). */
  missingBins: number
}

const GRID_FILES = {rx: 'net_rx_KBps_5min', tx: 'net_tx_KBps_5min', cores: 'cpu_cores_1h', mem: 'mem_prov_MiB_1h', cpu: 'cpu_usage_MHz_1h'} as const
const FORMAT_HINT = 'expected the compact grid (net_rx_KBps_5min.csv.gz ...) or the dataset\'s per-VM files (rnd/2013-7/1.csv ...); see docs/traces.md'

function bad(file: string, line: number, detail: string): never {
  throw new InputError(`${file}: line ${line}: ${detail}`, 'see docs/traces.md for the formats read')
}

/** A cell as a number >= 0; '' is a missing sample (NaN). */
function cell(text: string, file: string, line: number, column: string): number {
  const trimmed = text.trim()
  if (trimmed === '') return Number.NaN
  const value = Number(trimmed)
  if (!Number.isFinite(value) || value < 0) bad(file, line, `${column}: expected a number >= 0, got "${trimmed.slice(0, 40)}"`)
  return value
}

function readText(path: string): string {
  const bytes = readFileSync(path)
  if (!path.endsWith('.gz')) return bytes.toString('utf8')
  try {
    return gunzipSync(bytes).toString('utf8')
  } catch (error) {
    throw new InputError(`${path}: line 1: not a gzip file (${(error as Error).message})`, 'see docs/traces.md for the formats read')
  }
}

function gridFile(dir: string, base: string): string | undefined {
  for (const candidate of [`${base}.csv.gz`, `${base}.csv`]) if (existsSync(join(dir, candidate))) return join(dir, candidate)
  return undefined
}

// ---- compact grid ------------------------------------------------------------------------------

interface GridTable {
  file: string
  header: string[]
  /** Row text by the row's time, for the rows kept. */
  rows: Map<number, {line: number; cells: string[]}>
  firstT: number
  lastT: number
}

/** Reads a grid file; keeps (split) only the rows whose time `keep` accepts, checking every row's time. */
function readGrid(file: string, keep: (t: number) => boolean): GridTable {
  const lines = readText(file).split('\n')
  const header = lines[0].replace(/\r$/, '').split(',')
  if (header[0] !== 't_utc_s' || header.length < 2) bad(file, 1, `expected a header "t_utc_s,vm1,...", got "${lines[0].slice(0, 40)}"`)
  const rows = new Map<number, {line: number; cells: string[]}>()
  let firstT = Number.NaN
  let lastT = Number.NaN
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i].replace(/\r$/, '')
    if (text === '') continue
    const comma = text.indexOf(',')
    const t = Number(comma < 0 ? text : text.slice(0, comma))
    if (comma < 0 || !Number.isSafeInteger(t)) bad(file, i + 1, `t_utc_s: expected Unix seconds, got "${text.slice(0, 40)}"`)
    if (t <= lastT) bad(file, i + 1, `t_utc_s: ${t} does not follow the previous row's ${lastT}`)
    if (Number.isNaN(firstT)) firstT = t
    lastT = t
    if (!keep(t)) continue
    const cells = text.split(',')
    if (cells.length !== header.length) bad(file, i + 1, `expected ${header.length} cells like the header, got ${cells.length}`)
    rows.set(t, {line: i + 1, cells})
  }
  if (Number.isNaN(firstT)) bad(file, 2, 'no data rows')
  return {file, header, rows, firstT, lastT}
}

function indexGrid(dir: string): TraceIndex {
  const rxFile = gridFile(dir, GRID_FILES.rx) as string
  const lines = readText(rxFile).split('\n', 1)
  const header = lines[0].replace(/\r$/, '').split(',')
  if (header[0] !== 't_utc_s' || header.length < 2) bad(rxFile, 1, `expected a header "t_utc_s,vm1,...", got "${lines[0].slice(0, 40)}"`)
  const table = readGrid(rxFile, () => false)
  return {dir, format: 'grid', vmIds: header.slice(1), originS: table.firstT, spanBins: Math.floor((table.lastT - table.firstT) / TRACE_BIN_S) + 1}
}

/** MHz per core of each VM from vms.csv (cpu_cap_mhz_mode / cores_mode), when the file is there. */
function gridMhzPerCore(dir: string): Map<string, number> {
  const out = new Map<string, number>()
  const file = join(dir, 'vms.csv')
  if (!existsSync(file)) return out
  const lines = readText(file).split('\n')
  const header = lines[0].split(',')
  const [id, cap, cores] = ['vm_col', 'cpu_cap_mhz_mode', 'cores_mode'].map((name) => header.indexOf(name))
  if (id < 0 || cap < 0 || cores < 0) return out
  for (const [i, text] of lines.entries()) {
    if (i === 0 || text.trim() === '') continue
    const cells = text.split(',')
    const perCore = cell(cells[cap] ?? '', file, i + 1, 'cpu_cap_mhz_mode') / cell(cells[cores] ?? '', file, i + 1, 'cores_mode')
    if (perCore > 0 && Number.isFinite(perCore)) out.set(cells[id], perCore)
  }
  return out
}

function readGridWindows(index: TraceIndex, windows: readonly TraceWindow[]): TraceSlice[] {
  const {dir, originS} = index
  const binOf = (t: number) => Math.floor((t - originS) / TRACE_BIN_S)
  const wanted5 = new Set<number>()
  const wantedHour = new Set<number>()
  for (const w of windows) {
    for (let b = w.fromBin; b < w.fromBin + w.bins; b++) {
      wanted5.add(b)
      wantedHour.add(Math.floor((b * TRACE_BIN_S) / 3600))
    }
  }
  const keep5 = (t: number) => wanted5.has(binOf(t))
  const keepHour = (t: number) => wantedHour.has(Math.floor((t - originS) / 3600))
  const rx = readGrid(gridFile(dir, GRID_FILES.rx) as string, keep5)
  const tx = readGrid(gridFile(dir, GRID_FILES.tx) ?? bad(join(dir, `${GRID_FILES.tx}.csv.gz`), 1, 'missing: the grid needs both rx and tx'), keep5)
  const hourly = (base: string) => {
    const file = gridFile(dir, base)
    return file ? readGrid(file, keepHour) : undefined
  }
  const [cores, mem, cpu] = [hourly(GRID_FILES.cores), hourly(GRID_FILES.mem), hourly(GRID_FILES.cpu)]
  const perCore = gridMhzPerCore(dir)
  const byBin = (table: GridTable) => new Map([...table.rows].map(([t, row]) => [binOf(t), row]))
  const byHour = (table: GridTable | undefined) => new Map(table ? [...table.rows].map(([t, row]) => [Math.floor((t - originS) / 3600), row]) : [])
  const rxRows = byBin(rx)
  const txRows = byBin(tx)
  const [coreRows, memRows, cpuRows] = [byHour(cores), byHour(mem), byHour(cpu)]
  const column = (table: GridTable | undefined, vmId: string) => (table ? table.header.indexOf(vmId) : -1)
  return windows.map((w) => {
    const value = (table: GridTable | undefined, rows: Map<number, {line: number; cells: string[]}>, key: number) => {
      const c = column(table, w.vmId)
      const row = rows.get(key)
      return c < 0 || !row || !table ? Number.NaN : cell(row.cells[c], table.file, row.line, w.vmId)
    }
    const series = {rx: [] as number[], tx: [] as number[], cores: [] as number[], mem: [] as number[], mhz: [] as number[]}
    for (let b = w.fromBin; b < w.fromBin + w.bins; b++) {
      const hour = Math.floor((b * TRACE_BIN_S) / 3600)
      series.rx.push(value(rx, rxRows, b))
      series.tx.push(value(tx, txRows, b))
      series.cores.push(value(cores, coreRows, hour))
      series.mem.push(value(mem, memRows, hour))
      series.mhz.push(value(cpu, cpuRows, hour))
    }
    return toSlice(w, series, perCore.get(w.vmId) ?? DEFAULT_MHZ_PER_CORE)
  })
}

// ---- the dataset's per-VM files --------------------------------------------------------------

/** The columns used, by their header names in the dataset (matched ignoring case). */
const PER_VM_COLUMNS = {
  t: 'Timestamp [ms]',
  cores: 'CPU cores',
  capacity: 'CPU capacity provisioned [MHZ]',
  usage: 'CPU usage [MHZ]',
  mem: 'Memory capacity provisioned [KB]',
  rx: 'Network received throughput [KB/s]',
  tx: 'Network transmitted throughput [KB/s]',
} as const
type PerVmColumn = keyof typeof PER_VM_COLUMNS

const splitPerVm = (text: string) => text.split(';').map((part) => part.trim())

/** The dataset's timestamps are Unix seconds despite the "[ms]" header; real milliseconds are accepted too. */
const toSeconds = (value: number) => (value > 1e11 ? Math.floor(value / 1000) : value)

function perVmHeader(file: string, text: string): Record<PerVmColumn, number> {
  const names = splitPerVm(text.replace(/^\uFEFF/, '')).map((name) => name.toLowerCase())
  const out = {} as Record<PerVmColumn, number>
  for (const [key, name] of Object.entries(PER_VM_COLUMNS) as [PerVmColumn, string][]) {
    const at = names.indexOf(name.toLowerCase())
    if (at < 0) bad(file, 1, `missing column "${name}" (columns are ';'-separated, e.g. "Timestamp [ms];\tCPU cores;\t...")`)
    out[key] = at
  }
  return out
}

/** First and last timestamp of a per-VM file, from its first and last 4 KiB. */
function perVmSpan(file: string): [number, number] | undefined {
  const fd = openSync(file, 'r')
  try {
    const size = statSync(file).size
    const head = Buffer.alloc(Math.min(4096, size))
    readSync(fd, head, 0, head.length, 0)
    const tail = Buffer.alloc(Math.min(4096, size))
    readSync(fd, tail, 0, tail.length, size - tail.length)
    const first = head.toString('utf8').split('\n')[1]
    const last = tail.toString('utf8').split('\n').filter((line) => line.trim() !== '').at(-1)
    const t = (line: string | undefined) => toSeconds(Number(splitPerVm(line ?? '')[0]))
    const [a, b] = [t(first), t(last)]
    return Number.isFinite(a) && Number.isFinite(b) && a > 0 && b > 0 ? [a, b] : undefined
  } finally {
    closeSync(fd)
  }
}

function indexPerVm(dir: string): TraceIndex | undefined {
  const root = existsSync(join(dir, 'rnd')) && statSync(join(dir, 'rnd')).isDirectory() ? join(dir, 'rnd') : dir
  const months = readdirSync(root)
    .filter((name) => /^\d{4}-\d{1,2}$/.test(name) && statSync(join(root, name)).isDirectory())
    .sort((a, b) => Date.parse(`${a}-01`.replace(/-(\d)-/, '-0$1-')) - Date.parse(`${b}-01`.replace(/-(\d)-/, '-0$1-')))
  const folders = months.length > 0 ? months.map((month) => join(root, month)) : [root]
  const files = new Map<string, string[]>()
  for (const folder of folders) {
    for (const name of readdirSync(folder).filter((n) => /^\d+\.csv$/.test(n))) {
      const id = `vm${Number.parseInt(name, 10)}`
      files.set(id, [...(files.get(id) ?? []), join(folder, name)])
    }
  }
  if (files.size === 0) return undefined
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (const paths of files.values()) {
    for (const path of paths) {
      const span = perVmSpan(path)
      if (span) [first, last] = [Math.min(first, span[0]), Math.max(last, span[1])]
    }
  }
  if (!Number.isFinite(first)) bad([...files.values()][0][0], 2, 'no data rows with a timestamp in any file')
  const originS = Math.floor(first / TRACE_BIN_S) * TRACE_BIN_S
  const vmIds = [...files.keys()].sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)))
  return {dir, format: 'per-vm', vmIds, originS, spanBins: Math.floor((last - originS) / TRACE_BIN_S) + 1, files}
}

function readPerVmWindow(index: TraceIndex, w: TraceWindow): TraceSlice {
  const sums = new Map<number, {n: number} & Record<PerVmColumn, number>>()
  let capacity = 0
  let capacityCores = 0
  for (const file of index.files?.get(w.vmId) ?? []) {
    const lines = readText(file).split('\n')
    const at = perVmHeader(file, lines[0])
    const seen = new Set<string>()
    for (let i = 1; i < lines.length; i++) {
      const text = lines[i].replace(/\r$/, '')
      if (text.trim() === '') continue
      const cells = splitPerVm(text)
      if (cells.length < 11) bad(file, i + 1, `expected 11 ';'-separated columns, got ${cells.length}`)
      const raw = cell(cells[at.t], file, i + 1, PER_VM_COLUMNS.t)
      if (!Number.isFinite(raw)) bad(file, i + 1, `${PER_VM_COLUMNS.t}: missing`)
      const bin = Math.floor((toSeconds(raw) - index.originS) / TRACE_BIN_S)
      if (bin < w.fromBin || bin >= w.fromBin + w.bins || seen.has(text)) continue
      seen.add(text) // the dataset repeats some rows exactly: count them once
      const row = sums.get(bin) ?? {n: 0, t: 0, cores: 0, capacity: 0, usage: 0, mem: 0, rx: 0, tx: 0}
      for (const key of Object.keys(PER_VM_COLUMNS) as PerVmColumn[]) {
        const value = cell(cells[at[key]], file, i + 1, PER_VM_COLUMNS[key])
        if (Number.isNaN(value)) bad(file, i + 1, `${PER_VM_COLUMNS[key]}: missing`)
        row[key] += value
      }
      row.n += 1
      sums.set(bin, row)
      capacity += cell(cells[at.capacity], file, i + 1, PER_VM_COLUMNS.capacity)
      capacityCores += cell(cells[at.cores], file, i + 1, PER_VM_COLUMNS.cores)
    }
  }
  const series = {rx: [] as number[], tx: [] as number[], cores: [] as number[], mem: [] as number[], mhz: [] as number[]}
  for (let b = w.fromBin; b < w.fromBin + w.bins; b++) {
    const row = sums.get(b)
    const mean = (key: PerVmColumn) => (row ? row[key] / row.n : Number.NaN)
    series.rx.push(mean('rx'))
    series.tx.push(mean('tx'))
    series.cores.push(mean('cores'))
    series.mem.push(row ? mean('mem') / 1024 : Number.NaN)
    series.mhz.push(mean('usage'))
  }
  return toSlice(w, series, capacity > 0 && capacityCores > 0 ? capacity / capacityCores : DEFAULT_MHZ_PER_CORE)
}

// ---- both ------------------------------------------------------------------------------------

/**
 * Missing bins take the last sample before them in the window (the first one after, at its start);
 * a window with no sample at all is 0 throughout.
 */
export function fillGaps(values: readonly number[]): number[] {
  const firstKnown = values.find((value) => !Number.isNaN(value)) ?? 0
  let last = firstKnown
  return values.map((value) => (Number.isNaN(value) ? last : (last = value)))
}

const round4 = (value: number) => Number(value.toPrecision(4))

function toSlice(w: TraceWindow, s: {rx: number[]; tx: number[]; cores: number[]; mem: number[]; mhz: number[]}, mhzPerCore: number): TraceSlice {
  const known = (values: number[]) => values.filter((value) => value > 0)
  const cores = known(s.cores)
  const mem = known(s.mem)
  return {
    vmId: w.vmId,
    fromBin: w.fromBin,
    rxMbps: fillGaps(s.rx).map((kbps) => round4(kbps * MBPS_PER_KBPS)),
    txMbps: fillGaps(s.tx).map((kbps) => round4(kbps * MBPS_PER_KBPS)),
    cpuCores: fillGaps(s.mhz).map((mhz) => round4(mhz / mhzPerCore)),
    vcpus: cores.length > 0 ? Math.max(1, Math.round(Math.max(...cores))) : 1,
    memoryMiB: mem.length > 0 ? Math.max(256, Math.ceil(Math.max(...mem))) : 4096,
    missingBins: s.rx.filter((value, i) => Number.isNaN(value) || Number.isNaN(s.tx[i])).length,
  }
}

/** What `dir` holds. Unreadable or neither layout: UsageError (exit 2); a malformed file: InputError (65). */
export function indexTraceDir(dir: string): TraceIndex {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`trace directory ${dir}: not a readable directory`, FORMAT_HINT)
  if (gridFile(dir, GRID_FILES.rx)) return indexGrid(dir)
  const perVm = indexPerVm(dir)
  if (!perVm) throw new UsageError(`trace directory ${dir}: no traces found`, FORMAT_HINT)
  return perVm
}

/** The windows asked for, in their order, at 5-minute resolution, in Mbit/s and cores. */
export function readTraceWindows(index: TraceIndex, windows: readonly TraceWindow[]): TraceSlice[] {
  if (index.format === 'grid') return readGridWindows(index, windows)
  return windows.map((w) => readPerVmWindow(index, w))
}
