// The Xen driver's acting steps: VF hot-plug with `xl pci-attach`/`pci-detach`, confirmed with
// `xl pci-list`, and `xl migrate`, refused while any PCI device is attached (INTERFACES.md §1.4-1.5).
// Each reaches its domain by domid, after checking the name still bears the UUID meant (identity.ts).
import {setTimeout as sleep} from 'node:timers/promises'
import {assertSafeWord, toolError} from '../../exec.js'
import type {HostEntry} from '../../config.js'
import {UsageError} from '../../errors.js'
import {canonicalPci} from '../../identifiers.js'
import {stepResult, type HostDriverContext} from '../hosts/driver.js'
import {sourceSettings, xlMigrateOptions, xlMigrationAddress} from '../migration-args.js'
import type {StepResult, VfDevice, VmRef} from '../types.js'
import {runTool} from './host-tools.js'
import {resolveDomain, validateXlDomain} from './identity.js'
import {parsePciListEntries, type PciListEntry} from './parse-xl.js'
import {formatPciSpec, parsePciSpec} from './pci-spec.js'


/** How long a hot-plug may take to show in `xl pci-list`: attempts and the pause between them. */
export const CONFIRM_POLL = {attempts: 5, delayMs: 200}

type PciListing = {ok: true; devices: string[]; entries: PciListEntry[]} | {ok: false; error: string}

/** The host PCI addresses domain `domid` holds now (`xl pci-list` prints nothing when there are none). */
export async function listDomainPci(ctx: HostDriverContext, domid: string): Promise<PciListing> {
  const result = await runTool(ctx, 'xl', ['pci-list', domid])
  if (result.exitCode !== 0) return {ok: false, error: toolError(result)}
  const entries = parsePciListEntries(result.stdout)
  return {ok: true, devices: entries.map((entry) => entry.bdf), entries}
}

/** Polls `xl pci-list` until `bdf` is listed (`wanted` true) or gone (false); the last listing on timeout. */
async function waitForPci(ctx: HostDriverContext, domid: string, bdf: string, wanted: boolean): Promise<PciListing & {settled: boolean}> {
  let listing: PciListing = {ok: false, error: 'not polled'}
  for (let attempt = 0; attempt < CONFIRM_POLL.attempts; attempt++) {
    if (attempt > 0) await sleep(CONFIRM_POLL.delayMs)
    listing = await listDomainPci(ctx, domid)
    if (listing.ok && listing.devices.includes(bdf) === wanted) return {...listing, settled: true}
  }
  return {...listing, settled: false}
}

/** What `xl pci-attach` is given: the bare BDF, or the device exactly as it was detached. */
function attachSpec(bdf: string, restore: VfDevice | undefined): {spec: string} | {error: string} {
  if (!restore) return {spec: bdf}
  try {
    const kept = parsePciSpec(restore.definition)
    if (kept.bdf !== bdf) return {error: `refused: the device kept to give back is ${kept.bdf}, not ${bdf}`}
    return {spec: formatPciSpec(kept)}
  } catch (error) {
    return {error: `refused: the device kept to give back ${bdf} cannot be used: ${(error as Error).message}`}
  }
}

/**
 * Hot-plugs `vf` into `vm` and confirms it in `xl pci-list`; undoes a plug that does not show. With
 * `restore`, the device goes back in the guest slot and with the options it had when detached.
 */
export async function attachXenVf(ctx: HostDriverContext, vm: VmRef, vf: string, restore?: VfDevice): Promise<StepResult> {
  const started = performance.now()
  validateXlDomain(vm.name)
  const bdf = canonicalPci(vf, 'VF')
  const spec = attachSpec(bdf, restore)
  if ('error' in spec) return stepResult(started, spec.error)
  const resolved = await resolveDomain(ctx, vm)
  if (!resolved.ok) return stepResult(started, resolved.error)
  const {domid} = resolved
  const attach = await runTool(ctx, 'xl', ['pci-attach', domid, spec.spec])
  if (attach.exitCode !== 0) {
    // Already there (a re-run after an interrupted one) counts as done.
    const listing = await listDomainPci(ctx, domid)
    return listing.ok && listing.devices.includes(bdf) ? stepResult(started) : stepResult(started, toolError(attach))
  }
  const confirmed = await waitForPci(ctx, domid, bdf, true)
  if (confirmed.settled) return stepResult(started)
  const why = confirmed.ok
    ? `xl pci-attach returned 0 but ${bdf} is not in xl pci-list of ${vm.name} (domain ${domid})`
    : `cannot confirm ${bdf} on ${vm.name}: ${confirmed.error}`
  const undo = await runTool(ctx, 'xl', ['pci-detach', domid, bdf])
  return stepResult(started, undo.exitCode === 0 ? `${why}; detached it again` : `${why}; detaching it again failed too: ${toolError(undo)}`)
}

