// Pure parsers for what `xl` prints (INTERFACES.md §1.2-1.4). No I/O: the driver feeds them text.
import {UsageError} from '../../errors.js'
import {formatPci, isPciAddress, canonicalPci} from '../../identifiers.js'
import {libxlPciOptions, type LibxlPci} from './pci-spec.js'

/** `xl info`: `key<padding to 23>: value` lines; values may contain colons, so split on the first. */
export function parseXlInfo(text: string): Map<string, string> {
  const info = new Map<string, string>()
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    info.set(line.slice(0, colon).trim(), line.slice(colon + 1).trim())
  }
  return info
}

export interface XenHostInfo {
  cpus: number
  memoryMiB: {total: number; free: number}
}

/** The host figures a snapshot needs from `xl info` (memory there is already MiB). */
export function readHostInfo(info: Map<string, string>): XenHostInfo {
  const number = (key: string) => {
    const value = Number(info.get(key))
    if (!Number.isFinite(value)) throw new Error(`xl info: expected a number for ${key}, got ${JSON.stringify(info.get(key))}`)
    return value
  }
  return {cpus: number('nr_cpus'), memoryMiB: {total: number('total_memory'), free: number('free_memory')}}
}

/** One row of plain `xl list`. */
export interface XlListRow {
  name: string
  domid: number
  memMiB: number
  vcpus: number
  state: string
  cpuSeconds: number
}

// `%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f`: read from the right, the name may hold spaces.
const XL_LIST_ROW = /^(.*\S)\s+(\d+)\s+(\d+)\s+(\d+)\s+([-a-zA-Z]{6})\s+(\d+(?:\.\d+)?)\s*$/

/** Plain `xl list` (the header, with its TABs, does not match a row and is skipped). */
export function parseXlList(text: string): XlListRow[] {
  const rows: XlListRow[] = []
  for (const line of text.split('\n')) {
    const match = XL_LIST_ROW.exec(line)
    if (!match) continue
    const [, name, domid, mem, vcpus, state, time] = match
    rows.push({name, domid: Number(domid), memMiB: Number(mem), vcpus: Number(vcpus), state, cpuSeconds: Number(time)})
  }
  return rows
}

/** What Sova needs of one domain's `xl list -l` config. */
export interface XlDomain {
  domid: number
  name: string
  /** The domain's UUID (c_info.uuid, lower case); undefined when xl gives none that reads as one. */
  uuid: string | undefined
  /** Undefined when the config leaves it at its default (then `xl list` says). */
  vcpus: number | undefined
  memoryMiB: number | undefined
  /** Host PCI addresses passed through, canonical. */
  pcidevs: string[]
  /** Each passed-through device's options as the config has them (`permissive=1`...), by host BDF. */
  pciOptions: Map<string, string[]>
  /** Custom dom0 netdev names (`vifname=`), when the config sets them. */
  vifNames: string[]
  /** The domain config says `nomigrate=1` (b_info.disable_migrate, a libxl defbool printed "True"). */
  noMigrate: boolean
}

interface LibxlDomainConfig {
  c_info?: {name?: string; uuid?: string}
  b_info?: {max_vcpus?: number; target_memkb?: number; max_memkb?: number; disable_migrate?: unknown}
  nics?: {ifname?: string}[]
  pcidevs?: LibxlPci[]
}

/** A libxl PCI device as `DDDD:BB:SS.F`; fields equal to their default (0) are omitted from the JSON. */
export function formatLibxlPci(pci: LibxlPci): string {
  return formatPci({domain: pci.domain ?? 0, bus: pci.bus ?? 0, slot: pci.dev ?? 0, function: pci.func ?? 0})
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

const positive = (value: unknown): number | undefined => (typeof value === 'number' && value > 0 ? value : undefined)

/**
 * `xl list -l`: a JSON array of {domid, config} (INTERFACES.md §1.2). Defaults are omitted, so
 * every field is optional. Refuses the old SXP format with the setting that changes it.
 */
export function parseXlListLong(text: string): XlDomain[] {
  const trimmed = text.trim()
  if (trimmed === '') return []
  if (trimmed.startsWith('(')) {
    throw new UsageError('xl list -l printed SXP, not JSON', 'remove output_format="sxp" from /etc/xen/xl.conf (JSON is the default)')
  }
  const entries = JSON.parse(trimmed) as {domid?: number; config?: LibxlDomainConfig}[]
  if (!Array.isArray(entries)) throw new Error('xl list -l: expected a JSON array')
  return entries.flatMap((entry) => {
    const config = entry.config ?? {}
    const name = config.c_info?.name
    if (typeof entry.domid !== 'number' || typeof name !== 'string') return []
    const memKiB = positive(config.b_info?.target_memkb) ?? positive(config.b_info?.max_memkb)
    const uuid = config.c_info?.uuid
    const pcidevs = config.pcidevs ?? []
    return [
      {
        domid: entry.domid,
        name,
        uuid: typeof uuid === 'string' && UUID.test(uuid) ? uuid.toLowerCase() : undefined,
        vcpus: positive(config.b_info?.max_vcpus),
        memoryMiB: memKiB === undefined ? undefined : memKiB / 1024,
        pcidevs: pcidevs.map(formatLibxlPci),
        pciOptions: new Map(pcidevs.map((pci) => [formatLibxlPci(pci), libxlPciOptions(pci)])),
        vifNames: (config.nics ?? []).flatMap((nic) => (typeof nic.ifname === 'string' && nic.ifname !== '' ? [nic.ifname] : [])),
        noMigrate: config.b_info?.disable_migrate === 'True' || config.b_info?.disable_migrate === true,
      },
    ]
  })
}

/** `xl pci-assignable-list`: one BDF per line, with a trailing space (or ` name` with -n). */
export function parsePciAssignableList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0])
    .filter((bdf) => bdf !== undefined && isPciAddress(bdf))
    .map((bdf) => canonicalPci(bdf))
}

/**
 * `xl pci-list <dom>`: header `Vdev Device`, then `vslot.func host-BDF` per device. A domain with
 * no PCI devices prints nothing at all, not even the header.
 */
export function parsePciList(text: string): string[] {
  return parsePciListEntries(text).map((entry) => entry.bdf)
}

/** One row of `xl pci-list`: the guest slot the device sits in (`vslot.func`, hex) and its host BDF. */
export interface PciListEntry {
  vslot: number
  bdf: string
}

export function parsePciListEntries(text: string): PciListEntry[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length >= 2 && /^[0-9a-f]{2}\.[0-7]$/i.test(fields[0]) && isPciAddress(fields[1]))
    .map((fields) => ({vslot: parseInt(fields[0].slice(0, 2), 16), bdf: canonicalPci(fields[1])}))
}
