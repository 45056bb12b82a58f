import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../lib/cli/base-command.js'
import {rowsFlag} from '../lib/cli/table-flags.js'
import {backendFlags, dryRunFlag, durationFlag, freshnessOf, maxSampleAgeFlag, metricsFileFlag, prometheusFlag, resolveMaxSampleAge, resolvePolicyParams, runFlags} from '../lib/cli/flags.js'
import {isStdoutClosed, writeStdout} from '../lib/cli/output.js'
import {pause, stopGracefully, stopRequested} from '../lib/cli/signals.js'
import type {SovaDocument} from '../lib/document/schema.js'
import {ActionsFailedError, HostsMissingError, UnreachableError} from '../lib/errors.js'

export default class Run extends SovaCommand {
  static summary = 'Run the whole loop in one process: collect, score, balance, migrate, switch-vf.'
  static description = `The same stages and documents as the pipeline, in one process: --once for cron, or every
--interval until stopped: SIGINT or SIGTERM lets the action under way finish, journals the cycle's
later actions as skipped (not started), writes the cycle's document and stops; a second signal exits
at once (130/143) and leaves the action it cut short to the next run's reconciliation. Holds the run lock
while acting: a second acting run exits 75 at once. Writes one document per cycle; as a table,
the first cycle in full, then what each cycle changed (actions, hosts turning hot or cooling) and
a summary at the end (docs/output.md).
A host that does not answer is listed in the document's "missing" with why, and nothing is decided
about it or its VMs; the others are managed as usual. No VF change is decided once the cycle's
sample is older than --max-sample-age (long migrations). When no host answers, --once exits 69
at once with no document; a loop says so on stderr and tries again next cycle. Exit 1 if any
action failed, else 69 if some host did not answer in some cycle.
With --prometheus (or sensing.prometheus in the configuration) each cycle reads the hosts from
Prometheus; the checks just before and after an action read the hosts it touches with their tools.`

  static examples = [
    {description: 'One cycle on the simulated cluster, as a table', command: '<%= config.bin %> run --once --format table'},
    {description: 'From cron, every minute: documents to a log, errors to syslog (contrib/cron/sova; exit 75 means another run was busy)', command: '* * * * * sova run --once --quiet 2>&1 >> /var/log/sova.ndjson | logger --tag=sova -p user.err'},
    {description: 'Thirty cycles without pausing, planning only', command: '<%= config.bin %> run --cycles 30 --interval 0s --dry-run'},
  ]

  static flags = {
    ...rowsFlag,
    ...backendFlags,
    ...dryRunFlag,
    ...runFlags,
    ...maxSampleAgeFlag,
    ...metricsFileFlag,
    ...prometheusFlag,
    once: Flags.boolean({description: 'Run one cycle and exit (for cron).', exclusive: ['cycles']}),
    cycles: Flags.integer({min: 1, description: 'Run this many cycles, then exit.'}),
    interval: durationFlag({description: 'Pause between cycles.', default: 10}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Run)
    const output = await this.checkOutput(flags, 'actions')
    // A table over several cycles: the first in full, then what changed, then a summary.
    const {CycleReport} = await import('../lib/render/cycle-report.js')
    const report = output.format === 'table' && flags.rows === undefined ? new CycleReport(output.table) : undefined
    let shown = 0
    const params = await resolvePolicyParams(flags)
    const maxSampleAge = await resolveMaxSampleAge(flags)
    const metrics = flags['metrics-file'] === undefined ? undefined : (await import('../lib/metrics/metrics-file.js')).openMetricsFile(flags['metrics-file'])
    const [{SampleHistory}, stages] = await Promise.all([import('../lib/loop/history.js'), import('../lib/loop/stages.js')])
    const session = await this.openActing(flags)
    const cycles = flags.once ? 1 : (flags.cycles ?? Number.POSITIVE_INFINITY)
    let failed = 0
    const unanswered = new Set<string>()
    let noHostAnswered: UnreachableError | undefined
    try {
      const freshness = freshnessOf(maxSampleAge, session.backend, (problem) => this.note(flags.quiet, `run: ${problem}: no decision taken on it`))
      const history = new SampleHistory(session.store)
      stopGracefully(() => this.note(flags.quiet, 'run: stopping after the current action'))
      const {isRunLive} = await import('../lib/store/run-liveness.js')
      for (let cycle = 1; cycle <= cycles && !stopRequested() && !isStdoutClosed(); cycle++) {
        const started = performance.now()
        let sample: SovaDocument
        try {
          sample = await stages.startCycle({...session, isRunLive, log: (line) => this.note(flags.quiet, line)}, cycle)
        } catch (error) {
          // No host answered. A single cycle has nothing to report; a loop waits for the next one.
          if (!(error instanceof UnreachableError) || cycles === 1) throw error
          noHostAnswered = error
          this.note(flags.quiet, `run: cycle ${cycle}: ${error.message}; no document this cycle`)
          if (cycle < cycles) await pause(flags.interval)
          continue
        }
        for (const entry of sample.missing ?? []) unanswered.add(entry.host)
        const doc = await stages.runCycle(sample, history, params, session.executor, freshness)
        // A dry run's too: `sova explain` then says what would happen.
        this.keepLastDocument(session.store, doc)
        failed += stages.failedActions(doc).length
        const seconds = (performance.now() - started) / 1000
        if (report && shown > 0) {
          await writeStdout(report.changes(doc, cycle))
        } else {
          await this.emit(doc, 'actions', flags)
          report?.count(doc)
        }
        shown++
        metrics?.(doc, seconds, session.store.journalTotals())
        if (cycle < cycles) await pause(flags.interval)
      }
    } finally {
      session.store.close()
    }
    if (report && shown > 1) await writeStdout(report.summary())
    if (failed > 0) throw new ActionsFailedError(failed)
    if (unanswered.size > 0) throw new HostsMissingError([...unanswered])
    if (noHostAnswered) throw noHostAnswered
  }
}
