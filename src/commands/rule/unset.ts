import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'
import {RuleCommand, ruleBackendFlags} from '../../lib/cli/rule-command.js'
import {UsageError} from '../../lib/errors.js'

export default class RuleUnset extends RuleCommand {
  static summary = 'Remove rules set with sova rule set (the configuration\'s stay).'
  static description = `Removes the named keys (migrate, vf, exclude for a VM; maintenance, exclude for a host), or all of
them, from the rules sova rule set keeps for this cluster, and prints the rules still in force that
concern it (as sova rule list does). The configuration's rules are not touched: to override one, use
sova rule set with auto, --no-exclude or --no-maintenance. Removing what is not there changes nothing
(exit 0, said on stderr).`

  static examples = [
    {description: 'Let Sova move db1 again', command: '<%= config.bin %> rule unset db1 migrate'},
    {description: 'Every one-off rule of host3', command: '<%= config.bin %> rule unset --host host3'},
  ]

  static strict = false

  static args = {
    vm: Args.string({description: 'The VM (or --host), then the keys to remove (all when none).', ignoreStdin: true}),
  }

  static flags = {
    ...ruleBackendFlags,
    host: Flags.string({description: 'The rules of this host instead of a VM\'s.', helpValue: 'HOST'}),
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(RuleUnset)
    const [{validateName}, {ruleKeys, ruleRecords, rulesConcerning}, {rulesInForce}] = await Promise.all([
      import('../../lib/identifiers.js'), import('../../lib/rules/rule-records.js'), import('../../lib/rules/in-force.js'),
    ])
    const words = argv as string[]
    const kind = flags.host === undefined ? 'vm' : 'host'
    if (kind === 'vm' && words.length === 0) throw new UsageError('which VM or host? sova rule unset VM [KEY...], or sova rule unset --host HOST [KEY...]')
    const stray = words.find((word) => word.startsWith('-'))
    if (stray !== undefined) throw new UsageError(`unknown flag ${stray}`)
    const target = validateName(kind === 'vm' ? words[0] : (flags.host as string), kind === 'vm' ? 'VM' : 'host')
    const keys = ruleKeys(kind, kind === 'vm' ? words.slice(1) : words)
    const session = await this.openRules(flags)
    try {
      const removed = session.store.unsetRules(session.cluster, kind, target, keys)
      this.note(flags.quiet, removed.length === 0 ? `rule unset: ${target}: no such rule set, nothing changed` : `rule unset: ${target}: ${removed.join(' ')} removed`)
      // On stdout: the rules still in force that concern it (the configuration's among them).
      const left = rulesConcerning(ruleRecords(rulesInForce(session.config, session.store, session.cluster), session.last), kind, target)
      if (left.length === 0) this.note(flags.quiet, `rule unset: no rule in force concerns ${target} now: Sova decides`)
      else await this.emitRecords(left, flags)
    } finally {
      session.store.close()
    }
  }
}
