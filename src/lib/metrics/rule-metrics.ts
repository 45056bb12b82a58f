// The rules in force as Prometheus series, from the document's hosts[].rules and vms[].rules: an
// alert can say "db1 is pinned to a hot host" or "host3 has been in maintenance for a day". Every
// host and VM has each series (0 when no rule says so), so a series never vanishes. Pure.
import type {SovaDocument} from '../document/schema.js'
import type {MetricFamily, Sample} from './exposition.js'

const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({name, help, type: 'gauge', samples})
const flag = (on: boolean | undefined) => (on ? 1 : 0)

export function ruleFamilies(doc: SovaDocument): MetricFamily[] {
  const hosts = doc.hosts
  const vms = hosts.flatMap((host) => host.vms.map((vm) => ({vm, host: host.name})))
  return [
    gauge('sova_host_maintenance', '1 if the host is in maintenance by a rule in force (no VM moves in, no VF is handed out there), else 0.', hosts.map((host) => ({labels: {host: host.name}, value: flag(host.rules?.maintenance)}))),
    gauge('sova_host_excluded', '1 if a rule excludes the host (no VM moved in or out, no VF changed there; its load still counts), else 0.', hosts.map((host) => ({labels: {host: host.name}, value: flag(host.rules?.exclude)}))),
    gauge('sova_vm_pinned', '1 if a never-migrate rule pins the VM to its host, else 0.', vms.map(({vm, host}) => ({labels: {vm: vm.name, host}, value: flag(vm.rules?.migrate === 'never')}))),
    gauge('sova_vm_excluded', '1 if a rule excludes the VM (neither moved nor its path changed; its load still counts), else 0.', vms.map(({vm, host}) => ({labels: {vm: vm.name, host}, value: flag(vm.rules?.exclude)}))),
    // A state set, as sova_vm_path: the rule in force is 1, the others 0.
    gauge(
      'sova_vm_vf_rule',
      'The VF rule in force for the VM: 1 for always (keeps or gets a VF), never (never holds one) or auto (Sova decides), 0 for the other two.',
      vms.flatMap(({vm, host}) => (['always', 'never', 'auto'] as const).map((rule) => ({labels: {vm: vm.name, host, rule}, value: flag((vm.rules?.vf ?? 'auto') === rule)}))),
    ),
  ]
}
