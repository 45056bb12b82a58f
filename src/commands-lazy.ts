// The command map oclif loads at every start (package.json oclif.commands, explicit strategy): one
// small stand-in per command that imports the command's module only when that command runs, so a
// stage does not load every other command and its flags first. What oclif shows without running a
// command (help, the command list, did-you-mean, completion) comes from oclif.manifest.json, which
// the build writes from the real classes (commands.ts), as oclif does for a published CLI.
import type {Command} from '@oclif/core/command'
import type {Config} from '@oclif/core/config'

type CommandClass = typeof Command & {run(argv?: string[], config?: Config): Promise<unknown>}

/** What oclif's explicit strategy needs of a command: a static run (it sets id and plugin on it). */
interface StandIn {
  id?: string
  plugin?: unknown
  run(argv: string[], config: Config): Promise<unknown>
}

function lazy(id: string, load: () => Promise<{default: unknown}>): StandIn {
  return {
    async run(argv: string[], config: Config): Promise<unknown> {
      const real = (await load()).default as CommandClass
      real.id = id
      real.plugin = this.plugin as CommandClass['plugin']
      return real.run(argv, config)
    },
  }
}

export const COMMANDS = {
  collect: lazy('collect', () => import('./commands/collect.js')),
  score: lazy('score', () => import('./commands/score.js')),
  balance: lazy('balance', () => import('./commands/balance.js')),
  migrate: lazy('migrate', () => import('./commands/migrate.js')),
  'switch-vf': lazy('switch-vf', () => import('./commands/switch-vf.js')),
  run: lazy('run', () => import('./commands/run.js')),
  drain: lazy('drain', () => import('./commands/drain.js')),
  undrain: lazy('undrain', () => import('./commands/undrain.js')),
  evaluate: lazy('evaluate', () => import('./commands/evaluate.js')),
  explain: lazy('explain', () => import('./commands/explain.js')),
  status: lazy('status', () => import('./commands/status.js')),
  history: lazy('history', () => import('./commands/history.js')),
  doctor: lazy('doctor', () => import('./commands/doctor.js')),
  check: lazy('check', () => import('./commands/check.js')),
  export: lazy('export', () => import('./commands/export.js')),
  agent: lazy('agent', () => import('./commands/agent.js')),
  'config:check': lazy('config:check', () => import('./commands/config/check.js')),
  'config:path': lazy('config:path', () => import('./commands/config/path.js')),
  'rule:set': lazy('rule:set', () => import('./commands/rule/set.js')),
  'rule:unset': lazy('rule:unset', () => import('./commands/rule/unset.js')),
  'rule:list': lazy('rule:list', () => import('./commands/rule/list.js')),
  schema: lazy('schema', () => import('./commands/schema.js')),
  help: lazy('help', () => import('./commands/help.js')),
  'sim:reset': lazy('sim:reset', () => import('./commands/sim/reset.js')),
  'sim:outage': lazy('sim:outage', () => import('./commands/sim/outage.js')),
  'sim:scenarios': lazy('sim:scenarios', () => import('./commands/sim/scenarios.js')),
}
