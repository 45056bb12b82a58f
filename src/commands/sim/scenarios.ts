import {SovaCommand} from '../../lib/cli/base-command.js'

export default class SimScenarios extends SovaCommand {
  static summary = 'List the simulated cluster\'s built-in scenarios.'
  static description = `Each scenario is built deterministically from its name and a seed (sova sim reset --scenario NAME
--seed N). "large" also takes --hosts and --vms-per-host; "trace" takes them too and draws its VMs
from real per-VM traces (--traces DIR; docs/traces.md). Your own cluster goes in a scenario file
(sova sim reset --scenario ./file.json; format in docs/scenario-file.md).`

  static examples = [
    {description: 'As a table', command: '<%= config.bin %> sim scenarios --format table'},
    {description: 'Names only', command: `<%= config.bin %> sim scenarios --format json | jq -r .name`},
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(SimScenarios)
    const [{SCENARIOS}, {TRACE_SCENARIO, TRACE_SCENARIO_DESCRIPTION}] = await Promise.all([
      import('../../lib/backends/sim/scenarios.js'),
      import('../../lib/backends/sim/trace-options.js'),
    ])
    const all = [...SCENARIOS, {name: TRACE_SCENARIO, description: TRACE_SCENARIO_DESCRIPTION}]
    await this.emitRecords(all.map(({name, description}) => ({name, description})), flags)
  }
}
