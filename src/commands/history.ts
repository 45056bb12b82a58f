import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../lib/cli/base-command.js'
import {JOURNAL_STATUSES} from '../lib/journal/history-query.js'
import {HISTORY_COLUMNS} from '../lib/render/record-columns.js'

export default class History extends SovaCommand {
  static summary = 'List the actions the journal holds: what was done, to which VM, and how it ended.'
  static description = `Reads the action journal of the state store: one record per journalled action (migration or VF
switch), newest last, like a log: id, wall_time (its last update by this machine's clock, UTC; not the
cluster's clock of the documents' "at", which is simulated time on sim), run, kind, vm, host, to, vf, status
(planned, started, done, failed, rolled-back, skipped), reason and error. --since takes a duration
(30m, 1h: counted back from now) or an ISO time. --host matches the source or the target host.
An empty answer prints nothing on stdout and a note on stderr (unless --quiet).`

  static examples = [
    {description: 'The last hour, as a table', command: '<%= config.bin %> history --since 1h --format table'},
    {description: 'What failed on host2 (leaving or arriving)', command: '<%= config.bin %> history --host host2 --status failed'},
    {description: 'One VM\'s moves, as CSV', command: '<%= config.bin %> history --vm web1 --format csv'},
  ]

  static flags = {
    since: Flags.string({description: 'Only actions updated since then: a duration (30m, 1h) or an ISO time.', helpValue: 'DURATION|TIME'}),
    vm: Flags.string({description: 'Only the actions on this VM.', helpValue: 'NAME'}),
    host: Flags.string({description: 'Only the actions from or to this host.', helpValue: 'NAME'}),
    status: Flags.option({options: JOURNAL_STATUSES, description: 'Only the actions with this status.'})(),
    limit: Flags.integer({min: 1, default: 100, helpValue: 'N', description: 'At most this many actions (the newest).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(History)
    await this.checkRecordColumns(flags, HISTORY_COLUMNS)
    const {emptyNote, historyRecord, isFiltered, journalFilter} = await import('../lib/journal/history-query.js')
    const filter = journalFilter(flags, new Date())
    const store = await this.openStore(flags.state)
    try {
      const entries = store.journalQuery(filter)
      if (entries.length === 0) {
        this.note(flags.quiet, emptyNote(!isFiltered(filter) || store.journalCount() === 0))
        return
      }
      await this.emitRecords(entries.map(historyRecord), flags, HISTORY_COLUMNS)
    } finally {
      store.close()
    }
  }
}
