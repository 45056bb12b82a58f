// One libvirt host's cumulative counters: nodeinfo + freecell for the host, one `domstats` call for
// every running domain, each domain's live XML for its NICs and VF, the VF pool, and the port.
import {mapSettled} from '../../concurrency.js'
import {isValidName} from '../../identifiers.js'
import {type ByteCounters, readVfCounters} from '../../linux/host-facts.js'
import type {HostDriverContext} from '../hosts/driver.js'
import {estimateBlockedSeconds, readHostPort} from '../hosts/host-readings.js'
import type {RawHost, RawVm} from '../types.js'
import {type DomainInfo, isPassthrough, parseDomainXml} from './domain-xml.js'
import {type DomainStats, parseDomstats, parseFreecell, parseNodeinfo} from './parse.js'
import {readVfPool, type VfPool} from './vf-pool.js'
import {heldVfs, type VfMode} from './vf-mode.js'
import {isNoSuchDomain, queryFailure, queryVirsh, type Virsh} from './virsh.js'

/** At most this many `dumpxml` calls in flight per host. */
export const DUMPXML_CONCURRENCY = 8

/** What a snapshot (and the actions) share: the host's context, its virsh, mode and caches. */
export interface LibvirtHost {
  ctx: HostDriverContext
  virsh: Virsh
  mode: VfMode
  cache: {pfNodedev?: string}
}

/** The pool of this host now. */
export function readHostPool(host: LibvirtHost): Promise<VfPool> {
  const {ctx, virsh, mode, cache} = host
  return readVfPool({virsh, hostName: ctx.host.name, shell: ctx.shell, device: ctx.host.port.device, mode, cache})
}

/**
 * Sums the domain's tap counters (guest's view), leaving out netdevs of passthrough devices; `taps`
 * names the ones summed: a NIC plugged or unplugged (a lab's stand-in VF) changes what the sum counts.
 */
function tapTraffic(stats: DomainStats, info: DomainInfo): ByteCounters & {taps: string} {
  const passthroughDevs = new Set(info.devices.filter(isPassthrough).flatMap((device) => device.target ?? []))
  const nets = stats.nets.filter((net) => net.name === undefined || !passthroughDevs.has(net.name))
  return {rxBytes: nets.reduce((sum, net) => sum + net.rxBytes, 0), txBytes: nets.reduce((sum, net) => sum + net.txBytes, 0), taps: nets.flatMap((net) => net.name ?? []).join(',')}
}

function toRawVm(stats: DomainStats, info: DomainInfo, vf: string | null, vfTraffic: ByteCounters | undefined, now: number): RawVm {
  const vcpus = stats.vcpuCurrent ?? info.vcpus ?? 1
  const cpuSeconds = (stats.cpuTimeNs ?? 0) / 1e9
  const taps = tapTraffic(stats, info)
  return {
    name: stats.name,
    // The domain UUID: stable across migrations, unlike the domid (the schema's "libvirt UUID").
    id: info.uuid ?? stats.name,
    uuid: info.uuid ?? stats.name,
    vcpus,
    memoryMiB: Math.round((stats.balloonCurrentKiB ?? stats.balloonMaximumKiB ?? info.memoryKiB ?? 0) / 1024),
    path: vf ? 'vf' : 'pv',
    vf,
    counters: {
      cpuSeconds,
      blockedSeconds: estimateBlockedSeconds(vcpus, now, cpuSeconds, stats.vcpuDelayNs / 1e9),
      rxBytes: taps.rxBytes + (vfTraffic?.rxBytes ?? 0),
      txBytes: taps.txBytes + (vfTraffic?.txBytes ?? 0),
      // A VF's counters run on from its earlier owners: the VF is part of what the sum counts.
      basis: vfTraffic ? `taps ${taps.taps} + vf ${vf}` : `taps ${taps.taps}`,
    },
  }
}

