import {SovaCommand} from '../lib/cli/base-command.js'
import {rowsFlag} from '../lib/cli/table-flags.js'
import {balanceFlags, resolvePolicyParams} from '../lib/cli/flags.js'
import type {Store} from '../lib/store/store.js'

export default class Balance extends SovaCommand {
  static summary = 'Plan live migrations off predicted hotspots (cluster level).'
  static description = `For each host that score predicts hot, picks a victim VM and a target host and writes the
moves into plan.migrations, each with its reason; or says in plan.noop.migrations why nothing moves.
The policy is the one that scored the document (or --policy). sova: only a port whose busier
direction is predicted hot sheds a VM; the victim relieves it most for the memory it copies (and
the VF it does without meanwhile), the target keeps the most headroom after the move (reserved
within the cycle) and has the memory, CPU and a free VF if needed; cooldowns with backoff and
per-cycle/per-host caps; every rejected alternative is listed in plan.rejected.migrations. seed: the VM with the largest migration factor
goes to the least utilised host if below --target-below. Plans only: sova migrate executes.`

  static examples = [
    {description: 'Plan on a live sample', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance --format table'},
    {description: 'Only accept targets below 50% utilisation', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance --target-below 0.5'},
    {description: 'At most one migration per cycle, and a 10-minute cooldown', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance --max-migrations 1 --cooldown 10m'},
    {description: 'Why nothing moved', command: `<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance | jq -r '.plan.noop.migrations, .plan.rejected.migrations[]?'`},
    {description: 'Show the planned moves', command: `<%= config.bin %> score < samples.ndjson | <%= config.bin %> balance | jq -c '.plan.migrations[]'`},
  ]

  static flags = {...balanceFlags, ...rowsFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Balance)
    const params = await resolvePolicyParams(flags)
    const {balanceStage} = await import('../lib/loop/stages.js')
    // Planning needs no store; it is opened with the first plan, kept for sova explain.
    let store: Store | undefined
    try {
      for await (const doc of this.inputDocuments()) {
        const planned = balanceStage(doc, params)
        store ??= await this.openStore(flags.state)
        this.keepLastDocument(store, planned)
        await this.emit(planned, 'plan', flags)
      }
    } finally {
      store?.close()
    }
  }
}
