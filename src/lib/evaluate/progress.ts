// Progress of an evaluation on stderr: a bar redrawn in place on a terminal, one line per finished
// policy otherwise, nothing under --quiet. stdout never sees it.
import type {EvaluationProgress} from './harness.js'

export interface ProgressSink {
  isTTY: boolean
  write: (text: string) => void
}

const BAR_WIDTH = 30

function minutes(seconds: number): string {
  return seconds >= 120 ? `${Math.round(seconds / 60)}m` : `${Math.round(seconds)}s`
}

/** The one-line report of a finished policy, for logs. */
export function finishedLine(progress: EvaluationProgress): string {
  const r = progress.result
  const figures = !r
    ? ''
    : r.kind === 'bound'
      ? `: delivered/offered at most ${r.deliveredRatio.toFixed(3)}, p99 at least ${r.p99ResponseMs.toFixed(2)} ms`
      : `: delivered/offered ${r.deliveredRatio.toFixed(3)}, p99 ${r.p99ResponseMs.toFixed(2)} ms, ${r.migrations} migrations, ${r.vfSwitches} VF switches`
  return `evaluate: ${progress.policy} done (${progress.index + 1} of ${progress.count})${figures}`
}

/** How far one policy's run is, from 0 to 1. */
function shareDone(progress: EvaluationProgress): number {
  return progress.result ? 1 : Math.min(1, progress.elapsedSeconds / progress.durationSeconds)
}

/**
 * The bar for where the evaluation stands, without the leading carriage return: `share` of the whole
 * done (default: the policies before this one, and this one's part), naming the policy that reported.
 */
export function barLine(progress: EvaluationProgress, share = (progress.index + shareDone(progress)) / progress.count): string {
  const filled = Math.round(share * BAR_WIDTH)
  return (
    `evaluate [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ` +
    `${progress.policy} (${progress.index + 1}/${progress.count}) ${minutes(Math.min(progress.elapsedSeconds, progress.durationSeconds))}/${minutes(progress.durationSeconds)}`
  )
}

/** A progress callback for `evaluate()` and a `done()` that clears the bar. */
export function progressReporter(sink: ProgressSink | undefined): {onProgress: (p: EvaluationProgress) => void; done: () => void} {
  if (!sink) return {onProgress: () => {}, done: () => {}}
  if (!sink.isTTY) {
    return {onProgress: (p) => (p.result ? sink.write(finishedLine(p) + '\n') : undefined), done: () => {}}
  }
  let shown = ''
  let drawnAt = 0
  // Policies may run side by side (--jobs): the bar shows the sum of every run's part.
  const parts = new Map<number, number>()
  return {
    onProgress: (p) => {
      parts.set(p.index, shareDone(p))
      const now = Date.now()
      if (!p.result && now - drawnAt < 100) return
      drawnAt = now
      const line = barLine(p, [...parts.values()].reduce((sum, part) => sum + part, 0) / p.count)
      if (line !== shown) sink.write(`\r${line}\u001B[K`)
      shown = line
    },
    done: () => {
      if (shown) sink.write('\r\u001B[K')
    },
  }
}
