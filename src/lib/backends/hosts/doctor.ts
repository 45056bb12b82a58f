// `sova doctor` for one real host: its driver's readiness checks, then one reading of it as
// collect would take it, to say which domains Sova manages and which it does not (and why), and
// which counters its port's load is read from (and why).
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

export const PORT_BASIS_CHECK = 'port basis'

/**
 * Which counters the host's load is read from, and why (docs/port-counters.md). The PF's alone
 * miss every VF's traffic, so the hotspot predictor is blind where VFs carry the load: a failure.
 */
export function portBasisCheck(host: RawHost): DoctorCheck {
  const {basis, basisWhy} = host.nic
  const name = host.name
  if (basis === 'vms') return {host: name, check: PORT_BASIS_CHECK, ok: true, detail: 'vms: the sum of the VMs\' counters (port.counters "vms")'}
  const said = basis === undefined || basis === 'pf' ? 'pf-only' : basis
  const detail = `${said}: ${basisWhy ?? 'PF counters only'}`
  if (said !== 'pf-only') return {host: name, check: PORT_BASIS_CHECK, ok: true, detail}
  return {host: name, check: PORT_BASIS_CHECK, ok: false, detail, fix: 'install ethtool on the host (port counters of mlx5_core, i40e, ice, ixgbe, sfc, bnxt_en), or an iproute2 and driver that report VF counters (ip -s link); see docs/port-counters.md'}
}

/**
 * The driver's checks, then the domains and port-basis rows from one reading of the host: FAIL with why when the
 * reading fails on its own, "not checked" when a check above already failed (that is the cause).
 */
export async function checkHost(driver: HostDriver): Promise<DoctorCheck[]> {
  const checks = await driver.checks()
  const host = driver.name
  try {
    const reading = await driver.snapshot()
    return [...checks, {host, check: MANAGED_CHECK, ok: true, detail: describeDomains(reading)}, portBasisCheck(reading)]
  } catch (error) {
    const failed = checks.find((check) => !check.ok && !check.notChecked)
    if (failed) {
      const notChecked = (check: string): DoctorCheck => ({host, check, ok: false, notChecked: true, detail: `not checked: ${failed.check} failed`})
      return [...checks, notChecked(MANAGED_CHECK), notChecked(PORT_BASIS_CHECK)]
    }
    const fix = error instanceof SovaError && error.remedy ? error.remedy : 'see the detail'
    return [
      ...checks,
      {host, check: MANAGED_CHECK, ok: false, detail: `reading the host failed: ${(error as Error).message}`, fix},
      {host, check: PORT_BASIS_CHECK, ok: false, notChecked: true, detail: `not checked: ${MANAGED_CHECK} failed`},
    ]
  }
}
