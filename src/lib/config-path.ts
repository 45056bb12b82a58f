// Which configuration file is in force, and why: --config FILE, else $SOVA_CONFIG, else the user's
// $XDG_CONFIG_HOME/sova/config.{yaml,yml,json} (~/.config/sova/...), else the system-wide
// /etc/sova/config.{yaml,yml,json}; else none (the defaults, the simulated cluster). A directory
// holding two of those names is refused: which one an operator edits must not be a guess.
// $SOVA_SYSTEM_CONFIG_DIR replaces /etc/sova, for tests and packagers (no root needed).
import {existsSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {InputError} from './errors.js'

/** The names looked for in a configuration directory, in this order. */
export const CONFIG_NAMES = ['config.yaml', 'config.yml', 'config.json'] as const
export const SYSTEM_CONFIG_DIR = '/etc/sova'

export type ConfigRule = '--config' | 'SOVA_CONFIG' | 'user' | 'system' | 'none'

export interface ConfigLocation {
  /** The file in force; absent when none is (rule `none`). */
  path?: string
  rule: ConfigRule
  /** Why this file (or none): one sentence. */
  why: string
  /** Given by --config or $SOVA_CONFIG: it must then be readable, a missing file is an error. */
  required: boolean
  /** Every file looked at, in order, and whether it exists (not for --config and $SOVA_CONFIG). */
  looked: {path: string; exists: boolean}[]
}

/** The user's configuration directory: $XDG_CONFIG_HOME/sova, else ~/.config/sova (an empty XDG_CONFIG_HOME counts as unset). */
export function userConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME
  return join(xdg || join(homedir(), '.config'), 'sova')
}

/** The system-wide configuration directory: $SOVA_SYSTEM_CONFIG_DIR, else /etc/sova. */
export function systemConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOVA_SYSTEM_CONFIG_DIR || SYSTEM_CONFIG_DIR
}

/** Finds the configuration file in force. Throws InputError (65) when one directory holds two candidates. */
export function locateConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigLocation {
  if (flag) return {path: flag, rule: '--config', why: 'given with --config', required: true, looked: []}
  if (env.SOVA_CONFIG) return {path: env.SOVA_CONFIG, rule: 'SOVA_CONFIG', why: 'named by $SOVA_CONFIG', required: true, looked: []}
  const looked: ConfigLocation['looked'] = []
  for (const [rule, dir, whose] of [
    ['user', userConfigDir(env), 'the user\'s file ($XDG_CONFIG_HOME/sova, else ~/.config/sova)'],
    ['system', systemConfigDir(env), `the system-wide file (${env.SOVA_SYSTEM_CONFIG_DIR ? '$SOVA_SYSTEM_CONFIG_DIR' : SYSTEM_CONFIG_DIR})`],
  ] as const) {
    const candidates = CONFIG_NAMES.map((name) => ({path: join(dir, name), exists: existsSync(join(dir, name))}))
    looked.push(...candidates)
    const present = candidates.filter((candidate) => candidate.exists)
    if (present.length > 1) {
      throw new InputError(`${dir} holds ${present.map((candidate) => candidate.path).join(' and ')}: which one is in force would be a guess; keep one (sova config path lists the order)`)
    }
    if (present.length === 1) {
      const why = `${whose}, as neither --config nor $SOVA_CONFIG is given${rule === 'system' ? ' and the user has none' : ''}`
      return {path: present[0].path, rule, why, required: false, looked}
    }
  }
  return {rule: 'none', why: 'no --config, no $SOVA_CONFIG and no file in the user\'s or the system-wide directory: the defaults are in force (the simulated cluster)', required: false, looked}
}
