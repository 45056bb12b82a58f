// What every real backend reads the same way, whatever its toolstack: the physical port (the PF's
// counters, or the sum of the VMs' in a lab) with its link speed, and the estimate of blocked time
// neither xl nor virsh reports.
import {UsageError} from '../../errors.js'
import {parseLinkSpeed, readPort} from '../../linux/host-facts.js'
import type {RawPort, RawVm} from '../types.js'
import type {HostDriverContext} from './driver.js'
import {readPortLoad} from './port-load.js'

/**
 * Cumulative blocked seconds per vCPU, estimated: of the vcpus × now seconds the vCPUs have existed
 * (anchored at the epoch, which cancels out in a difference), take away what they ran and what
 * they waited for a host CPU (steal; 0 where unknown). The rest is time the guest left them idle
 * or blocked on I/O. Differenced over a window this is a 0..1 share (collect caps it at 1).
 * XenMon's own `blocked` figure needs xentrace + xenbaked running: not cheap enough per sample.
 */
export function estimateBlockedSeconds(vcpus: number, nowSeconds: number, cpuSeconds: number, stealSeconds = 0): number {
  const n = Math.max(1, vcpus)
  return Math.max(0, (n * nowSeconds - cpuSeconds - stealSeconds) / n)
}

/**
 * The host's port: counters (the whole port's, per docs/port-counters.md, or the VMs' sum when
 * `port.counters` is "vms", with each VM's part), their basis, and speed. `ipLinkJson`: the
 * `ip -s -j -d link show <pf>` output the snapshot already read, if it did.
 */
export async function readHostPort(ctx: HostDriverContext, vms: RawVm[], ipLinkJson?: string): Promise<RawPort> {
  const {device, speedMbps: override, counters = 'pf'} = ctx.host.port
  let traffic: {rxBytes: number; txBytes: number}
  let sysfsSpeed: number | undefined
  if (counters === 'vms') {
    traffic = {rxBytes: vms.reduce((sum, vm) => sum + vm.counters.rxBytes, 0), txBytes: vms.reduce((sum, vm) => sum + vm.counters.txBytes, 0)}
    sysfsSpeed = override === undefined ? parseLinkSpeed(await ctx.shell.readText(`/sys/class/net/${device}/speed`)) : undefined
  } else {
    const port = await readPort(ctx.shell, device)
    if (!port) {
      throw new UsageError(
        `${ctx.host.name}: port ${device} is not in /proc/net/dev (${ctx.shell.where})`,
        'set port.device to the PF\'s interface name (ip link), or port.counters to "vms" in a lab',
      )
    }
    traffic = port
    sysfsSpeed = port.speedMbps
  }
  const speedMbps = override ?? sysfsSpeed
  if (speedMbps === undefined) {
    throw new UsageError(`${ctx.host.name}: link speed of ${device} is unknown (/sys/class/net/${device}/speed says -1 or nothing)`, 'set port.speedMbps in the configuration')
  }
  if (counters === 'pf') {
    const load = await readPortLoad(ctx, traffic, ipLinkJson)
    return {device, speedMbps, rxBytes: load.rxBytes, txBytes: load.txBytes, basis: load.basis, basisWhy: load.why, ...(load.driver === undefined ? {} : {driver: load.driver})}
  }
  // Each VM's counters too: collect sums the deltas of the VMs in both readings (one that left is no drop).
  const parts = vms.map((vm) => ({id: vm.uuid, rxBytes: vm.counters.rxBytes, txBytes: vm.counters.txBytes, ...(vm.counters.basis === undefined ? {} : {basis: vm.counters.basis})}))
  return {device, speedMbps, rxBytes: traffic.rxBytes, txBytes: traffic.txBytes, basis: 'vms', parts}
}
