import {SovaCommand} from '../../lib/cli/base-command.js'
import {configFlag} from '../../lib/cli/flags.js'
import {UsageError} from '../../lib/errors.js'

export default class ConfigPath extends SovaCommand {
  static summary = 'Print which configuration file is in force, and why.'
  static description = `The rule that chose it and every file looked at, in the order Sova looks:
--config FILE, else $SOVA_CONFIG, else $XDG_CONFIG_HOME/sova/config.{yaml,yml,json} (~/.config/sova/...),
else the system-wide /etc/sova/config.{yaml,yml,json} ($SOVA_SYSTEM_CONFIG_DIR replaces /etc/sova, for tests
and packagers). When none is in force, says so: the defaults and the simulated cluster are used.
A directory holding two of those files is refused (exit 65), naming both. Nothing is read but the
directory listings: sova config check validates the file. Text by default; --format json gives
{path, format, rule, why, exists, looked: [{path, exists}]}, path null when none is in force.`

  static examples = [
    {description: 'Which file would sova run read?', command: '<%= config.bin %> config path'},
    {description: 'The path alone, for scripts', command: `<%= config.bin %> config path --format json | jq -r '.path // empty'`},
  ]

  static flags = {...configFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(ConfigPath)
    if (flags.format === 'csv') throw new UsageError('--format csv: config path prints text or --format json')
    const [{existsSync}, {locateConfig}, {configFormat}, {writeStdout}] = await Promise.all([
      import('node:fs'),
      import('../../lib/config-path.js'),
      import('../../lib/config-text.js'),
      import('../../lib/cli/output.js'),
    ])
    const found = locateConfig(flags.config)
    const format = found.path === undefined ? null : configFormat(found.path)
    const exists = found.path !== undefined && existsSync(found.path)
    if (flags.format === 'json') {
      const {path, rule, why, looked} = found
      await writeStdout(JSON.stringify({path: path ?? null, format, rule, why, exists, looked}) + '\n')
      return
    }
    const lines = [
      found.path === undefined
        ? 'in force: none (the defaults; no hosts: the simulated cluster)'
        : `in force: ${found.path} (${format?.toUpperCase()}${exists ? '' : '; it does not exist: every command refuses it, exit 2'})`,
      `why: ${found.why}`,
      found.looked.length === 0
        ? `looked at: nothing else (${found.rule === '--config' ? '--config' : '$SOVA_CONFIG'} comes before the user's and the system-wide files)`
        : 'looked at, in order:',
      ...found.looked.map((candidate) => `  ${candidate.path}  ${candidate.exists ? 'present' : 'absent'}`),
    ]
    await writeStdout(lines.join('\n') + '\n')
  }
}
