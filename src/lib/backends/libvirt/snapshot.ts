// One libvirt host's cumulative counters: nodeinfo + freecell for the host, one `domstats` call for
// every running domain, each domain's live XML for its NICs and VF, the VF pool, and the port.
import {mapSettled} from '../../concurrency.js'
import {isValidName, NAME_RULE} from '../../identifiers.js'
import type {ByteCounters} from '../../linux/host-facts.js'
import {readVfCountersOf, type HostDriverContext} from '../hosts/driver.js'
import {estimateBlockedSeconds, readHostPort} from '../hosts/host-readings.js'
import {acceptTags} from '../../rules/tags.js'
import type {RawHost, RawVm, UnmanagedVm} from '../types.js'
import {type DomainInfo, isPassthrough, parseDomainXml} from './domain-xml.js'
import {type DomainStats, parseDomstats, parseFreecell, parseNameList, parseNodeinfo} from './parse.js'
import {readVfPool, type VfPool} from './vf-pool.js'
import {heldVfs, type VfMode} from './vf-mode.js'
import {isDomainUuid, isNoSuchDomain, queryFailure, queryVirsh, type Virsh} from './virsh.js'

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
    // The domain UUID: stable across migrations, unlike the domid (the schema's "libvirt UUID"),
    // and the only way actions name the domain to virsh.
    id: info.uuid as string,
    uuid: info.uuid as string,
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
    ...tagsOf(info.tags ?? []),
  }
}

/** The domain's metadata tags as a RawVm carries them: the valid ones, and why others were left out. */
function tagsOf(raw: string[]): Pick<RawVm, 'tags' | 'ignoredTags'> {
  const {tags, ignored} = acceptTags(raw)
  return {...(tags.length > 0 ? {tags} : {}), ...(ignored.length > 0 ? {ignoredTags: ignored} : {})}
}

/** Each running domain's live XML, read by UUID; a domain that left in between is dropped. */
async function readDomainXmls(host: LibvirtHost, uuids: string[]): Promise<DomainInfo[]> {
  const results = await mapSettled(uuids, DUMPXML_CONCURRENCY, async (uuid) => {
    const result = await host.virsh.run(['dumpxml', uuid])
    if (result.exitCode === 0 && !result.timedOut) return parseDomainXml(result.stdout)
    if (isNoSuchDomain(result)) return undefined
    throw queryFailure(host.virsh, host.ctx.host.name, ['dumpxml', uuid], result)
  })
  return results.flatMap((result, i) => {
    if (result.status === 'rejected') throw result.reason
    const info = result.value
    if (!info) return []
    // virsh answers a UUID with that domain or not at all; anything else is not to be believed.
    if (info.uuid?.toLowerCase() !== uuids[i]) throw new Error(`${host.ctx.host.name}: virsh dumpxml ${uuids[i]} answered with domain ${info.uuid ?? 'without a UUID'}`)
    return [info]
  })
}

/** Why Sova does not manage a domain of this name, or undefined when it does. */
function unmanagedWhy(name: string | undefined): string | undefined {
  if (name === undefined) return 'its live XML has no name'
  if (!isValidName(name)) return `its name is not one Sova passes on (${NAME_RULE})`
  return undefined
}

/** This host's counters now (cumulative); throws UnreachableError when libvirt does not answer. */
export async function readHostSnapshot(host: LibvirtHost): Promise<RawHost> {
  const {ctx, virsh} = host
  const name = ctx.host.name
  const node = parseNodeinfo(await queryVirsh(virsh, name, ['nodeinfo']))
  const [freeKiB, statsText, listed, pool] = await Promise.all([
    queryVirsh(virsh, name, ['freecell', '--all']).then(parseFreecell),
    queryVirsh(virsh, name, ['domstats', '--state', '--cpu-total', '--balloon', '--vcpu', '--interface', '--list-active']),
    queryVirsh(virsh, name, ['list', '--uuid']),
    readHostPool(host),
  ])
  // Every domain is known by its UUID, read once here: a name can be another domain's id or UUID
  // to virsh. domstats is keyed by name, which is unique on a host, as the live XML gives it.
  const uuids = parseNameList(listed).map((uuid) => uuid.toLowerCase())
  const odd = uuids.find((uuid) => !isDomainUuid(uuid))
  if (odd !== undefined) throw new Error(`${name}: virsh list --uuid printed ${JSON.stringify(odd)}, not a UUID`)
  const statsByName = new Map(parseDomstats(statsText).map((stats) => [stats.name, stats]))
  const members = new Set(pool.members)
  const infos = (await readDomainXmls(host, uuids)).map((info) => ({info, held: heldVfs(info, host.mode, members), why: unmanagedWhy(info.name)}))
  // A domain without stats started between the two calls (or has a name domstats cannot print):
  // its VF is still taken, and one Sova does not manage is still said.
  const domains = infos.flatMap((domain) => {
    const stats = domain.info.name === undefined ? undefined : statsByName.get(domain.info.name)
    return stats ? [{...domain, stats}] : []
  })
  const passthrough = host.mode.kind !== 'emulated'
  // A VF's traffic bypasses the tap: it is read from the PF's per-VF counters (rx = received by the VM).
  const needed = passthrough && domains.some((domain) => domain.held.length > 0)
  // sova export asks for every VF's counters; then a failure leaves them unread, not the host.
  const sriov = needed || (passthrough && ctx.readAllVfCounters) ? await pool.vfNumbers() : undefined
  let ipLinkJson: string | undefined
  const seen = (json: string) => (ipLinkJson = json)
  const vfRead = !sriov ? undefined : needed ? await readVfCountersOf(ctx, sriov, seen) : await readVfCountersOf(ctx, sriov, seen).catch(() => undefined)
  const vfTraffic = vfRead ?? new Map<string, ByteCounters>()
  const now = ctx.now()
  const all = domains.map(({stats, info, held, why}) => {
    const vf = held[0] ?? null
    return {vm: toRawVm(stats, info, vf, vf && passthrough ? vfTraffic.get(vf) : undefined, now), why}
  })
  const vms = all.flatMap(({vm, why}) => (why ? [] : [vm]))
  // Domains Sova does not manage are said, and their VFs and traffic still count for the host.
  const unmanaged: UnmanagedVm[] = infos.flatMap(({info, held, why}) => (why ? [{host: name, name: info.name ?? '', uuid: info.uuid, why, vf: held[0] ?? null}] : []))
  const taken = new Set(infos.flatMap((domain) => domain.held))
  return {
    name,
    nic: await readHostPort(ctx, all.map(({vm}) => vm), ipLinkJson),
    vfs: {total: pool.offered.length, free: pool.offered.filter((vf) => !taken.has(vf))},
    cpus: node.cpus,
    memoryMiB: {total: Math.round(node.memoryKiB / 1024), free: Math.round(freeKiB / 1024)},
    vms,
    ...(vfRead ? {vfCounters: [...vfRead].map(([vf, counters]) => ({vf, rxBytes: counters.rxBytes, txBytes: counters.txBytes}))} : {}),
    ...(unmanaged.length > 0 ? {unmanaged} : {}),
  }
}
