// What `sova export --textfile` writes for one host (PROM-CONTRACT.md): per-VF counters and
// assignments, the whole port's counters and basis, and every managed domain's path and counters,
// in names a Prometheus reader joins with node_exporter's and the libvirt exporter's own. Pure.
import type {RawHost, RawPort} from '../backends/types.js'
import {type MetricFamily, renderExposition, type Sample} from '../metrics/exposition.js'

const BYTES_PER_MIB = 1024 * 1024
/** Mbit/s to bytes/s, as node_network_speed_bytes counts. */
const BYTES_PER_S_PER_MBPS = 125_000

/** The basis a port is read on, by today's names (`pf`, and none, are the PF's own counters). */
export function portBasisLabel(port: RawPort): string {
  return port.basis === undefined || port.basis === 'pf' ? 'pf-only' : port.basis
}

/** One VF of the pool and who holds it ('' when free). */
interface VfEntry {
  vf: string
  domain: string
  uuid: string
}

/** Every VF of the pool: the free ones and those domains hold (managed or not), by address. */
function vfPool(host: RawHost): VfEntry[] {
  const byVf = new Map<string, VfEntry>()
  for (const vf of host.vfs.free) byVf.set(vf, {vf, domain: '', uuid: ''})
  for (const vm of host.vms) if (vm.vf !== null) byVf.set(vm.vf, {vf: vm.vf, domain: vm.name, uuid: vm.uuid})
  for (const other of host.unmanaged ?? []) if (other.vf !== null) byVf.set(other.vf, {vf: other.vf, domain: other.name, uuid: other.uuid ?? ''})
  return [...byVf.values()].sort((a, b) => (a.vf < b.vf ? -1 : a.vf > b.vf ? 1 : 0))
}

function family(name: string, type: MetricFamily['type'], help: string, samples: Sample[]): MetricFamily {
  return {name, type, help, samples}
}

/** The metric families of one host's reading, written at `writtenAt` (Unix seconds). */
export function textfileFamilies(host: RawHost, writtenAt: number): MetricFamily[] {
  const port = host.nic
  const device = port.device
  const basis = portBasisLabel(port)
  // The lab's port is the sum of its VMs: no port counters of its own to publish (the reader sums the VMs).
  const portCounted = basis !== 'vms'
  const vms = [...host.vms].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const vfCounters = [...(host.vfCounters ?? [])].sort((a, b) => (a.vf < b.vf ? -1 : a.vf > b.vf ? 1 : 0))
  const domain = (vm: (typeof vms)[number]) => ({domain: vm.name, uuid: vm.uuid})
  return [
    family('sova_textfile_timestamp_seconds', 'gauge', 'Unix time at which sova export wrote this file; a reader treats an old file as missing inventory.', [{labels: {}, value: writtenAt}]),
    family('sova_port_info', 'gauge', 'The host\'s physical port (PF): its kernel driver and the basis its counters are read on (port-counters, pf+vfs, pf-only, vms).', [
      {labels: {device, driver: port.driver ?? '', basis}, value: 1},
    ]),
    family('sova_port_receive_bytes_total', 'counter', 'Bytes the whole port received, on the basis sova_port_info names.', portCounted ? [{labels: {device}, value: port.rxBytes}] : []),
    family('sova_port_transmit_bytes_total', 'counter', 'Bytes the whole port transmitted, on the basis sova_port_info names.', portCounted ? [{labels: {device}, value: port.txBytes}] : []),
    family('sova_port_speed_bytes', 'gauge', 'The port\'s link speed in bytes per second (the configured speed when the configuration gives one).', [{labels: {device}, value: port.speedMbps * BYTES_PER_S_PER_MBPS}]),
    family('sova_vf_info', 'gauge', 'One VF of the pool (PCI address) and the domain holding it; domain and uuid are empty when it is free.', vfPool(host).map((entry) => ({labels: {pf: device, ...entry}, value: 1}))),
    family('sova_vf_receive_bytes_total', 'counter', 'Bytes the VF received (its own counters, as the PF\'s driver reports them in ip -s link).', vfCounters.map((vf) => ({labels: {pf: device, vf: vf.vf}, value: vf.rxBytes}))),
    family('sova_vf_transmit_bytes_total', 'counter', 'Bytes the VF transmitted (its own counters, as the PF\'s driver reports them in ip -s link).', vfCounters.map((vf) => ({labels: {pf: device, vf: vf.vf}, value: vf.txBytes}))),
    family('sova_domain_info', 'gauge', 'A domain Sova manages on this host: its network path (pv or vf) and the VF it holds (empty on pv).', vms.map((vm) => ({labels: {...domain(vm), path: vm.path, vf: vm.vf ?? ''}, value: 1}))),
    family('sova_domain_cpu_blocked_seconds_total', 'counter', 'Seconds the domain\'s vCPUs were blocked or idle (per vCPU), as the direct driver reads it.', vms.map((vm) => ({labels: domain(vm), value: vm.counters.blockedSeconds}))),
    family('sova_domain_receive_bytes_total', 'counter', 'Bytes the domain received on every path (PV and VF); basis says what the counter counts: a change of basis restarts it.', vms.map((vm) => ({labels: {...domain(vm), basis: vm.counters.basis ?? ''}, value: vm.counters.rxBytes}))),
    family('sova_domain_transmit_bytes_total', 'counter', 'Bytes the domain transmitted on every path (PV and VF); basis says what the counter counts: a change of basis restarts it.', vms.map((vm) => ({labels: {...domain(vm), basis: vm.counters.basis ?? ''}, value: vm.counters.txBytes}))),
    family('sova_domain_cpu_seconds_total', 'counter', 'CPU seconds the domain used, all vCPUs together.', vms.map((vm) => ({labels: domain(vm), value: vm.counters.cpuSeconds}))),
    family('sova_domain_virtual_cpus', 'gauge', 'The domain\'s vCPUs.', vms.map((vm) => ({labels: domain(vm), value: vm.vcpus}))),
    family('sova_domain_memory_bytes', 'gauge', 'The domain\'s memory in bytes.', vms.map((vm) => ({labels: domain(vm), value: vm.memoryMiB * BYTES_PER_MIB}))),
  ]
}

/** The textfile's text for one host's reading. */
export function textfileText(host: RawHost, writtenAt: number): string {
  return renderExposition(textfileFamilies(host, writtenAt))
}
