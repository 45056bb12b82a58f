// Pure parsers for `xenstore-ls -f` (INTERFACES.md §1.9) and the guest agent's network keys in it.

/** Undoes xenstore-ls's escaping (`\\`, `\t`, `\n`, `\r`, `\xNN`, octal `\NNN` below 8; `"` is not escaped). */
export function unescapeXenstoreValue(value: string): string {
  const simple: Record<string, string> = {t: '\t', n: '\n', r: '\r', '\\': '\\'}
  return value.replace(/\\(x[0-9a-fA-F]{2}|[0-7]{3}|.)/g, (whole, code: string) => {
    if (code.startsWith('x') && code.length === 3) return String.fromCharCode(parseInt(code.slice(1), 16))
    if (/^[0-7]{3}$/.test(code)) return String.fromCharCode(parseInt(code, 8))
    return simple[code] ?? whole
  })
}

/**
 * `xenstore-ls -f [-p] PATH`: `/full/path = "value"` per node (a `  (n0,r5)` permission suffix
 * with -p; `path:` for a node without a value). Without -f the lines are indented names cut to 80
 * columns, so Sova always passes -f (and runs it without a TTY, which would cut them to its width).
 */
export function parseXenstoreLs(text: string): Map<string, string> {
  const nodes = new Map<string, string>()
  for (const line of text.split('\n')) {
    const equals = line.indexOf(' = "')
    const lastQuote = line.lastIndexOf('"')
    if (!line.startsWith('/') || equals < 0 || lastQuote <= equals + 3) continue
    const raw = line.slice(equals + 4, lastQuote)
    // A TTY width cuts values short with `\...`; such a value is not the real one.
    if (raw.endsWith('\\...')) continue
    nodes.set(line.slice(0, equals), unescapeXenstoreValue(raw))
  }
  return nodes
}

/** The guest agent's cumulative counters of one domain, from the guest's point of view. */
export interface AgentCounters {
  rxBytes: number
  txBytes: number
  /** 1 s ticks in which both directions moved; undefined when the agent does not publish it. */
  activeSeconds: number | undefined
  /** When the agent last wrote (Unix seconds, its `updated` key), and how often it writes (`interval`, s). */
  updated?: number
  intervalSeconds?: number
}

const AGENT_KEY = /^\/local\/domain\/(\d+)\/network\/(rx-bytes|tx-bytes|active-seconds|updated|interval)$/

const count = (value: string | undefined): number | undefined => {
  if (value === undefined || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined
  return Number(value.trim())
}

/**
 * The agent's cumulative keys under `/local/domain/<domid>/network/` (`rx-bytes`, `tx-bytes`,
 * `active-seconds`) with when it last wrote them (`updated`, `interval`), keyed by domid. A domain
 * counts only when both byte counters are numbers; the interval keys `value` and `freq` (kept for
 * older readers) are not cumulative and are ignored.
 */
export function readAgentCounters(nodes: Map<string, string>): Map<number, AgentCounters> {
  const raw = new Map<number, Record<string, string>>()
  for (const [path, value] of nodes) {
    const match = AGENT_KEY.exec(path)
    if (!match) continue
    const domid = Number(match[1])
    raw.set(domid, {...raw.get(domid), [match[2]]: value})
  }
  const counters = new Map<number, AgentCounters>()
  for (const [domid, keys] of raw) {
    const rxBytes = count(keys['rx-bytes'])
    const txBytes = count(keys['tx-bytes'])
    if (rxBytes === undefined || txBytes === undefined) continue
    const agent: AgentCounters = {rxBytes, txBytes, activeSeconds: count(keys['active-seconds'])}
    const updated = count(keys.updated)
    const intervalSeconds = count(keys.interval)
    if (updated !== undefined) agent.updated = updated
    if (intervalSeconds !== undefined && intervalSeconds > 0) agent.intervalSeconds = intervalSeconds
    counters.set(domid, agent)
  }
  return counters
}
