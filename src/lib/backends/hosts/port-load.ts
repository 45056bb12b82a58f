// The whole port's load of a real host (docs/port-counters.md): the driver's port counters from
// `ethtool -S`, else the PF plus its VFs from `ip -s -j link`, else the PF alone. Whatever of these
// fails, the host is still read: the basis and its why say what the figure stands on.
import {toolError} from '../../exec.js'
import type {ByteCounters} from '../../linux/host-facts.js'
import {parseEthtoolDriver, parseEthtoolStats, parseVfCountersForPort, portLoad, type PortLoad, type VfCountersReading} from '../../linux/port-counters.js'
import type {HostDriverContext} from './driver.js'

/** What the configuration accepts as port.device (config.ts), checked again before it reaches a tool. */
const INTERFACE_NAME = /^[A-Za-z0-9_.@-]{1,15}$/

/** A tool's stdout, or why there is none (said in the basis's why, never thrown). */
async function runForText(ctx: HostDriverContext, file: string, args: string[]): Promise<{text: string} | {why: string}> {
  const result = await ctx.shell.run(file, args, {timeoutMs: ctx.timeouts.toolMs})
  if (result.exitCode === 0 && !result.timedOut) return {text: result.stdout}
  // A host's own words, kept short: the why goes into the document (nic.basisWhy, at most 1000 characters).
  const words = toolError(result, 1).slice(0, 160)
  if (result.notFound) return {why: words}
  return {why: `${[file, ...args].join(' ')} failed: ${words}`}
}

/**
 * The port's counters and basis. `ipLinkJson` is the `ip -s -j -d link show <pf>` output the
 * snapshot already read for its VMs' VFs, if it did; otherwise it is read here, and only when the
 * port counters cannot be had.
 */
export async function readPortLoad(ctx: HostDriverContext, pf: ByteCounters, ipLinkJson?: string): Promise<PortLoad & {driver?: string}> {
  const device = ctx.host.port.device
  if (!INTERFACE_NAME.test(device)) return {...pf, basis: 'pf-only', why: `port.device ${JSON.stringify(device)} is not an interface name; PF counters only (VF traffic missing)`}
  const [info, stats] = await Promise.all([runForText(ctx, 'ethtool', ['-i', device]), runForText(ctx, 'ethtool', ['-S', device])])
  const notes: string[] = []
  let driver: string | undefined
  if ('text' in info) {
    try {
      driver = parseEthtoolDriver(info.text)
    } catch (error) {
      notes.push((error as Error).message)
    }
  } else notes.push(info.why)
  let ethtoolStats = 'text' in stats ? stats.text : undefined
  if ('why' in stats && driver !== undefined) notes.push(stats.why)
  if (ethtoolStats !== undefined && driver !== undefined) {
    try {
      parseEthtoolStats(ethtoolStats)
    } catch (error) {
      // Said, and the next basis is used: a half-read table would make the port look idle.
      notes.push(`ethtool -S printed what could not be read (${(error as Error).message})`)
      ethtoolStats = undefined
    }
  }
  const choose = (vfs: VfCountersReading): PortLoad & {driver?: string} => {
    const load = portLoad({driver, ethtoolStats, pf, vfs})
    const said = load.basis === 'port-counters' || notes.length === 0 ? load : {...load, why: `${notes.join('; ')}; ${load.why}`}
    return driver === undefined ? said : {...said, driver}
  }
  const first = choose({available: false, why: 'VF counters not read'})
  if (first.basis === 'port-counters') return first
  let json = ipLinkJson
  if (json === undefined) {
    const read = await runForText(ctx, 'ip', ['-s', '-j', '-d', 'link', 'show', device])
    if ('why' in read) return choose({available: false, why: read.why})
    json = read.text
  }
  return choose(parseVfCountersForPort(json))
}
