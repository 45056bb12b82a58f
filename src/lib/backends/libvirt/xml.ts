// A small, strict XML reader for what libvirt prints (domain, node device and network XML) and for
// hand-edited domain XML: elements, attributes in ' or ", the five entities and character
// references, comments, CDATA, an XML declaration. Prefixed names (qemu:commandline, a <metadata>
// child's app:info) are kept as they are. Whatever else XML allows (a DOCTYPE and the entities it
// could declare, processing instructions, names outside ASCII) is refused, never guessed at: where
// it and libxml2 (libvirt's own parser) could disagree, it refuses (test/libvirt/xml-property.test.ts).

/** One element: its name, attributes, child elements and its own text. */
export interface XmlElement {
  name: string
  attrs: Record<string, string>
  children: XmlElement[]
  text: string
  /** Where the element starts and ends in the parsed text ([start, end) offsets): its own XML is text.slice(start, end). */
  span: [number, number]
}

const ENTITIES: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"}

/** A character XML 1.0 allows (Char production). */
const isXmlChar = (code: number) => code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff)

class NotWellFormed extends Error {
  constructor(at: number, what: string) {
    super(`not well-formed XML at offset ${at}: ${what}`)
  }
}

/** Resolves the references of a text or attribute value; a bare `&` or an unknown entity is refused. */
function decodeEntities(text: string, at: number): string {
  return text.replace(/&([^;&]*);?/g, (reference, entity: string) => {
    const known = reference.endsWith(';') ? ENTITIES[entity] : undefined
    if (known !== undefined) return known
    const number = reference.endsWith(';') ? entity.match(/^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/) : null
    const code = number ? (number[1] !== undefined ? parseInt(number[1], 16) : Number(number[2])) : NaN
    if (!isXmlChar(code)) throw new NotWellFormed(at, `${JSON.stringify(reference.slice(0, 12))} is not an entity this reader knows`)
    return String.fromCodePoint(code)
  })
}

const NAME = '[A-Za-z_:][-A-Za-z0-9._:]*'
const S = String.raw`[ \t\r\n]`
const TOKEN = new RegExp(
  [
    String.raw`<!--((?:[^-]|-(?!-))*)-->`,
    String.raw`<!\[CDATA\[([\s\S]*?)\]\]>`,
    `</(${NAME})${S}*>`,
    `<(${NAME})((?:${S}+${NAME}${S}*=${S}*(?:"[^"<]*"|'[^'<]*'))*)${S}*(/?)>`,
    '([^<]+)',
  ].join('|'),
  'y',
)
const ATTR = new RegExp(`(${NAME})${S}*=${S}*(?:"([^"]*)"|'([^']*)')`, 'g')
const DECLARATION = /^<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.[0-9]+\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[Uu][Tt][Ff]-?8\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>/

/** An attribute value as XML reads it: literal tabs and line breaks become spaces, then references resolve. */
const attributeValue = (raw: string, at: number) => decodeEntities(raw.replace(/\r\n|[\t\n\r]/g, ' '), at)

/** Parses one XML document; throws with the offset on text that is not well-formed. */
export function parseXml(input: string): XmlElement {
  // XML reads every line break as \n; the offsets (spans) are of this text.
  const text = input.replace(/\r\n?/g, '\n')
  for (let i = 0; i < text.length; i++) {
    const code = text.codePointAt(i) as number
    if (!isXmlChar(code)) throw new NotWellFormed(i, `character U+${code.toString(16).padStart(4, '0')} is not allowed in XML`)
    if (code > 0xffff) i++
  }
  const root: XmlElement = {name: '#document', attrs: {}, children: [], text: '', span: [0, text.length]}
  const open: XmlElement[] = [root]
  TOKEN.lastIndex = text.match(DECLARATION)?.[0].length ?? 0
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex
    const match = TOKEN.exec(text)
    if (!match) throw new NotWellFormed(at, JSON.stringify(text.slice(at, at + 30)))
    const [, comment, cdata, closing, opening, attrText, selfClosing, chars] = match
    const current = open[open.length - 1]
    if (comment !== undefined) {
      if (comment.endsWith('-')) throw new NotWellFormed(at, 'a comment may not end with "--->"')
    } else if (cdata !== undefined || chars !== undefined) {
      if (chars !== undefined && chars.includes(']]>')) throw new NotWellFormed(at, '"]]>" outside a CDATA section')
      const value = cdata ?? decodeEntities(chars as string, at)
      if (open.length === 1 && (cdata !== undefined || value.trim() !== '' || /[^ \t\n]/.test(chars as string))) throw new NotWellFormed(at, 'text outside the root element')
      current.text += value
    } else if (closing !== undefined) {
      if (current.name !== closing || open.length === 1) throw new NotWellFormed(at, `</${closing}> closes <${current.name}>`)
      current.text = current.text.trim()
      current.span[1] = TOKEN.lastIndex
      open.pop()
    } else if (opening !== undefined) {
      if (open.length === 1 && root.children.length > 0) throw new NotWellFormed(at, 'a second root element')
      const element: XmlElement = {name: opening, attrs: {}, children: [], text: '', span: [at, TOKEN.lastIndex]}
      for (const attr of (attrText ?? '').matchAll(ATTR)) {
        if (Object.hasOwn(element.attrs, attr[1])) throw new NotWellFormed(at, `attribute ${attr[1]} twice on <${opening}>`)
        element.attrs[attr[1]] = attributeValue(attr[2] ?? attr[3] ?? '', at)
      }
      current.children.push(element)
      if (selfClosing !== '/') open.push(element)
    }
  }
  if (open.length !== 1) throw new Error(`not well-formed XML: <${open[open.length - 1].name}> is never closed`)
  const [top] = root.children
  if (!top) throw new Error('not well-formed XML: expected exactly one root element')
  return top
}

/** The direct children of `element` named `name`. */
export function childrenNamed(element: XmlElement | undefined, name: string): XmlElement[] {
  return element ? element.children.filter((child) => child.name === name) : []
}

/** The first direct child named `name`, if any. */
export function childNamed(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((child) => child.name === name)
}

/** Every element below `element` (depth first, document order) named `name`. */
export function descendantsNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.flatMap((child) => [...(child.name === name ? [child] : []), ...descendantsNamed(child, name)])
}

/** Escapes a value for an attribute in single quotes, as libvirt writes them. */
export function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;')
}
