// Reading a domain's live XML while acting, and waiting for it to show what an action promised:
// virsh's rc 0 does not prove a hot-plug happened (LIBVIRT-LAB.md §4), the live XML does.
import {setTimeout as sleep} from 'node:timers/promises'
import {type DomainInfo, parseDomainXml} from './domain-xml.js'
import {type Virsh, virshError} from './virsh.js'

/** How long the driver waits and retries; tests shorten these. */
export interface LibvirtTimings {
  /** Between two reads of the live XML. */
  pollMs: number
  /** Longest wait for an attached device to show. */
  attachWaitMs: number
  /** Longest wait for a detached device to go (a Linux guest's PCIe hot-unplug takes ~5 s). */
  detachWaitMs: number
  /** Retries of a detach QEMU refused with "guest is busy". */
  busyRetries: number
  busyRetryMs: number
}

/** Lab-measured: attach shows in ~0.1 s, a PCIe unplug takes ~5 s, a busy guest settles within seconds. */
export const DEFAULT_LIBVIRT_TIMINGS: LibvirtTimings = {pollMs: 200, attachWaitMs: 10_000, detachWaitMs: 15_000, busyRetries: 3, busyRetryMs: 1_000}

/** The domain's live XML, or virsh's words for why it could not be read. */
export async function readLiveDomain(virsh: Virsh, vm: string): Promise<{info: DomainInfo} | {error: string}> {
  const result = await virsh.run(['dumpxml', vm])
  if (result.exitCode !== 0 || result.timedOut) return {error: virshError(result)}
  try {
    return {info: parseDomainXml(result.stdout)}
  } catch (error) {
    return {error: `dumpxml ${vm}: ${(error as Error).message}`}
  }
}

/**
 * Reads the live XML now and then every `pollMs` until `done` holds or `waitMs` has passed.
 * A failed read does not end the wait (libvirt may be busy with the very device); the last
 * failure is returned when time runs out.
 */
export async function waitForLiveXml(virsh: Virsh, vm: string, done: (info: DomainInfo) => boolean, waitMs: number, pollMs: number): Promise<{ok: boolean; info?: DomainInfo; lastError?: string}> {
  const deadline = performance.now() + waitMs
  let lastError: string | undefined
  for (;;) {
    const live = await readLiveDomain(virsh, vm)
    if ('info' in live) {
      if (done(live.info)) return {ok: true, info: live.info}
      lastError = undefined
    } else {
      lastError = live.error
    }
    if (performance.now() + pollMs > deadline) return {ok: false, lastError}
    await sleep(pollMs)
  }
}

/** Seconds for a message, e.g. `15 s` or `0.4 s`. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000
  return `${seconds >= 10 ? Math.round(seconds) : Number(seconds.toFixed(1))} s`
}
