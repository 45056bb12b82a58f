// What a command shows people: the cluster's VMs (observe/plan stages) or the actions (acting stages).
export type View = 'vms' | 'actions'
export type Format = 'json' | 'table' | 'csv'

/** Table on a terminal, NDJSON when piped, unless asked. */
export function resolveFormat(flag: Format | undefined, stdoutIsTty: boolean): Format {
  return flag ?? (stdoutIsTty ? 'table' : 'json')
}

/**
 * Colour only for people: by default on a terminal unless NO_COLOR is set (no-color.org: it
 * changes the default); an explicit --color or --no-color is the user's choice and wins.
 */
export function wantsColour(flag: boolean | undefined, stdoutIsTty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag
  return stdoutIsTty && !env.NO_COLOR
}
