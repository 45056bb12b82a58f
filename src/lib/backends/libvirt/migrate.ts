// Live migration of one domain, by UUID, and the proof that it happened: virsh's rc 0 is not
// taken for it (a guest that dies on arrival returns 0 too); the domain must run on the target,
// under the name meant, and be gone from the source.
import type {HostEntry} from '../../config.js'
import {stepResult} from '../hosts/driver.js'
import {sourceSettings, virshMigrateOptions} from '../migration-args.js'
import type {StepResult, VmRef} from '../types.js'
import {asStep, refusal} from './actions.js'
import {formatSeconds, readLiveDomain} from './live-xml.js'
import type {LibvirtHost} from './snapshot.js'
import {describeVfHolding} from './vf-mode.js'
import {createVirsh, isNoSuchDomain, libvirtUri, type Virsh, virshError} from './virsh.js'

/** The domain's state on one end (`running`, `shut off`, …), `gone` when that libvirt has no such domain. */
async function stateOn(virsh: Virsh, uuid: string): Promise<string> {
  const result = await virsh.run(['domstate', uuid])
  if (result.exitCode === 0 && !result.timedOut) return result.stdout.trim() || 'unknown'
  if (isNoSuchDomain(result)) return 'gone'
  return `unknown (${virshError(result)})`
}

/** Why a migration virsh called done is not (yet) true on both ends, or undefined when it is. */
async function unconfirmed(source: Virsh, target: Virsh, vm: VmRef, from: string, to: string): Promise<string | undefined> {
  const [there, here] = await Promise.all([stateOn(target, vm.uuid), stateOn(source, vm.uuid)])
  if (there !== 'running') return `${vm.name} is not running on ${to} (${there})`
  const arrived = await readLiveDomain(target, vm)
  if ('error' in arrived) return `on ${to}: ${arrived.error}`
  if (here !== 'gone' && here !== 'shut off') return `${vm.name} is still ${here} on ${from}`
  return undefined
}

/** Live-migrates `vm` to `target`; refused while it holds a VF; a migration that hangs is aborted. */
export function migrateVm(host: LibvirtHost, vm: VmRef, target: HostEntry): Promise<StepResult> {
  return asStep(async (started) => {
    const refused = refusal(vm)
    if (refused) return stepResult(started, refused)
    const from = host.ctx.host.name
    if (target.backend !== 'libvirt') return stepResult(started, `refused: ${target.name} is a ${target.backend} host; libvirt migrates only to libvirt`)
    if (target.name === from) return stepResult(started, `refused: ${vm.name} is already on ${from}`)
    const targetUri = libvirtUri(target)
    if (targetUri === host.virsh.uri) return stepResult(started, `refused: ${target.name} has the same libvirt URI as ${from} (${targetUri})`)
    const live = await readLiveDomain(host.virsh, vm)
    if ('error' in live) return stepResult(started, live.error)
    const holding = describeVfHolding(live.info, host.mode)
    if (holding) return stepResult(started, `refused: ${vm.name} still holds ${holding}; detach it before migrating`)
    const {migrateMs, toolMs} = host.ctx.timeouts
    const options = virshMigrateOptions(sourceSettings(host.ctx.migration, host.ctx.host), target)
    const result = await host.virsh.run(['migrate', '--live', '--persistent', '--undefinesource', ...options, vm.uuid, targetUri], migrateMs)
    if (result.timedOut) {
      const abort = await host.virsh.run(['domjobabort', vm.uuid], toolMs)
      const after = abort.exitCode === 0 ? `aborted (domjobabort); ${vm.name} stays on ${from}` : `domjobabort failed: ${virshError(abort)}`
      return stepResult(started, `migration of ${vm.name} to ${target.name} timed out after ${formatSeconds(migrateMs)}; ${after}`)
    }
    if (result.exitCode !== 0) return stepResult(started, virshError(result))
    const why = await unconfirmed(host.virsh, createVirsh(targetUri, toolMs), vm, from, target.name)
    return why ? stepResult(started, `virsh migrate returned 0, but ${why}`) : stepResult(started)
  })
}
