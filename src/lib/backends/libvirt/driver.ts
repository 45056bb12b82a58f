// The libvirt/KVM host driver: one host behind `virsh -c URI`. virsh always runs here (remoteness
// is in the URI); the host's own files (sysfs, /proc, ip) are read through ctx.shell.
import type {HostEntry} from '../../config.js'
import type {HostDriver, HostDriverContext} from '../hosts/driver.js'
import {attachVf, detachVf} from './actions.js'
import {runChecks} from './checks.js'
import {migrateVm} from './migrate.js'
import {DEFAULT_LIBVIRT_TIMINGS, type LibvirtTimings} from './live-xml.js'
import {type LibvirtHost, readHostSnapshot} from './snapshot.js'
import {vfModeOf} from './vf-mode.js'
import {createVirsh, libvirtUri} from './virsh.js'
import {libvirtConnectUri} from '../hosts/ssh-control.js'

/** The waits a caller (or a test) may shorten. */
export {DEFAULT_LIBVIRT_TIMINGS, type LibvirtTimings} from './live-xml.js'

/** Builds the driver of one libvirt host; `timings` shortens the waits in tests. */
export function createLibvirtDriver(ctx: HostDriverContext, timings: Partial<LibvirtTimings> = {}): HostDriver {
  const uri = libvirtUri(ctx.host)
  const virsh = createVirsh(uri, ctx.timeouts.toolMs, libvirtConnectUri(uri, ctx.mux))
  const host: LibvirtHost = {ctx, virsh, mode: vfModeOf(ctx.host), cache: {domains: new Map()}}
  const waits: LibvirtTimings = {...DEFAULT_LIBVIRT_TIMINGS, ...timings}
  // Whatever an action came to, the domain's XML is read again at the next snapshot.
  const acting = async <T>(uuid: string, action: Promise<T>): Promise<T> => {
    try {
      return await action
    } finally {
      host.cache.domains.delete(uuid.toLowerCase())
    }
  }
  return {
    name: ctx.host.name,
    snapshot: () => readHostSnapshot(host),
    attachVf: (vm, vf, restore) => acting(vm.uuid, attachVf(host, waits, vm, vf, restore)),
    detachVf: (vm, vf) => acting(vm.uuid, detachVf(host, waits, vm, vf)),
    migrate: (vm, target: HostEntry) => acting(vm.uuid, migrateVm(host, vm, target)),
    checks: () => runChecks(host),
  }
}
