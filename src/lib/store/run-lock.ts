// The run lock: one acting sova at a time. The stages of one shell pipeline share it, and only
// they: `sova migrate | sova switch-vf` act on one stream of documents in turn (each document is
// migrated, then its VF plan made), while any other two acting commands joined by a pipe
// (`sova run | sova run`, `sova run | sova migrate`, a one-off `sova switch-vf VM --to pv` fed
// by another) would act at once on the same cluster.
import {fstatSync} from 'node:fs'
import {LockedError} from '../errors.js'
import {identityDiffers, processIdentity, type ProcessIdentity} from './process-identity.js'
import type {Sqlite} from './sqlite.js'

/**
 * The stages of the loop's pipeline, in the order documents flow through them (ALGORITHM.md §2).
 * A stage shares the lock with the stage it reads from, if that one comes earlier in this order.
 */
export const PIPELINE_STAGES = ['collect', 'score', 'balance', 'migrate', 'switch-vf'] as const
export type PipelineStage = (typeof PIPELINE_STAGES)[number]

/**
 * Who holds the run lock: the process, the pipes that link it to its pipeline neighbours, the
 * pipeline stage it is (a stage reading documents on stdin; null for `run`, one-offs, `sim
 * reset`), and (where /proc tells) its start time and boot, so a reused pid is not mistaken for it.
 */
export interface LockOwner {
  pid: number
  stdinPipe: number | null
  stdoutPipe: number | null
  stage?: PipelineStage | null
  identity?: ProcessIdentity
}

/** What a probe finds of a recorded holder: still running, gone, or its pid now another process's. */
export type HolderState = 'alive' | 'gone' | 'replaced'

/** A stale holder whose lock row was removed, for the command to log (the store does not print). */
export interface LockTakeover {
  pid: number
  command: string
  startedAt: string
  state: Exclude<HolderState, 'alive'>
}

/** The inode of a pipe on file descriptor `fd`, or null when it is not a pipe. */
function pipeInode(fd: number): number | null {
  try {
    const stat = fstatSync(fd)
    return stat.isFIFO() ? stat.ino : null
  } catch {
    return null
  }
}

/** This process as a lock holder: pid, pipes, stage, and its identity so later runs can tell pid reuse. */
export function currentLockOwner(stage: PipelineStage | null = null): LockOwner {
  return {pid: process.pid, stdinPipe: pipeInode(0), stdoutPipe: pipeInode(1), stage, identity: processIdentity(process.pid)}
}

type HolderRow = {pid: number; stdinPipe: number | null; stdoutPipe: number | null; stage: PipelineStage | null; command: string; startedAt: string} & ProcessIdentity

const order = (stage: string | null | undefined) => PIPELINE_STAGES.indexOf(stage as PipelineStage)

/**
 * True when `a` and `b` are stages of one pipeline meant to share the lock: one reads the
 * other's stdout, and the reader comes later in the loop's order.
 */
export function sharesLock(a: Pick<LockOwner, 'stdinPipe' | 'stdoutPipe' | 'stage'>, b: Pick<LockOwner, 'stdinPipe' | 'stdoutPipe' | 'stage'>): boolean {
  const feeds = (up: typeof a, down: typeof b) =>
    up.stdoutPipe !== null && up.stdoutPipe === down.stdinPipe && order(up.stage) >= 0 && order(up.stage) < order(down.stage)
  return feeds(a, b) || feeds(b, a)
}

/**
 * Takes the run lock for `self` in one write transaction. A live holder that is not a pipeline
 * neighbour meant to share it (sharesLock) makes this throw LockedError (exit 75). Holders whose
 * process is gone (kill -9) or whose pid now belongs to another process (`probe` says
 * 'replaced') are stale: removed, and returned so the command can say it took the lock over.
 */
export function acquireRunLock(
  sql: Sqlite,
  command: string,
  probe: (pid: number, recorded: ProcessIdentity) => HolderState,
  self: LockOwner,
): LockTakeover[] {
  const takeovers: LockTakeover[] = []
  sql.transaction(() => {
    const holders = sql.all<HolderRow>(
      `SELECT pid, stdin_pipe AS stdinPipe, stdout_pipe AS stdoutPipe, stage, command, started_at AS startedAt,
              start_ticks AS startTicks, boot_id AS bootId FROM run_lock`,
    )
    for (const holder of holders) {
      if (holder.pid === self.pid) continue
      const state = probe(holder.pid, {startTicks: holder.startTicks, bootId: holder.bootId})
      if (state !== 'alive') {
        sql.run('DELETE FROM run_lock WHERE pid = ?', holder.pid)
        takeovers.push({pid: holder.pid, command: holder.command, startedAt: holder.startedAt, state})
        continue
      }
      if (!sharesLock(self, holder)) throw new HeldLockError(holder)
    }
    sql.run(
      `INSERT OR REPLACE INTO run_lock (pid, stdin_pipe, stdout_pipe, stage, command, started_at, start_ticks, boot_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      self.pid, self.stdinPipe, self.stdoutPipe, self.stage ?? null, command, new Date().toISOString(),
      self.identity?.startTicks ?? null, self.identity?.bootId ?? null,
    )
  })
  return takeovers
}

class HeldLockError extends LockedError {
  constructor(holder: {pid: number; command: string; startedAt: string}) {
    super(`another run holds the lock: "sova ${holder.command}" (pid ${holder.pid}, since ${holder.startedAt})`)
  }
}

/** True when a process with this pid exists (signal 0 probes without signalling). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * The real probe of a recorded lock holder: gone when its pid is; replaced when the pid runs but
 * /proc shows another start time or boot (pid reuse, reboot). Without /proc the pid check decides.
 */
export function lockHolderState(pid: number, recorded: ProcessIdentity): HolderState {
  if (!isProcessAlive(pid)) return 'gone'
  return identityDiffers(recorded, processIdentity(pid)) ? 'replaced' : 'alive'
}

/** A recorded holder of the run lock as a reader sees it (sova status): nothing is taken or removed. */
export interface LockHolder {
  pid: number
  command: string
  startedAt: string
  state: HolderState
}

/** Every recorded holder of the run lock with what `probe` says of it, read without a write transaction. */
export function readRunLock(sql: Sqlite, probe: (pid: number, recorded: ProcessIdentity) => HolderState): LockHolder[] {
  const rows = sql.all<HolderRow>(`SELECT pid, command, started_at AS startedAt, start_ticks AS startTicks, boot_id AS bootId FROM run_lock ORDER BY started_at`)
  return rows.map((row) => ({pid: row.pid, command: row.command, startedAt: row.startedAt, state: probe(row.pid, {startTicks: row.startTicks, bootId: row.bootId})}))
}

/** One line for stderr when a run took over a stale lock, naming the holder it replaced. */
export function describeTakeover(takeover: LockTakeover): string {
  const why = takeover.state === 'gone' ? 'that process is gone' : 'its pid now belongs to another process'
  return `took over a stale run lock from "sova ${takeover.command}" (pid ${takeover.pid}, since ${takeover.startedAt}): ${why}`
}
