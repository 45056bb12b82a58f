// One Xen host's cumulative counters now: xl for domains, CPU time and PCI devices, xenstore for
// the guest agent's traffic, dom0's /proc/net/dev for vifs and the port, sysfs and ip for the VFs.
//
// xentop is not read: `xl list` gives CPU time to 0.1 s (xentop: whole seconds), and xentop's
// NETTX/NETRX are the same dom0 vif counters Sova reads from /proc/net/dev, only in KiB. It would
// add a process per snapshot and no fact (doctor still checks that operators have it).
import {UnreachableError} from '../../errors.js'
import {REMOTE_READS} from '../../exec.js'
import {parseProcNetDev, readSriov, sriovLinkReads, sriovReads, type ByteCounters, type SriovFacts} from '../../linux/host-facts.js'
import type {ShellCommand} from '../../remote-batch.js'
import {batchedShell} from '../hosts/host-batch.js'
import {parseToolOutput, readVfCountersOf, type HostDriverContext} from '../hosts/driver.js'
import {estimateBlockedSeconds, hostPortReads, readHostPort} from '../hosts/host-readings.js'
import {whyNameRefused} from '../hosts/unmanaged.js'
import type {RawHost, RawVm, UnmanagedVm} from '../types.js'
import {runOptional, runRequired} from './host-tools.js'
import {XEN_NOMIGRATE_TAG} from '../../rules/tags.js'
import {parsePciAssignableList, parseXlInfo, parseXlList, parseXlListLong, readHostInfo, type XlDomain, type XlListRow} from './parse-xl.js'
import {parseXenstoreLs, readAgentCounters, type AgentCounters} from './parse-xenstore.js'
import {computeVfPool, type VfPool} from './vf-pool.js'
import {chooseVmTraffic, staleAgent, sumVifTraffic} from './vm-traffic.js'

/** Names xl gives a domain while it is migrating (`xl migrate` renames both ends): not a VM of its own. */
export function isMigrationTransient(name: string): boolean {
  return name.endsWith('--migratedaway') || name.endsWith('--incoming')
}

/** Why Sova does not manage a guest domain of xl's; undefined when it does. */
export function whyXenRefuses(domain: XlDomain): string | undefined {
  const refused = whyNameRefused(domain.name)
  if (refused) return refused
  // xl takes an all-digit argument as a domid, unchecked: such a name cannot address its domain.
  if (/^\d+$/.test(domain.name)) return 'its name is all digits, which xl reads as a domain id'
  if (domain.uuid === undefined) return 'xl list -l gives no UUID for it, so no action could be checked to reach it'
  return undefined
}

/** The guest domains (not dom0, not a migration's transient copy): those Sova manages, and the others with why. */
export function classifyDomains(domains: XlDomain[]): {managed: XlDomain[]; unmanaged: {domain: XlDomain; why: string}[]} {
  const managed: XlDomain[] = []
  const unmanaged: {domain: XlDomain; why: string}[] = []
  for (const domain of domains) {
    if (domain.domid === 0 || isMigrationTransient(domain.name)) continue
    const why = whyXenRefuses(domain)
    if (why === undefined) managed.push(domain)
    else unmanaged.push({domain, why})
  }
  return {managed, unmanaged}
}

/** The domains a snapshot reports as VMs: the guests Sova manages. */
export function selectGuestDomains(domains: XlDomain[]): XlDomain[] {
  return classifyDomains(domains).managed
}

interface HostReadings {
  netDev: Map<string, ByteCounters>
  agents: Map<number, AgentCounters>
  rows: Map<number, XlListRow>
  pool: VfPool
  vfCounters: Map<string, ByteCounters>
}

function buildVm(ctx: HostDriverContext, domain: XlDomain, readings: HostReadings): RawVm | undefined {
  const row = readings.rows.get(domain.domid)
  // Listed by `xl list -l` but not by `xl list`: created or destroyed between the two calls.
  if (!row || row.name !== domain.name) return undefined
  const vcpus = domain.vcpus ?? row.vcpus
  const vf = domain.pcidevs.find((address) => readings.pool.has(address)) ?? null
  const traffic = chooseVmTraffic(
    readings.agents.get(domain.domid),
    sumVifTraffic(readings.netDev, domain.domid, domain.vifNames),
    vf === null ? undefined : readings.vfCounters.get(vf),
    vf,
  )
  const counters: RawVm['counters'] = {
    cpuSeconds: row.cpuSeconds,
    blockedSeconds: estimateBlockedSeconds(vcpus, ctx.now(), row.cpuSeconds),
    rxBytes: traffic.rxBytes,
    txBytes: traffic.txBytes,
    basis: traffic.basis,
  }
  if (traffic.activeSeconds !== undefined) counters.activeSeconds = traffic.activeSeconds
  return {
    name: domain.name,
    id: String(domain.domid),
    uuid: domain.uuid ?? '',
    vcpus,
    memoryMiB: domain.memoryMiB ?? row.memMiB,
    path: vf === null ? 'pv' : 'vf',
    vf,
    counters,
  }
}

/**
 * The VF counters of the PF, read when some VM without a guest agent holds a VF; else only when
 * every VF's are asked for (export), and then a failure leaves them unread instead of the host.
 */
async function readNeededVfCounters(ctx: HostDriverContext, sriov: SriovFacts | undefined, needed: boolean, seen: (json: string) => void): Promise<Map<string, ByteCounters> | undefined> {
  if (!sriov) return undefined
  if (needed) return readVfCountersOf(ctx, sriov, seen)
  return ctx.readAllVfCounters ? readVfCountersOf(ctx, sriov, seen).catch(() => undefined) : undefined
}

