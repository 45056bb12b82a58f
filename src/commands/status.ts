import {SovaCommand} from '../lib/cli/base-command.js'
import {backendFlags} from '../lib/cli/flags.js'
import type {RawSnapshot} from '../lib/backends/types.js'
import {HostsMissingError, UnreachableError} from '../lib/errors.js'
import {resolveFormat} from '../lib/render/view.js'

export default class Status extends SovaCommand {
  static summary = 'Show the cluster now, what the last run did and when, and whether a run holds the lock.'
  static description = `Read-only: reads the cluster once (no simulated time passes, no sample is stored, no lock is
taken) and the state store. Fields: cluster, backend, clusterAt (the cluster's clock), hosts, missing
(hosts that did not answer), vms, vmsOnVf, unmanaged, vfsUsed, vfsFree; lastCycle (when the loop
last kept a document) and lastCycleDid (its actions by kind and status); hot (hot hosts with their
utilisation) and hotAsOf, from the last cycle's scores, since scoring needs a new sample;
lastActingRun (the newest run that acted: pid, start, its actions) and lastAction (the journal's
newest row); maintenance (hosts sova drain is emptying or emptied, since when); rulesSet (rules
kept by sova rule set; sova rule list shows every rule in force); samples kept and lastSample; lock (free or held), lockHolder (command, pid, since when). One JSON object when piped; on a terminal, a two-column table.
Exit 69 when a host did not answer (the rest is still printed).`

  static examples = [
    {description: 'At a glance', command: '<%= config.bin %> status'},
    {description: 'Is a run busy right now?', command: `<%= config.bin %> status | jq -r .lock`},
  ]

  static flags = {...backendFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    const [{statusRecord}, {lockHolderState}, {renderRecords}, {writeStdout}] = await Promise.all([
      import('../lib/status/status.js'),
      import('../lib/store/run-lock.js'),
      import('../lib/render/records.js'),
      import('../lib/cli/output.js'),
    ])
    const store = await this.openStore(flags.state)
    try {
      const backend = await this.openBackendFor(flags, store)
      // A store with no simulated cluster stays without one: creating it is not status's to do.
      const none = backend.name === 'sim' && !store.hasSim()
      let snapshot: RawSnapshot | undefined
      let unreachable: UnreachableError | undefined
      try {
        snapshot = none ? undefined : await backend.snapshot()
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error
        unreachable = error
      }
      const cluster = none ? undefined : (snapshot?.source.cluster ?? (await backend.clusterName()))
      const record = statusRecord({
        snapshot,
        cluster,
        backend: backend.name,
        lastDocument: cluster === undefined ? undefined : store.lastDocument(cluster),
        journal: store.journal(1000),
        samples: cluster === undefined ? 0 : store.sampleCount(cluster),
        lastSampleAt: cluster === undefined ? undefined : store.lastSample(cluster)?.at,
        lock: store.runLockHolders(lockHolderState),
        marks: cluster === undefined ? [] : store.hostMarks(cluster),
        rulesSet: cluster === undefined ? 0 : store.storedRules(cluster).length,
        nowMs: Date.now(),
      })
      if (unreachable) record.clusterAt = unreachable.message
      const format = resolveFormat(flags.format, Boolean(process.stdout.isTTY))
      // A table of one wide row would not fit a terminal: one row per field instead.
      const rows = format === 'table' ? Object.entries(record).map(([field, value]) => ({field, value})) : [record]
      await writeStdout(renderRecords(rows, format))
      if (unreachable) throw unreachable
      const missing = (snapshot?.missing ?? []).map((entry) => entry.host)
      if (missing.length > 0) throw new HostsMissingError(missing)
    } finally {
      store.close()
    }
  }
}
