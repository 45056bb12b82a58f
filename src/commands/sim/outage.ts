import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../../lib/cli/base-command.js'

export default class SimOutage extends SovaCommand {
  static summary = 'Make a simulated host unreachable, or reachable again.'
  static description = `While a host is unreachable, collect fails with exit 69 naming it, and actions that touch it
fail. For trying out how cron jobs and pipelines behave when a host stops answering.`

  static examples = [
    {description: 'host2 stops answering', command: '<%= config.bin %> sim outage host2'},
    {description: 'host2 is back', command: '<%= config.bin %> sim outage host2 --clear'},
  ]

  static args = {host: Args.string({description: 'Simulated host', required: true, ignoreStdin: true})}

  static flags = {clear: Flags.boolean({description: 'End the outage.'})}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SimOutage)
    const [{setHostReachable}, {validateName}] = await Promise.all([import('../../lib/backends/sim/backend.js'), import('../../lib/loop/one-off.js')])
    validateName(args.host, 'host')
    const store = await this.openStore(flags.state)
    try {
      setHostReachable(store, args.host, flags.clear)
      await this.emitRecords([{host: args.host, reachable: flags.clear}], flags)
    } finally {
      store.close()
    }
  }
}
