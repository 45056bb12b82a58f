// The one interface every backend implements. Backends report and act; they never decide.
import type {NetPath} from '../document/schema.js'

/** Cumulative counters of one VM, as the hypervisor reports them. */
export interface RawVmCounters {
  cpuSeconds: number
  blockedSeconds: number
  rxBytes: number
  txBytes: number
  /** 1 s ticks in which both rx and tx moved more than 128 bytes; absent when the backend cannot see it. */
  activeSeconds?: number
  /**
   * What the byte and active counters count (e.g. `agent`, `vif+vf 0000:03:10.1`): rates are taken
   * only between two readings of the same basis. A VF's counters run on from its previous owners,
   * and a guest agent that stopped is replaced by dom0's counters: differencing across such a
   * switch would be a jump, not a rate. Absent: one basis throughout.
   */
  basis?: string
}

export interface RawVm {
  name: string
  id: string
  /**
   * The hypervisor's own identity of the domain (libvirt's UUID, Xen's domain UUID, the simulator's
   * stable id): every action addresses the domain by it, and checks it still bears `name`.
   */
  uuid: string
  vcpus: number
  memoryMiB: number
  path: NetPath
  vf: string | null
  counters: RawVmCounters
  /** Tags from the hypervisor's metadata of the domain, checked (rules/tags.ts): rules can select VMs by them. */
  tags?: string[]
  /** Why tags of the metadata were left out (not a tag, too many): collect says so on stderr. */
  ignoredTags?: string[]
}

/** One VM's share of a port counted as the sum of its VMs (`basis: 'vms'`), by the domain's identity. */
export interface RawPortPart {
  /** The VM's uuid: another domain that takes the name is another part. */
  id: string
  rxBytes: number
  txBytes: number
  /** The VM's own counter basis (RawVmCounters.basis): a part is differenced only within one. */
  basis?: string
}

/** One VF's own counters, by its PCI address. */
export interface RawVfCounters {
  vf: string
  rxBytes: number
  txBytes: number
}

/** A host's physical port: cumulative counters and link speed. */
export interface RawPort {
  device: string
  speedMbps: number
  rxBytes: number
  txBytes: number
  /**
   * What the counters count (docs/port-counters.md): `port-counters`, the driver's whole-port
   * counters; `pf+vfs`, the PF's plus its VFs'; `pf-only`, the PF's own (`pf` in samples stored
   * before, and absent, mean the same); or `vms`, the sum of its VMs' (labs without SR-IOV
   * hardware, `port.counters: "vms"`). Rates are taken only between two readings of one basis:
   * the two are different counters, and their difference is no rate.
   */
  basis?: 'port-counters' | 'pf+vfs' | 'pf-only' | 'pf' | 'vms'
  /** Why this basis, in one sentence (which counters, and if not the port's, why not). */
  basisWhy?: string
  /** The PF's kernel driver as `ethtool -i` names it (the simulator's `sim`); absent when unknown. */
  driver?: string
  /**
   * With basis `vms`: the VMs' counters that make up the sum. The port's rate is the sum of the
   * deltas of the VMs in both readings: differencing the sums would read a VM that left as a drop.
   */
  parts?: RawPortPart[]
}

export interface RawHost {
  name: string
  nic: RawPort
  vfs: {total: number; free: string[]}
  cpus: number
  memoryMiB: {total: number; free: number}
  vms: RawVm[]
  /**
   * The VFs' own cumulative counters (rx = what the VF received), by PCI address, as the PF's
   * driver reports them in `ip -s link`; only VFs whose counters were read (a driver reads them when
   * a VM on a VF needs them, or always when asked to, for `sova export`).
   */
  vfCounters?: RawVfCounters[]
  /** Domains of this host Sova does not manage (a driver fills it; the cluster backend lifts it to RawSnapshot.unmanaged). */
  unmanaged?: UnmanagedVm[]
  /** The PV backend's cumulative CPU time, where the backend can read it (collect turns it into busy cores). */
  backend?: RawBackendCpu
}

/**
 * The CPU the PV backend (netback, vhost) has used since some start, and the cores it may use: the
 * simulator's backend exactly; on Xen, Domain-0's CPU time, which counts more than netback.
 */
export interface RawBackendCpu {
  cpuSeconds: number
  cores: number
  /** What the CPU time counts, in words (the document's host.backend.includes). */
  includes?: string
}

