// Hot-plug, hot-unplug and live migration on one libvirt host. One attach/detach/verify code path
// for all VF modes: build the device XML, run virsh, then believe only the live XML.
import {setTimeout as sleep} from 'node:timers/promises'
import type {HostEntry} from '../../config.js'
import {canonicalPci, isPciAddress, isValidName, NAME_RULE} from '../../identifiers.js'
import {stepResult} from '../hosts/driver.js'
import type {StepResult} from '../types.js'
import {attachSpecFor, buildDeviceXml, detachSpecFor, withDeviceFile} from './device-xml.js'
import {type DomainDevice, type DomainInfo, isPassthrough} from './domain-xml.js'
import {formatSeconds, type LibvirtTimings, readLiveDomain, waitForLiveXml} from './live-xml.js'
import {type LibvirtHost, readHostPool} from './snapshot.js'
import {describeVfHolding, findVfDevice, heldVfs} from './vf-mode.js'
import {isGuestBusy, libvirtUri, virshError} from './virsh.js'

/** Why `vm`/`vf` cannot be passed to virsh, or undefined when they can. */
function refusal(vm: string, vf?: string): string | undefined {
  if (!isValidName(vm)) return `refused: "${vm}" is not a valid VM name (${NAME_RULE})`
  if (vf !== undefined && !isPciAddress(vf)) return `refused: "${vf}" is not a VF id ([DDDD:]BB:SS.F)`
  return undefined
}

/** Runs an action body; anything it throws (an unreachable host) becomes a failed step. */
async function asStep(body: (started: number) => Promise<StepResult>): Promise<StepResult> {
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

/** Hot-plugs `vf` into `vm`, then waits until the live XML shows it; undoes the plug when it never shows. */
export function attachVf(host: LibvirtHost, timings: LibvirtTimings, vm: string, vf: string): Promise<StepResult> {
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
    if (other) return stepResult(started, `refused: ${vm} already holds ${other}`)
    const spec = attachSpecFor(host.mode, id, host.ctx.host.name, live.info)
    // A pool network picks the VF itself: its device shows as a hostdev interface with our MAC.
    const appeared = (info: DomainInfo) =>
      spec.kind === 'network' ? info.devices.some((device) => isPassthrough(device) && device.mac === spec.mac) : findVfDevice(info, host.mode, id) !== undefined
    return withDeviceFile(buildDeviceXml(spec), async (file) => {
      const result = await host.virsh.run(['attach-device', vm, file, '--live'])
      if (result.exitCode !== 0 || result.timedOut) return stepResult(started, virshError(result))
      const seen = await waitForLiveXml(host.virsh, vm, appeared, timings.attachWaitMs, timings.pollMs)
      if (seen.ok && spec.kind === 'network') {
        // The pool chose the VF: report the one the live XML shows, not the one asked for.
        const chosen = seen.info?.devices.find((device) => isPassthrough(device) && device.mac === spec.mac)
        return {...stepResult(started), ...(chosen && isPassthrough(chosen) && chosen.address ? {vf: chosen.address} : {})}
      }
      if (seen.ok) return stepResult(started)
      const undo = await host.virsh.run(['detach-device', vm, file, '--live'])
      const undone = undo.exitCode === 0 ? 'detach requested to undo it' : `undo failed: ${virshError(undo)}`
      return stepResult(started, `attach-device returned 0, but ${id} never showed in ${vm}'s live XML within ${formatSeconds(timings.attachWaitMs)}; ${undone}`)
    })
  })
}

/** Hot-unplugs `vf` from `vm` (retrying "guest is busy"), then waits until the live XML no longer shows it. */
export function detachVf(host: LibvirtHost, timings: LibvirtTimings, vm: string, vf: string): Promise<StepResult> {
  return asStep(async (started) => {
    const refused = refusal(vm, vf)
    if (refused) return stepResult(started, refused)
    const id = canonicalPci(vf)
    const live = await readLiveDomain(host.virsh, vm)
    if ('error' in live) return stepResult(started, live.error)
    const device = findVfDevice(live.info, host.mode, id)
    if (!device) return stepResult(started) // already gone: detaching is idempotent
    return withDeviceFile(buildDeviceXml(detachSpecFor(device, host.mode)), async (file) => {
      let result = await host.virsh.run(['detach-device', vm, file, '--live'])
      for (let retry = 0; retry < timings.busyRetries && result.exitCode !== 0 && isGuestBusy(result); retry++) {
        await sleep(timings.busyRetryMs)
        result = await host.virsh.run(['detach-device', vm, file, '--live'])
      }
      if (result.exitCode !== 0 || result.timedOut) return stepResult(started, virshError(result))
      const gone = await waitForLiveXml(host.virsh, vm, (info) => !info.devices.some((candidate) => isSameDevice(device, candidate)), timings.detachWaitMs, timings.pollMs)
      if (gone.ok) return stepResult(started)
      const why = gone.lastError ? ` (last read: ${gone.lastError})` : ''
      return stepResult(started, `detach requested, but ${describeDevice(device)} still present after ${formatSeconds(timings.detachWaitMs)}${why}`)
    })
  })
}

/** Live-migrates `vm` to `target`; refused while it holds a VF; a migration that hangs is aborted. */
export function migrateVm(host: LibvirtHost, vm: string, target: HostEntry): Promise<StepResult> {
  return asStep(async (started) => {
    const refused = refusal(vm)
    if (refused) return stepResult(started, refused)
    if (target.backend !== 'libvirt') return stepResult(started, `refused: ${target.name} is a ${target.backend} host; libvirt migrates only to libvirt`)
    const targetUri = libvirtUri(target)
    if (targetUri === host.virsh.uri) return stepResult(started, `refused: ${target.name} has the same libvirt URI as ${host.ctx.host.name} (${targetUri})`)
    const live = await readLiveDomain(host.virsh, vm)
    if ('error' in live) return stepResult(started, live.error)
    const holding = describeVfHolding(live.info, host.mode)
    if (holding) return stepResult(started, `refused: ${vm} still holds ${holding}; detach it before migrating`)
    const {migrateMs, toolMs} = host.ctx.timeouts
    const result = await host.virsh.run(['migrate', '--live', '--persistent', '--undefinesource', vm, targetUri], migrateMs)
    if (result.timedOut) {
      const abort = await host.virsh.run(['domjobabort', vm], toolMs)
      const after = abort.exitCode === 0 ? `aborted (domjobabort); ${vm} stays on ${host.ctx.host.name}` : `domjobabort failed: ${virshError(abort)}`
      return stepResult(started, `migration of ${vm} to ${target.name} timed out after ${formatSeconds(migrateMs)}; ${after}`)
    }
    if (result.exitCode !== 0) return stepResult(started, virshError(result))
    return stepResult(started)
  })
}
