// The domains' live XML, kept between snapshots by UUID, and when it must be read again. domstats
// is read every cycle anyway; what it shows of a domain's definition (state, vCPUs, maximum
// memory, its interfaces) is the XML's fingerprint. A plain <hostdev> plugged in by hand shows in
// none of it: the age limit bounds how long such a change goes unseen. Actions never use this
// cache (they read the live XML of the domain they act on), and an action invalidates the entry.
import type {DomainInfo} from './domain-xml.js'
import type {DomainStats} from './parse.js'

/** The longest a domain's XML is used without being read again. */
export const XML_MAX_AGE_SECONDS = 300

export interface CachedDomain {
  info: DomainInfo
  fingerprint: string
  cpuTimeNs: number | undefined
  /** Unix seconds. */
  readAt: number
}

export type DomainXmlCache = Map<string, CachedDomain>

/** What domstats shows of a domain's definition. */
export function statsFingerprint(stats: DomainStats): string {
  return JSON.stringify([stats.state ?? null, stats.vcpuCurrent ?? null, stats.balloonMaximumKiB ?? null, stats.nets.map((net) => net.name ?? null)])
}

/** Why a domain's cached XML cannot be used now (`stats`: its domstats block now); undefined when it can. */
export function whyReread(cached: CachedDomain | undefined, stats: DomainStats | undefined, now: number): string | undefined {
  if (cached === undefined) return 'not read before'
  if (stats === undefined) return 'no domstats block under its name'
  if (statsFingerprint(stats) !== cached.fingerprint) return 'its state, vCPUs, memory or interfaces changed'
  // CPU time that went back: the domain was restarted (or migrated away and back) since.
  if (stats.cpuTimeNs !== undefined && cached.cpuTimeNs !== undefined && stats.cpuTimeNs < cached.cpuTimeNs) return 'it restarted'
  if (now - cached.readAt >= XML_MAX_AGE_SECONDS) return `read ${XML_MAX_AGE_SECONDS} s ago or more`
  return undefined
}

/** The entry for a domain just read, or undefined when it has no stats to check it against later. */
export function cacheEntry(info: DomainInfo, stats: DomainStats | undefined, now: number): CachedDomain | undefined {
  return stats && {info, fingerprint: statsFingerprint(stats), cpuTimeNs: stats.cpuTimeNs, readAt: now}
}
