// Reading a domain's live XML while acting, and waiting for it to show what an action promised:
// virsh's rc 0 does not prove a hot-plug happened (LIBVIRT-LAB.md §4), the live XML does. The
// domain is always named to virsh by its UUID, and every read checks it still bears the name meant.
import {setTimeout as sleep} from 'node:timers/promises'
import type {VmRef} from '../types.js'
import {type DomainInfo, parseDomainXml} from './domain-xml.js'
import {isNoSuchDomain, type Virsh, virshError} from './virsh.js'

/** How long the driver waits and retries; tests shorten these. */
export interface LibvirtTimings {
  /** Between two reads of the live XML. */
  pollMs: number
  /** Longest wait for an attached device to show: a budget of attachWaitMs / pollMs reads, not a clock. */
  attachWaitMs: number
  /** Longest wait for a detached device to go (a Linux guest's PCIe hot-unplug takes ~5 s); a read budget too. */
  detachWaitMs: number
  /** Retries of a detach QEMU refused with "guest is busy". */
  busyRetries: number
  busyRetryMs: number
}

/** Lab-measured: attach shows in ~0.1 s, a PCIe unplug takes ~5 s, a busy guest settles within seconds. */
export const DEFAULT_LIBVIRT_TIMINGS: LibvirtTimings = {pollMs: 200, attachWaitMs: 10_000, detachWaitMs: 15_000, busyRetries: 3, busyRetryMs: 1_000}

/** Reads after the first one that a wait of `waitMs` allows: a count, so a slow machine reads as often as a fast one. */
export function pollBudget(waitMs: number, pollMs: number): number {
  return Math.max(1, Math.ceil(waitMs / Math.max(1, pollMs)))
}

/** Why the live domain is not the one meant (another name under that UUID), or undefined. */
function identityRefusal(vm: VmRef, info: DomainInfo): string | undefined {
  if (info.uuid?.toLowerCase() !== vm.uuid.toLowerCase()) return `refused: virsh answered for ${vm.uuid} with domain ${info.uuid ?? 'without a UUID'} (meant: ${vm.name})`
  if (info.name !== vm.name) return `refused: domain ${vm.uuid} is named ${JSON.stringify(info.name ?? '')} now, not ${vm.name}`
  return undefined
}

/**
 * The domain's live XML (`dumpxml UUID`), or why it cannot be acted on: virsh's words, no such
 * domain, or the UUID bears another name than the one the plan meant.
 */
export async function readLiveDomain(virsh: Virsh, vm: VmRef): Promise<{info: DomainInfo; xml: string} | {error: string}> {
  const result = await virsh.run(['dumpxml', vm.uuid])
  if (isNoSuchDomain(result)) return {error: `refused: no running domain ${vm.uuid} (meant: ${vm.name}); ${virshError(result)}`}
  if (result.exitCode !== 0 || result.timedOut) return {error: virshError(result)}
  let info: DomainInfo
  try {
    info = parseDomainXml(result.stdout)
  } catch (error) {
    return {error: `dumpxml ${vm.uuid}: ${(error as Error).message}`}
  }
  const refused = identityRefusal(vm, info)
  return refused ? {error: refused} : {info, xml: result.stdout}
}

/**
 * Reads the live XML now and then up to `polls` more times, `pollMs` apart, until `done` holds.
 * A failed read does not end the wait (libvirt may be busy with the very device); the last
 * failure is returned when the budget is spent. A count, not a deadline: a loaded machine's slow
 * reads do not shorten the wait.
 */
export async function waitForLiveXml(virsh: Virsh, vm: VmRef, done: (info: DomainInfo) => boolean, polls: number, pollMs: number): Promise<{ok: boolean; info?: DomainInfo; lastError?: string}> {
  let lastError: string | undefined
  for (let read = 0; ; read++) {
    const live = await readLiveDomain(virsh, vm)
    if ('info' in live) {
      if (done(live.info)) return {ok: true, info: live.info}
      lastError = undefined
    } else {
      lastError = live.error
    }
    if (read >= polls) return {ok: false, lastError}
    await sleep(pollMs)
  }
}

/** Seconds for a message, e.g. `15 s` or `0.4 s`. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000
  return `${seconds >= 10 ? Math.round(seconds) : Number(seconds.toFixed(1))} s`
}
