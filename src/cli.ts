// The oclif runtime, bundled so that a pipeline stage starts fast (TOOLING.md). Sova finds the
// command itself first, so that a mistyped one is refused in Sova's one-line style with the
// nearest names, never with oclif's "command x not found".
import {Config} from '@oclif/core/config'
import {flush} from '@oclif/core/flush'
import {run as oclifRun} from '@oclif/core/run'
import {Help, normalizeArgv} from '@oclif/core/help'
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {PRIORITY, isStdoutClosed, logLine} from './lib/cli/output.js'
import {didYouMean, unknownCommand} from './lib/cli/usage.js'

/**
 * What `run` did: ran the command line, or, run from the cached bundle (bin/run.js), found that it
 * needs the completion plugin, which only the ES-module runtime (dist/cli.js) can import, and did nothing.
 */
export type Outcome = 'done' | 'needs-plugins'

/** Runs the command line. `fromBundle`: this is dist/sova.cjs (src/cli-bundle.ts), which cannot import a plugin. */
export async function run(root: string, {fromBundle = false}: {fromBundle?: boolean} = {}): Promise<Outcome> {
  const argv = process.argv.slice(2)
  try {
    const config = await loadConfig(root, argv, fromBundle)
    if (config === undefined) return 'needs-plugins'
    const refusal = refuseUnknown(config, argv)
    if (refusal) {
      logLine(refusal, PRIORITY.err)
      process.exitCode = 2
      return 'done'
    }
    // oclif reads `help` as a word to skip when looking for the help subject: `sova help --help` is the help command's own.
    const helpCommand = config.findCommand('help')
    if (argv[0] === 'help' && argv.length > 1 && argv.slice(1).every((arg) => arg === '--help' || arg === '-h') && helpCommand) {
      await new Help(config).showCommandHelp(helpCommand)
      return 'done'
    }
    // A reader that went away (`sova --help | head -1`) never drains stdout: do not wait for it.
    const gone = new Promise<void>((resolve) => {
      process.stdout.once('error', () => resolve())
      process.stdout.once('close', () => resolve())
    })
    await oclifRun(argv, config)
    if (!isStdoutClosed()) await Promise.race([flush(), gone])
  } catch (error) {
    // Errors inside a command are reported by its catch; these come from oclif before or around one.
    const exit = (error as {oclif?: {exit?: number}}).oclif?.exit
    if (exit === 0) return 'done'
    logLine(`sova: ${(error as Error).message.split('\n')[0]}${process.env.SOVA_DEBUG ? '\n' + (error as Error).stack : ''}`, PRIORITY.err)
    process.exitCode = typeof exit === 'number' ? exit : 70
  }
  return 'done'
}

/**
 * oclif's configuration. Running one of Sova's own commands (or --version) needs no plugin, so the
 * completion plugin (package.json oclif.plugins) is loaded only when its commands may be run,
 * listed or suggested: help, topics, `sova autocomplete`, a mistyped command; from the bundle, that
 * is left to the ES-module runtime (undefined). The bundle's oclif finds Sova's commands in
 * dist/commands.cjs, which hands over the bundle's own stand-ins (scripts/build.mjs).
 */
async function loadConfig(root: string, argv: string[], fromBundle: boolean): Promise<Config | undefined> {
  const packageRoot = dirname(dirname(fileURLToPath(root)))
  const pjson = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'))
  const commands = fromBundle ? {...pjson.oclif.commands, target: './dist/commands.cjs'} : pjson.oclif.commands
  const own = await Config.load({root: packageRoot, pjson: {...pjson, oclif: {...pjson.oclif, commands, plugins: []}}})
  if (argv[0] === '--version') return own
  if (argv.length > 0 && !argv[0].startsWith('-')) {
    const [id] = normalizeArgv(own, [...argv])
    if (id !== 'help' && own.findCommand(id)) return own
  }
  return fromBundle ? undefined : Config.load(packageRoot)
}

/** The line refusing a command that does not exist, or nothing when argv names a command, a topic or help. */
function refuseUnknown(config: Config, argv: string[]): string | undefined {
  if (argv.length === 0) return undefined
  if (argv[0].startsWith('-')) {
    // Before a command only --help, -h and --version mean something; a command's flags come after it.
    const known = ['--help', '-h', '--version']
    if (known.includes(argv[0])) return undefined
    const hint = didYouMean(argv[0].split('=')[0], known.filter((flag) => flag.startsWith('--') === argv[0].startsWith('--')))
    return `sova: unknown flag ${argv[0]} (${hint ? `${hint} ` : ''}flags go after the command: sova COMMAND --flag; "sova help" lists the commands)`
  }
  const [id] = normalizeArgv(config, [...argv])
  if (config.findCommand(id) || config.findTopic(id)) return undefined
  const refusal = unknownCommand(id, config.commandIDs, config.topics.map((topic) => topic.name))
  return `${refusal.command}: ${refusal.message} (${refusal.remedy})`
}
