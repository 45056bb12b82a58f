// A configuration file's text as a value, and where each part of it is: JSON or YAML, chosen by the
// file's extension (.yaml/.yml is YAML, anything else JSON), so that one validator serves both and
// every problem is told as FILE:LINE. Neither format may give a key twice in one object. YAML is
// taken in its plain, unambiguous part only: one document, no anchors or aliases (a value shared
// by two places would have two lines, and an edit at one would change the other), no tags
// (`!!binary`, `!foo`), no collection as a key.
import {extname} from 'node:path'
import {isAlias, isCollection, isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseDocument, visit} from 'yaml'
import {duplicateKeys, lineOfPointer} from './json-lines.js'

export type ConfigFormat = 'json' | 'yaml'

/** The format a configuration file is read in: by its extension, YAML for .yaml and .yml, else JSON. */
export function configFormat(path: string): ConfigFormat {
  const extension = extname(path).toLowerCase()
  return extension === '.yaml' || extension === '.yml' ? 'yaml' : 'json'
}

/** A text read: its value and the line of a JSON pointer in it, or the problems that stop reading it (`FILE:LINE: ...`). */
export type ConfigText = {value: unknown; lineOf: (pointer: string) => number} | {problems: string[]}

/** Reads `text` (the contents of `file`) in the format its name says. */
export function readConfigText(text: string, file: string): ConfigText {
  return configFormat(file) === 'yaml' ? readYaml(text, file) : readJson(text, file)
}

function readJson(text: string, file: string): ConfigText {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return {problems: [`${file}: not valid JSON (${(error as Error).message})`]}
  }
  // JSON.parse keeps the last of two equal keys: which one the operator meant would be a guess.
  let twice: ReturnType<typeof duplicateKeys>
  try {
    twice = duplicateKeys(text)
  } catch {
    return {problems: [`${file}: nested too deeply to be a configuration`]} // the walk's stack ran out
  }
  if (twice.length > 0) return {problems: twice.map(({line, key, within}) => `${file}:${line}: ${within === '' ? '' : `${within}: `}"${key}" is given twice in one object; keep one`)}
  return {value, lineOf: (pointer) => lineOfPointer(text, pointer)}
}

function readYaml(text: string, file: string): ConfigText {
  const lines = new LineCounter()
  // YAML 1.2 core schema: `yes`, `no`, `on` stay strings; no merge keys (`<<` is an unknown key).
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2', merge: false})
  const lineAt = (offset: number) => lines.linePos(offset).line
  const problems = [...doc.errors, ...doc.warnings].map((error) => ({line: lineAt(error.pos[0]), text: `not valid YAML (${error.message})`}))
  visit(doc, (_key, node) => {
    if (isAlias(node)) problems.push({line: lineAt(node.range?.[0] ?? 0), text: `alias *${node.source}: anchors and aliases are not accepted; write the value where it applies`})
    // A block collection's range starts at its first item; its anchor is written before, on the key's line.
    else if (isNode(node) && node.anchor) problems.push({line: lineAt(text.lastIndexOf(`&${node.anchor}`, node.range?.[0] ?? 0)), text: `anchor &${node.anchor}: anchors and aliases are not accepted; write the value where it applies`})
    if (isNode(node) && node.tag && !isAlias(node)) problems.push({line: lineAt(node.range?.[0] ?? 0), text: `tag ${node.tag}: tags are not accepted; write the value plainly`})
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isCollection(pair.key)) problems.push({line: lineAt((pair.key as Node).range?.[0] ?? 0), text: 'a key must be a word, not a list or mapping'})
      }
    }
  })
  if (problems.length > 0) return {problems: problems.sort((a, b) => a.line - b.line).map((problem) => `${file}:${problem.line}: ${problem.text}`)}
  if (!isMap(doc.contents)) {
    const line = doc.contents?.range ? lineAt(doc.contents.range[0]) : 1
    return {problems: [`${file}:${line}: expected a configuration (a YAML mapping of keys such as hosts:, policy:), got ${doc.contents ? 'a list or a single value' : 'an empty document'}`]}
  }
  return {value: doc.toJS(), lineOf: (pointer) => yamlLineOf(doc.contents as Node, pointer, lineAt)}
}

/**
 * The line of the value at `pointer` (`/hosts/1/port`): a mapping's member is placed at its key's
 * line (where the operator reads `port:`), a list item at its own; a part that is not there (a
 * required key missing) at the nearest one that is.
 */
function yamlLineOf(root: Node, pointer: string, lineAt: (offset: number) => number): number {
  const parts = pointer.split('/').slice(1).map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
  let node: unknown = root
  let line = lineAt(root.range?.[0] ?? 0)
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === part)
      if (!pair) break
      line = lineAt((pair.key as Node).range?.[0] ?? 0)
      node = pair.value
    } else if (isSeq(node) && /^\d+$/.test(part) && Number(part) < node.items.length) {
      const item: unknown = node.items[Number(part)]
      if (isNode(item) && item.range) line = lineAt(item.range[0])
      node = item
    } else {
      break
    }
  }
  return line
}
