// What a Linux host (dom0 or a KVM host) says about its physical port and its SR-IOV VFs, read
// from /proc, sysfs and `ip -j` (INTERFACES.md §3). Parsers are pure; readers take a HostShell so
// the same code reads this machine or a remote one over ssh.
import {mapSettled} from '../concurrency.js'
import {REMOTE_READS, type HostShell} from '../exec.js'
import type {ShellCommand} from '../remote-batch.js'
import {canonicalPci, isPciAddress} from '../identifiers.js'

export interface ByteCounters {
  rxBytes: number
  txBytes: number
}

/**
 * `/proc/net/dev`: two header lines, then `name: rx-bytes rx-packets ... tx-bytes ...`. Split on the
 * first colon (old kernels glue big numbers to the name), then on whitespace (INTERFACES.md §3.1).
 */
export function parseProcNetDev(text: string): Map<string, ByteCounters> {
  const counters = new Map<string, ByteCounters>()
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number)
    if (fields.length < 16 || fields.some((field) => !Number.isFinite(field))) continue
    counters.set(line.slice(0, colon).trim(), {rxBytes: fields[0], txBytes: fields[8]})
  }
  return counters
}

/** `/sys/class/net/<if>/speed`: Mbit/s, or undefined when unknown (`-1`, unreadable, not a number). */
export function parseLinkSpeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const speed = Number(text.trim())
  return Number.isFinite(speed) && speed > 0 ? speed : undefined
}

export interface PortReading extends ByteCounters {
  /** From sysfs; undefined when the link does not say. */
  speedMbps: number | undefined
}

/** The port's counters and link speed; undefined when the device is not in /proc/net/dev. */
export async function readPort(shell: HostShell, device: string): Promise<PortReading | undefined> {
  const [netDev, speed] = await Promise.all([shell.readText('/proc/net/dev'), shell.readText(`/sys/class/net/${device}/speed`)])
  const counters = netDev === undefined ? undefined : parseProcNetDev(netDev).get(device)
  return counters && {...counters, speedMbps: parseLinkSpeed(speed)}
}

export interface SriovFacts {
  totalVfs: number
  numVfs: number
  /** VF number (as `ip link ... vf N` counts) to canonical PCI address. */
  vfs: {index: number; address: string}[]
}

/** What readSriov reads first, to batch ahead (host-batch.ts): the VF counts and the device's folder. */
export function sriovReads(device: string): ShellCommand[] {
  const base = `/sys/class/net/${device}/device`
  return [REMOTE_READS.text(`${base}/sriov_totalvfs`), REMOTE_READS.text(`${base}/sriov_numvfs`), REMOTE_READS.list(base)]
}

/** What readSriov reads next, given the device folder's `entries`: each VF's link. */
export function sriovLinkReads(device: string, entries: string[] | undefined): ShellCommand[] {
  return (entries ?? []).filter((entry) => /^virtfn\d+$/.test(entry)).map((link) => REMOTE_READS.link(`/sys/class/net/${device}/device/${link}`))
}

/** The PF's SR-IOV state from sysfs; undefined when the device has no SR-IOV capability. */
export async function readSriov(shell: HostShell, device: string): Promise<SriovFacts | undefined> {
  const base = `/sys/class/net/${device}/device`
  const [total, num, entries] = await Promise.all([shell.readText(`${base}/sriov_totalvfs`), shell.readText(`${base}/sriov_numvfs`), shell.list(base)])
  if (total === undefined || entries === undefined) return undefined
  const links = entries.filter((entry) => /^virtfn\d+$/.test(entry))
  // A PF can have 64 VFs: over ssh, all at once would trip sshd's MaxStartups (10 by default).
  const targets = (await mapSettled(links, 4, (link) => shell.linkTarget(`${base}/${link}`))).map((result) => (result.status === 'fulfilled' ? result.value : undefined))
  const vfs = links
    .map((link, i) => ({index: Number(link.slice('virtfn'.length)), address: targets[i]}))
    .filter((vf): vf is {index: number; address: string} => vf.address !== undefined && isPciAddress(vf.address))
    .map((vf) => ({index: vf.index, address: canonicalPci(vf.address)}))
    .sort((a, b) => a.index - b.index)
  return {totalVfs: Number(total.trim()) || 0, numVfs: Number(num?.trim()) || 0, vfs}
}

interface IpLinkVfInfo {
  vf?: number
  address?: string
  stats?: {rx?: {bytes?: number}; tx?: {tx_bytes?: number; bytes?: number}}
}

/**
 * Per-VF counters from `ip -s -j -d link show <pf>` (`vfinfo_list`, INTERFACES.md §3.4), keyed by
 * VF number; a VF without counters is left out (unavailable). The counters are the VF's own: rx
 * is what the VM received. Output that is not ip's
 * JSON list throws: read as "no counters", a VM on its VF would look idle and lose it.
 */
export function parseIpLinkVfStats(json: string): Map<number, ByteCounters & {mac: string | undefined}> {
  const stats = new Map<number, ByteCounters & {mac: string | undefined}>()
  const links = JSON.parse(json) as {vfinfo_list?: IpLinkVfInfo[]}[]
  if (!Array.isArray(links)) throw new Error(`expected a JSON list of links, got ${json.trim().slice(0, 40) || 'nothing'}`)
  for (const link of links) {
    for (const vf of link.vfinfo_list ?? []) {
      if (typeof vf.vf !== 'number') continue
      // No stats block (ip without -s, old kernels and iproute2): unavailable, never 0 (an idle VF).
      const rxBytes = vf.stats?.rx?.bytes
      const txBytes = vf.stats?.tx?.tx_bytes ?? vf.stats?.tx?.bytes
      if (typeof rxBytes !== 'number' || typeof txBytes !== 'number') continue
      stats.set(vf.vf, {rxBytes, txBytes, mac: vf.address})
    }
  }
  return stats
}

/**
 * Each VF's traffic keyed by PCI address (VF number matched through sysfs `virtfnN`). Throws,
 * naming the command, when `ip` fails or prints what cannot be read: the caller says which host.
 * `seen` gets ip's output, for the port's reading to reuse (port-load.ts).
 */
export async function readVfCounters(shell: HostShell, device: string, sriov: SriovFacts, timeoutMs: number, seen?: (json: string) => void): Promise<Map<string, ByteCounters>> {
  const command = `ip -s -j -d link show ${device}`
  const result = await shell.run('ip', ['-s', '-j', '-d', 'link', 'show', device], {timeoutMs})
  if (result.exitCode !== 0 || result.timedOut) {
    throw new Error(`${command} failed${result.timedOut ? ' (timed out)' : ` (exit ${result.exitCode})`}: ${result.stderr.trim().split('\n').slice(-1)[0] || 'no message'}`)
  }
  seen?.(result.stdout)
  let byIndex: Map<number, ByteCounters>
  try {
    byIndex = parseIpLinkVfStats(result.stdout)
  } catch (error) {
    throw new Error(`${command} printed output that could not be parsed: ${(error as Error).message}`)
  }
  const byAddress = new Map<string, ByteCounters>()
  for (const vf of sriov.vfs) {
    const counters = byIndex.get(vf.index)
    if (counters) byAddress.set(vf.address, {rxBytes: counters.rxBytes, txBytes: counters.txBytes})
  }
  return byAddress
}
