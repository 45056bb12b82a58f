// The configuration file: --config FILE, else $SOVA_CONFIG, else $XDG_CONFIG_HOME/sova/config.json
// when it exists (ARCHITECTURE.md §6). Today it holds the policy and its parameters; the hosts and
// their backends join it with the real backends. Unknown keys are refused, so a typo cannot pass
// silently; every refusal is one line naming the file and the JSON path.
import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {type Static, Type} from '@sinclair/typebox'
import {schemaErrorLine} from './document/schema-errors.js'
import {InputError, UsageError} from './errors.js'
import {HOTSPOT_PARAM_DOCS} from './policy/hotspot.js'
import {POLICY_NAMES} from './policy/policies.js'
import {SEED_BALANCE_PARAM_DOCS} from './policy/balance-seed.js'
import {SOVA_DEFAULTS, SOVA_PARAM_DOCS} from './policy/sova-params.js'

const strict = {additionalProperties: false} as const
const number = (description: string) => Type.Optional(Type.Number({description, expected: 'a number'}))
const whole = (description: string) => Type.Optional(Type.Integer({minimum: 1, description, expected: 'a whole number >= 1'}))

const PolicySection = Type.Object(
  {
    name: Type.Optional(Type.Union(POLICY_NAMES.map((name) => Type.Literal(name)), {expected: `one of ${POLICY_NAMES.join(', ')}`})),
    hotspot: Type.Optional(
      Type.Object(
        {
          threshold: number(HOTSPOT_PARAM_DOCS.threshold),
          recent: whole(HOTSPOT_PARAM_DOCS.recent),
          hotSamplesNeeded: whole(HOTSPOT_PARAM_DOCS.hotSamplesNeeded),
          order: whole(HOTSPOT_PARAM_DOCS.order),
          predictor: Type.Optional(Type.Union([Type.Literal('burg'), Type.Literal('lsq')], {expected: 'burg or lsq'})),
          window: whole(HOTSPOT_PARAM_DOCS.window),
        },
        strict,
      ),
    ),
    seed: Type.Optional(Type.Object({targetBelow: number(SEED_BALANCE_PARAM_DOCS.targetBelow)}, strict)),
    sova: Type.Optional(
      Type.Object(
        Object.fromEntries(Object.keys(SOVA_DEFAULTS).map((key) => [key, number(SOVA_PARAM_DOCS[key as keyof typeof SOVA_DEFAULTS])])),
        strict,
      ),
    ),
  },
  strict,
)

export const ConfigFile = Type.Object({policy: Type.Optional(PolicySection)}, {...strict, title: 'Sova configuration file'})
export type ConfigFile = Static<typeof ConfigFile>
export type PolicyConfig = NonNullable<ConfigFile['policy']>

/** Which file to read: the flag, else $SOVA_CONFIG (both must exist), else the XDG default if it exists. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): {path: string; required: boolean} {
  if (flag) return {path: flag, required: true}
  if (env.SOVA_CONFIG) return {path: env.SOVA_CONFIG, required: true}
  const xdg = env.XDG_CONFIG_HOME || join(homedir(), '.config')
  return {path: join(xdg, 'sova', 'config.json'), required: false}
}

const UNKNOWN = (path: string) => {
  const section = path.split('.').slice(0, -1).join('.')
  return section === '' ? 'unknown key (expected policy)' : `unknown key in ${section} (see sova --help of the command for the parameters)`
}

/** Validates a parsed configuration; `where` names it in messages. */
export function parseConfig(value: unknown, where: string): ConfigFile {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${where}: expected a configuration (a JSON object)`)
  }
  const problem = schemaErrorLine(ConfigFile, value, {unknownKey: UNKNOWN})
  if (problem) throw new InputError(`${where}: ${problem}`)
  return value as ConfigFile
}

/** Reads the configuration in effect (an empty one when there is none and none was asked for). */
export function loadConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): ConfigFile {
  const {path, required} = resolveConfigPath(flag, env)
  if (!required && !existsSync(path)) return {}
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const from = flag ? '--config' : 'SOVA_CONFIG'
    throw new UsageError(`${from} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new InputError(`${path}: not valid JSON (${(error as Error).message})`)
  }
  return parseConfig(value, path)
}
