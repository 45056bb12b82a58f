// oclif's own usage errors in Sova's one-line style: every message names the flag or argument,
// says what was expected and what was given, and offers the nearest name when one was mistyped.

/** Edit distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({length: a.length + 1}, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1)
    }
  }
  return rows[a.length][b.length]
}

/**
 * The candidates nearest to `typed`, if near enough to be a typo: at most a third of the word
 * wrong (at least one edit), or `typed` a prefix of exactly one candidate.
 */
export function nearest(typed: string, candidates: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(typed.length / 3))
  const scored = candidates.map((candidate) => ({candidate, distance: editDistance(typed, candidate)}))
  const best = Math.min(...scored.map((entry) => entry.distance))
  if (best <= limit) return scored.filter((entry) => entry.distance === best).map((entry) => entry.candidate)
  const prefixed = candidates.filter((candidate) => typed.length >= 2 && candidate.startsWith(typed))
  return prefixed.length === 1 ? prefixed : []
}

/** `did you mean "x"?` or `did you mean "x" or "y"?`, or nothing. */
export function didYouMean(typed: string, candidates: readonly string[]): string | undefined {
  const found = nearest(typed, candidates)
  if (found.length === 0) return undefined
  return `did you mean ${found.map((name) => `"${name}"`).join(' or ')}?`
}

/** A command id as people type it: `sim reset`, never oclif's `sim:reset`. */
export function spoken(id: string): string {
  return id.replaceAll(':', ' ')
}

/** What a command declares, for suggestions. */
export interface CommandShape {
  flags?: Record<string, {char?: string}>
  baseFlags?: Record<string, {char?: string}>
}

/**
 * oclif's parse error as one line without oclif's decoration ("The following error occurred:",
 * "Parsing --x", "See more help"), phrased as Sova's own: `--flag: expected ..., got "..."`.
 */
export function usageMessage(raw: string, shape?: CommandShape): string {
  const lines = raw.split('\n').map((line) => line.trim())
  const parsing = lines.map((line) => /^Parsing --(\S+)$/.exec(line)?.[1]).find(Boolean)
  const body = lines.filter((line) => line !== '' && !/^Parsing --\S+$/.test(line) && !/^See more help/.test(line) && !/^The following errors? occurred:$/.test(line))
  if (/^Missing \d+ required args?/.test(body[0] ?? '')) return missingArguments(body.slice(1))
  const rephrased = body.map((line) => rephrase(line, parsing, shape))
  // oclif reports an exclusive pair once from each side: "--a and --b" and "--b and --a" are one line.
  const sameLine = (line: string) => line.replace(/^(--\S+) and (--\S+)( cannot be used together)$/, (_, a: string, b: string, rest: string) => [a, b].sort().join(' and ') + rest)
  const first = new Map<string, string>()
  for (const line of rephrased) if (!first.has(sameLine(line))) first.set(sameLine(line), line)
  return [...first.values()].join('; ')
}

function rephrase(line: string, parsing: string | undefined, shape: CommandShape | undefined): string {
  const flag = parsing ? `--${parsing}: ` : ''
  let match: RegExpExecArray | null
  if ((match = /^--(\S+?)(?:=(.*))? cannot also be provided when using --(\S+)$/.exec(line))) return `--${match[3]} and --${match[1]} cannot be used together`
  if ((match = /^All of the following must be provided when using --(\S+): (.*)$/.exec(line))) return `--${match[1]} needs ${match[2].split(', ').join(' and ')}`
  if ((match = /^One of the following must be provided when using --(\S+): (.*)$/.exec(line))) return `--${match[1]} needs one of ${match[2]}`
  if ((match = /^Only the following can be provided when using --(\S+): (.*)$/.exec(line))) return `--${match[1]} can only be used with ${match[2]}`
  if ((match = /^Missing required flag (\S+)$/.exec(line))) return `--${match[1]} is required`
  if ((match = /^Expected --(\S+?)=(.*) to be one of: (.*)$/.exec(line))) return `--${match[1]}: expected one of ${match[3]}, got "${match[2]}"`
  if ((match = /^Expected (.*) to be one of: (.*)$/.exec(line))) return `expected one of ${match[2]}, got "${match[1]}"`
  if ((match = /^Flag --(\S+) expects one of these values: (.*)$/.exec(line))) return `--${match[1]}: expected a value, one of ${match[2]}`
  if ((match = /^Flag --(\S+) expects a value$/.exec(line))) return `--${match[1]}: expected a value`
  if ((match = /^Flag --(\S+) can only be specified once$/.exec(line))) return `--${match[1]} given more than once`
  if ((match = /^Expected an integer but received: (.*)$/.exec(line))) return `${flag}expected a whole number, got "${match[1]}"`
  if ((match = /^Expected an integer (greater|less) than or equal to (\S+) but received: (.*)$/.exec(line))) return `${flag}expected a whole number ${match[1] === 'greater' ? '≥' : '≤'} ${match[2]}, got ${match[3]}`
  if ((match = /^Unexpected arguments?: (.*)$/.exec(line))) return `unexpected argument${match[1].includes(', ') ? 's' : ''} ${quoted(match[1])}`
  if ((match = /^Nonexistent flags?: (.*)$/.exec(line))) {
    return match[1].split(', ').map((name) => `unknown flag ${name}${flagSuggestion(name, shape)}`).join('; ')
  }
  return `${flag}${line}`
}

/** oclif lists missing arguments as `name  description` lines (then notes about multiple values). */
function missingArguments(lines: string[]): string {
  const named = lines.flatMap((line) => {
    const match = /^([a-z][\w-]*)(?:\s{2,}(.*))?$/.exec(line)
    return match ? [`${match[1].toUpperCase()}${match[2] ? ` (${match[2]})` : ''}`] : []
  })
  return named.length === 0 ? 'missing argument' : `missing argument${named.length === 1 ? '' : 's'} ${named.join(', ')}`
}

function quoted(list: string): string {
  return list.split(', ').map((item) => `"${item}"`).join(', ')
}

function flagSuggestion(typed: string, shape: CommandShape | undefined): string {
  if (!shape) return ''
  const names = Object.entries({...shape.baseFlags, ...shape.flags}).flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : [])])
  const bare = typed.split('=')[0]
  const hint = didYouMean(bare, names.filter((name) => name.startsWith('--') === bare.startsWith('--')))
  return hint ? ` (${hint})` : ''
}

/** Why a typed command was refused: who says it, what, and what to try. */
export interface CommandRefusal {
  command: string
  message: string
  remedy: string
}

/**
 * Why `id` (oclif's colon form of what was typed) names no command: words after a command that
 * takes none are unexpected arguments; anything else is an unknown command, with the nearest
 * command or topic names.
 */
export function unknownCommand(id: string, commandIds: readonly string[], topics: readonly string[]): CommandRefusal {
  const words = id.split(':')
  for (let length = words.length - 1; length > 0; length--) {
    const prefix = words.slice(0, length).join(':')
    if (!commandIds.includes(prefix)) continue
    const command = `sova ${spoken(prefix)}`
    const extra = words.slice(length)
    return {command, message: `unexpected argument${extra.length === 1 ? '' : 's'} ${extra.map((word) => `"${word}"`).join(', ')}`, remedy: `see ${command} --help`}
  }
  const typed = spoken(id)
  const hint = didYouMean(typed, [...new Set([...commandIds, ...topics])].map(spoken))
  return {command: 'sova', message: `unknown command "${typed}"`, remedy: `${hint ? `${hint} ` : ''}"sova help" lists the commands`}
}
