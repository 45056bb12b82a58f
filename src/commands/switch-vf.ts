import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../lib/cli/base-command.js'
import {rowsFlag} from '../lib/cli/table-flags.js'
import {backendFlags, dryRunFlag, freshnessOf, maxSampleAgeFlag, resolveMaxSampleAge, resolvePolicyParams, switchVfFlags} from '../lib/cli/flags.js'
import {ActionsFailedError, UsageError} from '../lib/errors.js'

export default class SwitchVf extends SovaCommand {
  static summary = 'Give each host\'s VFs to the VMs that gain most, or switch one VM.'
  static description = `Host level (dynamic SR-IOV). Reads scored documents (after any migrations), plans VF
hot-plug and unplug into plan.vf with reasons, executes them and appends the results to "actions".
The policy is the one that scored the document (or --policy). sova: a free VF goes to the VM it
is worth most to; a held VF moves only when the gain beats the loss by a margin, and never within
a VM's hold time. seed: list1 VMs get a free VF, the others give theirs back. A VM that just
arrived keeps what it got until the next cycle. No VF change is decided on a sample older than
--max-sample-age (plan.noop says why), nor on a host the sample lists as missing. With VM --to
vf|pv it switches that one VM (as a table: its actions and the VM after them). Exit 1 if any action failed; 69 if the VM's host did not answer.`

  static examples = [
    {description: 'The whole loop as a pipeline', command: '<%= config.bin %> collect | <%= config.bin %> score | <%= config.bin %> balance | <%= config.bin %> migrate | <%= config.bin %> switch-vf'},
    {description: 'Give web1 a VF now', command: '<%= config.bin %> switch-vf web1 --to vf'},
    {description: 'Put web1 back on its para-virtual NIC', command: '<%= config.bin %> switch-vf web1 --to pv'},
  ]

  static args = {
    vm: Args.string({description: 'VM to switch (one-off); without it, documents on stdin are planned and executed', ignoreStdin: true}),
  }

  static flags = {
    ...rowsFlag,
    ...backendFlags,
    ...dryRunFlag,
    ...maxSampleAgeFlag,
    ...switchVfFlags,
    to: Flags.option({options: ['vf', 'pv'] as const, description: 'Path for a one-off switch: vf or pv.'})(),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SwitchVf)
    await this.checkOutput(flags, 'actions')
    if (args.vm && !flags.to) throw new UsageError(`switch-vf ${args.vm}: which path? add --to vf or --to pv`)
    if (!args.vm && flags.to) throw new UsageError('--to needs a VM: sova switch-vf VM --to vf|pv')
    const params = await resolvePolicyParams(flags)
    const maxSampleAge = await resolveMaxSampleAge(flags)
    const [stages, oneOff, {placementOf}] = await Promise.all([
      import('../lib/loop/stages.js'), import('../lib/loop/one-off.js'), import('../lib/loop/rates.js'),
    ])
    if (args.vm) oneOff.validateName(args.vm, 'VM')
    // Reading a stream, it is a pipeline stage: it shares the lock with the stage feeding it.
    const session = await this.openActing(flags, args.vm ? null : 'switch-vf')
    let failed = 0
    try {
      const {backend, store, executor} = session
      if (args.vm && flags.to) {
        // Checked before collect, so a wrong name changes nothing (collect advances the simulator).
        const live = await backend.snapshot()
        oneOff.planOperatorVf(placementOf(live), args.vm, flags.to, live.missing, live.unmanaged)
        const doc = await stages.collectStage(backend, store, {log: (line) => this.note(flags.quiet, line), rules: session.rules()})
        const next = await stages.operatorVfStage(doc, args.vm, flags.to, executor)
        failed += stages.failedActions(next).length
        this.keepLastDocument(store, next)
        await this.emitOneOff(next, args.vm, flags)
      } else {
        const freshness = freshnessOf(maxSampleAge, backend, (problem) => this.note(flags.quiet, `switch-vf: ${problem}: no decision taken on it`))
        failed = await this.actOnStream(session, flags, (doc, executor) => stages.switchVfStage(doc, params, executor, freshness))
      }
    } finally {
      session.store.close()
    }
    if (failed > 0) throw new ActionsFailedError(failed)
  }
}
