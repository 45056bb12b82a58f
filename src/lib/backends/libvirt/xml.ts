// A small, strict-enough XML reader for what libvirt prints (domain, node device and network XML).
// libvirt's output is regular: elements, attributes in ' or ", entities, comments. No DTDs, no
// namespaces that matter to us (prefixed names such as qemu:commandline are kept as they are).

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

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, entity: string) => {
    if (entity[0] !== '#') return ENTITIES[entity.toLowerCase()]
    const code = entity[1].toLowerCase() === 'x' ? parseInt(entity.slice(2), 16) : Number(entity.slice(1))
    return String.fromCodePoint(code)
  })
}

const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<!DOCTYPE[^>]*>|<\/\s*([^\s>]+)\s*>|<([^\s/>]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/gy
const ATTR = /([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g

/** Parses one XML document; throws with the offset on text that is not well-formed. */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = {name: '#document', attrs: {}, children: [], text: '', span: [0, text.length]}
  const open: XmlElement[] = [root]
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex
    const match = TOKEN.exec(text)
    if (!match) throw new Error(`not well-formed XML at offset ${at}: ${JSON.stringify(text.slice(at, at + 30))}`)
    const [, cdata, closing, opening, attrText, selfClosing, chars] = match
    const current = open[open.length - 1]
    if (cdata !== undefined) current.text += cdata
    else if (chars !== undefined) current.text += decodeEntities(chars)
    else if (closing !== undefined) {
      if (current.name !== closing || open.length === 1) throw new Error(`not well-formed XML at offset ${at}: </${closing}> closes <${current.name}>`)
      current.text = current.text.trim()
      current.span[1] = TOKEN.lastIndex
      open.pop()
    } else if (opening !== undefined) {
      const element: XmlElement = {name: opening, attrs: {}, children: [], text: '', span: [at, TOKEN.lastIndex]}
      for (const attr of (attrText ?? '').matchAll(ATTR)) element.attrs[attr[1]] = decodeEntities(attr[2] ?? attr[3] ?? '')
      current.children.push(element)
      if (selfClosing !== '/') open.push(element)
    }
  }
  if (open.length !== 1) throw new Error(`not well-formed XML: <${open[open.length - 1].name}> is never closed`)
  const [top] = root.children
  if (!top || root.children.length !== 1) throw new Error('not well-formed XML: expected exactly one root element')
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
