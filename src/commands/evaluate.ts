import * as Flags from '@oclif/core/flags'
import {availableParallelism} from 'node:os'
import {join} from 'node:path'
import {SovaCommand} from '../lib/cli/base-command.js'
import {configFlag, durationFlag} from '../lib/cli/flags.js'
import {physicsFlag} from '../lib/cli/physics-flag.js'
import {traceFlagValues, traceFlags} from '../lib/cli/trace-flags.js'
import {writeStdout} from '../lib/cli/output.js'
import {resolveFormat} from '../lib/render/view.js'

export default class Evaluate extends SovaCommand {
  static summary = 'Compare policies on one simulated scenario and seed, side by side.'
  static description = `Runs the scenario under each policy on its own private copy of the simulated cluster (in
memory: --state is never touched), through the same loop as sova run, one 10 s period at a time,
and scores every policy over exactly --duration of simulated time. Reports per policy, header
arrows saying which way is better: delivered/offered traffic, host-seconds above 90% port
utilisation (beside it: fewer is only better at equal delivery), p99 and mean response time, the
share of VM-seconds below demand (unserved), migrations, VF switches and backend CPU. "bound" is
an upper bound that provably holds under the simulator's rules (most traffic, least response time
and unserved share any policy could reach; docs/bound.md); "clairvoyant" a heuristic that knows
each second's demand and moves for free, not a bound. JSON adds a per-period series; --plot draws
it as an SVG. Progress goes to stderr.`

  static examples = [
    {description: 'Every policy on the paper scenario, 30 simulated minutes', command: '<%= config.bin %> evaluate --scenario paper --format table'},
    {description: 'Three policies on a flash crowd, with a plot', command: '<%= config.bin %> evaluate --scenario flash-crowd --policies seed,sova,bound --seed 7 --plot flash.svg'},
    {description: 'Real traces: 8 hosts of 30 VMs, busiest port at 80% at peak, 30 simulated minutes', command: '<%= config.bin %> evaluate --scenario trace --traces ../shared/traces/bitbrains-rnd --hosts 8 --vms-per-host 30 --target-peak 0.8 --trace-start 1d9h --policies seed,sova,dsriov'},
    {description: 'A bigger cluster, as JSON with the series', command: '<%= config.bin %> evaluate --scenario steady --hosts 10 --vms-per-host 20 --duration 10m --format json'},
  ]

  static flags = {
    scenario: Flags.string({description: 'Scenario: a built-in name (sova sim scenarios) or a scenario file.', default: 'paper', helpValue: 'NAME|FILE'}),
    policies: Flags.string({description: 'Comma-separated policies to compare, in order. Default: static-pv, static-vf, dsriov, vlm, seed, sova, clairvoyant, bound.', helpValue: 'a,b,c'}),
    seed: Flags.integer({description: 'Seed of the scenario\'s variation.', default: 1, min: 0}),
    duration: durationFlag({description: 'Simulated time per policy.', default: 1800}),
    hosts: Flags.integer({description: 'Number of hosts (overrides the scenario\'s).', min: 1}),
    'vms-per-host': Flags.integer({description: 'VMs per host (overrides the scenario\'s).', min: 1}),
    ...configFlag,
    jobs: Flags.integer({description: 'Policies evaluated at once, each in a worker thread of its own (the results do not depend on it). Default: the machine\'s cores, at most the number of policies.', min: 1, helpValue: 'N'}),
    plot: Flags.string({description: 'Also draw delivered traffic and p99 response time over time as an SVG file.', helpValue: 'FILE.svg'}),
    ...traceFlags,
    ...physicsFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Evaluate)
    const [{evaluate, parsePolicies}, {progressReporter}, {csvRows, tableRows, EVALUATION_COLUMNS}, files, {loadConfig}, {parsePhysicsOverrides}, {evaluationSetup}, {workerRunner}] = await Promise.all([
      import('../lib/evaluate/harness.js'),
      import('../lib/evaluate/progress.js'),
      import('../lib/evaluate/summary.js'),
      import('../lib/evaluate/write-file.js'),
      import('../lib/config.js'),
      import('../lib/backends/sim/physics-overrides.js'),
      import('../lib/evaluate/setup.js'),
      import('../lib/evaluate/workers.js'),
    ])
    await this.checkRecordColumns(flags, EVALUATION_COLUMNS)
    const config = loadConfig(flags.config)
    // The configuration's tuning, rules and bounds on actions at once (bad parameters are refused here, before anything runs).
    const setup = evaluationSetup(config)
    const policies = parsePolicies(flags.policies)
    if (flags.plot !== undefined) files.checkWritable(flags.plot, 'plot')
    const jobs = Math.min(flags.jobs ?? availableParallelism(), policies.length)
    // Each worker thread runs bin/evaluate-worker.js, which builds the same setup from the same configuration.
    const runner = jobs > 1 ? workerRunner(join(this.config.root, 'bin', 'evaluate-worker.js'), config, flags.duration) : undefined
    const sink = flags.quiet ? undefined : {isTTY: Boolean(process.stderr.isTTY), write: (text: string) => process.stderr.write(text)}
    const progress = progressReporter(sink)
    let evaluation
    try {
      evaluation = await evaluate({
        scenario: flags.scenario,
        ...setup,
        seed: flags.seed,
        durationSeconds: flags.duration,
        hosts: flags.hosts,
        vmsPerHost: flags['vms-per-host'],
        trace: traceFlagValues(flags.scenario, flags),
        physics: parsePhysicsOverrides(flags.physics ?? []),
        policies,
        jobs,
        runner,
        onProgress: progress.onProgress,
      })
    } finally {
      progress.done()
    }
    // The plot first: if it cannot be written, stdout stays empty rather than half a report.
    if (flags.plot !== undefined) {
      const {renderPlot} = await import('../lib/evaluate/plot.js')
      files.writeFileAtomic(flags.plot, renderPlot(evaluation), 'plot')
    }
    const format = resolveFormat(flags.format, Boolean(process.stdout.isTTY))
    if (format === 'json') await writeStdout(JSON.stringify(evaluation) + '\n')
    else await this.emitRecords(format === 'csv' ? csvRows(evaluation) : tableRows(evaluation), {...flags, format}, EVALUATION_COLUMNS)
  }
}
