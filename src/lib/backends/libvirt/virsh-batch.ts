// One snapshot's virsh: the queries it will make are asked for up front, on one connection (one
// round trip to a remote host), and answered from that when the snapshot's code runs them; any
// other query still runs, once. Only for reads: actions use the driver's own virsh.
import type {ToolResult} from '../../exec.js'
import type {Virsh} from './virsh.js'

/** A virsh for one snapshot, with queries batched ahead. */
export interface BatchedVirsh extends Virsh {
  /** Runs `commands` now on one connection (those already run are skipped). */
  prefetch(commands: string[][]): Promise<void>
}

export function batchedVirsh(virsh: Virsh): BatchedVirsh {
  const results = new Map<string, Promise<ToolResult>>()
  const keyOf = (args: string[]) => JSON.stringify(args)
  return {
    uri: virsh.uri,
    run(args, timeoutMs) {
      let result = results.get(keyOf(args))
      if (result === undefined) {
        result = virsh.run(args, timeoutMs)
        results.set(keyOf(args), result)
      }
      return result
    },
    batch: (commands, timeoutMs) => virsh.batch(commands, timeoutMs),
    async prefetch(commands) {
      const unread = [...new Map(commands.map((args) => [keyOf(args), args])).entries()].filter(([key]) => !results.has(key))
      if (unread.length === 0) return
      const answers = virsh.batch(unread.map(([, args]) => args))
      unread.forEach(([key], i) => {
        const answer = answers.then((all) => all[i])
        // A batch that fails is thrown from here; the queries of it that nobody asks for stay quiet.
        answer.catch(() => {})
        results.set(key, answer)
      })
      await answers
    },
  }
}
