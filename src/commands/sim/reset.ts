import * as Flags from '@oclif/core/flags'
import {UsageError} from '../../lib/errors.js'
import {SovaCommand} from '../../lib/cli/base-command.js'
import {physicsFlag} from '../../lib/cli/physics-flag.js'
import {traceFlagValues, traceFlags} from '../../lib/cli/trace-flags.js'

export default class SimReset extends SovaCommand {
  static summary = 'Start the simulated cluster over from a named, seeded scenario or a scenario file.'
  static description = `Replaces the simulated cluster in the state store with scenario --scenario built from --seed
(the same pair always gives the same cluster and the same demand) and forgets stored samples and
hosts drained in the old cluster.
--scenario takes a built-in name (sova sim scenarios) or a scenario file: a value containing "/"
or ending in .json (format: docs/scenario-file.md). --hosts and --vms-per-host size the "large"
scenario and the trace scenario (real per-VM traces, --traces and the TRACE flags: docs/traces.md).
Takes the run lock: it will not reset under a running loop. Prints one summary record.

--faults injects failures into acting calls (attach-vf, detach-vf, migrate), each kind at its rate
per call (0 to 1), drawn from the seed so the same calls fail again in a rerun:
attach, detach, migrate: that call fails; nothing changes.
timeout: the call times out; nothing changes, except that a timed-out migration moved the VM anyway
half of the time.
outage: a host the call talks to stops answering until sova sim outage HOST --clear.
vanish: the VM is destroyed during the call; its VF is freed.
"none" (the default) injects nothing.`

  static examples = [
    {description: 'The paper\'s testbed: 3 hosts, 8 VFs each, 12 VMs each', command: '<%= config.bin %> sim reset --scenario paper --seed 1'},
    {description: 'A flash crowd, in a separate state directory', command: '<%= config.bin %> sim reset --scenario flash-crowd --seed 7 --state /tmp/sova-flash'},
    {description: 'A 50-host cluster with 30 VMs a host', command: '<%= config.bin %> sim reset --scenario large --hosts 50 --vms-per-host 30'},
    {description: 'Your own cluster', command: '<%= config.bin %> sim reset --scenario ./my-cluster.json'},
    {description: '8 hosts of 30 VMs from real traces, scaled so the busiest port peaks at 80%', command: '<%= config.bin %> sim reset --scenario trace --traces ../shared/traces/bitbrains-rnd --hosts 8 --vms-per-host 30 --target-peak 0.8 --trace-start 1d9h'},
    {description: 'The paper\'s testbed with injected faults', command: '<%= config.bin %> sim reset --faults attach=0.1,migrate=0.1,timeout=0.02,outage=0.01,vanish=0.01'},
  ]

  static flags = {
    scenario: Flags.string({description: 'Scenario name (see sova sim scenarios) or scenario file (a path with / or ending in .json).', default: 'paper', helpValue: 'NAME|FILE'}),
    seed: Flags.integer({description: 'Seed of the scenario\'s variation.', default: 1, min: 0}),
    hosts: Flags.integer({description: 'Hosts of the "large" scenario (default 20).', min: 1}),
    'vms-per-host': Flags.integer({description: 'VMs per host of the "large" scenario (default 20).', min: 1}),
    faults: Flags.string({description: 'Fault rates per acting call: KIND=RATE,... with KIND one of attach, detach, migrate, timeout, outage, vanish and RATE from 0 to 1; or none.', default: 'none', helpValue: 'KIND=RATE,...|none'}),
    ...traceFlags,
    ...physicsFlag,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SimReset)
    const [{resetSim}, {resolveScenario}, {withFaults}, {formatFaults, parseFaults}, {traceSummary}, {parsePhysicsOverrides}] = await Promise.all([
      import('../../lib/backends/sim/backend.js'),
      import('../../lib/backends/sim/scenarios.js'),
      import('../../lib/backends/sim/cluster.js'),
      import('../../lib/backends/sim/faults.js'),
      import('../../lib/backends/sim/trace-options.js'),
      import('../../lib/backends/sim/physics-overrides.js'),
    ])
    // Built before the store is touched: a bad name, file or fault spec changes nothing.
    const rates = parseFaults(flags.faults)
    const physics = parsePhysicsOverrides(flags.physics ?? [])
    const built = withFaults(resolveScenario(flags.scenario, flags.seed, {hosts: flags.hosts, vmsPerHost: flags['vms-per-host'], trace: traceFlagValues(flags.scenario, flags), physics}), rates)
    // A cluster no document may describe would be refused by every stage after collect (README "Document limits").
    const {clusterSizeProblem} = await import('../../lib/document/limits.js')
    const tooBig = clusterSizeProblem(built.hosts.map((host) => host.name), built.vms.map((vm) => vm.host))
    if (tooBig) throw new UsageError(`scenario ${flags.scenario}: ${tooBig}`, 'see "Document limits" in the README')
    const store = await this.openStore(flags.state)
    try {
      await this.lockRun(store)
      const cluster = resetSim(store, built)
      const summary = {
        scenario: cluster.scenario,
        seed: cluster.seed,
        hosts: cluster.hosts.length,
        vms: cluster.vms.length,
        vfsPerHost: cluster.hosts[0]?.vfPool.length ?? 0,
        vfs: cluster.hosts.reduce((sum, host) => sum + host.vfPool.length, 0),
        faults: formatFaults(cluster.faults?.rates),
        ...(cluster.traceSource ? traceSummary(cluster.traceSource) : {}),
        stateDir: store.dir,
      }
      this.note(flags.quiet, `sim: cluster reset to scenario ${cluster.scenario}, seed ${cluster.seed}`)
      await this.emitRecords([summary], flags)
    } finally {
      store.close()
    }
  }
}