/**
 * A domain Sova sees but does not manage (its name cannot be passed safely to the tools, say):
 * said in the document, never acted on; its VF and traffic still count for its host.
 */
export interface UnmanagedVm {
  host: string
  /** The name as the hypervisor gives it; only ever printed (JSON-escaped), never passed to a tool. */
  name: string
  uuid?: string
  why: string
  /** The VF it holds, if any: it is not free for others. */
  vf: string | null
}

/** A host a snapshot has no readings of, and why (it did not answer, its tools' output could not be read). */
export interface MissingHost {
  host: string
  reason: string
  /** When the last sample with its readings was taken, if one is known (collect fills it in). */
  lastSampleAt?: string
}

/**
 * What a backend sees at one moment: counters, not rates (collect turns them into rates). Hosts
 * that did not answer are listed in `missing`, not left out silently: nothing is decided about them.
 */
export interface RawSnapshot {
  at: string
  source: {backend: string; cluster: string; scenario?: string; seed?: number; tick?: number}
  hosts: RawHost[]
  missing?: MissingHost[]
  /** Domains seen on hosts that answered but that Sova does not manage, and why. */
  unmanaged?: UnmanagedVm[]
}

/** Which domain an action is for: its name and the hypervisor's identity of it (see RawVm.uuid). */
export interface VmRef {
  name: string
  uuid: string
}

/**
 * A VF device as the hypervisor had it when it was detached (libvirt: the device's live XML; Xen:
 * its pci-list entry), kept in the journal so that giving it back restores it exactly (MAC, VLAN,
 * options). Opaque outside the backend that wrote it.
 */
export interface VfDevice {
  vf: string
  definition: string
}

/** The result of one backend step; failures carry the backend's own words. */
export type StepResult =
  | {
      ok: true
      durationMs: number
      /** The VF actually attached, when the backend chose another (a libvirt pool network). */
      vf?: string
      /** On a detach: the device as it was, to give back exactly what was taken. */
      device?: VfDevice
    }
  | {ok: false; durationMs: number; error: string}

export interface BackendCapabilities {
  canMigrate: boolean
  canSwitchVf: boolean
}

export interface Backend {
  readonly name: string
  readonly capabilities: BackendCapabilities
  /** The cluster's name (what samples and documents are kept by), without reading every host. */
  clusterName(): Promise<string>
  /**
   * Present when the backend's sensing reads counters at two instants by itself (Prometheus): the
   * readings at the start and end of a window of `seconds` (its own default when absent) ending
   * now. collect uses it instead of a stored previous sample or a window it waits through.
   */
  readWindow?(seconds?: number): Promise<{start: RawSnapshot; end: RawSnapshot}>
  /**
   * Present when sensing is not the hypervisors' tools (Prometheus): these hosts read now with the
   * tools, for the executor's checks just before and after an action (only the hosts it touches).
   */
  liveSnapshot?(hosts: readonly string[]): Promise<RawSnapshot>
  /**
   * Reads the cluster now; no time passes. A host that does not answer is listed in `missing`;
   * UnreachableError only when no host answers at all.
   */
  snapshot(): Promise<RawSnapshot>
  /** The cluster's clock now, ISO 8601 (simulated time on the simulator): how old a sample is, is measured against it. */
  now(): Promise<string>
  /**
   * Brings the cluster to its next regular sample. A real cluster's time passes by itself (no-op);
   * a simulated one moves only when asked (one loop period).
   */
  nextSample(): Promise<void>
  /** Lets `seconds` of cluster time pass: a real backend sleeps, the simulator steps its model. */
  wait(seconds: number): Promise<void>
  /**
   * Hot-plugs `vf` into the domain `vm.uuid`, refused unless it still bears `vm.name`. With
   * `restore`, the device is given back as it was when detached; without, it is built from the
   * host's configuration.
   */
  attachVf(host: string, vm: VmRef, vf: string, restore?: VfDevice): Promise<StepResult>
  /** Hot-unplugs `vf` from the domain `vm.uuid` (checked to bear `vm.name`); a done result carries the device as it was. */
  detachVf(host: string, vm: VmRef, vf: string): Promise<StepResult>
  /** Live migration of the domain `vm.uuid` (checked to bear `vm.name`); the VM must have no VF attached. */
  migrate(vm: VmRef, from: string, to: string): Promise<StepResult>
  close(): void
}