/** Each running domain's live XML; a domain that left in between is dropped. */
async function readDomainXmls(host: LibvirtHost, names: string[]): Promise<Map<string, DomainInfo>> {
  const results = await mapSettled(names, DUMPXML_CONCURRENCY, async (name) => {
    const result = await host.virsh.run(['dumpxml', name])
    if (result.exitCode === 0 && !result.timedOut) return parseDomainXml(result.stdout)
    if (isNoSuchDomain(result)) return undefined
    throw queryFailure(host.virsh, host.ctx.host.name, ['dumpxml', name], result)
  })
  const infos = new Map<string, DomainInfo>()
  results.forEach((result, i) => {
    if (result.status === 'rejected') throw result.reason
    if (result.value) infos.set(names[i], result.value)
  })
  return infos
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * VFs held by running domains whose names Sova will not pass on: they are not Sova's VMs, but
 * their VFs are not free either. Such domains are reached by UUID (validated), never by name.
 */
async function vfsOfUnnamedDomains(host: LibvirtHost, known: Iterable<DomainInfo>, members: Set<string>): Promise<string[]> {
  const knownUuids = new Set([...known].flatMap((info) => (info.uuid ? [info.uuid.toLowerCase()] : [])))
  const listed = await queryVirsh(host.virsh, host.ctx.host.name, ['list', '--uuid'])
  const others = listed.split('\n').map((line) => line.trim().toLowerCase()).filter((uuid) => UUID.test(uuid) && !knownUuids.has(uuid))
  const infos = await readDomainXmls(host, others)
  return [...infos.values()].flatMap((info) => heldVfs(info, host.mode, members))
}

/** This host's counters now (cumulative); throws UnreachableError when libvirt does not answer. */
export async function readHostSnapshot(host: LibvirtHost): Promise<RawHost> {
  const {ctx, virsh} = host
  const name = ctx.host.name
  const node = parseNodeinfo(await queryVirsh(virsh, name, ['nodeinfo']))
  const [freeKiB, statsText, pool] = await Promise.all([
    queryVirsh(virsh, name, ['freecell', '--all']).then(parseFreecell),
    queryVirsh(virsh, name, ['domstats', '--state', '--cpu-total', '--balloon', '--vcpu', '--interface', '--list-active']),
    readHostPool(host),
  ])
  // Names Sova could not pass on safely are not its VMs (their VFs are still taken: see below).
  const listed = parseDomstats(statsText)
  const stats = listed.filter((domain) => isValidName(domain.name))
  const infos = await readDomainXmls(host, stats.map((domain) => domain.name))
  const members = new Set(pool.members)
  const domains = stats.flatMap((domain) => {
    const info = infos.get(domain.name)
    return info ? [{stats: domain, info, held: heldVfs(info, host.mode, members)}] : []
  })
  const passthrough = host.mode.kind !== 'emulated'
  // A VF's traffic bypasses the tap: it is read from the PF's per-VF counters (rx = received by the VM).
  const sriov = passthrough && domains.some((domain) => domain.held.length > 0) ? await pool.vfNumbers() : undefined
  const vfTraffic = sriov ? await readVfCounters(ctx.shell, ctx.host.port.device, sriov, ctx.timeouts.toolMs) : new Map<string, ByteCounters>()
  const now = ctx.now()
  const vms = domains.map(({stats: domain, info, held}) => {
    const vf = held[0] ?? null
    return toRawVm(domain, info, vf, vf && passthrough ? vfTraffic.get(vf) : undefined, now)
  })
  const taken = new Set(domains.flatMap((domain) => domain.held))
  if (stats.length < listed.length) for (const vf of await vfsOfUnnamedDomains(host, infos.values(), members)) taken.add(vf)
  return {
    name,
    nic: await readHostPort(ctx, vms),
    vfs: {total: pool.offered.length, free: pool.offered.filter((vf) => !taken.has(vf))},
    cpus: node.cpus,
    memoryMiB: {total: Math.round(node.memoryKiB / 1024), free: Math.round(freeKiB / 1024)},
    vms,
  }
}
