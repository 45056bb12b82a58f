import {SovaCommand} from '../lib/cli/base-command.js'
import {balanceFlags, policyParams} from '../lib/cli/flags.js'

export default class Balance extends SovaCommand {
  static summary = 'Plan live migrations off predicted hotspots (cluster level).'
  static description = `For each host that score predicts hot, picks a victim VM and a target host and writes the
moves into plan.migrations, each with its reason; or says in plan.noop.migrations why nothing moves.
Seed policy: the victim has the largest migration factor, the target is the least utilised host if
below --target-below; one move per hot host. Plans only: sova migrate executes.`

  static examples = [
    {description: 'Plan on a live sample', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance --format table'},
    {description: 'Only accept targets below 50% utilisation', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance --target-below 0.5'},
    {description: 'Show the planned moves', command: `<%= config.bin %> score < samples.ndjson | <%= config.bin %> balance | jq -c '.plan.migrations[]'`},
  ]

  static flags = {...balanceFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(Balance)
    const params = policyParams(flags)
    const {balanceStage} = await import('../lib/stages.js')
    for await (const doc of this.inputDocuments()) {
      await this.emit(balanceStage(doc, params), 'vms', flags)
    }
  }
}
