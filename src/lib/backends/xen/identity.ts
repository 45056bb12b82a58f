// Which domain an action reaches: xl is given a domid, never a name, and only after the name was
// looked up and found to still bear the UUID the caller meant (ISSUE 12 §1). A domid is not
// reused while its domain lives, so the action cannot land on another domain of that name.
import {toolError} from '../../exec.js'
import {UsageError} from '../../errors.js'
import {validateName} from '../../identifiers.js'
import type {HostDriverContext} from '../hosts/driver.js'
import type {VmRef} from '../types.js'
import {runTool} from './host-tools.js'
import {parseXlListLong, type XlDomain} from './parse-xl.js'

/** A VM name xl may be given: valid, and not all digits (xl would take it as a domid, unchecked). */
export function validateXlDomain(vm: string): string {
  validateName(vm, 'VM')
  if (/^\d+$/.test(vm)) throw new UsageError(`VM "${vm}" is all digits, which xl reads as a domain id; Sova does not act on it by name`)
  return vm
}

export type ResolvedDomain = {ok: true; domid: string; domain: XlDomain} | {ok: false; error: string}

/** The domain named `vm.name` on this host now (`xl list -l NAME`), refused unless its UUID is `vm.uuid`. */
export async function resolveDomain(ctx: HostDriverContext, vm: VmRef): Promise<ResolvedDomain> {
  validateXlDomain(vm.name)
  const where = ctx.host.name
  const result = await runTool(ctx, 'xl', ['list', '-l', vm.name])
  if (result.exitCode !== 0) return {ok: false, error: `cannot look ${vm.name} up on ${where}: ${toolError(result)}`}
  let domains: XlDomain[]
  try {
    domains = parseXlListLong(result.stdout)
  } catch (error) {
    return {ok: false, error: `xl list -l ${vm.name} printed output that could not be parsed: ${(error as Error).message}`}
  }
  const domain = domains.find((candidate) => candidate.name === vm.name)
  if (!domain) return {ok: false, error: `xl list -l ${vm.name} on ${where} does not list it: nothing done`}
  if (domain.uuid === undefined || domain.uuid !== vm.uuid.toLowerCase()) {
    return {ok: false, error: `refused: ${vm.name} on ${where} is now domain ${domain.uuid ?? 'without a UUID'}, not ${vm.uuid} as meant: nothing done`}
  }
  return {ok: true, domid: String(domain.domid), domain}
}
