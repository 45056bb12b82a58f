import {SovaCommand} from '../../lib/cli/base-command.js'

export default class SimScenarios extends SovaCommand {
  static summary = 'List the simulated cluster\'s built-in scenarios.'
  static description = `Each scenario is built deterministically from its name and a seed (sova sim reset --scenario NAME
--seed N). "large" also takes --hosts and --vms-per-host. Your own cluster goes in a scenario file
(sova sim reset --scenario ./file.json; format in docs/scenario-file.md).`

  static examples = [
    {description: 'As a table', command: '<%= config.bin %> sim scenarios --format table'},
    {description: 'Names only', command: `<%= config.bin %> sim scenarios --format json | jq -r .name`},
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(SimScenarios)
    const {SCENARIOS} = await import('../../lib/backends/sim/scenarios.js')
    await this.emitRecords(SCENARIOS.map(({name, description}) => ({name, description})), flags)
  }
}
