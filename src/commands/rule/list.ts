import {RuleCommand, ruleBackendFlags} from '../../lib/cli/rule-command.js'

export default class RuleList extends RuleCommand {
  static summary = 'List every rule in force, with where it was said and what it selects now.'
  static description = `One record per rule, in order of precedence (a later rule wins per key): the configuration's
rules.groups in file order, what a domain's own config says (Xen nomigrate=1, listed when a VM
carries it), its rules.vms and rules.hosts, then the rules of sova rule set in the order they were set. Columns: for (vm or host), match (a name glob and/or a hypervisor tag, or the
host), group, rule (migrate=never, vf=always, exclude, anti-affinity, maintenance, ...), origin
(the configuration key or "sova rule set TIME") and selects (the VMs or host of the cluster's last
document it applies to). Prints nothing, and says so on stderr, when no rule is in force.`

  static examples = [
    {description: 'Every rule in force, as a table', command: '<%= config.bin %> rule list --format table'},
    {description: 'As CSV', command: '<%= config.bin %> rule list --format csv'},
  ]

  static flags = {...ruleBackendFlags}

  async run(): Promise<void> {
    const {flags} = await this.parse(RuleList)
    const [{METADATA_RULES, rulesInForce}, {ruleRecords}] = await Promise.all([import('../../lib/rules/in-force.js'), import('../../lib/rules/rule-records.js')])
    const session = await this.openRules(flags)
    try {
      // What a hypervisor's domain config says is listed where some VM of the last document carries it.
      const metadata = new Set(METADATA_RULES.map((rule) => rule.origin))
      const records = ruleRecords(rulesInForce(session.config, session.store, session.cluster), session.last)
        .filter((record) => !metadata.has(record.origin) || (record.selects !== '' && record.selects !== '(none now)'))
      if (records.length === 0) this.note(flags.quiet, `rule list: no rule in force for ${session.cluster}: Sova decides about every VM and host`)
      else await this.emitRecords(records, flags)
    } finally {
      session.store.close()
    }
  }
}
