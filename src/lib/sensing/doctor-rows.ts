// `sova doctor` with sensing through Prometheus: one row per host saying whether Prometheus has
// its readings (its targets up, a fresh sova textfile, its VMs), or why not and what to set up.
import type {DoctorCheck} from '../backends/hosts/driver.js'
import type {Backend, RawSnapshot} from '../backends/types.js'
import {PrometheusSensing, type PrometheusSensingSettings} from './prometheus.js'

export const PROMETHEUS_CHECK = 'prometheus readings'
const FIX = 'see docs/prometheus.md: node_exporter and the libvirt exporter scraped with the host\'s name (hostLabel), and the sova export --textfile timer'

/** The rows for `wanted`, from one reading of the configuration's hosts through Prometheus. */
export async function prometheusRows(
  acting: Backend & {snapshot(only?: readonly string[]): Promise<RawSnapshot>},
  hosts: readonly {name: string}[],
  settings: PrometheusSensingSettings,
  wanted: readonly string[],
): Promise<DoctorCheck[]> {
  let snapshot: RawSnapshot
  try {
    snapshot = await new PrometheusSensing(acting, hosts, settings).snapshot()
  } catch (error) {
    // Unreachable, an answer the API does not document, or no host with readings at all.
    return wanted.map((host) => ({host, check: PROMETHEUS_CHECK, ok: false, detail: (error as Error).message, fix: FIX}))
  }
  return wanted.map((name): DoctorCheck => {
    const missing = snapshot.missing?.find((entry) => entry.host === name)
    if (missing) return {host: name, check: PROMETHEUS_CHECK, ok: false, detail: missing.reason, fix: FIX}
    const host = snapshot.hosts.find((candidate) => candidate.name === name)
    const vms = host?.vms.length ?? 0
    return {host: name, check: PROMETHEUS_CHECK, ok: true, detail: `${settings.url}: ${vms} VM${vms === 1 ? '' : 's'}, ${host?.vfs.total ?? 0} VFs, port ${host?.nic.device} (${host?.nic.basis ?? 'pf-only'})`}
  })
}
