// Pure parsers for virsh's text output (INTERFACES.md §2): domstats blocks, nodeinfo, freecell,
// name lists, node device and network XML. Units are converted here and nowhere else.
import {formatPci} from '../../identifiers.js'
import {childNamed, childrenNamed, descendantsNamed, parseXml, type XmlElement} from './xml.js'

/** One domain's `domstats` block, with the fields the driver uses in their own units. */
export interface DomainStats {
  name: string
  /** virDomainState: 1 running, 3 paused, … */
  state: number | undefined
  cpuTimeNs: number | undefined
  balloonCurrentKiB: number | undefined
  balloonMaximumKiB: number | undefined
  vcpuCurrent: number | undefined
  /** Sum of `vcpu.N.delay` (ns a vCPU was runnable but waited for a host CPU: steal). */
  vcpuDelayNs: number
  /** `net.N.*`, from the guest's point of view (rx = received by the VM). */
  nets: {name: string | undefined; rxBytes: number; txBytes: number}[]
}

const numberOf = (fields: Map<string, string>, key: string): number | undefined => {
  const value = fields.get(key)
  if (value === undefined) return undefined
  const parsed = Number(value)
  return Number.isFinite(parsed) ? parsed : undefined
}

function toDomainStats(name: string, fields: Map<string, string>): DomainStats {
  let vcpuDelayNs = 0
  for (const [key, value] of fields) if (/^vcpu\.\d+\.delay$/.test(key)) vcpuDelayNs += Number(value) || 0
  const nets: DomainStats['nets'] = []
  const count = numberOf(fields, 'net.count') ?? 0
  for (let i = 0; i < count; i++) {
    nets.push({name: fields.get(`net.${i}.name`), rxBytes: numberOf(fields, `net.${i}.rx.bytes`) ?? 0, txBytes: numberOf(fields, `net.${i}.tx.bytes`) ?? 0})
  }
  return {
    name,
    state: numberOf(fields, 'state.state'),
    cpuTimeNs: numberOf(fields, 'cpu.time'),
    balloonCurrentKiB: numberOf(fields, 'balloon.current'),
    balloonMaximumKiB: numberOf(fields, 'balloon.maximum'),
    vcpuCurrent: numberOf(fields, 'vcpu.current'),
    vcpuDelayNs,
    nets,
  }
}

/** `virsh domstats`: `Domain: 'name'` then indented `key=value` lines, blank line between domains. */
export function parseDomstats(text: string): DomainStats[] {
  const domains: DomainStats[] = []
  let current: {name: string; fields: Map<string, string>} | undefined
  const finish = () => current && domains.push(toDomainStats(current.name, current.fields))
  for (const line of text.split('\n')) {
    const header = line.match(/^Domain: '(.*)'\s*$/)
    if (header) {
      finish()
      current = {name: header[1], fields: new Map()}
      continue
    }
    const field = line.match(/^\s+([^=\s]+)=(.*)$/)
    if (field && current) current.fields.set(field[1], field[2].trim())
  }
  finish()
  return domains
}

/** The host's CPUs and memory from `virsh nodeinfo` (`CPU(s): N`, `Memory size: N KiB`). */
export function parseNodeinfo(text: string): {cpus: number; memoryKiB: number} {
  const cpus = text.match(/^CPU\(s\):\s*(\d+)/m)
  const memory = text.match(/^Memory size:\s*(\d+)\s*KiB/m)
  if (!cpus || !memory) throw new Error(`unexpected virsh nodeinfo output: ${JSON.stringify(text.slice(0, 120))}`)
  return {cpus: Number(cpus[1]), memoryKiB: Number(memory[1])}
}

/** Free memory in KiB from `virsh freecell --all`: the `Total:` line, else the sum of the cells. */
export function parseFreecell(text: string): number {
  const total = text.match(/^\s*Total:\s*(\d+)\s*KiB/m)
  if (total) return Number(total[1])
  const cells = [...text.matchAll(/^\s*\d+:\s*(\d+)\s*KiB/gm)]
  if (cells.length === 0) throw new Error(`unexpected virsh freecell output: ${JSON.stringify(text.slice(0, 120))}`)
  return cells.reduce((sum, cell) => sum + Number(cell[1]), 0)
}

/** `list --name`, `nodedev-list`: one item a line, blank lines dropped. */
export function parseNameList(text: string): string[] {
  return text.split('\n').map((line) => line.trim()).filter(Boolean)
}

/** A libvirt `<address domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>` (hex) as `0000:03:10.1`. */
export function pciOfAddress(address: XmlElement | undefined): string | undefined {
  if (!address || (address.attrs.type !== undefined && address.attrs.type !== 'pci')) return undefined
  const parts = ['domain', 'bus', 'slot', 'function'].map((key) => parseInt(address.attrs[key] ?? '', 16))
  if (parts.some((part) => !Number.isFinite(part))) return undefined
  const [domain, bus, slot, fn] = parts
  if (slot > 0x1f || fn > 7) return undefined
  return formatPci({domain, bus, slot, function: fn})
}

/** The `net_*` node devices that may be `device` (`net_<ifname>_<mac with _>`). */
export function netNodedevCandidates(names: string[], device: string): string[] {
  return names.filter((name) => name.startsWith(`net_${device}_`) && /^(_[0-9a-f]{2}){6}$/i.test(name.slice(`net_${device}`.length)))
}

/** A `net` node device: its interface name and its parent (the PF's `pci_…` device). */
export function parseNetNodedev(xml: string): {interface: string | undefined; parent: string | undefined} {
  const device = parseXml(xml)
  const capability = childrenNamed(device, 'capability').find((cap) => cap.attrs.type === 'net')
  return {interface: childNamed(capability, 'interface')?.text, parent: childNamed(device, 'parent')?.text}
}

/**
 * A PF's `virt_functions` capability: its VFs in the order libvirt lists them, which is the order
 * of sysfs `virtfn0`, `virtfn1`, … (libvirt walks virtfnN from 0), so position = VF number.
 */
export function parsePfNodedev(xml: string): {maxCount: number | undefined; vfs: string[]} {
  const device = parseXml(xml)
  const functions = descendantsNamed(device, 'capability').find((cap) => cap.attrs.type === 'virt_functions')
  const vfs = childrenNamed(functions, 'address').flatMap((address) => pciOfAddress(address) ?? [])
  const maxCount = functions?.attrs.maxCount === undefined ? undefined : Number(functions.attrs.maxCount)
  return {maxCount, vfs}
}

/**
 * A hostdev network (`virsh net-dumpxml`): its forward mode, PF and the VFs of its pool. An active
 * network lists the pool as `<address type='pci' …/>` children of `<forward>` (libvirt
 * network_conf.c virNetworkDefFormatBuf); an inactive one with only `<pf dev>` lists none.
 */
export function parseHostdevNetwork(xml: string): {mode: string | undefined; pf: string | undefined; vfs: string[]} {
  const network = parseXml(xml)
  const forward = childNamed(network, 'forward')
  return {
    mode: forward?.attrs.mode,
    pf: childNamed(forward, 'pf')?.attrs.dev,
    vfs: childrenNamed(forward, 'address').flatMap((address) => pciOfAddress(address) ?? []),
  }
}
