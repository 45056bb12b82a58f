// The guest's own files the agent reads (/proc/net/bonding, sysfs), always under a root prefix
// ($SOVA_AGENT_ROOT, default /) so tests can point the agent at a fake tree.
import {readFile, readdir, readlink} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {UnreachableError, UsageError} from '../errors.js'
import type {Counters} from './meter.js'

/** Where the guest's / is: $SOVA_AGENT_ROOT, else the real one. */
export function agentRoot(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.SOVA_AGENT_ROOT || '/')
}

/** A guest path (`/proc/...`) under the root. */
export function underRoot(root: string, path: string): string {
  return join(root, path)
}

/** Refuses what cannot be a Linux interface name (dev_valid_name: 1-15 bytes, no / : or blanks, not . or ..). */
export function assertInterfaceName(name: string, flag = 'bond'): string {
  if (name === '' || name === '.' || name === '..' || Buffer.byteLength(name) > 15 || /[/:\s]/.test(name)) {
    throw new UsageError(`--${flag}: "${name}" is not an interface name (1-15 characters, no "/", ":" or blanks)`)
  }
  return name
}

/** One sysfs counter: a decimal u64 (INTERFACES.md §3.2), kept as a bigint so no byte is rounded away. */
export function parseCounter(text: string, path: string): bigint {
  const value = text.trim()
  if (!/^\d+$/.test(value)) throw new UnreachableError(`${path}: expected a byte count, got "${value.slice(0, 40)}"`)
  return BigInt(value)
}

const isMissing = (error: unknown) => ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')

/**
 * The bond's byte counters. A bond that is not there is "could not be reached" (69), not bad usage (2):
 * the name is well-formed (checked as usage), and a bond comes and goes at run time (boot order,
 * network restart), so a supervisor may rightly retry later.
 */
export async function readBondCounters(root: string, bond: string): Promise<Counters> {
  const read = async (name: 'rx_bytes' | 'tx_bytes') => {
    const path = underRoot(root, `/sys/class/net/${bond}/statistics/${name}`)
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if (isMissing(error)) throw new UnreachableError(`no bond ${bond}: ${path} does not exist`, `create ${bond}, or name the bond with --bond`)
      throw new UnreachableError(`cannot read ${path}: ${(error as Error).message}`)
    }
    return parseCounter(text, path)
  }
  // One after the other, so a missing bond is always reported by the same (rx_bytes) path.
  const rxBytes = await read('rx_bytes')
  return {rxBytes, txBytes: await read('tx_bytes')}
}

/** The bonds procfs lists (sorted); undefined when the bonding driver is not loaded. */
export async function listBonds(root: string): Promise<string[] | undefined> {
  try {
    return (await readdir(underRoot(root, '/proc/net/bonding'))).sort()
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

/** One bond's procfs text; undefined when there is no such bond. */
export async function readBondingText(root: string, bond: string): Promise<string | undefined> {
  try {
    return await readFile(underRoot(root, `/proc/net/bonding/${bond}`), 'utf8')
  } catch (error) {
    if (isMissing(error)) return undefined
    throw error
  }
}

/** A slave's driver: the last part of its `device/driver` link; undefined when sysfs does not say. */
export async function readSlaveDriver(root: string, slave: string): Promise<string | undefined> {
  try {
    return (await readlink(underRoot(root, `/sys/class/net/${slave}/device/driver`))).split('/').filter(Boolean).pop()
  } catch {
    return undefined
  }
}
