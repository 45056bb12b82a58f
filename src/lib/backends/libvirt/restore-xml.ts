// Giving a VF back exactly as it was taken: the device's own live XML, kept in the journal by the
// detach, attached again as it was (MAC, <vlan>, guest PCI address, every other element). Only what
// libvirt generates for a running device is left out, since it would be wrong or refused on a new
// attach: its automatic alias (`hostdev0`, `net1`: only `ua-` aliases are the user's) and an
// automatic tap name (`vnetN`, `macvtapN`).
import {type DomainDevice, isPassthrough, parseDomainXml} from './domain-xml.js'
import type {VfMode} from './vf-mode.js'
import {findVfDevice} from './vf-mode.js'
import {escapeAttribute, parseXml, type XmlElement} from './xml.js'

const AUTOMATIC_TAP = /^(vnet|macvtap|macvlan)\d+$/

/** Children of a live device that libvirt made up for the running domain. */
function isGenerated(child: XmlElement): boolean {
  if (child.name === 'alias') return !(child.attrs.name ?? '').startsWith('ua-')
  if (child.name === 'target') return AUTOMATIC_TAP.test(child.attrs.dev ?? '')
  return false
}

/**
 * The device XML to attach to give `vf` back from its kept `definition`, and the device as it will
 * show; or why it cannot be given back as it was (then nothing is attached: a rebuilt device would
 * be another device). A hostdev network's VF shows live as a hostdev interface; it is given back
 * through the network again (same MAC, VLAN and options; the network picks the VF).
 */
export function restoredDevice(definition: string, mode: VfMode, vf: string): {xml: string; device: DomainDevice} | {error: string} {
  let element: XmlElement
  let device: DomainDevice | undefined
  try {
    element = parseXml(definition)
    const info = parseDomainXml(`<domain><devices>${definition}</devices></domain>`)
    device = info.devices.length === 1 ? info.devices[0] : undefined
  } catch (error) {
    return {error: `the device kept for ${vf} is not readable XML (${(error as Error).message})`}
  }
  if (!device || (mode.kind !== 'network' && findVfDevice({name: undefined, uuid: undefined, vcpus: undefined, memoryKiB: undefined, devices: [device]}, mode, vf) !== device)) {
    return {error: `the device kept for ${vf} is not that VF on this host (<${element.name} type='${element.attrs.type ?? ''}'>)`}
  }
  if (mode.kind === 'network' && !(isPassthrough(device) && device.element === 'interface' && device.mac)) {
    return {error: `the device kept for ${vf} is not a VF interface of network ${mode.network}`}
  }
  const keep = element.children.filter((child) => !isGenerated(child) && !(mode.kind === 'network' && (child.name === 'source' || child.name === 'driver')))
  const inner = keep.map((child) => definition.slice(...child.span)).join('')
  if (mode.kind === 'network') return {xml: `<interface type='network'>${inner}<source network='${escapeAttribute(mode.network)}'/></interface>`, device}
  const open = definition.slice(element.span[0], element.children[0]?.span[0] ?? element.span[1]).replace(/\/>$/, '>')
  return {xml: element.children.length === 0 ? definition.slice(...element.span) : `${open}${inner}</${element.name}>`, device}
}
