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
  vcpus: number
  memoryMiB: number
  path: NetPath
  vf: string | null
  counters: RawVmCounters
}

export interface RawHost {
  name: string
  nic: {device: string; speedMbps: number; rxBytes: number; txBytes: number}
  vfs: {total: number; free: string[]}
  cpus: number
  memoryMiB: {total: number; free: number}
  vms: RawVm[]
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
}

/** The result of one backend step; failures carry the backend's own words. */
export type StepResult =
  | {ok: true; durationMs: number; /** The VF actually attached, when the backend chose another (a libvirt pool network). */ vf?: string}
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
  attachVf(host: string, vm: string, vf: string): Promise<StepResult>
  detachVf(host: string, vm: string, vf: string): Promise<StepResult>
  /** Live migration; the VM must have no VF attached. */
  migrate(vm: string, from: string, to: string): Promise<StepResult>
  close(): void
}
