// Where a JSON pointer's value starts in a JSON text, as a 1-based line number: so that
// `sova config check` can say `config.json:14: hosts[1].port.device: ...`. A small scanner over
// the text, not a second parser: it trusts that JSON.parse has already accepted the text.

/** The line of the value at `pointer` (`/hosts/1/port`), or of the nearest parent that exists. */
export function lineOfPointer(text: string, pointer: string): number {
  const wanted = pointer.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
  let position = skipSpace(text, 0)
  let found = position
  for (const key of wanted) {
    const next = childStart(text, position, key)
    if (next === undefined) break
    position = next
    found = next
  }
  return text.slice(0, found).split('\n').length
}

function skipSpace(text: string, at: number): number {
  while (at < text.length && /\s/.test(text[at])) at++
  return at
}

/** End (exclusive) of the value starting at `at`. */
function valueEnd(text: string, at: number): number {
  const first = text[at]
  if (first === '"') return stringEnd(text, at)
  if (first !== '{' && first !== '[') {
    while (at < text.length && !/[\s,}\]]/.test(text[at])) at++
    return at
  }
  let depth = 0
  for (let i = at; i < text.length; i++) {
    const c = text[i]
    if (c === '"') i = stringEnd(text, i) - 1
    else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') {
      depth--
      if (depth === 0) return i + 1
    }
  }
  return text.length
}

function stringEnd(text: string, at: number): number {
  for (let i = at + 1; i < text.length; i++) {
    if (text[i] === '\\') i++
    else if (text[i] === '"') return i + 1
  }
  return text.length
}

/** Start of the member `key` of the object or array whose value starts at `at`. */
function childStart(text: string, at: number, key: string): number | undefined {
  const open = text[at]
  if (open !== '{' && open !== '[') return undefined
  let i = skipSpace(text, at + 1)
  let index = 0
  while (i < text.length && text[i] !== '}' && text[i] !== ']') {
    if (open === '{') {
      const keyEnd = stringEnd(text, i)
      const name = JSON.parse(text.slice(i, keyEnd)) as string
      i = skipSpace(text, skipSpace(text, keyEnd) + 1)
      if (name === key) return i
    } else if (String(index) === key) {
      return i
    }
    i = skipSpace(text, valueEnd(text, i))
    if (text[i] === ',') i = skipSpace(text, i + 1)
    index++
  }
  return undefined
}

/**
 * Keys given twice in one object of a JSON text (JSON.parse keeps the last silently), each with the
 * line of its second occurrence and the dotted path of its object. Trusts that JSON.parse accepted the text.
 */
export function duplicateKeys(text: string): {line: number; key: string; within: string}[] {
  const found: {line: number; key: string; within: string}[] = []
  const walk = (at: number, within: string): void => {
    const open = text[at]
    if (open !== '{' && open !== '[') return
    const seen = new Set<string>()
    let i = skipSpace(text, at + 1)
    let index = 0
    while (i < text.length && text[i] !== '}' && text[i] !== ']') {
      let path = `${within}[${index}]`
      if (open === '{') {
        const keyEnd = stringEnd(text, i)
        const key = JSON.parse(text.slice(i, keyEnd)) as string
        if (seen.has(key)) found.push({line: text.slice(0, i).split('\n').length, key, within})
        seen.add(key)
        path = within === '' ? key : `${within}.${key}`
        i = skipSpace(text, skipSpace(text, keyEnd) + 1)
      }
      walk(i, path)
      i = skipSpace(text, valueEnd(text, i))
      if (text[i] === ',') i = skipSpace(text, i + 1)
      index++
    }
  }
  walk(skipSpace(text, 0), '')
  return found
}
