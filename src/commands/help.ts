import * as Args from '@oclif/core/args'
import {Command} from '@oclif/core/command'
import {Help as OclifHelp, normalizeArgv} from '@oclif/core/help'
import {reportFailure} from '../lib/cli/base-command.js'
import {unknownCommand} from '../lib/cli/usage.js'
import {UsageError} from '../lib/errors.js'

// Not a SovaCommand: help reads and writes no document, so it takes none of their flags.
export default class Help extends Command {
  static summary = 'Show help for sova or for one of its commands.'
  static description = 'The same text as COMMAND --help (or -h). With no command: the list of commands.'

  static examples = [
    {description: 'The flags of run', command: '<%= config.bin %> help run'},
    {description: 'A command of a topic', command: '<%= config.bin %> help sim reset'},
  ]

  // The command's words, as many as it has (sim reset).
  static strict = false
  static args = {command: Args.string({description: 'Command, e.g. run or sim reset', required: false, ignoreStdin: true})}

  async run(): Promise<void> {
    const {argv} = await this.parse(Help)
    const words = argv as string[]
    const [id] = words.length === 0 ? [''] : normalizeArgv(this.config, [...words])
    if (id !== '' && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      const refusal = unknownCommand(id, this.config.commandIDs, this.config.topics.map((topic) => topic.name))
      throw new UsageError(refusal.message, refusal.remedy)
    }
    await new OclifHelp(this.config).showHelp(words)
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<void> {
    await reportFailure(this.id, error, Help)
  }
}