/**
 * Hot-unplugs `vf` from `vm` and confirms it is gone (xl's rc 0 alone does not prove it). A done
 * result carries the device as it was: its `xl pci-list` guest slot and its options from the
 * domain's config, as the PCI_SPEC_STRING xl reads back (e.g. `0000:04:10.5@05,permissive=1`).
 */
export async function detachXenVf(ctx: HostDriverContext, vm: VmRef, vf: string): Promise<StepResult> {
  const started = performance.now()
  validateXlDomain(vm.name)
  const bdf = canonicalPci(vf, 'VF')
  const resolved = await resolveDomain(ctx, vm)
  if (!resolved.ok) return stepResult(started, resolved.error)
  const {domid, domain} = resolved
  const before = await listDomainPci(ctx, domid)
  if (!before.ok) return stepResult(started, `cannot read ${vm.name}'s PCI devices: ${before.error}`)
  const listed = before.entries.find((entry) => entry.bdf === bdf)
  const device = listed ? {vf: bdf, definition: formatPciSpec({bdf, vslot: listed.vslot, options: domain.pciOptions.get(bdf) ?? []})} : undefined
  const done = (): StepResult => {
    const result = stepResult(started)
    return device && result.ok ? {...result, device} : result
  }
  const detach = await runTool(ctx, 'xl', ['pci-detach', domid, bdf])
  if (detach.exitCode !== 0) {
    // Already gone (a re-run after an interrupted one) counts as done.
    const listing = await listDomainPci(ctx, domid)
    return listing.ok && !listing.devices.includes(bdf) ? done() : stepResult(started, toolError(detach))
  }
  const confirmed = await waitForPci(ctx, domid, bdf, false)
  if (confirmed.settled) return done()
  return stepResult(
    started,
    confirmed.ok
      ? `xl pci-detach returned 0 but ${bdf} is still in xl pci-list of ${vm.name} (domain ${domid}; does the guest cooperate?)`
      : `cannot confirm ${bdf} left ${vm.name}: ${confirmed.error}`,
  )
}

/**
 * Where `xl migrate` sends a VM: the target's migration address (a dedicated network), else its
 * ssh host (xl runs `ssh <dest> xl migrate-receive` itself), else its name.
 */
export function migrationDestination(target: HostEntry): string {
  const destination = xlMigrationAddress(target) ?? (target.ssh ? target.ssh.slice(target.ssh.indexOf('@') + 1) : target.name)
  return assertSafeWord(destination, 'migration destination')
}

/** Live-migrates `vm` to `target` with `xl migrate`, after checking that no PCI device is attached. */
export async function migrateXenVm(ctx: HostDriverContext, vm: VmRef, target: HostEntry): Promise<StepResult> {
  const started = performance.now()
  validateXlDomain(vm.name)
  if (target.backend !== 'xen') throw new UsageError(`${vm.name}: a Xen host can only migrate to another Xen host; ${target.name} is ${target.backend}`)
  const destination = migrationDestination(target)
  const options = xlMigrateOptions(sourceSettings(ctx.migration, ctx.host))
  const resolved = await resolveDomain(ctx, vm)
  if (!resolved.ok) return stepResult(started, resolved.error)
  const listing = await listDomainPci(ctx, resolved.domid)
  if (!listing.ok) return stepResult(started, listing.error)
  if (listing.devices.length > 0) {
    // Xen refuses live migration with passthrough anyway; refusing here keeps the VM untouched.
    return stepResult(started, `${vm.name} still has PCI device(s) ${listing.devices.join(', ')} attached; detach the VF before migrating`)
  }
  const migrate = await runTool(ctx, 'xl', ['migrate', ...options, resolved.domid, destination], ctx.timeouts.migrateMs)
  return migrate.exitCode === 0 ? stepResult(started) : stepResult(started, toolError(migrate))
}
