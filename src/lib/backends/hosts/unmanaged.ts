// Why Sova does not manage a domain it sees, said in words an operator can act on (rename it,
// say). Shared by the drivers: a name Sova refuses is never passed to a tool, but the domain is
// listed (document `unmanaged`) and its VF and traffic still count for its host.
import {isValidName} from '../../identifiers.js'
import type {RawSnapshot, UnmanagedVm} from '../types.js'

const MAX_NAME = 64
const ALLOWED = /[A-Za-z0-9_.:@+-]/

/** Why a domain name is not one Sova accepts; undefined when it is. */
export function whyNameRefused(name: string): string | undefined {
  if (isValidName(name)) return undefined
  if (name === '') return 'it has no name'
  if (name.length > MAX_NAME) return `its name is ${name.length} characters long (Sova accepts at most ${MAX_NAME})`
  const bad = [...name].find((char) => !ALLOWED.test(char))
  if (bad !== undefined) return `its name holds ${bad === ' ' ? 'a space' : JSON.stringify(bad)} (Sova accepts letters, digits and . _ : @ + -)`
  return `its name starts with "${name[0]}" (Sova accepts a letter, digit or _ first)`
}

/** The unmanaged domains of a snapshot's hosts, gathered at the snapshot's level (hosts keep none). */
export function liftUnmanaged(snapshot: RawSnapshot): RawSnapshot {
  const unmanaged: UnmanagedVm[] = snapshot.hosts.flatMap((host) => host.unmanaged ?? [])
  const hosts = snapshot.hosts.map(({unmanaged: _lifted, ...host}) => host)
  return unmanaged.length > 0 ? {...snapshot, hosts, unmanaged: [...(snapshot.unmanaged ?? []), ...unmanaged]} : {...snapshot, hosts}
}
