import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../lib/cli/base-command.js'
import {rowsFlag} from '../lib/cli/table-flags.js'
import {backendFlags, dryRunFlag, freshnessOf, maxSampleAgeFlag, resolveMaxSampleAge} from '../lib/cli/flags.js'
import {ActionsFailedError, UsageError} from '../lib/errors.js'

export default class Migrate extends SovaCommand {
  static summary = 'Execute the migration plan, or migrate one VM (VF detached first).'
  static description = `Reads documents with plan.migrations (from sova balance) and executes each move: detach the
VM's VF (the guest bond fails over to its PV NIC), live-migrate, then attach a free VF on the target.
A failed migration leaves the VM where it was with its VF given back. Each step's result is
appended to "actions". A plan from a sample older than --max-sample-age is not executed (plan.noop
says why). With VM --to HOST it migrates that one VM (as a table: its actions and the VM after them). Exit 1 if any action failed; 69 if the VM's
host or the target did not answer (nothing done).`

  static examples = [
    {description: 'The loop, one stage at a time', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance | <%= config.bin %> migrate'},
    {description: 'Move one VM by hand', command: '<%= config.bin %> migrate db2 --to host3'},
    {description: 'Show what would be done, touching nothing', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance | <%= config.bin %> migrate --dry-run --format table'},
  ]

  static args = {
    vm: Args.string({description: 'VM to migrate (one-off); without it, the plan on stdin is executed', ignoreStdin: true}),
  }

  static flags = {
    ...rowsFlag,
    ...backendFlags,
    ...dryRunFlag,
    ...maxSampleAgeFlag,
    to: Flags.string({description: 'Target host of a one-off migration.', helpValue: 'HOST'}),
    'require-vf': Flags.boolean({
      description: 'One-off: the VM must have a VF on arrival; refuse (nothing done, exit 1) when the target has none free. Without it, a VM whose VF could not be given on arrival runs on its PV NIC, and a warning says so.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Migrate)
    await this.checkOutput(flags, 'actions')
    if (args.vm && !flags.to) throw new UsageError(`migrate ${args.vm}: which host? add --to HOST`)
    if (!args.vm && flags.to) throw new UsageError('--to needs a VM: sova migrate VM --to HOST')
    const maxSampleAge = await resolveMaxSampleAge(flags)
    const [stages, oneOff, {placementOf}] = await Promise.all([
      import('../lib/loop/stages.js'), import('../lib/loop/one-off.js'), import('../lib/loop/rates.js'),
    ])
    if (args.vm) {
      oneOff.validateName(args.vm, 'VM')
      oneOff.validateName(flags.to as string, 'host')
    }
    // Reading a stream, it is a pipeline stage: it shares the lock with the stage feeding it.
    const session = await this.openActing(flags, args.vm ? null : 'migrate')
    let failed = 0
    try {
      const {backend, store, executor} = session
      if (args.vm) {
        // Checked before collect, so a wrong name changes nothing (collect advances the simulator).
        const live = await backend.snapshot()
        oneOff.planOperatorMigration(placementOf(live), args.vm, flags.to as string, live.missing, live.unmanaged)
        const sample = await stages.collectStage(backend, store, {log: (line) => this.note(flags.quiet, line), rules: session.rules()})
        const doc = await stages.operatorMigrationStage(sample, args.vm, flags.to as string, executor, {requireVf: flags['require-vf']})
        // A warning is shown even under --quiet: the VM did not end up as the operator asked.
        for (const action of doc.actions ?? []) if (action.note) this.note(false, `warning: ${action.vm}: ${action.note}`)
        for (const action of stages.failedActions(doc)) this.note(flags.quiet, `${action.vm}: ${action.kind} failed: ${action.error}`)
        failed += stages.failedActions(doc).length
        this.keepLastDocument(store, doc)
        await this.emitOneOff(doc, args.vm, flags)
      } else {
        const freshness = freshnessOf(maxSampleAge, backend, (problem) => this.note(flags.quiet, `migrate: ${problem}: no decision taken on it`))
        failed = await this.actOnStream(session, flags, (doc, executor) => stages.migrateStage(doc, executor, freshness))
      }
    } finally {
      session.store.close()
    }
    if (failed > 0) throw new ActionsFailedError(failed)
  }
}
