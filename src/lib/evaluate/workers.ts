// Each policy of an evaluation in a worker thread of its own, so the machine's cores run policies
// side by side (`sova evaluate --jobs`). A worker builds the same setup from the same configuration
// (setup.ts) and runs the same runPolicy on its own copy of the cluster, in a private in-memory
// store like every run; only progress and the scoreboard come back. The results are those of a run
// in one thread: no run shares anything with another.
import {Worker, parentPort, workerData} from 'node:worker_threads'
import type {ConfigFile} from '../config.js'
import {SovaError} from '../errors.js'
import type {SimCluster} from '../backends/sim/cluster.js'
import type {EvaluationPolicyName} from '../policy/policies.js'
import {type PolicyRunner, runPolicy} from './harness.js'
import {evaluationSetup} from './setup.js'
import type {ScoreboardPoint} from './summary.js'

/** What a worker is given: one policy, its copy of the cluster, the window and the configuration. */
interface PolicyTask {
  policy: EvaluationPolicyName
  cluster: SimCluster
  durationSeconds: number
  config: ConfigFile
}

/** What a worker posts: a period's end, then its scoreboard or why it failed (with a SovaError's exit code). */
type WorkerMessage = {periodSeconds: number} | {points: ScoreboardPoint[]} | {error: string; exit?: SovaError['exit']}

/**
 * A runner that starts `workerFile` (bin/evaluate-worker.js, which calls runPolicyInWorker from the
 * same bundle) for each policy; `config` is the configuration file's content.
 */
export function workerRunner(workerFile: string, config: ConfigFile, durationSeconds: number): PolicyRunner {
  return (policy, copy, onPeriod) =>
    new Promise<ScoreboardPoint[]>((resolve, reject) => {
      const task: PolicyTask = {policy, cluster: copy, durationSeconds, config}
      const worker = new Worker(workerFile, {workerData: task})
      let settled = false
      const settle = (outcome: () => void) => {
        if (settled) return
        settled = true
        outcome()
        void worker.terminate()
      }
      worker.on('message', (message: WorkerMessage) => {
        if ('periodSeconds' in message) onPeriod(message.periodSeconds)
        else if ('points' in message) settle(() => resolve(message.points))
        else {
          const why = `evaluate: ${policy}: ${message.error}`
          settle(() => reject(message.exit === undefined ? new Error(why) : new SovaError(why, message.exit)))
        }
      })
      worker.on('error', (error) => settle(() => reject(new Error(`evaluate: ${policy}: its worker thread failed: ${error.message}`))))
      worker.on('exit', (code) => settle(() => reject(new Error(`evaluate: ${policy}: its worker thread exited (code ${code}) before its result`))))
    })
}

/** The worker thread's side: runs the task it was given and posts the scoreboard back. */
export async function runPolicyInWorker(): Promise<void> {
  const port = parentPort
  if (!port) throw new Error('runPolicyInWorker: not in a worker thread')
  const task = workerData as PolicyTask
  const post = (message: WorkerMessage) => port.postMessage(message)
  try {
    const setup = evaluationSetup(task.config)
    const points = await runPolicy(task.policy, task.cluster, {durationSeconds: task.durationSeconds, ...setup}, (periodSeconds) => post({periodSeconds}))
    post({points})
  } catch (error) {
    post(error instanceof SovaError ? {error: error.message, exit: error.exit} : {error: error instanceof Error ? error.message : String(error)})
  }
}
