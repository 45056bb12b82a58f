// The generated fleet: N KVM hosts × V VMs, the same for a given seed. Each VM has a kind (web,
// bulk, cpu, idle) that sets its traffic and CPU; about one host in eight is hot (its bulk VMs
// surge 5-7x), so the planners have work to do. Attributes are drawn once, in order, from a
// seeded PRNG and kept in typed arrays; the exposition (openmetrics.mjs) reads them family by family.
import {prng} from '../lib/prng.mjs'

// Per kind: share of VMs, rx/tx Mbit/s, CPU used (vCPUs busy), blocked share.
const KINDS = [
  {share: 0.3, rx: 30, tx: 90, cpu: 0.4, blocked: 0.8},
  {share: 0.2, rx: 5, tx: 150, cpu: 0.5, blocked: 0.35, bulk: true},
  {share: 0.25, rx: 8, tx: 12, cpu: 3.2, blocked: 0.05},
  {share: 0.25, rx: 0.001, tx: 0.001, cpu: 0.02, blocked: 0.01},
]

export const PORT_DEVICE = 'enp3s0f0'
export const PORT_DRIVER = 'mlx5_core'
export const PORT_SPEED_BYTES = 1.25e9 // 10 GbE
export const VFS_PER_HOST = 8
/** VFs handed out at boot to the first VMs of a host; the others are free. */
export const VFS_HELD = 6
export const CPUS_PER_HOST = 32
export const HOST_MEMORY_BYTES = 512 * 2 ** 30
export const NODE_PORT = 9100
export const LIBVIRT_PORT = 9177

export const hostName = (h) => `host${h + 1}`
export const vmName = (h, j) => `vm${h + 1}-${j + 1}`
export const vfAddress = (fn) => `0000:04:10.${fn}`
/** A stable UUID per VM (version-4 layout, derived from its indices). */
export function vmUuid(h, j) {
  const hex = (n, width) => (n >>> 0).toString(16).padStart(width, '0').slice(-width)
  return `${hex(h, 8)}-${hex(j, 4)}-4${hex(h ^ j, 3)}-8${hex(j * 2654435761, 3)}-${hex(0x5053, 4)}${hex(h * 40503 + j, 8)}`
}

/**
 * The fleet's fixed attributes. Rates are bytes/s; a VM on a VF (the first VFS_HELD of each host)
 * carries all its traffic on the VF, which the PF's own counters do not see.
 */
export function fleetModel(hosts, vmsPerHost, seed = 1) {
  const random = prng(seed)
  const count = hosts * vmsPerHost
  const vm = {
    rx: new Float64Array(count),
    tx: new Float64Array(count),
    cpu: new Float64Array(count), // CPU seconds per second
    blocked: new Float64Array(count),
    vcpus: new Uint8Array(count),
    memory: new Float64Array(count), // bytes
    base: new Float64Array(count), // counters' value at the first instant, a per-VM offset
  }
  const host = {base: new Float64Array(hosts), idleBase: new Float64Array(hosts)}
  for (let h = 0; h < hosts; h++) {
    const surge = random() < 0.125 ? 5 + 2 * random() : 1
    host.base[h] = 1e12 * random()
    host.idleBase[h] = 1e6 * (1 + random())
    for (let j = 0; j < vmsPerHost; j++) {
      const i = h * vmsPerHost + j
      let r = random()
      let kind = KINDS.at(-1)
      for (const k of KINDS) {
        if (r < k.share) {
          kind = k
          break
        }
        r -= k.share
      }
      const rate = (0.7 + 0.6 * random()) * (kind.bulk ? surge : 1)
      vm.rx[i] = (kind.rx * rate * 1e6) / 8
      vm.tx[i] = (kind.tx * rate * 1e6) / 8
      vm.vcpus[i] = 1 + Math.floor(random() * 4)
      vm.cpu[i] = Math.min(vm.vcpus[i], kind.cpu * (0.8 + 0.4 * random()))
      vm.blocked[i] = kind.blocked * (0.8 + 0.4 * random())
      vm.memory[i] = 2 ** 30 * (1 + Math.floor(random() * 8))
      vm.base[i] = 1e9 * random()
    }
  }
  return {hosts, vmsPerHost, vm, host}
}
