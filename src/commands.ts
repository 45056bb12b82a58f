// The explicit command map (oclif "explicit" strategy): no manifest, no directory scan at start-up.
import Agent from './commands/agent.js'
import Balance from './commands/balance.js'
import Check from './commands/check.js'
import Collect from './commands/collect.js'
import ConfigCheck from './commands/config/check.js'
import ConfigPath from './commands/config/path.js'
import Doctor from './commands/doctor.js'
import Drain from './commands/drain.js'
import Evaluate from './commands/evaluate.js'
import Explain from './commands/explain.js'
import Export from './commands/export.js'
import Help from './commands/help.js'
import History from './commands/history.js'
import Migrate from './commands/migrate.js'
import RuleList from './commands/rule/list.js'
import RuleSet from './commands/rule/set.js'
import RuleUnset from './commands/rule/unset.js'
import Run from './commands/run.js'
import Schema from './commands/schema.js'
import Score from './commands/score.js'
import Status from './commands/status.js'
import SimOutage from './commands/sim/outage.js'
import SimReset from './commands/sim/reset.js'
import SimScenarios from './commands/sim/scenarios.js'
import SwitchVf from './commands/switch-vf.js'
import Undrain from './commands/undrain.js'

export const COMMANDS = {
  collect: Collect,
  score: Score,
  balance: Balance,
  migrate: Migrate,
  'switch-vf': SwitchVf,
  run: Run,
  drain: Drain,
  undrain: Undrain,
  evaluate: Evaluate,
  explain: Explain,
  status: Status,
  history: History,
  doctor: Doctor,
  check: Check,
  export: Export,
  agent: Agent,
  'config:check': ConfigCheck,
  'config:path': ConfigPath,
  'rule:set': RuleSet,
  'rule:unset': RuleUnset,
  'rule:list': RuleList,
  schema: Schema,
  help: Help,
  'sim:reset': SimReset,
  'sim:outage': SimOutage,
  'sim:scenarios': SimScenarios,
}
