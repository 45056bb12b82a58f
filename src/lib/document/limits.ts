// What a document may claim. Beyond these, a figure is not a measurement but a mistake or an attack:
// rates near 1e308 overflow to Infinity in the first sum (and JSON writes Infinity as null), and a
// million VMs make a scored document longer than a JavaScript string may be. The reader refuses
// anything beyond them (exit 65, naming the field and the limit); README "Document limits" lists them.

/** Fastest port: 10 Tbit/s. */
export const MAX_SPEED_MBPS = 1e7
/** Slowest port: 1 Mbit/s (utilisation divides by the speed). */
export const MIN_SPEED_MBPS = 1
/** Any byte rate, a port's or a VM's: 10 Tbit/s in bytes per second. */
export const MAX_RATE_BPS = (MAX_SPEED_MBPS * 1e6) / 8
/** Port utilisation: both directions at the rate limit on the slowest port. */
export const MAX_UTILISATION = (2 * MAX_RATE_BPS * 8) / (MIN_SPEED_MBPS * 1e6)
/** vCPUs of a VM, and its CPU and blocked time as a share of the window (one per vCPU at most). */
export const MAX_VCPUS = 4096
/** Physical CPUs of a host. */
export const MAX_CPUS = 65_536
/** Memory of a host or VM: 1 PiB in MiB. */
export const MAX_MEMORY_MIB = 2 ** 30
/** VFs of one port (the PCIe SR-IOV TotalVFs field is 16 bits). */
export const MAX_VFS = 65_535
/** Hosts in one document. */
export const MAX_HOSTS = 10_000
/** VMs on one host. */
export const MAX_VMS_PER_HOST = 1_000
/** VMs in one document: its scored form stays well under the 256 MiB a document may take on stdin. */
export const MAX_VMS = 250_000
/** Any other figure (scores, forecasts, plan figures, durations): far beyond anything real, far from overflow. */
export const MAX_FIGURE = 1e15
/** History a host score may quote (utilisation window). */
export const MAX_WINDOW = 10_000

/** `1.25e12` rather than `1250000000000`, but `1073741824` rather than `1.073741824e9`: the shorter. */
export function formatLimit(value: number): string {
  const exponent = value.toExponential().replace('e+', 'e')
  return exponent.length < String(value).length ? exponent : String(value)
}

/** Why a cluster of this shape could not be sampled into a document (too many hosts or VMs), or undefined. */
export function clusterSizeProblem(hostNames: readonly string[], vmHosts: readonly string[]): string | undefined {
  if (hostNames.length > MAX_HOSTS) return `${hostNames.length} hosts, more than the ${MAX_HOSTS} a document may hold`
  if (vmHosts.length > MAX_VMS) return `${vmHosts.length} VMs, more than the ${MAX_VMS} a document may hold`
  const perHost = new Map<string, number>()
  for (const host of vmHosts) perHost.set(host, (perHost.get(host) ?? 0) + 1)
  for (const [host, count] of perHost) if (count > MAX_VMS_PER_HOST) return `${count} VMs on ${host}, more than the ${MAX_VMS_PER_HOST} a host may hold`
  return undefined
}
