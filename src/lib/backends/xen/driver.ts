// The Xen host driver: one dom0 reached through its HostShell (here or over ssh), driven with
// xl, xenstore-ls and dom0's /proc and sysfs. It reports and acts; it never decides.
import type {HostDriver, HostDriverContext} from '../hosts/driver.js'
import {attachXenVf, detachXenVf, migrateXenVm} from './actions.js'
import {checkXenHost} from './checks.js'
import {readXenHost, type XenReadHints} from './snapshot.js'

/** The HostDriver of one Xen host (the cluster backend makes one per configured host). */
export function createXenDriver(ctx: HostDriverContext): HostDriver {
  const hints: XenReadHints = {}
  return {
    name: ctx.host.name,
    snapshot: () => readXenHost(ctx, hints),
    attachVf: (vm, vf, restore) => attachXenVf(ctx, vm, vf, restore),
    detachVf: (vm, vf) => detachXenVf(ctx, vm, vf),
    migrate: (vm, target) => migrateXenVm(ctx, vm, target),
    checks: () => checkXenHost(ctx),
  }
}
