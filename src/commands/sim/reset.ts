import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../../lib/cli/base-command.js'

export default class SimReset extends SovaCommand {
  static summary = 'Start the simulated cluster over from a named, seeded scenario.'
  static description = `Replaces the simulated cluster in the state store with scenario --scenario built from --seed
(the same pair always gives the same cluster and the same demand) and forgets stored samples.
Takes the run lock: it will not reset under a running loop. Prints one summary record.`

  static examples = [
    {description: 'The paper\'s testbed: 3 hosts, 8 VFs each, 12 VMs each', command: '<%= config.bin %> sim reset --scenario paper --seed 1'},
    {description: 'A flash crowd, in a separate state directory', command: '<%= config.bin %> sim reset --scenario flash-crowd --seed 7 --state /tmp/sova-flash'},
  ]

  static flags = {
    scenario: Flags.string({description: 'Scenario name (see sova sim scenarios).', default: 'paper'}),
    seed: Flags.integer({description: 'Seed of the scenario\'s variation.', default: 1, min: 0}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(SimReset)
    const {resetSim} = await import('../../lib/backends/sim/backend.js')
    const store = await this.openStore(flags.state)
    try {
      await this.lockRun(store)
      const cluster = resetSim(store, flags.scenario, flags.seed)
      const summary = {
        scenario: flags.scenario,
        seed: flags.seed,
        hosts: cluster.hosts.length,
        vms: cluster.vms.length,
        vfsPerHost: cluster.hosts[0]?.vfPool.length ?? 0,
        stateDir: store.dir,
      }
      this.note(flags.quiet, `sim: cluster reset to scenario ${flags.scenario}, seed ${flags.seed}`)
      await this.emitRecords([summary], flags)
    } finally {
      store.close()
    }
  }
}
