// Where the hosts' shared ssh connections live: <state dir>/ssh, mode 0700, one socket per host
// (ssh's %C). Only this user may reach a master connection: whoever can open its socket runs
// commands on the host as Sova does, without a key.
import {chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs'
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

/**
 * libvirt's ssh transport runs `ssh [-p P] [-l U] [-i K] -T -e none [-o BatchMode=yes] -- HOST
 * <proxy>` and takes no ssh options from the URI; its `command` parameter names the ssh program.
 * So the URI names this script, constant text written into the control folder: it is ssh with the
 * same sharing options as Sova's own sessions, its sockets found next to itself.
 */
const LIBVIRT_SSH_SCRIPT = `#!/bin/sh
# Written by sova (src/lib/backends/hosts/ssh-control.ts): the ssh that libvirt's qemu+ssh transport
# runs for sova, sharing one connection per host with sova's own ssh sessions (ControlMaster).
exec ssh -o BatchMode=yes -o ConnectTimeout=10 -o ControlMaster=auto -o "ControlPath=\${0%/*}/%C" -o ControlPersist=${CONTROL_PERSIST_SECONDS} "$@"
`

/** The script's path in `mux`'s folder, written (again) when it is missing or not this text. */
export function libvirtSshCommand(mux: SshMultiplexing): string {
  const path = join(mux.controlDir, 'ssh')
  let current: string | undefined
  try {
    current = readFileSync(path, 'utf8')
  } catch {
    current = undefined
  }
  if (current !== LIBVIRT_SSH_SCRIPT) {
    const temporary = `${path}.${process.pid}`
    writeFileSync(temporary, LIBVIRT_SSH_SCRIPT, {mode: 0o700})
    renameSync(temporary, path)
  }
  return path
}

/**
 * The URI virsh connects with: a `+ssh` URI gets `command=<the script>` (unless it names its own
 * ssh), so libvirt's connection rides on the host's shared one; any other URI is left as it is.
 */
export function libvirtConnectUri(uri: string, mux: SshMultiplexing | undefined): string {
  if (mux === undefined || !/^[a-z0-9]+\+ssh:\/\//i.test(uri) || /[?&]command=/.test(uri)) return uri
  return `${uri}${uri.includes('?') ? '&' : '?'}command=${encodeURIComponent(libvirtSshCommand(mux))}`
}
