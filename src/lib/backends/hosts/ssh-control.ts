// Where the hosts' shared ssh connections live: <state dir>/ssh, mode 0700, one socket per host
// (ssh's %C). Only this user may reach a master connection: whoever can open its socket runs
// commands on the host as Sova does, without a key.
import {chmodSync, lstatSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import type {SshMultiplexing} from '../../exec.js'

/** How long a master connection outlives its last session: a cycle's sessions follow one another closely. */
export const CONTROL_PERSIST_SECONDS = 30

/** A Unix socket path has room for 107 bytes on Linux; %C is 40 hex digits. */
const MAX_CONTROL_DIR = 107 - 1 - 40

/**
 * The multiplexing of the hosts' ssh sessions under `stateDir`, the folder made (or narrowed to)
 * 0700; undefined, and each session its own connection as before, when that cannot be done
 * safely: the path too long for a socket, holding ssh's `%` tokens or a space, or not a folder of ours.
 */
export function sshMultiplexing(stateDir: string | undefined): SshMultiplexing | undefined {
  if (stateDir === undefined) return undefined
  const controlDir = join(stateDir, 'ssh')
  if (Buffer.byteLength(controlDir) > MAX_CONTROL_DIR || /[%\s~]/.test(controlDir)) return undefined
  try {
    mkdirSync(controlDir, {recursive: true, mode: 0o700})
    const stat = lstatSync(controlDir)
    if (!stat.isDirectory() || (typeof process.getuid === 'function' && stat.uid !== process.getuid())) return undefined
    if ((stat.mode & 0o077) !== 0) chmodSync(controlDir, 0o700)
  } catch {
    return undefined
  }
  return {controlDir, persistSeconds: CONTROL_PERSIST_SECONDS}
}
