// What a domain's live XML (`virsh dumpxml <dom>`) says about its NICs and PCI devices. Live XML
// shows a `type='network'` interface of a hostdev pool with its *actual* type: `<interface
// type='hostdev' managed='yes'>` whose `<source><address type='pci' …/>` is the VF libvirt picked,
// and no network name (libvirt domain_conf.c virDomainNetDefFormat / virDomainActualNetDefContentsFormat).
import {SOVA_XMLNS} from '../../rules/tags.js'
import {childNamed, parseXml, type XmlElement} from './xml.js'
import {pciOfAddress} from './parse.js'

/** One NIC or PCI host device of a running domain. */
export interface DomainDevice {
  /** `interface` for `<interface>`, `hostdev` for `<hostdev mode='subsystem' type='pci'>`. */
  element: 'interface' | 'hostdev'
  /** The interface type as live XML shows it (ethernet, bridge, network, hostdev, …); `pci` for a hostdev. */
  type: string
  mac: string | undefined
  model: string | undefined
  /** The host-side netdev (tap), e.g. vnet0; renamed after a migration, so never a key. */
  target: string | undefined
  /** Host PCI address of an assigned device (hostdev interface or hostdev), canonical. */
  address: string | undefined
  /** `<source network='…'>` when live XML still shows one. */
  network: string | undefined
  alias: string | undefined
  teaming: {type: string; persistent: string | undefined} | undefined
  /** The device's own live XML, as libvirt printed it: what a give-back restores. */
  xml: string
}

/** A running domain as its live XML describes it. */
export interface DomainInfo {
  name: string | undefined
  uuid: string | undefined
  vcpus: number | undefined
  memoryKiB: number | undefined
  devices: DomainDevice[]
  /** The texts of <tag> elements of Sova's <metadata> element, unchecked (rules/tags.ts checks them). */
  tags?: string[]
}

/** True for a device that passes a host PCI function through (a VF): blocks live migration. */
export function isPassthrough(device: DomainDevice): boolean {
  return device.element === 'hostdev' || device.type === 'hostdev'
}

const toKiB = (value: string | undefined, unit: string | undefined): number | undefined => {
  const amount = Number(value)
  if (!Number.isFinite(amount) || value === undefined || value === '') return undefined
  const factor: Record<string, number> = {b: 1 / 1024, bytes: 1 / 1024, k: 1, kib: 1, kb: 1000 / 1024, m: 1024, mib: 1024, mb: 1e6 / 1024, g: 1024 ** 2, gib: 1024 ** 2, gb: 1e9 / 1024}
  return amount * (factor[(unit ?? 'KiB').toLowerCase()] ?? 1)
}

/** Parses a domain's XML into the facts the driver needs; unknown devices are ignored. */
export function parseDomainXml(xml: string): DomainInfo {
  const domain = parseXml(xml)
  const devices = childNamed(domain, 'devices')
  const vcpu = childNamed(domain, 'vcpu')
  const memory = childNamed(domain, 'currentMemory') ?? childNamed(domain, 'memory')
  const vcpuCount = Number(vcpu?.attrs.current ?? vcpu?.text)
  const found: DomainDevice[] = []
  for (const element of devices?.children ?? []) {
    if (element.name === 'interface') {
      const source = childNamed(element, 'source')
      const teaming = childNamed(element, 'teaming')
      found.push({
        element: 'interface',
        type: element.attrs.type ?? '',
        mac: childNamed(element, 'mac')?.attrs.address?.toLowerCase(),
        model: childNamed(element, 'model')?.attrs.type,
        target: childNamed(element, 'target')?.attrs.dev,
        address: element.attrs.type === 'hostdev' ? pciOfAddress(childNamed(source, 'address')) : undefined,
        network: source?.attrs.network,
        alias: childNamed(element, 'alias')?.attrs.name,
        teaming: teaming ? {type: teaming.attrs.type ?? '', persistent: teaming.attrs.persistent} : undefined,
        xml: xml.slice(...element.span),
      })
    } else if (element.name === 'hostdev' && element.attrs.mode === 'subsystem' && element.attrs.type === 'pci') {
      const teaming = childNamed(element, 'teaming')
      found.push({
        element: 'hostdev',
        type: 'pci',
        mac: undefined,
        model: undefined,
        target: undefined,
        address: pciOfAddress(childNamed(childNamed(element, 'source'), 'address')),
        network: undefined,
        alias: childNamed(element, 'alias')?.attrs.name,
        teaming: teaming ? {type: teaming.attrs.type ?? '', persistent: teaming.attrs.persistent} : undefined,
        xml: xml.slice(...element.span),
      })
    }
  }
  return {
    name: childNamed(domain, 'name')?.text,
    uuid: childNamed(domain, 'uuid')?.text,
    vcpus: Number.isFinite(vcpuCount) && vcpuCount > 0 ? vcpuCount : undefined,
    memoryKiB: toKiB(memory?.text, memory?.attrs.unit),
    devices: found,
    tags: sovaTags(childNamed(domain, 'metadata')),
  }
}

/**
 * The tags of Sova's element in <metadata>, found by its namespace whatever the prefix (libvirt
 * prints the one given to `virsh metadata --key`): `<sova:vm xmlns:sova="https://sova.dev/xmlns/vm/1">
 * <sova:tag>database</sova:tag></sova:vm>`. Other applications' metadata is not read.
 */
function sovaTags(metadata: XmlElement | undefined): string[] {
  const tags: string[] = []
  for (const element of metadata?.children ?? []) {
    const colon = element.name.indexOf(':')
    const prefix = colon === -1 ? '' : element.name.slice(0, colon)
    const declared = prefix === '' ? element.attrs.xmlns : element.attrs[`xmlns:${prefix}`]
    if (declared !== SOVA_XMLNS || element.name.slice(colon + 1) !== 'vm') continue
    const tagName = prefix === '' ? 'tag' : `${prefix}:tag`
    for (const child of element.children) if (child.name === tagName) tags.push(child.text)
  }
  return tags
}

/** The virtio NIC a VF must pair with (`<teaming type='persistent'/>` and a user alias `ua-…`). */
export function findTeamingBackup(info: DomainInfo): {mac: string; alias: string} | undefined {
  const backup = info.devices.find((device) => device.teaming?.type === 'persistent' && device.alias?.startsWith('ua-') && device.mac)
  return backup && {mac: backup.mac as string, alias: backup.alias as string}
}
