// The one device XML builder behind attach, detach and undo, for all three VF modes (hostdev VF,
// hostdev-network VF, emulated lab stand-in), and the temp file virsh reads it from.
import {createHash} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pciParts} from '../../identifiers.js'
import {type DomainDevice, type DomainInfo, findTeamingBackup} from './domain-xml.js'
import type {VfMode} from './vf-mode.js'
import {escapeAttribute} from './xml.js'

/** A device to hand to `attach-device`/`detach-device`. */
export type DeviceSpec =
  | {kind: 'hostdev-interface'; mac: string; address: string; vlan?: number; teamingWith?: string; alias?: string}
  | {kind: 'hostdev'; address: string; alias?: string}
  | {kind: 'network'; mac: string; network: string; vlan?: number; teamingWith?: string; alias?: string}
  | {kind: 'emulated'; mac: string; model: string; alias?: string}

const hex = (value: number, width: number) => `0x${value.toString(16).padStart(width, '0')}`

function pciAddressXml(pci: string, withType: boolean): string {
  const parts = pciParts(pci)
  const type = withType ? " type='pci'" : ''
  return `<address${type} domain='${hex(parts.domain, 4)}' bus='${hex(parts.bus, 2)}' slot='${hex(parts.slot, 2)}' function='${hex(parts.function, 1)}'/>`
}

const attr = (value: string) => escapeAttribute(value)
const aliasXml = (alias: string | undefined) => (alias ? `<alias name='${attr(alias)}'/>` : '')
const vlanXml = (vlan: number | undefined) => (vlan === undefined ? '' : `<vlan><tag id='${vlan}'/></vlan>`)
const teamingXml = (backup: string | undefined) => (backup ? `<teaming type='transient' persistent='${attr(backup)}'/>` : '')

/** The device XML for `spec` (libvirt formatdomain: hostdev interface, network interface, ethernet NIC). */
export function buildDeviceXml(spec: DeviceSpec): string {
  switch (spec.kind) {
    case 'hostdev-interface':
      return `<interface type='hostdev' managed='yes'><mac address='${attr(spec.mac)}'/><driver name='vfio'/><source>${pciAddressXml(spec.address, true)}</source>${vlanXml(spec.vlan)}${teamingXml(spec.teamingWith)}${aliasXml(spec.alias)}</interface>`
    case 'hostdev':
      return `<hostdev mode='subsystem' type='pci' managed='yes'><driver name='vfio'/><source>${pciAddressXml(spec.address, false)}</source>${aliasXml(spec.alias)}</hostdev>`
    case 'network':
      return `<interface type='network'><mac address='${attr(spec.mac)}'/><source network='${attr(spec.network)}'/>${vlanXml(spec.vlan)}${teamingXml(spec.teamingWith)}${aliasXml(spec.alias)}</interface>`
    case 'emulated':
      return `<interface type='ethernet'><mac address='${attr(spec.mac)}'/><model type='${attr(spec.model)}'/>${aliasXml(spec.alias)}</interface>`
  }
}

/**
 * The MAC a VF gets under `vfs.mac: "per-vm"`: 02 followed by the first 5 bytes of
 * SHA-256("vm/<domain UUID>"). The same wherever the VM runs, so its VF keeps its MAC across a
 * migration.
 */
export function deriveVmMac(uuid: string): string {
  const digest = createHash('sha256').update(`vm/${uuid.toLowerCase()}`).digest()
  return ['02', ...[...digest.subarray(0, 5)].map((byte) => byte.toString(16).padStart(2, '0'))].join(':')
}

/**
 * The MAC a VF gets when nothing dictates one (`vfs.mac: "per-vf"`, the default): 02 (locally administered, unicast) followed by the
 * first 5 bytes of SHA-256("<host>/<VF address>"). Stable across runs, so a re-attach of the same VF
 * gives the guest the same MAC; the host name is in it because hosts share VF addresses (every
 * host's first VF is often 0000:03:10.0) while their VMs share one L2.
 */
export function deriveVfMac(hostName: string, vf: string): string {
  const digest = createHash('sha256').update(`${hostName}/${vf}`).digest()
  return ['02', ...[...digest.subarray(0, 5)].map((byte) => byte.toString(16).padStart(2, '0'))].join(':')
}

/** What the host's configuration says a new VF device gets (`vfs.vlan`, `vfs.mac`). */
export interface DevicePolicy {
  hostName: string
  vlan?: number
  mac?: 'per-vf' | 'per-vm'
}

/**
 * What to attach to hand `vf` to a domain that had none (a VF on arrival, a plan's attach): built
 * from the host's configuration. A domain with a `<teaming type='persistent'/>` virtio backup gets
 * the VF as its transient half, with the backup's MAC (INTERFACES.md §2.8).
 */
export function attachSpecFor(mode: VfMode, vf: string, policy: DevicePolicy, info: DomainInfo, uuid: string): DeviceSpec {
  if (mode.kind === 'emulated') {
    const nic = mode.nics.find((candidate) => candidate.id === vf)
    if (!nic) throw new Error(`${vf} is not one of the stand-in VFs`)
    return {kind: 'emulated', mac: nic.mac, model: mode.model}
  }
  const backup = findTeamingBackup(info)
  const mac = backup?.mac ?? (policy.mac === 'per-vm' ? deriveVmMac(uuid) : deriveVfMac(policy.hostName, vf))
  return mode.kind === 'network'
    ? {kind: 'network', mac, network: mode.network, vlan: policy.vlan, teamingWith: backup?.alias}
    : {kind: 'hostdev-interface', mac, address: vf, vlan: policy.vlan, teamingWith: backup?.alias}
}

/**
 * What to detach to remove a live device: its own MAC and PCI address, and its alias, which tells
 * it from a teaming backup with the same MAC.
 */
export function detachSpecFor(device: DomainDevice, mode: VfMode): DeviceSpec {
  if (device.element === 'hostdev') return {kind: 'hostdev', address: device.address as string, alias: device.alias}
  if (device.type === 'hostdev') return {kind: 'hostdev-interface', mac: device.mac as string, address: device.address as string, alias: device.alias}
  if (mode.kind === 'emulated') return {kind: 'emulated', mac: device.mac as string, model: device.model ?? mode.model, alias: device.alias}
  throw new Error(`a ${device.type} interface is not a VF`)
}

/** Writes `xml` to a private temp file, runs `use` with its path, and removes the file again. */
export async function withDeviceFile<T>(xml: string, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sova-virsh-'))
  try {
    const path = join(dir, 'device.xml')
    await writeFile(path, `${xml}\n`, {mode: 0o600})
    return await use(path)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}
