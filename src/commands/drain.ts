import * as Args from '@oclif/core/args'
import {SovaCommand} from '../lib/cli/base-command.js'
import {backendFlags, dryRunFlag, resolvePolicyParams} from '../lib/cli/flags.js'
import {ActionsFailedError, EXIT, SovaError} from '../lib/errors.js'

export default class Drain extends SovaCommand {
  static summary = 'Empty a host for maintenance: move every VM off it, then mark it in maintenance.'
  static description = `Plans on a fresh sample where each VM of HOST goes: the host with the most headroom after the
move (its busier port direction below the sova policy's targetBelow, the memory, its CPU within
cpuHeadroom), biggest VM first, each placement reserved before the next; never onto a host in
maintenance or excluded, nor next to a VM of its anti-affinity group. If any VM cannot leave (pinned
by never-migrate, excluded, or no host can take it) nothing is done: each blocker is named on stderr
and in plan.rejected, exit 1. Otherwise HOST is marked draining (no VM moves in, no VF is handed out
there, also for sova run), the VMs move through the same executor as migrate (VF detached first,
journalled, a free VF given on arrival when the VM had one or its rule is vf: always), and once HOST
holds no VM it is in maintenance until sova undrain. Draining a host in maintenance that holds no VM
does nothing (exit 0). A drain killed midway leaves HOST draining: the next drain reconciles the
journal and finishes. Exit 1 if refused or an action failed (HOST stays draining); 2 for an unknown
host; 69 if HOST did not answer; 75 if another acting run holds the lock.`

  static examples = [
    {description: 'See where each VM would go, touching nothing', command: '<%= config.bin %> drain host2 --dry-run --format table'},
    {description: 'Empty host2 for maintenance', command: '<%= config.bin %> drain host2'},
    {description: 'Put it back in service', command: '<%= config.bin %> undrain host2'},
  ]

  static args = {
    host: Args.string({description: 'Host to empty', required: true, ignoreStdin: true}),
  }

  static flags = {
    ...backendFlags,
    ...dryRunFlag,
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Drain)
    const [{drainHost}, {validateName}, {hostParamsOf}, {isRunLive}] = await Promise.all([
      import('../lib/loop/drain.js'), import('../lib/identifiers.js'), import('../lib/policy/policies.js'), import('../lib/store/run-liveness.js'),
    ])
    validateName(args.host, 'host')
    // Targets are judged by the sova policy's measure and limits (busier direction, targetBelow, cpuHeadroom), host overrides included.
    const of = hostParamsOf(await resolvePolicyParams({config: flags.config, policy: 'sova'}))
    const session = await this.openActing(flags)
    let outcome
    try {
      const log = (line: string) => this.note(flags.quiet, line)
      outcome = await drainHost({...session, log, isRunLive: (runId) => isRunLive(runId)}, args.host, (host) => ({targetBelow: of(host).sova.targetBelow, cpuHeadroom: of(host).sova.cpuHeadroom}))
      if (session.executor) this.keepLastDocument(session.store, outcome.doc)
      await this.emit(outcome.doc, 'actions', flags)
    } finally {
      session.store.close()
    }
    const {failedActions} = await import('../lib/loop/stages.js')
    const failed = failedActions(outcome.doc).length
    for (const action of failedActions(outcome.doc)) this.note(flags.quiet, `drain: ${action.vm}: ${action.kind} failed: ${action.error}`)
    for (const action of outcome.doc.actions ?? []) if (action.note) this.note(false, `warning: ${action.vm}: ${action.note}`)
    if (outcome.kind === 'refused') {
      // Every blocker, even under --quiet: it is why nothing happened.
      for (const blocker of outcome.blockers) this.note(false, `drain: ${args.host}: blocked: ${blocker}`)
      throw new SovaError(outcome.message, EXIT.actionsFailed, 'lift the rule, make room, or move those VMs by hand')
    }
    this.note(flags.quiet, `drain: ${outcome.message}`)
    if (failed > 0) throw new ActionsFailedError(failed)
    if (outcome.kind === 'incomplete') throw new SovaError(outcome.message, EXIT.actionsFailed)
  }
}
