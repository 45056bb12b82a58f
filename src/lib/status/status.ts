// `sova status`: the cluster now, what the last run did and when, and who holds the run lock, from
// one read of the cluster and of the state store. Pure: the command gathers, this composes.
import type {RawSnapshot} from '../backends/types.js'
import type {SovaDocument} from '../document/schema.js'
import type {HostMark} from '../store/host-marks.js'
import type {JournalEntry, LockHolder, StoredDocument} from '../store/store.js'

/** The one status record: flat, so it renders as NDJSON, CSV or a table like every other record. */
export type StatusRecord = Record<string, string | number>

export interface StatusInput {
  /** The cluster read now (no time passes), or undefined when there is none yet (a fresh simulator). */
  snapshot: RawSnapshot | undefined
  cluster: string | undefined
  backend: string
  /** The last document the loop kept for this cluster (sova explain reads the same). */
  lastDocument: StoredDocument | undefined
  /** The newest journal rows, oldest first (enough to hold the last acting run's). */
  journal: JournalEntry[]
  samples: number
  lastSampleAt: string | undefined
  lock: LockHolder[]
  /** Hosts `sova drain` took out of service (draining, or in maintenance). */
  marks: HostMark[]
  /** How many rules `sova rule set` keeps for this cluster (`sova rule list` shows them with the configuration's). */
  rulesSet: number
  /** Wall-clock now, ms. */
  nowMs: number
}

/** `3m 20s ago`, `2h 5m ago`: how long ago people read best. */
export function ago(iso: string, nowMs: number): string {
  const seconds = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000))
  if (seconds < 60) return `${seconds}s ago`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes}m ${seconds % 60}s ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours}h ${minutes % 60}m ago`
  return `${Math.floor(hours / 24)}d ${hours % 24}h ago`
}

function counted(items: string[]): string {
  const counts = new Map<string, number>()
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1)
  return [...counts].map(([item, count]) => `${count} ${item}`).join(', ')
}

function clusterFields(snapshot: RawSnapshot): StatusRecord {
  const vms = snapshot.hosts.flatMap((host) => host.vms)
  const total = snapshot.hosts.reduce((sum, host) => sum + host.vfs.total, 0)
  const free = snapshot.hosts.reduce((sum, host) => sum + host.vfs.free.length, 0)
  return {
    clusterAt: snapshot.at,
    hosts: snapshot.hosts.length,
    missing: (snapshot.missing ?? []).map((entry) => entry.host).join(' '),
    vms: vms.length,
    vmsOnVf: vms.filter((vm) => vm.path === 'vf').length,
    unmanaged: (snapshot.unmanaged ?? []).length,
    vfsUsed: total - free,
    vfsFree: free,
  }
}

/** Hot hosts as the last scores saw them, with the measure and when: status takes no new sample to score. */
function hotFields(doc: SovaDocument | undefined): StatusRecord {
  const hosts = doc?.scores?.hosts
  if (!doc || !hosts) return {hot: '', hotAsOf: ''}
  const hot = Object.entries(hosts).filter(([, score]) => score.hot).map(([name, score]) => `${name} (${score.utilisation.toFixed(2)})`)
  return {hot: hot.join(' '), hotAsOf: doc.at}
}

/**
 * What the loop did last: the last cycle's document (its actions, or its plan when it only planned)
 * and when it was kept; the newest run that acted, from the journal (a cycle that did nothing writes none).
 */
function lastRunFields(stored: StoredDocument | undefined, journal: JournalEntry[], nowMs: number): StatusRecord {
  let doc: SovaDocument | undefined
  try {
    doc = stored ? (JSON.parse(stored.json) as SovaDocument) : undefined
  } catch {
    doc = undefined
  }
  const actions = doc?.actions ?? []
  const planned = (doc?.plan?.migrations.length ?? 0) + (doc?.plan?.vf.length ?? 0)
  const did = !doc ? '' : actions.length > 0 ? counted(actions.map((action) => `${action.kind} ${action.status}`)) : planned > 0 ? `${planned} planned, none executed` : 'nothing to do'
  const last = journal.at(-1)
  // The newest run that acted, by its journal rows (a run id is its start time and pid).
  const run = last ? journal.filter((entry) => entry.runId === last.runId) : []
  const [startedAt, pid] = last ? [last.runId.slice(0, last.runId.lastIndexOf('/')), last.runId.slice(last.runId.lastIndexOf('/') + 1)] : []
  return {
    lastCycle: stored ? `${stored.savedAt} (${ago(stored.savedAt, nowMs)})` : 'never',
    lastCycleDid: did,
    ...hotFields(doc),
    lastActingRun: last ? `pid ${pid}, started ${startedAt} (${ago(startedAt ?? '', nowMs)}): ${counted(run.map((entry) => `${entry.kind} ${entry.status}`))}` : 'none',
    lastAction: last ? `${last.kind} ${last.vm} ${last.host}${last.toHost ? `→${last.toHost}` : ''} ${last.status} ${last.updatedAt} (${ago(last.updatedAt, nowMs)})` : 'none',
  }
}

function lockFields(holders: LockHolder[], nowMs: number): StatusRecord {
  const live = holders.filter((holder) => holder.state === 'alive')
  const stale = holders.filter((holder) => holder.state !== 'alive')
  const who = (holder: LockHolder) => `"sova ${holder.command}" pid ${holder.pid} since ${holder.startedAt} (${ago(holder.startedAt, nowMs).replace(/ ago$/, '')})`
  return {
    lock: live.length > 0 ? 'held' : 'free',
    lockHolder: live.map(who).join('; '),
    ...(stale.length > 0 ? {lockStale: stale.map((holder) => `pid ${holder.pid} (${holder.state}): the next acting run takes it over`).join('; ')} : {}),
  }
}

/** The status record: cluster, VFs, hot hosts, last run, samples kept, run lock. */
export function statusRecord(input: StatusInput): StatusRecord {
  const cluster = input.snapshot ? clusterFields(input.snapshot) : {clusterAt: 'no cluster yet (sova sim reset, or any collect, creates the simulated one)'}
  return {
    cluster: input.cluster ?? '',
    backend: input.backend,
    ...cluster,
    ...lastRunFields(input.lastDocument, input.journal, input.nowMs),
    maintenance: input.marks.map((mark) => `${mark.host} ${mark.state === 'draining' ? 'draining' : 'in maintenance'} since ${mark.since}`).join('; '),
    rulesSet: input.rulesSet,
    samples: input.samples,
    lastSample: input.lastSampleAt ?? 'none',
    ...lockFields(input.lock, input.nowMs),
  }
}
