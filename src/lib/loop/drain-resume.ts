// What a drain that died owes the VMs it moved: a migration that went through while sova was dead
// (virsh outlived it, or it died between the move and the hot-plug) leaves the VM on its target
// without the VF the drain promised on arrival. Reconciliation settles such a move as done and
// leaves the VF to the loop's VF plan; the next drain of the host keeps the drain's promise. Pure.
import type {Host, PlannedVfChange} from '../document/schema.js'
import type {JournalEntry} from '../store/store.js'
import {firstFreeVf, locateVm, withUuid} from './plan-steps.js'
import {vfHandOutBlocker} from '../policy/rules.js'

/** The plan's reason of a drain's move that promised a VF on arrival (policy/drain.ts). */
const promisedVf = (reason: string, host: string) => reason.startsWith(`drain ${host}: `) && reason.includes(', a VF on arrival')

/**
 * VF hot-plugs owed to VMs an earlier drain of `host` moved with a VF promised on arrival, when no
 * hot-plug of that VM was journalled after the move and it still runs there without a VF.
 * `rows`: the journal rows about `host` (oldest first); `hosts`: where everything is now.
 */
export function owedArrivalVfs(rows: readonly JournalEntry[], host: string, hosts: Host[], isRunLive: (runId: string) => boolean): PlannedVfChange[] {
  const owed: PlannedVfChange[] = []
  const promised = new Set<string>()
  for (const move of rows) {
    if (move.kind !== 'migrate' || move.status !== 'done' || move.host !== host || !move.toHost || !promisedVf(move.reason, host) || isRunLive(move.runId)) continue
    if (rows.some((row) => row.id > move.id && row.vm === move.vm && (row.kind === 'attach-vf' || row.kind === 'migrate'))) continue
    const where = locateVm(hosts, move.vm)
    if (!where || where.host.name !== move.toHost || where.vm.vf || vfHandOutBlocker(where.host)) continue
    if (move.uuid !== null && where.vm.uuid !== undefined && where.vm.uuid !== move.uuid) continue
    const free = { ...where.host, vfs: {...where.host.vfs, free: where.host.vfs.free.filter((vf) => !promised.has(`${where.host.name}/${vf}`))}}
    const vf = firstFreeVf(free)
    if (!vf) continue
    promised.add(`${where.host.name}/${vf}`)
    owed.push({host: where.host.name, vm: move.vm, op: 'attach', vf, ...withUuid(where.vm.uuid), reason: `arrived from ${host} by a drain that died before its VF on arrival: gets a free VF`})
  }
  return owed
}
