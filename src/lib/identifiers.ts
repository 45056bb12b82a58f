// Every host, VM, PCI address and MAC is checked here before it can reach an external tool: a name
// like `web1; rm -rf /` or `--force` is refused as a name, never passed on (issue 4, §7).
import {NAME_PATTERN, PCI_PATTERN} from './document/constants.js'
import {UsageError} from './errors.js'

const NAME = new RegExp(NAME_PATTERN)
const PCI = new RegExp(PCI_PATTERN)
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i

export const NAME_RULE = 'letters, digits and . _ : @ + -, at most 64, not starting with -'

/** True for a name Sova accepts for a host or VM. */
export function isValidName(value: string): boolean {
  return NAME.test(value)
}

/** Refuses a name before it goes anywhere near a backend. */
export function validateName(value: string, what: string): string {
  if (!isValidName(value)) throw new UsageError(`${what} "${value}" is not a valid name (${NAME_RULE})`)
  return value
}

/** The parts of a PCI address, as numbers. */
export interface PciParts {
  domain: number
  bus: number
  slot: number
  function: number
}

/** True for `[DDDD:]BB:SS.F` (slot 00-1f, function 0-7; a domain may have more than 4 hex digits). */
export function isPciAddress(value: string): boolean {
  return PCI.test(value)
}

/** The parts of a valid PCI address. */
export function pciParts(value: string): PciParts {
  if (!isPciAddress(value)) throw new UsageError(`"${value}" is not a PCI address ([DDDD:]BB:SS.F)`)
  const [busSlot, fn] = [value.slice(0, value.lastIndexOf('.')), value.slice(value.lastIndexOf('.') + 1)]
  const parts = busSlot.split(':')
  const [domain, bus, slot] = parts.length === 3 ? parts : ['0', ...parts]
  return {domain: parseInt(domain, 16), bus: parseInt(bus, 16), slot: parseInt(slot, 16), function: Number(fn)}
}

/** The canonical, lower-case `DDDD:BB:SS.F` form Linux prints (`%04x:%02x:%02x.%d`). */
export function formatPci(parts: PciParts): string {
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')
  return `${hex(parts.domain, 4)}:${hex(parts.bus, 2)}:${hex(parts.slot, 2)}.${parts.function}`
}

/** Validates and canonicalises a PCI address; `what` names it in the refusal. */
export function canonicalPci(value: string, what = 'PCI address'): string {
  if (!isPciAddress(value)) throw new UsageError(`${what} "${value}" is not a PCI address ([DDDD:]BB:SS.F, slot 00-1f, function 0-7)`)
  return formatPci(pciParts(value))
}

/** True for a colon-separated 6-byte MAC address. */
export function isMac(value: string): boolean {
  return MAC.test(value)
}

/** Validates a MAC address and gives it in lower case. */
export function canonicalMac(value: string, what = 'MAC address'): string {
  if (!isMac(value)) throw new UsageError(`${what} "${value}" is not a MAC address (xx:xx:xx:xx:xx:xx)`)
  return value.toLowerCase()
}
