// Tags from a hypervisor's metadata of a domain: what a group's match.tag selects. They come from
// whoever can edit a domain's XML, so each is checked here before it is used: a tag that is not
// one is left out with a note, never the VM or its host.
import {TAG_PATTERN} from '../document/constants.js'

const TAG = new RegExp(TAG_PATTERN)

/** The most tags a VM keeps (the document's limit). */
export const MAX_TAGS = 64

/** The namespace of Sova's element in libvirt's <metadata> (`virsh metadata --uri`). */
export const SOVA_XMLNS = 'https://sova.dev/xmlns/vm/1'

/** The valid tags, once each, in order; and a note for each one left out. */
export function acceptTags(raw: readonly string[]): {tags: string[]; ignored: string[]} {
  const tags: string[] = []
  const ignored: string[] = []
  for (const candidate of raw) {
    if (!TAG.test(candidate)) ignored.push(`tag ${JSON.stringify(candidate.length > 70 ? candidate.slice(0, 70) + '...' : candidate)} ignored: not a tag (letters, digits and . _ : @ + -, at most 64)`)
    else if (tags.includes(candidate)) continue
    else if (tags.length >= MAX_TAGS) ignored.push(`tag ${candidate} ignored: more than ${MAX_TAGS} tags`)
    else tags.push(candidate)
  }
  return {tags, ignored}
}

/** The tag of a Xen domain whose config says `nomigrate=1` (`xl list -l`: b_info.disable_migrate). */
export const XEN_NOMIGRATE_TAG = 'xen:nomigrate'
