import {SovaCommand} from '../lib/cli/base-command.js'
import {backendFlags} from '../lib/cli/flags.js'
import {CHECK_COLUMNS} from '../lib/render/record-columns.js'

/** How many of the newest journal rows are checked besides every unsettled or owing row (whatever its age). */
const JOURNAL_WINDOW = 1000

export default class Check extends SovaCommand {
  static summary = 'Check the safety invariants (one VF per VM, one host per VM, no action left half done) against the backend and the journal.'
  static description = `Reads the backend's current state (one snapshot), every journal row still unsettled or
owing a VF whatever its age, and the newest ${JOURNAL_WINDOW} journal rows, and prints one record per
violation (invariant, host, vm, vf, detail): a VF on two VMs, more VFs in use than the port has,
a VF both held and free, a VM on two hosts, a VM lost after the journal says it migrated, an
action left planned or started by a run that is no longer running, a VF not given back after a
failed migration, a migration while the VM held a VF. The PV path cannot be seen
in a snapshot: stderr says so. Changes nothing and takes no lock. Exit codes: 0 no violation,
1 some violation, 65 the state store is damaged or of a newer sova (said how to go on), 69 a
host did not answer (the others are checked).`

  static examples = [
    {description: 'Check the cluster and the journal', command: '<%= config.bin %> check'},
    {description: 'As NDJSON, for a monitoring job', command: '<%= config.bin %> check --format json'},
  ]

  static flags = {...backendFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Check)
    await this.checkRecordColumns(flags, CHECK_COLUMNS)
    const [{checkAll, cleanSummary}, {isRunLive}, {InvariantsViolatedError}, {UnreachableError}] = await Promise.all([
      import('../lib/check/check-all.js'),
      import('../lib/store/run-liveness.js'),
      import('../lib/check/errors.js'),
      import('../lib/errors.js'),
    ])
    const store = await this.openStore(flags.state)
    try {
      // A damaged journal could hide a violation: never say all is well about it.
      store.verify()
      const backend = await this.openBackendFor(flags, store)
      const snapshot = await backend.snapshot()
      const report = checkAll({snapshot, journal: store.journalForCheck(JOURNAL_WINDOW), isRunLive: (runId) => isRunLive(runId), backend: backend.name})
      if (report.violations.length === 0) {
        this.note(flags.quiet, `check: ${[cleanSummary(report), ...report.unchecked].join('; ')}`)
        // Clean as far as it could see: a host it could not see still makes the check incomplete.
        if (snapshot.missing) throw new UnreachableError(`not every host was checked: ${snapshot.missing.map((entry) => entry.host).join(', ')} could not be read`)
        return
      }
      for (const line of report.unchecked) this.note(flags.quiet, `check: ${line}`)
      await this.emitRecords(report.violations.map(({invariant, host, vm, vf, detail}) => ({invariant, host, vm, vf, detail})), flags, CHECK_COLUMNS)
      throw new InvariantsViolatedError(report.violations.length)
    } finally {
      store.close()
    }
  }
}
