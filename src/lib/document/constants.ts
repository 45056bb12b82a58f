// The document's version and the patterns of its names, apart from the schema (schema.ts), so that
// what checks a name or reads a document's version does not load TypeBox.

/** The document major version this build reads and writes. */
export const DOCUMENT_VERSION = 1

/** Names reach external programs later (xl, virsh): no shell metacharacters, no leading dash. */
export const NAME_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.:@+-]{0,63}$'
export const NAME_EXPECTED = 'a name of letters, digits and . _ : @ + - (at most 64, not starting with -)'

/** PCI address `[DDDD:]BB:SS.F` of a virtual function. */
export const PCI_PATTERN = '^([0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\\.[0-7]$'

/** Tags the hypervisor keeps with a domain (libvirt <metadata>, Xen domain config): rules can select VMs by them. */
export const TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.:@+-]{0,63}$'
