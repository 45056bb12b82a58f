// The writer's guard: JSON has no Infinity or NaN (JSON.stringify writes them as null, which the
// next stage refuses, blaming the wrong program). A non-finite figure in an output document is a bug
// here, so it stops the command as an internal error (exit 70), naming where, before anything is written.

/** Thrown for a document this program was about to write with a non-finite number: a bug. */
export class NonFiniteFigureError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NonFiniteFigureError'
  }
}

/** Whether any number in `value` is not finite: the common answer (no) without building a path per node. */
function anyNonFinite(node: unknown): boolean {
  if (typeof node === 'number') return !Number.isFinite(node)
  if (node === null || typeof node !== 'object') return false
  if (Array.isArray(node)) {
    for (const item of node) if (anyNonFinite(item)) return true
    return false
  }
  // for...in allocates no key array; a document's objects inherit no enumerable keys.
  for (const key in node) if (anyNonFinite((node as Record<string, unknown>)[key])) return true
  return false
}

/** Where and what the first non-finite number in `value` is (`scores.hosts.h1.forecast`), or undefined. */
export function firstNonFinite(value: unknown): {path: string; value: number} | undefined {
  return anyNonFinite(value) ? locateNonFinite(value) : undefined
}

/** The first non-finite number and its path. Iterative: documents are wide. */
function locateNonFinite(value: unknown): {path: string; value: number} | undefined {
  const stack: [unknown, string][] = [[value, '']]
  while (stack.length > 0) {
    const [node, path] = stack.pop() as [unknown, string]
    if (typeof node === 'number') {
      if (!Number.isFinite(node)) return {path: path || '(document)', value: node}
    } else if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push([node[i], `${path}[${i}]`])
    } else if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node)
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i][1], path === '' ? entries[i][0] : `${path}.${entries[i][0]}`])
    }
  }
  return undefined
}

/**
 * Parts of documents that came out of JSON.parse, whose numbers are therefore finite (JSON has no
 * Infinity or NaN). A stage returns its input with parts added or replaced at the top level
 * (`{...doc, scores}`) and never changes the input (test/loop/stage-purity.test.ts runs every stage
 * on a frozen one), so a part it passes on unchanged needs no second look: at 1,000 hosts that is
 * the whole `hosts` list, 40 ms a stage.
 */
const parsedParts = new WeakSet<object>()

/** Records the top-level parts of `doc`, just parsed from JSON text, as holding finite numbers only. */
export function markParsed(doc: object): void {
  for (const part of Object.values(doc)) if (part !== null && typeof part === 'object') parsedParts.add(part)
}

/** Refuses to let a document with a non-finite figure out; `what` says which (e.g. `score output`). */
export function assertFiniteDocument(doc: unknown, what: string): void {
  const computed = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? Object.values(doc).some((part) => !parsedParts.has(part as object) && anyNonFinite(part)) : anyNonFinite(doc)
  const found = computed ? locateNonFinite(doc) : undefined
  if (found) throw new NonFiniteFigureError(`${what}: ${found.path} is ${found.value}, not a finite number; nothing written`)
}
