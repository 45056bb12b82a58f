// Hot-plug, hot-unplug and live migration on one libvirt host. One attach/detach/verify code path
// for all VF modes: build (or restore) the device XML, run virsh, then believe only the live XML.
// The domain is named to virsh by its UUID only, and its live XML is checked to bear the name the
// plan meant before anything is done to it.
import {setTimeout as sleep} from 'node:timers/promises'
import {canonicalPci, isPciAddress, isValidName, NAME_RULE} from '../../identifiers.js'
import {stepResult} from '../hosts/driver.js'
import type {StepResult, VfDevice, VmRef} from '../types.js'
import {attachSpecFor, buildDeviceXml, detachSpecFor, withDeviceFile} from './device-xml.js'
import {type DomainDevice, type DomainInfo, isPassthrough} from './domain-xml.js'
import {formatSeconds, type LibvirtTimings, pollBudget, readLiveDomain, waitForLiveXml} from './live-xml.js'
import {restoredDevice} from './restore-xml.js'
import {type LibvirtHost, readHostPool} from './snapshot.js'
import {findVfDevice, heldVfs} from './vf-mode.js'
import {isDomainUuid, isGuestBusy, virshError} from './virsh.js'

/** Why `vm`/`vf` cannot be passed to virsh, or undefined when they can. */
export function refusal(vm: VmRef, vf?: string): string | undefined {
  if (!isValidName(vm.name)) return `refused: "${vm.name}" is not a valid VM name (${NAME_RULE})`
  if (!isDomainUuid(vm.uuid)) return `refused: "${vm.uuid}" is not a domain UUID (meant: ${vm.name}); libvirt domains are acted on by UUID only`
  if (vf !== undefined && !isPciAddress(vf)) return `refused: "${vf}" is not a VF id ([DDDD:]BB:SS.F)`
  return undefined
}

/** Runs an action body; anything it throws (an unreachable host) becomes a failed step. */
export async function asStep(body: (started: number) => Promise<StepResult>): Promise<StepResult> {
  const started = performance.now()
  try {
    return await body(started)
  } catch (error) {
    return stepResult(started, (error as Error).message)
  }
}

/** The same device, found again in a later live XML: passthrough by PCI address, a NIC by MAC. */
function isSameDevice(device: DomainDevice, candidate: DomainDevice): boolean {
  if (isPassthrough(device)) return isPassthrough(candidate) && candidate.address === device.address
  return !isPassthrough(candidate) && candidate.mac === device.mac
}

const describeDevice = (device: DomainDevice) => (isPassthrough(device) ? `VF ${device.address}` : `NIC ${device.mac}`)

/** The XML to attach and how to recognise it live: restored as it was, or built from the host's configuration. */
function deviceToAttach(host: LibvirtHost, vm: VmRef, id: string, info: DomainInfo, restore: VfDevice | undefined): {xml: string; byMac?: string} | {error: string} {
  const byPool = host.mode.kind === 'network'
  if (restore) {
    const restored = restoredDevice(restore.definition, host.mode, id)
    if ('error' in restored) return {error: `refused: ${restored.error}; nothing attached`}
    return {xml: restored.xml, byMac: byPool ? restored.device.mac : undefined}
  }
  const {name, vfs} = host.ctx.host
  const spec = attachSpecFor(host.mode, id, {hostName: name, vlan: vfs?.vlan, mac: vfs?.mac}, info, vm.uuid)
  return {xml: buildDeviceXml(spec), byMac: spec.kind === 'network' ? spec.mac : undefined}
}

/**
 * Hot-plugs `vf` into `vm`, then waits until the live XML shows it; undoes the plug when it never
 * shows. With `restore`, the device kept by its detach is given back as it was.
 */
