// The three ways a libvirt host hands out "VFs" (config `vfs`), and how each shows in a domain's
// live XML: hostdev VFs and hostdev-network VFs both appear as passthrough devices with the VF's PCI
// address; an emulated lab stand-in is an ordinary NIC recognised by its configured MAC.
import type {HostEntry} from '../../config.js'
import {canonicalMac, canonicalPci} from '../../identifiers.js'
import {type DomainDevice, type DomainInfo, isPassthrough} from './domain-xml.js'

/** How this host's VFs are handed out, from its `vfs` configuration. */
export type VfMode =
  | {kind: 'hostdev'; allow: string[] | undefined}
  | {kind: 'network'; network: string}
  | {kind: 'emulated'; model: string; nics: {id: string; mac: string}[]}

/** The host's VF mode from its configuration, with ids and MACs in canonical form. */
export function vfModeOf(host: HostEntry): VfMode {
  const vfs = host.vfs
  if (vfs?.emulated) {
    return {kind: 'emulated', model: vfs.emulated.model, nics: vfs.emulated.nics.map((nic) => ({id: canonicalPci(nic.id, 'vfs.emulated id'), mac: canonicalMac(nic.mac)}))}
  }
  if (vfs?.network) return {kind: 'network', network: vfs.network}
  return {kind: 'hostdev', allow: vfs?.allow?.map((vf) => canonicalPci(vf, 'vfs.allow entry'))}
}

/** The device of `info` that is the pool member `vf`, if the domain holds it. */
export function findVfDevice(info: DomainInfo, mode: VfMode, vf: string): DomainDevice | undefined {
  if (mode.kind === 'emulated') {
    const mac = mode.nics.find((nic) => nic.id === vf)?.mac
    return info.devices.find((device) => !isPassthrough(device) && device.mac === mac)
  }
  return info.devices.find((device) => isPassthrough(device) && device.address === vf)
}

/**
 * The pool members `info` holds, in device order. `members` is every VF of the port (not only the
 * allowed ones: a VM on any VF of the PF bypasses the PV path).
 */
export function heldVfs(info: DomainInfo, mode: VfMode, members: ReadonlySet<string>): string[] {
  if (mode.kind === 'emulated') {
    return info.devices.flatMap((device) => {
      const nic = !isPassthrough(device) ? mode.nics.find((candidate) => candidate.mac === device.mac) : undefined
      return nic ? [nic.id] : []
    })
  }
  return info.devices.flatMap((device) => (isPassthrough(device) && device.address && members.has(device.address) ? [device.address] : []))
}

/** What still ties the domain to this host's hardware (refuses migration), described for a message. */
export function describeVfHolding(info: DomainInfo, mode: VfMode): string | undefined {
  const passthrough = info.devices.find(isPassthrough)
  if (passthrough) return `${passthrough.element === 'hostdev' ? 'a PCI hostdev' : 'a hostdev interface'} ${passthrough.address ?? ''}`.trim()
  if (mode.kind === 'emulated') {
    const standIn = heldVfs(info, mode, new Set())[0]
    if (standIn) return `the stand-in VF ${standIn}`
  }
  return undefined
}
