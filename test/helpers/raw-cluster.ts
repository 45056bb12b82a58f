// A raw cluster for executor tests: hosts and VMs as a backend reports them, and a backend whose
// reads answer at once with that cluster as it is. Tests give it the acting calls they need.
import type {Backend, RawHost, RawSnapshot, RawVm, StepResult, VmRef} from '../../src/lib/backends/types.js'

const AT = '2024-01-01T00:00:10.000Z'

/** A VM of 1 vCPU with zeroed counters, on its VF when given one. */
export const rawVm = (name: string, vf: string | null = null, memoryMiB = 1024): RawVm => ({
  name, id: name, uuid: `uuid-${name}`, vcpus: 1, memoryMiB, path: vf ? 'vf' : 'pv', vf, counters: {cpuSeconds: 0, blockedSeconds: 0, rxBytes: 0, txBytes: 0},
})

/** A 10 GbE host of 4 VFs (`free` of them free), 16 CPUs and 64 GiB (`freeMiB` of them free). */
export const rawHost = (name: string, vms: RawVm[], free: string[] = [], freeMiB = 32_768): RawHost => ({
  name, nic: {device: 'eth0', speedMbps: 10_000, rxBytes: 0, txBytes: 0}, vfs: {total: 4, free}, cpus: 16, memoryMiB: {total: 65_536, free: freeMiB}, vms,
})

/** A backend over `hosts`, read at a fixed time; the acting calls are the subclass's. */
export abstract class RawClusterBackend implements Backend {
  readonly capabilities = {canMigrate: true, canSwitchVf: true}

  constructor(
    readonly name: string,
    protected readonly hosts: RawHost[],
  ) {}

  async snapshot(): Promise<RawSnapshot> {
    return {at: AT, source: {backend: this.name, cluster: this.name}, hosts: structuredClone(this.hosts)}
  }
  async now() {
    return AT
  }
  async clusterName() {
    return this.name
  }
  async nextSample() {}
  async wait() {}
  close() {}

  abstract attachVf(host: string, vm: VmRef, vf: string): Promise<StepResult>
  abstract detachVf(host: string, vm: VmRef, vf: string): Promise<StepResult>
  abstract migrate(vm: VmRef, from: string, to: string): Promise<StepResult>
}
