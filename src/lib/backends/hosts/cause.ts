// The first real cause of a host's failed checks: a name that does not resolve is said as such,
// once, and the checks that could not run behind it are "not checked", not failures with fixes.
import type {DoctorCheck} from './driver.js'

type Check = Omit<DoctorCheck, 'host'>

/** What the resolver says (through ssh, virsh or libvirt's own client) when a host name has no address. */
const UNRESOLVED = /could not resolve hostname|name or service not known|temporary failure in name resolution|nodename nor servname provided|no address associated with hostname|unable to resolve/i

/** True when a tool's error says the host's name did not resolve. */
export function nameDoesNotResolve(error: string): boolean {
  return UNRESOLVED.test(error)
}

/** The host part of an ssh destination (`root@host2`) or a libvirt URI (`qemu+ssh://root@host2:22/system`). */
export function hostNameOf(destination: string): string {
  const authority = destination.includes('://') ? destination.slice(destination.indexOf('://') + 3).split(/[/?]/)[0] : destination
  const host = authority.slice(authority.lastIndexOf('@') + 1)
  return host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '')
}

/** The resolver's own words inside a tool's longer error (virsh wraps ssh's). */
function resolverWords(error: string): string {
  const words = /(?:ssh: )?(?:could not resolve hostname \S+: )?(?:name or service not known|temporary failure in name resolution|nodename nor servname provided[^;:]*|no address associated with hostname|unable to resolve[^;:]*)/i.exec(error)
  return words ? words[0] : error
}

/** A check that failed because `name` has no address: the cause, and the one fix for it. */
export function unresolvedCheck(check: string, name: string, error: string, where: string): Check {
  return {check, ok: false, detail: `${name}: name does not resolve (${resolverWords(error)})`, fix: `make "${name}" resolve here (DNS or /etc/hosts), or write its address in ${where}`}
}

/** A check that did not run because `because` (an earlier check's failure). */
export function notChecked(check: string, because: string): Check {
  return {check, ok: false, notChecked: true, detail: `not checked: ${because}`}
}
