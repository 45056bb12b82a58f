// What a command shows people: the cluster's VMs (observe/plan stages) or the actions (acting stages).
export type View = 'vms' | 'actions'
export type Format = 'json' | 'table' | 'csv'

/** Table on a terminal, NDJSON when piped, unless asked. */
export function resolveFormat(flag: Format | undefined, stdoutIsTty: boolean): Format {
  return flag ?? (stdoutIsTty ? 'table' : 'json')
}

/** Colour only for people: never into a pipe, never under NO_COLOR or --no-color. */
export function wantsColour(flag: boolean | undefined, stdoutIsTty: boolean, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag && !env.NO_COLOR
  return stdoutIsTty && !env.NO_COLOR
}
