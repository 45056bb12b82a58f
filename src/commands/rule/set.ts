import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {RuleCommand, ruleBackendFlags} from '../../lib/cli/rule-command.js'
import {UsageError} from '../../lib/errors.js'

export default class RuleSet extends RuleCommand {
  static summary = 'Set a rule on a VM or a host: what Sova may touch.'
  static description = `Keeps the rule in the state store, for this cluster, until sova rule unset: it is in force from
the next sample on (a running sova run reads it at its next cycle). A rule set here wins over the
configuration's rules for the same key; --migrate auto, --vf auto, --no-exclude and --no-maintenance
say "Sova decides" over a rule of the configuration. VM rules: --migrate never (pinned to its host),
--vf always|never, --exclude (neither moved nor its path changed; its load still counts). Host
rules (--host): --maintenance (no VM moves in, no VF handed out), --exclude. Setting what is
already set changes nothing. Nothing is contacted: a VM or host the cluster's last document does
not list is warned about and the rule kept (a VM may be down). sova rule list shows every rule in
force; sova explain --vm shows what a VM's rules do. Prints the rules in force that concern the VM
or host (as sova rule list does).`

  static examples = [
    {description: 'Pin db1 to its host and keep its VF', command: '<%= config.bin %> rule set db1 --migrate never --vf always'},
    {description: 'Never give batch7 a VF', command: '<%= config.bin %> rule set batch7 --vf never'},
    {description: 'Leave host3 alone (its load still counts)', command: '<%= config.bin %> rule set --host host3 --exclude'},
  ]

  static args = {
    vm: Args.string({description: 'The VM the rule is for (or --host).', ignoreStdin: true}),
  }

  static flags = {
    ...ruleBackendFlags,
    host: Flags.string({description: 'The rule is for this host instead of a VM.', helpValue: 'HOST'}),
    migrate: Flags.option({options: ['never', 'auto'] as const, description: 'VM: never = pinned to its host (never migrated, drain included); auto = Sova decides.'})(),
    vf: Flags.option({options: ['always', 'never', 'auto'] as const, description: 'VM: always = keeps or gets a VF whenever one is free; never = never holds one; auto = Sova decides.'})(),
    exclude: Flags.boolean({allowNo: true, description: 'VM: neither moved nor its path changed. Host: no VM moved in or out, no VF changed there. Its load still counts.'}),
    maintenance: Flags.boolean({allowNo: true, description: 'Host: no VM moves in and no VF is handed out there (sova drain also empties it).'}),
  }

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RuleSet)
    const [{validateName}, {ruleRecords, ruleValues, rulesConcerning}, {rulesInForce}] = await Promise.all([
      import('../../lib/identifiers.js'), import('../../lib/rules/rule-records.js'), import('../../lib/rules/in-force.js'),
    ])
    if (args.vm !== undefined && flags.host !== undefined) throw new UsageError('a rule is for a VM or a host: give VM or --host HOST, not both')
    if (args.vm === undefined && flags.host === undefined) throw new UsageError('which VM or host? sova rule set VM --migrate never, or sova rule set --host HOST --exclude')
    const kind = args.vm === undefined ? 'host' : 'vm'
    const target = validateName((args.vm ?? flags.host) as string, kind === 'vm' ? 'VM' : 'host')
    const values = ruleValues(kind, flags)
    const session = await this.openRules(flags)
    try {
      const {store, config, cluster, last} = session
      const known = kind === 'vm' ? last?.hosts.some((host) => host.vms.some((vm) => vm.name === target)) : last?.hosts.some((host) => host.name === target) || last?.missing?.some((entry) => entry.host === target)
      if (last !== undefined && !known) this.note(false, `warning: ${kind === 'vm' ? 'VM' : 'host'} ${target} is not in the last document of ${cluster} (${last.at}); the rule is kept and applies when it is there`)
      const changed = store.setRules(cluster, kind, target, values, new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'))
      this.note(flags.quiet, changed.length === 0 ? `rule set: ${target}: already so, nothing changed` : `rule set: ${target}: ${changed.map((key) => `${key}=${values[key]}`).join(' ')}`)
      // On stdout: every rule in force that concerns it (its own, and its groups' as the last document says).
      await this.emitRecords(rulesConcerning(ruleRecords(rulesInForce(config, store, cluster), last), kind, target), flags)
    } finally {
      session.store.close()
    }
  }
}
