// "collect [#####.....] 12/40 hosts" on stderr while a slow collect waits for its hosts: only on a
// terminal, only once the collect has taken a second, and wiped when it ends. Pipes and cron logs
// never see it.

const BAR_WIDTH = 20
const SHOW_AFTER_MS = 1000

export interface HostProgress {
  onProgress: (answered: number, total: number) => void
  /** Clears the bar, if one was drawn. */
  done: () => void
}

/** A progress reporter for host sampling; a silent one when `stream` is not a terminal. */
export function hostProgress(stream: {isTTY?: boolean; write: (text: string) => unknown}, quiet: boolean, clock: () => number = Date.now): HostProgress {
  if (quiet || !stream.isTTY) return {onProgress: () => {}, done: () => {}}
  let started: number | undefined
  let drawn = false
  return {
    onProgress(answered, total) {
      started ??= clock()
      if (clock() - started < SHOW_AFTER_MS && answered < total) return
      const filled = Math.round((answered / total) * BAR_WIDTH)
      stream.write(`\rcollect [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${answered}/${total} hosts\u001B[K`)
      drawn = true
    },
    done() {
      if (drawn) stream.write('\r\u001B[K')
      drawn = false
    },
  }
}
