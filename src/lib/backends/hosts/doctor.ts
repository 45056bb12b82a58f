// `sova doctor` for one real host: its driver's readiness checks, then one reading of it as
// collect would take it, to say which domains Sova manages and which it does not (and why).
import {SovaError} from '../../errors.js'
import type {RawHost} from '../types.js'
import type {DoctorCheck, HostDriver} from './driver.js'

export const MANAGED_CHECK = 'domains managed'
const NAMES_SHOWN = 10

/** What a reading says about the host's domains: how many Sova manages, and each it does not, with why. */
export function describeDomains(host: RawHost): string {
  const managed = `${host.vms.length} VM${host.vms.length === 1 ? '' : 's'} managed`
  const others = host.unmanaged ?? []
  if (others.length === 0) return `${managed}, none left out`
  const named = others.slice(0, NAMES_SHOWN).map((entry) => `${JSON.stringify(entry.name)}: ${entry.why}`)
  const more = others.length > NAMES_SHOWN ? `; and ${others.length - NAMES_SHOWN} more` : ''
  return `${managed}; ${others.length} not managed (document "unmanaged"; their VFs and traffic still count): ${named.join('; ')}${more}`
}

/**
 * The driver's checks, then the domains row from one reading of the host: FAIL with why when the
 * reading fails on its own, "not checked" when a check above already failed (that is the cause).
 */
export async function checkHost(driver: HostDriver): Promise<DoctorCheck[]> {
  const checks = await driver.checks()
  const host = driver.name
  try {
    return [...checks, {host, check: MANAGED_CHECK, ok: true, detail: describeDomains(await driver.snapshot())}]
  } catch (error) {
    const failed = checks.find((check) => !check.ok && !check.notChecked)
    if (failed) return [...checks, {host, check: MANAGED_CHECK, ok: false, notChecked: true, detail: `not checked: ${failed.check} failed`}]
    const fix = error instanceof SovaError && error.remedy ? error.remedy : 'see the detail'
    return [...checks, {host, check: MANAGED_CHECK, ok: false, detail: `reading the host failed: ${(error as Error).message}`, fix}]
  }
}