export function attachVf(host: LibvirtHost, timings: LibvirtTimings, vm: VmRef, vf: string, restore?: VfDevice): Promise<StepResult> {
  return asStep(async (started) => {
    const refused = refusal(vm, vf)
    if (refused) return stepResult(started, refused)
    const id = canonicalPci(vf)
    const pool = await readHostPool(host)
    if (!pool.offered.includes(id)) return stepResult(started, `refused: ${id} is not in ${host.ctx.host.name}'s VF pool (${pool.offered.join(', ') || 'empty'})`)
    const live = await readLiveDomain(host.virsh, vm)
    if ('error' in live) return stepResult(started, live.error)
    if (findVfDevice(live.info, host.mode, id)) return stepResult(started)
    const other = heldVfs(live.info, host.mode, new Set(pool.members))[0]
    if (other) return stepResult(started, `refused: ${vm.name} already holds ${other}`)
    const device = deviceToAttach(host, vm, id, live.info, restore)
    if ('error' in device) return stepResult(started, device.error)
    // A pool network picks the VF itself: its device shows as a hostdev interface with our MAC.
    const shown = (info: DomainInfo) => (device.byMac ? info.devices.find((candidate) => isPassthrough(candidate) && candidate.mac === device.byMac) : findVfDevice(info, host.mode, id))
    return withDeviceFile(device.xml, async (file) => {
      const result = await host.virsh.run(['attach-device', vm.uuid, file, '--live'])
      if (result.exitCode !== 0 || result.timedOut) return stepResult(started, virshError(result))
      const seen = await waitForLiveXml(host.virsh, vm, (info) => shown(info) !== undefined, pollBudget(timings.attachWaitMs, timings.pollMs), timings.pollMs)
      if (seen.ok && device.byMac) {
        // The pool chose the VF: report the one the live XML shows, not the one asked for.
        const chosen = seen.info && shown(seen.info)
        return {...stepResult(started), ...(chosen?.address ? {vf: chosen.address} : {})}
      }
      if (seen.ok) return stepResult(started)
      const undo = await host.virsh.run(['detach-device', vm.uuid, file, '--live'])
      const undone = undo.exitCode === 0 ? 'detach requested to undo it' : `undo failed: ${virshError(undo)}`
      return stepResult(started, `attach-device returned 0, but ${id} never showed in ${vm.name}'s live XML within ${formatSeconds(timings.attachWaitMs)}; ${undone}`)
    })
  })
}

/**
 * Hot-unplugs `vf` from `vm` (retrying "guest is busy"), then waits until the live XML no longer
 * shows it. A done result carries the device's own live XML, to give it back exactly.
 */
export function detachVf(host: LibvirtHost, timings: LibvirtTimings, vm: VmRef, vf: string): Promise<StepResult> {
  return asStep(async (started) => {
    const refused = refusal(vm, vf)
    if (refused) return stepResult(started, refused)
    const id = canonicalPci(vf)
    const live = await readLiveDomain(host.virsh, vm)
    if ('error' in live) return stepResult(started, live.error)
    const device = findVfDevice(live.info, host.mode, id)
    if (!device) return stepResult(started) // already gone: detaching is idempotent
    return withDeviceFile(buildDeviceXml(detachSpecFor(device, host.mode)), async (file) => {
      let result = await host.virsh.run(['detach-device', vm.uuid, file, '--live'])
      for (let retry = 0; retry < timings.busyRetries && result.exitCode !== 0 && isGuestBusy(result); retry++) {
        await sleep(timings.busyRetryMs)
        result = await host.virsh.run(['detach-device', vm.uuid, file, '--live'])
      }
      if (result.exitCode !== 0 || result.timedOut) return stepResult(started, virshError(result))
      const gone = await waitForLiveXml(host.virsh, vm, (info) => !info.devices.some((candidate) => isSameDevice(device, candidate)), pollBudget(timings.detachWaitMs, timings.pollMs), timings.pollMs)
      if (gone.ok) return {...stepResult(started), device: {vf: id, definition: device.xml}}
      const why = gone.lastError ? ` (last read: ${gone.lastError})` : ''
      return stepResult(started, `detach requested, but ${describeDevice(device)} still present after ${formatSeconds(timings.detachWaitMs)}${why}`)
    })
  })
}
