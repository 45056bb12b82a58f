// Where the state store lives: --state DIR, else SOVA_STATE_DIR, else $XDG_STATE_HOME/sova.
import {homedir} from 'node:os'
import {join} from 'node:path'

export function resolveStateDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag
  if (env.SOVA_STATE_DIR) return env.SOVA_STATE_DIR
  const xdg = env.XDG_STATE_HOME || join(homedir(), '.local', 'state')
  return join(xdg, 'sova')
}
