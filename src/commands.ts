// The explicit command map (oclif "explicit" strategy): no manifest, no directory scan at start-up.
import Agent from './commands/agent.js'
import Balance from './commands/balance.js'
import Check from './commands/check.js'
import Collect from './commands/collect.js'
import ConfigCheck from './commands/config/check.js'
import ConfigPath from './commands/config/path.js'
import Doctor from './commands/doctor.js'
import Evaluate from './commands/evaluate.js'
import Explain from './commands/explain.js'
import History from './commands/history.js'
import Migrate from './commands/migrate.js'
import Run from './commands/run.js'
import Schema from './commands/schema.js'
import Score from './commands/score.js'
import SimOutage from './commands/sim/outage.js'
import SimReset from './commands/sim/reset.js'
import SimScenarios from './commands/sim/scenarios.js'
import SwitchVf from './commands/switch-vf.js'

export const COMMANDS = {
  collect: Collect,
  score: Score,
  balance: Balance,
  migrate: Migrate,
  'switch-vf': SwitchVf,
  run: Run,
  evaluate: Evaluate,
  explain: Explain,
  history: History,
  doctor: Doctor,
  check: Check,
  agent: Agent,
  'config:check': ConfigCheck,
  'config:path': ConfigPath,
  schema: Schema,
  'sim:reset': SimReset,
  'sim:outage': SimOutage,
  'sim:scenarios': SimScenarios,
}
