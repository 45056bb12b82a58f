// How the Xen driver runs a host's tools: one timeout, one answer to "the host did not answer",
// and /proc + sysfs read once per snapshot however many readers ask.
import {UnreachableError} from '../../errors.js'
import {isSshFailure, toolError, type HostShell, type ToolResult} from '../../exec.js'
import type {HostDriverContext} from '../hosts/driver.js'

/** Runs one tool of the host with the driver's tool timeout (migrations pass their own). */
export function runTool(ctx: HostDriverContext, file: string, args: string[], timeoutMs = ctx.timeouts.toolMs): Promise<ToolResult> {
  return ctx.shell.run(file, args, {timeoutMs})
}

/** The UnreachableError for a host whose ssh, or whose tool, did not answer (exit 69). */
export function unreachable(ctx: HostDriverContext, result: ToolResult): UnreachableError {
  const remedy = isSshFailure(result) ? `check that "ssh -o BatchMode=yes ${ctx.shell.where} true" works` : 'run "sova doctor" on this host'
  return new UnreachableError(`${ctx.host.name}: ${toolError(result)}`, remedy)
}

/** A tool a snapshot cannot do without: any failure means the host did not answer. */
export async function runRequired(ctx: HostDriverContext, file: string, args: string[]): Promise<string> {
  const result = await runTool(ctx, file, args)
  if (result.exitCode !== 0) throw unreachable(ctx, result)
  return result.stdout
}

/** A tool a snapshot can do without: undefined when it fails, but ssh failing still means unreachable. */
export async function runOptional(ctx: HostDriverContext, file: string, args: string[]): Promise<string | undefined> {
  const result = await runTool(ctx, file, args)
  if (isSshFailure(result)) throw unreachable(ctx, result)
  return result.exitCode === 0 ? result.stdout : undefined
}

/** The same shell, but each file and directory is read at most once (one snapshot's worth of reads). */
export function memoizeReads(shell: HostShell): HostShell {
  const texts = new Map<string, Promise<string | undefined>>()
  const lists = new Map<string, Promise<string[] | undefined>>()
  const links = new Map<string, Promise<string | undefined>>()
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let value = cache.get(key)
    if (value === undefined) {
      value = read()
      cache.set(key, value)
    }
    return value
  }
  return {
    where: shell.where,
    run: (file, args, options) => shell.run(file, args, options),
    readText: (path) => once(texts, path, () => shell.readText(path)),
    list: (path) => once(lists, path, () => shell.list(path)),
    linkTarget: (path) => once(links, path, () => shell.linkTarget(path)),
  }
}

