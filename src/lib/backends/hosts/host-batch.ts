// One snapshot's view of a host's shell: what the snapshot will read is asked for up front, in one
// round trip (HostShell.batch: one ssh session), and every later read of it is answered from that;
// anything else still runs, once. Only for reads: actions use the host's own shell.
import {REMOTE_READS, type HostShell, type RunOptions, type ToolResult} from '../../exec.js'
import type {ShellCommand} from '../../remote-batch.js'

/** A host's shell for one snapshot, with reads batched ahead. */
export interface BatchedShell extends HostShell {
  /** Reads `commands` now, in one round trip where the host is remote (those already read are skipped). */
  prefetch(commands: ShellCommand[]): Promise<void>
}

const keyOf = (file: string, args: string[]) => JSON.stringify([file, ...args])

/** `shell`, batched: a local shell has no round trip to save and is only memoized. */
export function batchedShell(shell: HostShell, timeoutMs: number): BatchedShell {
  const batch = shell.batch?.bind(shell)
  if (!batch) return {...memoizeReads(shell), prefetch: async () => {}}
  const results = new Map<string, Promise<ToolResult>>()
  const run = (file: string, args: string[], options?: RunOptions): Promise<ToolResult> => {
    const key = keyOf(file, args)
    let result = results.get(key)
    if (result === undefined) {
      result = shell.run(file, args, options ?? {timeoutMs})
      results.set(key, result)
    }
    return result
  }
  const read = (command: ShellCommand) => run(command.file, command.args)
  return {
    where: shell.where,
    run,
    readText: async (path) => REMOTE_READS.textOf(await read(REMOTE_READS.text(path))),
    list: async (path) => REMOTE_READS.listOf(await read(REMOTE_READS.list(path))),
    linkTarget: async (path) => REMOTE_READS.linkOf(await read(REMOTE_READS.link(path))),
    batch,
    async prefetch(commands) {
      const unread = [...new Map(commands.map((command) => [keyOf(command.file, command.args), command])).entries()].filter(([key]) => !results.has(key))
      if (unread.length === 0) return
      const answers = batch(unread.map(([, command]) => command), {timeoutMs})
      unread.forEach(([key], i) => {
        const answer = answers.then((all) => all[i])
        // A batch that fails is thrown from here; the reads of it that nobody asks for stay quiet.
        answer.catch(() => {})
        results.set(key, answer)
      })
      await answers
    },
  }
}

/** The same shell, but each file and directory is read at most once (one snapshot's worth of reads). */
export function memoizeReads(shell: HostShell): HostShell {
  const texts = new Map<string, Promise<string | undefined>>()
  const lists = new Map<string, Promise<string[] | undefined>>()
  const links = new Map<string, Promise<string | undefined>>()
  const once = <T>(cache: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let value = cache.get(key)
    if (value === undefined) {
      value = read()
      cache.set(key, value)
    }
    return value
  }
  return {
    where: shell.where,
    run: (file, args, options) => shell.run(file, args, options),
    readText: (path) => once(texts, path, () => shell.readText(path)),
    list: (path) => once(lists, path, () => shell.list(path)),
    linkTarget: (path) => once(links, path, () => shell.linkTarget(path)),
  }
}
