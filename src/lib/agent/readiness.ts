// Is a guest's bond ready for Sova to take its VF away and give it back (INTERFACES.md §4)? Pure:
// the parsed procfs text and each slave's driver in, one verdict per check out, each saying what
// it saw and how to fix it.
import {CheckFailedError} from '../errors.js'
import type {BondSlave, BondStatus} from './bonding.js'

/** Drivers of para-virtual NICs (netfront's xenbus driver is `vif`); any other driver is a VF's. */
export const PV_DRIVERS: readonly string[] = ['xen-netfront', 'vif', 'virtio_net']

/** What a bond slave is, judged by its driver. */
export type NicKind = 'pv' | 'vf' | 'unknown'

/** Tells the VF from the PV NIC by the slave's driver (undefined: sysfs did not say). */
export function nicKind(driver: string | undefined): NicKind {
  if (driver === undefined || driver === '') return 'unknown'
  return PV_DRIVERS.includes(driver) ? 'pv' : 'vf'
}

/** One line of `sova agent --check` (a type, not an interface, so it is a flat output record). */
export type ReadinessCheck = {
  bond: string
  check: string
  ok: boolean
  detail: string
  /** What to do about it; empty when ok. */
  fix: string
}

/** The bond is not ready: exit 1, the one "checks failed" code of the exit table, like failed actions. */
export class BondNotReadyError extends CheckFailedError {
  constructor(failed: ReadinessCheck[]) {
    const bonds = [...new Set(failed.map((check) => check.bond).filter((bond) => bond !== '-'))].join(', ') || 'the bond'
    super(`${bonds} not ready: ${failed.map((check) => `${check.check}: ${check.detail}`).join('; ')}`)
    this.name = 'BondNotReadyError'
  }
}

interface Slave {
  slave: BondSlave
  driver: string | undefined
  kind: NicKind
}

const describe = ({slave, driver}: Slave) => `${slave.name} (${driver ?? 'driver unknown'})`

/** The row for a bond that is not there at all. */
export function missingBondCheck(bond: string, detail: string): ReadinessCheck {
  return {
    bond,
    check: 'present',
    ok: false,
    detail,
    fix: 'load bonding and create the bond: mode=active-backup, the VF as primary, the PV NIC as backup, miimon=100',
  }
}

/** Every readiness check of one bond; `drivers` maps a slave's name to its driver link's name. */
export function checkBondReadiness(bond: string, status: BondStatus, drivers: Record<string, string | undefined>): ReadinessCheck[] {
  const slaves: Slave[] = status.slaves.map((slave) => ({slave, driver: drivers[slave.name], kind: nicKind(drivers[slave.name])}))
  const vf = slaves.find((slave) => slave.kind === 'vf')
  const pv = slaves.filter((slave) => slave.kind === 'pv')
  const unknown = slaves.filter((slave) => slave.kind === 'unknown')
  const sysfs = `/sys/class/net/${bond}/bonding`
  const row = (check: string, ok: boolean, detail: string, fix: string): ReadinessCheck => ({bond, check, ok, detail, fix: ok ? '' : fix})
  const setPrimary = vf ? `echo ${vf.slave.name} > ${sysfs}/primary (or primary=${vf.slave.name} in the bond's options)` : 'attach the VF, enslave it, then make it the primary'
  const activeBackup = status.mode === 'active-backup'
  const modeName = status.mode === 'unknown' ? `"${status.modeText ?? 'no Bonding Mode line'}"` : status.mode

  const checks = [
    row('mode', activeBackup, activeBackup ? 'active-backup' : `${modeName}: a VF and its PV backup need active-backup`, `recreate ${bond} with mode=active-backup (the mode cannot change while it has slaves)`),
    row(
      'miimon',
      (status.miimonMs ?? 0) > 0,
      status.miimonMs === undefined ? 'no MII Polling Interval line' : status.miimonMs > 0 ? `${status.miimonMs} ms` : '0 ms: a VF whose link drops is not noticed',
      `echo 100 > ${sysfs}/miimon (or miimon=100 in the bond's options)`,
    ),
  ]

  const primary = slaves.find((slave) => slave.slave.name === status.primary)
  if (!status.usesPrimary) checks.push(row('primary-vf', false, `${modeName} has no primary slave`, 'fix the mode first'))
  else if (status.primary === undefined) checks.push(row('primary-vf', false, 'Primary Slave: None (none set, or the VF it names is not enslaved now)', setPrimary))
  else if (primary === undefined || primary.kind === 'unknown') {
    const name = status.primary
    checks.push(row('primary-vf', false, `${name}: driver unknown, cannot tell a VF from a PV NIC`, `check readlink /sys/class/net/${name}/device/driver`))
  } else if (primary.kind === 'pv') checks.push(row('primary-vf', false, `${describe(primary)} is para-virtual: the VF must be the primary`, setPrimary))
  else checks.push(row('primary-vf', true, describe(primary), ''))

  const active = status.activeSlave
  const forceActive = `echo ${status.primary} > ${sysfs}/active_slave (its link must be up)${status.primaryReselect === 'always' ? '' : `, and primary_reselect=always`}`
  if (!status.usesPrimary) checks.push(row('active-slave', false, `${modeName} has no active slave`, 'fix the mode first'))
  else if (active === undefined) checks.push(row('active-slave', false, 'Currently Active Slave: None: the bond carries no traffic', 'bring a slave up (ip link set <slave> up) and check its MII Status'))
  else if (status.primary === undefined) checks.push(row('active-slave', true, `${active} (no primary to compare with)`, ''))
  else if (active !== status.primary) checks.push(row('active-slave', false, `${active} is active, not the primary ${status.primary}`, forceActive))
  else checks.push(row('active-slave', true, `${active}, the primary`, ''))

  const down = pv.filter(({slave}) => slave.miiStatus !== 'up')
  if (pv.length === 0) {
    const seen = slaves.length === 0 ? 'no slaves' : `slaves: ${slaves.map(describe).join(', ')}`
    const why = unknown.length > 0 ? `no slave is known to be para-virtual (${seen})` : `no para-virtual slave (${seen})`
    checks.push(row('pv-backup', false, `${why}: nothing carries traffic while the VF is away`, `enslave the PV NIC (${PV_DRIVERS.join('/')}) into ${bond}`))
  } else if (down.length > 0) {
    const names = down.map(({slave}) => slave.name)
    checks.push(row('pv-backup', false, down.map((slave) => `${describe(slave)}: MII Status ${slave.slave.miiStatus ?? 'not printed'}`).join(', '), `ip link set ${names.join(' up; ip link set ')} up; in dom0 check the vif backend (xl network-list)`))
  } else checks.push(row('pv-backup', true, pv.map((slave) => `${describe(slave)}: up`).join(', '), ''))
  return checks
}
