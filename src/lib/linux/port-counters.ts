// The whole physical port's load on an SR-IOV NIC. A PF netdev's counters (/proc/net/dev) are
// those of its own PCIe function: traffic of the VMs on its VFs is switched inside the NIC and
// never shows there. Most drivers also publish the MAC's own counters in `ethtool -S <pf>`;
// failing those, the PF's and the VFs' counters are summed. Pure: parsers and the choice only.
// docs/port-counters.md is the operator's view of this table and of the fallbacks.
import type {ByteCounters} from './host-facts.js'

export interface DriverPortCounters {
  /** The driver as `ethtool -i` names it (the kernel module). */
  driver: string
  /** `ethtool -S <pf>` names of the port's received and transmitted bytes. */
  rx: string
  tx: string
  /** Where the names were read (repository@commit:path), so a reader can check them. */
  source: string
}

/**
 * Only names read in a driver's source go here. Each counts what crosses the port's MAC, VFs
 * included, and is printed on the PF only (a VF's `ethtool -S` lacks it).
 */
export const PORT_COUNTERS: readonly DriverPortCounters[] = [
  // pport_802_3_stats_desc: IEEE 802.3 a_octets_received_ok / a_octets_transmitted_ok of the port.
  {driver: 'mlx5_core', rx: 'rx_bytes_phy', tx: 'tx_bytes_phy', source: 'torvalds/linux@9ac669fc:drivers/net/ethernet/mellanox/mlx5/core/en_stats.c'},
  // i40e_gstrings_stats, "the PF_STATs are for the physical function at the bottom of the stack";
  // appended only when ethtool -S is asked on the base PF netdev.
  {driver: 'i40e', rx: 'port.rx_bytes', tx: 'port.tx_bytes', source: 'gregkh/linux@10d525b9:drivers/net/ethernet/intel/i40e/i40e_ethtool.c'},
  // ice_gstrings_pf_stats (renamed from port.rx_bytes in 2019 "ice: Format ethtool reported stats").
  {driver: 'ice', rx: 'rx_bytes.nic', tx: 'tx_bytes.nic', source: 'torvalds/linux@bc2f6ede:drivers/net/ethernet/intel/ice/ice_ethtool.c'},
  // ixgbe_gstrings_stats: stats.gorc / stats.gotc, the MAC's Good Octets Received/Transmitted Count.
  {driver: 'ixgbe', rx: 'rx_bytes_nic', tx: 'tx_bytes_nic', source: 'gregkh/linux@55d40c06:drivers/net/ethernet/intel/ixgbe/ixgbe_ethtool.c'},
  // efx_ef10_stat_desc: MC_CMD_MAC_RX_BYTES / TX_BYTES; shown only to the function with LINKCTRL,
  // while the netdev's own counters come from its vadaptor when SR-IOV (EVB) is on.
  {driver: 'sfc', rx: 'port_rx_bytes', tx: 'port_tx_bytes', source: 'torvalds/linux@90c914d2:drivers/net/ethernet/sfc/ef10.c'},
  // bnxt_port_stats_arr, printed only with BNXT_FLAG_PORT_STATS (the PF). Its ring counters are
  // named "[N]: rx_ucast_bytes", which is why names are read up to the last ": ".
  {driver: 'bnxt_en', rx: 'rx_bytes', tx: 'tx_bytes', source: 'gregkh/linux@10d525b9:drivers/net/ethernet/broadcom/bnxt/bnxt_ethtool.c'},
]

export function portCountersOf(driver: string): DriverPortCounters | undefined {
  return PORT_COUNTERS.find((entry) => entry.driver === driver)
}

export interface EthtoolStats {
  values: Map<string, number>
  /** Names printed more than once: their value is ambiguous, so none is kept in `values`. */
  repeated: Set<string>
}

/**
 * `ethtool -S <if>`: `NIC statistics:`, then one `     <name>: <u64>` line per counter (ethtool.c
 * prints "     %.*s: %llu\n"). Names may hold dots, brackets, spaces and even ": " (bnxt's
 * "[0]: rx_ucast_bytes"), so the value is what follows the last ": ". Anything else throws: a
 * half-read table would make the port look quieter than it is.
 */
export function parseEthtoolStats(text: string): EthtoolStats {
  const lines = text.split('\n')
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop()
  const header = lines.findIndex((line) => line.trim() !== '')
  if (header < 0 || lines[header].trim() !== 'NIC statistics:') {
    throw new Error(`ethtool -S output does not start with "NIC statistics:" (got ${JSON.stringify((lines[Math.max(header, 0)] ?? '').trim().slice(0, 40))})`)
  }
  const values = new Map<string, number>()
  const repeated = new Set<string>()
  for (let i = header + 1; i < lines.length; i++) {
    const match = /^\s+(.*\S)\s*: (\d+)\s*$/.exec(lines[i])
    if (!match) throw new Error(`ethtool -S line ${i + 1} is not "name: count": ${JSON.stringify(lines[i].slice(0, 60))}`)
    const [, name, digits] = match
    if (values.has(name) || repeated.has(name)) {
      values.delete(name)
      repeated.add(name)
      continue
    }
    values.set(name, Number(digits))
  }
  return {values, repeated}
}

