// The Xen driver's acting steps: VF hot-plug with `xl pci-attach`/`pci-detach`, confirmed with
// `xl pci-list`, and `xl migrate`, refused while any PCI device is attached (INTERFACES.md §1.4-1.5).
import {setTimeout as sleep} from 'node:timers/promises'
import {assertSafeWord, toolError} from '../../exec.js'
import type {HostEntry} from '../../config.js'
import {UsageError} from '../../errors.js'
import {canonicalPci, validateName} from '../../identifiers.js'
import {stepResult, type HostDriverContext} from '../hosts/driver.js'
import type {StepResult} from '../types.js'
import {runTool} from './host-tools.js'
import {parsePciList} from './parse-xl.js'

/** How long a hot-plug may take to show in `xl pci-list`: attempts and the pause between them. */
export const CONFIRM_POLL = {attempts: 5, delayMs: 200}

/** A VM name xl may be given: valid, and not all digits (xl would take it as a domid, unchecked). */
export function validateXlDomain(vm: string): string {
  validateName(vm, 'VM')
  if (/^\d+$/.test(vm)) throw new UsageError(`VM "${vm}" is all digits, which xl reads as a domain id; Sova does not act on it by name`)
  return vm
}

type PciListing = {ok: true; devices: string[]} | {ok: false; error: string}

/** The host PCI addresses `vm` holds now (`xl pci-list` prints nothing when there are none). */
export async function listDomainPci(ctx: HostDriverContext, vm: string): Promise<PciListing> {
  const result = await runTool(ctx, 'xl', ['pci-list', vm])
  return result.exitCode === 0 ? {ok: true, devices: parsePciList(result.stdout)} : {ok: false, error: toolError(result)}
}

/** Polls `xl pci-list` until `bdf` is listed (`wanted` true) or gone (false); the last listing on timeout. */
async function waitForPci(ctx: HostDriverContext, vm: string, bdf: string, wanted: boolean): Promise<PciListing & {settled: boolean}> {
  let listing: PciListing = {ok: false, error: 'not polled'}
  for (let attempt = 0; attempt < CONFIRM_POLL.attempts; attempt++) {
    if (attempt > 0) await sleep(CONFIRM_POLL.delayMs)
    listing = await listDomainPci(ctx, vm)
    if (listing.ok && listing.devices.includes(bdf) === wanted) return {...listing, settled: true}
  }
  return {...listing, settled: false}
}

/** Hot-plugs `vf` into `vm` and confirms it in `xl pci-list`; undoes a plug that does not show. */
export async function attachXenVf(ctx: HostDriverContext, vm: string, vf: string): Promise<StepResult> {
  const started = performance.now()
  validateXlDomain(vm)
  const bdf = canonicalPci(vf, 'VF')
  const attach = await runTool(ctx, 'xl', ['pci-attach', vm, bdf])
  if (attach.exitCode !== 0) {
    // Already there (a re-run after an interrupted one) counts as done.
    const listing = await listDomainPci(ctx, vm)
    return listing.ok && listing.devices.includes(bdf) ? stepResult(started) : stepResult(started, toolError(attach))
  }
  const confirmed = await waitForPci(ctx, vm, bdf, true)
  if (confirmed.settled) return stepResult(started)
  const why = confirmed.ok ? `xl pci-attach returned 0 but ${bdf} is not in xl pci-list ${vm}` : `cannot confirm ${bdf} on ${vm}: ${confirmed.error}`
  const undo = await runTool(ctx, 'xl', ['pci-detach', vm, bdf])
  return stepResult(started, undo.exitCode === 0 ? `${why}; detached it again` : `${why}; detaching it again failed too: ${toolError(undo)}`)
}

/** Hot-unplugs `vf` from `vm` and confirms it is gone (xl's rc 0 alone does not prove it). */
export async function detachXenVf(ctx: HostDriverContext, vm: string, vf: string): Promise<StepResult> {
  const started = performance.now()
  validateXlDomain(vm)
  const bdf = canonicalPci(vf, 'VF')
  const detach = await runTool(ctx, 'xl', ['pci-detach', vm, bdf])
  if (detach.exitCode !== 0) {
    // Already gone (a re-run after an interrupted one) counts as done.
    const listing = await listDomainPci(ctx, vm)
    return listing.ok && !listing.devices.includes(bdf) ? stepResult(started) : stepResult(started, toolError(detach))
  }
  const confirmed = await waitForPci(ctx, vm, bdf, false)
  if (confirmed.settled) return stepResult(started)
  return stepResult(
    started,
    confirmed.ok ? `xl pci-detach returned 0 but ${bdf} is still in xl pci-list ${vm} (does the guest cooperate?)` : `cannot confirm ${bdf} left ${vm}: ${confirmed.error}`,
  )
}

/** Where `xl migrate` sends a VM: the target's ssh host (xl runs `ssh <dest> xl migrate-receive` itself), else its name. */
export function migrationDestination(target: HostEntry): string {
  const destination = target.ssh ? target.ssh.slice(target.ssh.indexOf('@') + 1) : target.name
  return assertSafeWord(destination, 'migration destination')
}

/** Live-migrates `vm` to `target` with `xl migrate`, after checking that no PCI device is attached. */
export async function migrateXenVm(ctx: HostDriverContext, vm: string, target: HostEntry): Promise<StepResult> {
  const started = performance.now()
  validateXlDomain(vm)
  if (target.backend !== 'xen') throw new UsageError(`${vm}: a Xen host can only migrate to another Xen host; ${target.name} is ${target.backend}`)
  const destination = migrationDestination(target)
  const listing = await listDomainPci(ctx, vm)
  if (!listing.ok) return stepResult(started, listing.error)
  if (listing.devices.length > 0) {
    // Xen refuses live migration with passthrough anyway; refusing here keeps the VM untouched.
    return stepResult(started, `${vm} still has PCI device(s) ${listing.devices.join(', ')} attached; detach the VF before migrating`)
  }
  const migrate = await runTool(ctx, 'xl', ['migrate', vm, destination], ctx.timeouts.migrateMs)
  return migrate.exitCode === 0 ? stepResult(started) : stepResult(started, toolError(migrate))
}