/**
 * What Domain-0's CPU time (xl list) counts: netback, but also blkback, QEMU device models, the
 * toolstack, migration streams and Sova's own reads. PV traffic over it underestimates what netback
 * alone could carry (docs/path-capacity.md): the safe side.
 */
const DOM0_INCLUDES = "all of Domain-0's CPU (xl list): netback, and also blkback, device models, the toolstack and migration streams"

/** What a snapshot reads of dom0, besides the port and the PF's VFs. */
const XEN_READS: ShellCommand[] = [
  {file: 'xl', args: ['info']},
  {file: 'xl', args: ['list', '-l']},
  {file: 'xl', args: ['list']},
  // -f always: without it xenstore-ls cuts lines to 80 columns when stdout is not a TTY.
  {file: 'xenstore-ls', args: ['-f', '/local/domain']},
  {file: 'xl', args: ['pci-assignable-list']},
  REMOTE_READS.text('/proc/net/dev'),
]

/** What a Xen driver remembers between its snapshots: the PF's folder as last listed (its VF links are read with the rest). */
export interface XenReadHints {
  deviceEntries?: string[]
}

/**
 * Reads one Xen host; throws UnreachableError when it (or its xl) does not answer. Everything is
 * read in one round trip (one ssh session), plus one for the PF's VF links when they are new.
 */
export async function readXenHost(context: HostDriverContext, hints: XenReadHints = {}): Promise<RawHost> {
  const shell = batchedShell(context.shell, context.timeouts.toolMs)
  const ctx = {...context, shell}
  const device = ctx.host.port.device
  await shell.prefetch([...XEN_READS, ...sriovReads(device), ...hostPortReads(ctx), ...sriovLinkReads(device, hints.deviceEntries)])
  const entries = await shell.list(`/sys/class/net/${device}/device`)
  await shell.prefetch(sriovLinkReads(device, entries))
  hints.deviceEntries = entries
  // xl info first and alone: it is the "does this host answer" probe.
  const info = parseToolOutput(ctx, 'xl info', await runRequired(ctx, 'xl', ['info']), (text) => readHostInfo(parseXlInfo(text)))
  const [long, plain, store, assignable, netDevText, sriov] = await Promise.all([
    runRequired(ctx, 'xl', ['list', '-l']),
    runRequired(ctx, 'xl', ['list']),
    runOptional(ctx, 'xenstore-ls', ['-f', '/local/domain']),
    runRequired(ctx, 'xl', ['pci-assignable-list']),
    ctx.shell.readText('/proc/net/dev'),
    readSriov(ctx.shell, device),
  ])
  if (netDevText === undefined) throw new UnreachableError(`${ctx.host.name}: cannot read /proc/net/dev`)
  const all = parseToolOutput(ctx, 'xl list -l', long, parseXlListLong)
  const {managed, unmanaged} = classifyDomains(all)
  // Every guest's VF and traffic count for the host, managed or not.
  const guests = [...managed, ...unmanaged.map((entry) => entry.domain)]
  const agents = store === undefined ? new Map<number, AgentCounters>() : readAgentCounters(parseXenstoreLs(store))
  const pool = computeVfPool({
    assignable: parsePciAssignableList(assignable),
    pfVfs: sriov?.vfs.map((vf) => vf.address),
    allow: ctx.host.vfs?.allow,
    assigned: all.filter((domain) => domain.domid !== 0).flatMap((domain) => domain.pcidevs),
  })
  // Drop the agents that stopped writing: those VMs are read from dom0, like VMs without an agent.
  for (const [domid, agent] of agents) if (staleAgent(agent, ctx.now())) agents.delete(domid)
  const needVfCounters = guests.some((domain) => !agents.has(domain.domid) && domain.pcidevs.some(pool.has))
  let ipLinkJson: string | undefined
  const vfCounters = await readNeededVfCounters(ctx, sriov, needVfCounters, (json) => (ipLinkJson = json))
  const readings: HostReadings = {
    netDev: parseProcNetDev(netDevText),
    agents,
    rows: new Map(parseXlList(plain).map((row) => [row.domid, row])),
    pool,
    vfCounters: vfCounters ?? new Map(),
  }
  // nomigrate=1 in the domain's config is the operator's word, kept with the domain: a tag the rules in force pin (rules/tags.ts).
  const vms = managed.flatMap((domain) => {
    const vm = buildVm(ctx, domain, readings)
    return vm === undefined ? [] : [domain.noMigrate ? {...vm, tags: [XEN_NOMIGRATE_TAG]} : vm]
  })
  const others = unmanaged.map(({domain, why}) => ({domain, why, reading: buildVm(ctx, domain, readings)}))
  const host: RawHost = {
    name: ctx.host.name,
    nic: await readHostPort(ctx, [...vms, ...others.flatMap((other) => other.reading ?? [])], ipLinkJson),
    vfs: {total: pool.total, free: pool.free},
    cpus: info.cpus,
    memoryMiB: info.memoryMiB,
    vms,
  }
  const dom0 = readings.rows.get(0)
  if (dom0) host.backend = {cpuSeconds: dom0.cpuSeconds, cores: dom0.vcpus, includes: DOM0_INCLUDES}
  if (vfCounters) host.vfCounters = [...vfCounters].map(([vf, counters]) => ({vf, rxBytes: counters.rxBytes, txBytes: counters.txBytes}))
  if (others.length > 0) host.unmanaged = others.map(({domain, why}) => unmanagedEntry(ctx.host.name, domain, why, pool))
  return host
}

function unmanagedEntry(host: string, domain: XlDomain, why: string, pool: VfPool): UnmanagedVm {
  const entry: UnmanagedVm = {host, name: domain.name, why, vf: domain.pcidevs.find((address) => pool.has(address)) ?? null}
  if (domain.uuid !== undefined) entry.uuid = domain.uuid
  return entry
}