/** `ethtool -i <if>`: the `driver: NAME` line. Throws when it is missing or not a module name. */
export function parseEthtoolDriver(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.startsWith('driver:'))
  const driver = line?.slice('driver:'.length).trim() ?? ''
  if (!/^[A-Za-z0-9_.-]+$/.test(driver)) {
    throw new Error(line === undefined ? 'ethtool -i output has no "driver:" line' : `ethtool -i names no usable driver: ${JSON.stringify(line.slice(0, 60))}`)
  }
  return driver
}

/** What `ip -s -j link show <pf>` says of the VFs' counters, for summing with the PF's. */
export type VfCountersReading = {available: true; counters: ByteCounters[]} | {available: false; why: string}

/**
 * Every VF's counters from `vfinfo_list[].stats` (INTERFACES.md §3.4), or why they cannot be summed:
 * a VF without `stats` (old iproute2, or a driver that does not report them) would count as idle.
 */
export function parseVfCountersForPort(json: string): VfCountersReading {
  let links: unknown
  try {
    links = JSON.parse(json)
  } catch {
    return {available: false, why: 'ip -s -j link printed something that is not JSON'}
  }
  if (!Array.isArray(links)) return {available: false, why: 'ip -s -j link did not print a list of links'}
  const counters: ByteCounters[] = []
  for (const link of links as {vfinfo_list?: {vf?: number; stats?: {rx?: {bytes?: unknown}; tx?: {tx_bytes?: unknown; bytes?: unknown}}}[]}[]) {
    for (const vf of link.vfinfo_list ?? []) {
      const rx = vf.stats?.rx?.bytes
      const tx = vf.stats?.tx?.tx_bytes ?? vf.stats?.tx?.bytes
      if (typeof rx !== 'number' || typeof tx !== 'number') {
        return {available: false, why: `VF ${vf.vf ?? '?'} has no byte counters in ip -s -j link (ip reports them only with -s; old kernels and iproute2 have none)`}
      }
      counters.push({rxBytes: rx, txBytes: tx})
    }
  }
  return {available: true, counters}
}

export type PortLoadBasis = 'port-counters' | 'pf+vfs' | 'pf-only'

export interface PortLoad extends ByteCounters {
  basis: PortLoadBasis
  /** One sentence for the document and for `explain`: which counters and, if not the port's, why not. */
  why: string
}

export interface PortLoadInput {
  /** From `ethtool -i <pf>`; undefined when it could not be read. */
  driver: string | undefined
  /** `ethtool -S <pf>` as printed; undefined when not read (no ethtool, no stats). */
  ethtoolStats: string | undefined
  /** The PF's row in /proc/net/dev. */
  pf: ByteCounters
  vfs: VfCountersReading
}

/**
 * The port's cumulative rx/tx bytes and the basis they stand on. Counters are cumulative: a
 * counter that goes backwards (driver reload, a basis that changed between two readings) is for
 * the rate computation to handle, not for this choice. Throws when `ethtool -S` text is malformed.
 */
export function portLoad(input: PortLoadInput): PortLoad {
  const notPort = whyNotPortCounters(input)
  if (typeof notPort !== 'string') return notPort
  if (input.vfs.available) {
    const rxBytes = input.vfs.counters.reduce((sum, vf) => sum + vf.rxBytes, input.pf.rxBytes)
    const txBytes = input.vfs.counters.reduce((sum, vf) => sum + vf.txBytes, input.pf.txBytes)
    // The kernel fills zeros for a driver without ndo_get_vf_stats (rtnl_fill_vfinfo): say so.
    const allZero = input.vfs.counters.length > 0 && input.vfs.counters.every((vf) => vf.rxBytes === 0 && vf.txBytes === 0)
    const caveat = allZero ? '; every VF reads 0 bytes, as it does when the driver does not report VF counters' : ''
    return {rxBytes, txBytes, basis: 'pf+vfs', why: `${notPort}; PF plus ${input.vfs.counters.length} VF(s) from ip -s link (VF-to-VF traffic counted twice)${caveat}`}
  }
  return {...input.pf, basis: 'pf-only', why: `${notPort}; ${input.vfs.why}; PF counters only (VF traffic missing)`}
}

/** The port-counter reading, or the reason it cannot be had. */
function whyNotPortCounters(input: PortLoadInput): PortLoad | string {
  if (input.driver === undefined) return 'driver unknown (ethtool -i not read)'
  const entry = portCountersOf(input.driver)
  if (!entry) return `driver ${input.driver} has no entry in the port-counter table`
  if (input.ethtoolStats === undefined) return `ethtool -S not read for driver ${input.driver}`
  const stats = parseEthtoolStats(input.ethtoolStats)
  for (const name of [entry.rx, entry.tx]) {
    if (stats.repeated.has(name)) return `ethtool -S prints ${name} more than once`
    if (!stats.values.has(name)) return `ethtool -S has no ${name} (driver ${input.driver}; a VF, or firmware without port statistics)`
  }
  return {
    rxBytes: stats.values.get(entry.rx)!,
    txBytes: stats.values.get(entry.tx)!,
    basis: 'port-counters',
    why: `${entry.driver} port counters ${entry.rx}/${entry.tx} from ethtool -S`,
  }
}
