// How the Xen driver runs a host's tools: one timeout, one answer to "the host did not answer".
import {UnreachableError} from '../../errors.js'
import {isSshFailure, toolError, type ToolResult} from '../../exec.js'
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
