// Which VFs a libvirt host has, per VF mode: the PF's VFs from its node device (`virt_functions`,
// found through `nodedev-list --cap net` → `net_<if>_<mac>` → `<parent>`), else sysfs; a hostdev
// network's `<forward>` addresses; or the configured stand-in NICs of a lab.
import type {HostShell} from '../../exec.js'
import {canonicalPci, isPciAddress} from '../../identifiers.js'
import {readSriov, type SriovFacts} from '../../linux/host-facts.js'
import {netNodedevCandidates, parseHostdevNetwork, parseNameList, parseNetNodedev, parsePfNodedev} from './parse.js'
import type {VfMode} from './vf-mode.js'
import {isUnreachable, queryFailure, type Virsh} from './virsh.js'

/** A host's VFs as Sova sees them: what exists on the port and what it may hand out. */
export interface VfPool {
  /** Every VF of the port, VF-number order when known: a VM on any of them is on the VF path. */
  members: string[]
  /** The VFs Sova may hand out (allow list, network pool, stand-ins), in pool order. */
  offered: string[]
  /** `vfs.allow` entries that are not VFs of the port (doctor reports them). */
  unknownAllowed: string[]
  /** Where the pool was read, for doctor. */
  source: string
  /** VF number ↔ address for the PF's per-VF counters; loaded only when a VM holds a VF. */
  vfNumbers(): Promise<SriovFacts | undefined>
}

/** What pool discovery needs; `cache` keeps the PF's node device name between calls (snapshot.ts batches its query ahead). */
export interface PoolContext {
  virsh: Virsh
  hostName: string
  shell: HostShell
  device: string
  mode: VfMode
  cache: {pfNodedev?: string}
}

interface PfVfs {
  vfs: string[]
  sriov: SriovFacts
  source: string
}

/** Runs a virsh query that may fail for its own reasons (→ undefined), but not for an unreachable host. */
async function tryVirsh(context: PoolContext, args: string[]): Promise<string | undefined> {
  const result = await context.virsh.run(args)
  if (result.exitCode === 0) return result.stdout
  if (isUnreachable(result)) throw queryFailure(context.virsh, context.hostName, args, result)
  return undefined
}

/** The PF's `pci_…` node device: the parent of the `net_<device>_<mac>` device whose interface is `device`. */
async function findPfNodedev(context: PoolContext): Promise<string | undefined> {
  const list = await tryVirsh(context, ['nodedev-list', '--cap', 'net'])
  for (const candidate of netNodedevCandidates(parseNameList(list ?? ''), context.device)) {
    const xml = await tryVirsh(context, ['nodedev-dumpxml', candidate])
    const net = xml === undefined ? undefined : parseNetNodedev(xml)
    if (net?.interface === context.device && net.parent?.startsWith('pci_')) return net.parent
  }
  return undefined
}

/** The PF's node device named after the PCI function sysfs links its netdev to (`pci_0000_03_00_0`). */
export async function pfNodedevOfSysfs(shell: HostShell, device: string): Promise<string | undefined> {
  const pci = await shell.linkTarget(`/sys/class/net/${device}/device`)
  return pci !== undefined && isPciAddress(pci) ? `pci_${canonicalPci(pci).replace(/[:.]/g, '_')}` : undefined
}

/**
 * The PF's VFs from libvirt's node device (the one known from before, else the one sysfs names,
 * else the one found through `nodedev-list`), else from sysfs; undefined when neither knows them.
 */
async function readPfVfs(context: PoolContext): Promise<PfVfs | undefined> {
  let nodedev = context.cache.pfNodedev ?? (await pfNodedevOfSysfs(context.shell, context.device))
  let xml = nodedev === undefined ? undefined : await tryVirsh(context, ['nodedev-dumpxml', nodedev])
  if (xml === undefined || parsePfNodedev(xml).vfs.length === 0) {
    const found = await findPfNodedev(context)
    if (found !== undefined && found !== nodedev) {
      nodedev = found
      xml = await tryVirsh(context, ['nodedev-dumpxml', found])
    }
  }
  if (nodedev !== undefined && xml !== undefined) {
    context.cache.pfNodedev = nodedev
    const pf = parsePfNodedev(xml)
    const sriov = {totalVfs: pf.maxCount ?? pf.vfs.length, numVfs: pf.vfs.length, vfs: pf.vfs.map((address, index) => ({index, address}))}
    return {vfs: pf.vfs, sriov, source: `node device ${nodedev}`}
  }
  const sriov = await readSriov(context.shell, context.device)
  return sriov && {vfs: sriov.vfs.map((vf) => vf.address), sriov, source: `sysfs of ${context.device}`}
}

/** This host's VF pool now. */
export async function readVfPool(context: PoolContext): Promise<VfPool> {
  const {mode} = context
  if (mode.kind === 'emulated') {
    const ids = mode.nics.map((nic) => nic.id)
    return {members: ids, offered: ids, unknownAllowed: [], source: `${ids.length} emulated ${mode.model} stand-in NICs (lab, no SR-IOV)`, vfNumbers: async () => undefined}
  }
  if (mode.kind === 'network') {
    const xml = await tryVirsh(context, ['net-dumpxml', mode.network])
    const network = xml === undefined ? undefined : parseHostdevNetwork(xml)
    let pf: Promise<PfVfs | undefined> | undefined
    const loadPf = () => (pf ??= readPfVfs(context))
    if (!network || network.mode !== 'hostdev') {
      const why = network ? `forward mode ${network.mode ?? 'none'}, not hostdev` : 'not found'
      return {members: [], offered: [], unknownAllowed: [], source: `network ${mode.network}: ${why}`, vfNumbers: async () => undefined}
    }
    // An inactive network lists no addresses; its PF's VFs are then the pool it will have.
    const vfs = network.vfs.length > 0 ? network.vfs : ((await loadPf())?.vfs ?? [])
    return {members: vfs, offered: vfs, unknownAllowed: [], source: `network ${mode.network}`, vfNumbers: async () => (await loadPf())?.sriov}
  }
  const pf = await readPfVfs(context)
  const members = pf?.vfs ?? []
  const allowed = mode.allow && new Set(mode.allow)
  return {
    members,
    offered: allowed ? members.filter((vf) => allowed.has(vf)) : members,
    unknownAllowed: mode.allow?.filter((vf) => !members.includes(vf)) ?? [],
    source: pf?.source ?? `no SR-IOV VFs found for ${context.device} (neither a libvirt node device nor sysfs)`,
    vfNumbers: async () => pf?.sriov,
  }
}
