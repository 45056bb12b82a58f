// Whether the run that wrote a journal row may still be running. Run ids are "<ISO time>/<pid>"
// (base-command openActing); a run whose pid is gone is over. A live pid counts as running even
// if it was reused by another process: that can only hide a crashed run, never invent one.
import {isProcessAlive} from './run-lock.js'

/** The pid a run id ends with, or undefined when the id is not "<time>/<pid>" (so liveness cannot be told). */
export function runPid(runId: string): number | undefined {
  const match = /\/(\d+)$/.exec(runId)
  return match ? Number(match[1]) : undefined
}

/** True when the run may still be acting; ids without a pid count as over (nothing can finish them). */
export function isRunLive(runId: string, alive: (pid: number) => boolean = isProcessAlive): boolean {
  const pid = runPid(runId)
  return pid !== undefined && pid > 0 && alive(pid)
}
