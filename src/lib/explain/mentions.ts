// Which of a plan's reason lines name a VM or host: the rejected alternatives of one VM are the
// lines that mention it. Indexed once per document, so explaining every VM of a large cluster
// does not test every line against every name. Pure.

// A name as the document allows it (NAME_PATTERN), inside free text.
const NAME_TOKEN = /[A-Za-z0-9_][A-Za-z0-9_.:@+-]*/g

// "host1:" or "web3." end a clause in a reason; the punctuation is not part of the name.
const CLAUSE_END = /[.:]+$/

/** Maps each name-like word of `lines` to the lines it occurs in, in order, each line once. */
export function indexMentions(lines: readonly string[]): (name: string) => string[] {
  const index = new Map<string, string[]>()
  for (const line of lines) {
    const words = new Set<string>()
    for (const [word] of line.matchAll(NAME_TOKEN)) {
      words.add(word)
      words.add(word.replace(CLAUSE_END, ''))
    }
    for (const word of words) {
      const found = index.get(word)
      if (found) found.push(line)
      else index.set(word, [line])
    }
  }
  return (name) => index.get(name) ?? []
}
