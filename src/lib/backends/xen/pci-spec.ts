// A passed-through device as xl itself writes it: a PCI_SPEC_STRING `BDF[@VSLOT][,key=value]*`
// (xen docs/man/xl-pci-configuration.5.pod, tools/libs/util/libxlu_pci.c). A detach keeps the
// device's own entry in this form, so that giving it back re-attaches it with the same guest
// slot and options. Pure.
import {canonicalPci} from '../../identifiers.js'

/** libxl_device_pci as `xl list -l` prints it; a field equal to its default is left out. */
export interface LibxlPci {
  domain?: number
  bus?: number
  dev?: number
  func?: number
  vdevfn?: number
  msitranslate?: boolean | number
  power_mgmt?: boolean | number
  permissive?: boolean | number
  seize?: boolean | number
  rdm_policy?: string
  name?: string
}

/** The boolean keys of a PCI_SPEC_STRING, in the order Sova writes them. */
const FLAGS = ['permissive', 'msitranslate', 'seize', 'power_mgmt'] as const
const RDM_POLICIES = new Set(['strict', 'relaxed'])

/**
 * The options of one device in xl's PCI_SPEC_STRING spelling (`permissive=1`), for each field the
 * config sets. `name` is left out: xl refuses a spec with both a BDF and a name.
 */
export function libxlPciOptions(pci: LibxlPci): string[] {
  const options: string[] = []
  for (const key of FLAGS) {
    const value = pci[key]
    if (typeof value === 'boolean' || typeof value === 'number') options.push(`${key}=${value ? 1 : 0}`)
  }
  if (typeof pci.rdm_policy === 'string' && RDM_POLICIES.has(pci.rdm_policy)) options.push(`rdm_policy=${pci.rdm_policy}`)
  return options
}

/** One device as a spec: host BDF, the guest slot it had (0x00-0x1f), its options. */
export interface PciSpec {
  bdf: string
  vslot?: number
  options: string[]
}

export function formatPciSpec(spec: PciSpec): string {
  const slot = spec.vslot === undefined ? '' : `@${spec.vslot.toString(16).padStart(2, '0')}`
  return [`${spec.bdf}${slot}`, ...spec.options].join(',')
}

const OPTION = /^(permissive|msitranslate|seize|power_mgmt)=[01]$|^rdm_policy=(strict|relaxed)$/

/**
 * Reads back a spec Sova wrote (it comes from the journal, so it is checked like any input before
 * it reaches xl): only the keys above, a canonical BDF, a slot of 00-1f. Throws on anything else.
 */
export function parsePciSpec(text: string): PciSpec {
  const [head, ...options] = text.split(',')
  const match = /^([^@]+)(?:@([0-9a-f]{2}))?$/.exec(head ?? '')
  if (!match) throw new Error(`"${text}" is not a PCI_SPEC_STRING Sova wrote`)
  const bdf = canonicalPci(match[1], 'device')
  const vslot = match[2] === undefined ? undefined : parseInt(match[2], 16)
  if (vslot !== undefined && vslot > 0x1f) throw new Error(`"${text}": guest slot ${match[2]} is above 1f`)
  const unknown = options.find((option) => !OPTION.test(option))
  if (unknown !== undefined) throw new Error(`"${text}": option "${unknown}" is not one Sova writes`)
  return vslot === undefined ? {bdf, options} : {bdf, vslot, options}
}
