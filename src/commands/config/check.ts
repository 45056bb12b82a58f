import {SovaCommand} from '../../lib/cli/base-command.js'
import {configFlag} from '../../lib/cli/flags.js'
import {InputError, UsageError} from '../../lib/errors.js'

export default class ConfigCheck extends SovaCommand {
  static summary = 'Validate the configuration file and say what is wrong, line by line.'
  static description = `Reads the configuration in force (sova config path says which: --config FILE, else $SOVA_CONFIG,
else $XDG_CONFIG_HOME/sova/config.{yaml,yml,json}, else /etc/sova/config.{yaml,yml,json}), YAML for .yaml/.yml
and JSON otherwise, and prints every problem as FILE:LINE: path: what is wrong, the policy parameters' own rules
included (the same validator sova run uses). A file writable by group or others, owned by another
user, or in a directory others may write (not sticky) is refused, as ssh refuses such keys; every
command refuses it too. Nothing is contacted: sova doctor checks that the hosts answer. Exit codes: 0 valid, 65 problems found, 2 no file to check or unreadable.
The format is in docs/configuration.md.`

  static examples = [
    {description: 'Check the default configuration', command: '<%= config.bin %> config check'},
    {description: 'Check a file before installing it', command: '<%= config.bin %> config check --config ./cluster.yaml'},
  ]

  static flags = {...configFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(ConfigCheck)
    const [{readFileSync}, {locateConfig, systemConfigDir, userConfigDir}, {checkConfigText, permissionProblems}, {readConfigText, configFormat}, {writeStdout}] = await Promise.all([
      import('node:fs'),
      import('../../lib/config-path.js'),
      import('../../lib/config-check.js'),
      import('../../lib/config-text.js'),
      import('../../lib/cli/output.js'),
    ])
    const {path} = locateConfig(flags.config)
    if (path === undefined) {
      throw new UsageError(`no configuration file to check (none of config.yaml, config.yml, config.json in ${userConfigDir()} or ${systemConfigDir()})`, 'give one with --config FILE or SOVA_CONFIG')
    }
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      throw new UsageError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
    }
    const problems = [...permissionProblems(path), ...checkConfigText(text, path)]
    if (problems.length > 0) {
      await writeStdout(problems.join('\n') + '\n')
      throw new InputError(`${path}: ${problems.length} problem${problems.length === 1 ? '' : 's'}`)
    }
    const config = (readConfigText(text, path) as {value: import('../../lib/config.js').ConfigFile}).value
    const hosts = config.hosts ?? []
    const what = hosts.length === 0 ? 'no hosts (the simulated cluster runs)' : `${hosts.length} ${hosts[0].backend} host${hosts.length === 1 ? '' : 's'}: ${hosts.map((host) => host.name).join(', ')}`
    await writeStdout(`${path}: valid ${configFormat(path).toUpperCase()}; ${what}; policy ${config.policy?.name ?? 'sova (default)'}\n`)
  }
}
