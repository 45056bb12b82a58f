import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../lib/cli/base-command.js'
import {rowsFlag} from '../lib/cli/table-flags.js'
import {backendFlags, durationFlag, metricsFileFlag, prometheusFlag} from '../lib/cli/flags.js'
import {isStdoutClosed} from '../lib/cli/output.js'
import {pause, stopGracefully, stopRequested} from '../lib/cli/signals.js'
import {HostsMissingError} from '../lib/errors.js'

export default class Collect extends SovaCommand {
  static summary = 'Sample the cluster: one document of per-host and per-VM rates.'
  static description = `Asks the backend for every host's port counters, VF pool and VMs (CPU, blocked time,
memory, traffic, path), and turns counters into rates since the previous stored sample. With no
usable previous sample it samples over a short window itself. Writes one document (NDJSON when piped).
On the sim backend each sample is the next loop period (10 s of simulated time). Never reads stdin.
A host that does not answer is listed in "missing" with why (and how old its last sample is); the
document covers the others and collect exits 69 after writing it (69 with no document when no host
answers).
With --prometheus (or sensing.prometheus in the configuration) the hosts are read from Prometheus
instead: counters at the end and the start of a window (--sample, else sensing.prometheus.windowSeconds),
no earlier sample needed (docs/prometheus.md).`

  static examples = [
    {description: 'Sample once and pipe into the rest of the loop', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance'},
    {description: 'Rates over an explicit 2-second window, as a table', command: '<%= config.bin %> collect --sample 2s --format table'},
    {description: 'One document every 10 s, six times, as NDJSON', command: '<%= config.bin %> collect --watch 10s --count 6 > samples.ndjson'},
    {description: 'Read the hosts of the configuration from Prometheus, rates over the last minute', command: '<%= config.bin %> collect --prometheus http://prometheus:9090 --sample 60s'},
  ]

  static flags = {
    ...rowsFlag,
    ...backendFlags,
    ...metricsFileFlag,
    ...prometheusFlag,
    sample: durationFlag({description: 'Take rates over this in-command window instead of since the last stored sample.'}),
    watch: durationFlag({description: 'Emit one document per interval until stopped (or --count).'}),
    count: Flags.integer({min: 1, description: 'With --watch: stop after this many documents.', dependsOn: ['watch']}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Collect)
    await this.checkOutput(flags, 'vms')
    const {collectStage} = await import('../lib/loop/stages.js')
    const metrics = flags['metrics-file'] === undefined ? undefined : (await import('../lib/metrics/metrics-file.js')).openMetricsFile(flags['metrics-file'])
    const store = await this.openStore(flags.state)
    const unanswered = new Set<string>()
    try {
      const backend = await this.openBackendFor(flags, store)
      const rules = await this.rulesFor(flags, store, backend)
      stopGracefully(() => this.note(flags.quiet, 'collect: stopping after this sample'))
      const wanted = flags.watch === undefined ? 1 : (flags.count ?? Number.POSITIVE_INFINITY)
      for (let emitted = 0; emitted < wanted && !stopRequested() && !isStdoutClosed(); ) {
        const started = performance.now()
        const doc = await collectStage(backend, store, {sampleSeconds: flags.sample, log: (line) => this.note(flags.quiet, line), rules: rules()})
        for (const entry of doc.missing ?? []) unanswered.add(entry.host)
        const seconds = (performance.now() - started) / 1000
        this.keepLastDocument(store, doc)
        await this.emit(doc, 'vms', flags)
        metrics?.(doc, seconds, store.journalTotals())
        if (++emitted < wanted) await pause(flags.watch ?? 0)
      }
    } finally {
      store.close()
    }
    if (unanswered.size > 0) throw new HostsMissingError([...unanswered])
  }
}
