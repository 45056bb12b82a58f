// The one base command: shared flags, document in/out, and errors -> exit codes. No mutable state
// shared with subclasses beyond the output's CSV header flag.
import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import type {Executor} from '../loop/apply.js'
import type {ActionBounds} from '../loop/action-bounds.js'
import type {BackendName} from '../backends/index.js'
import type {Backend} from '../backends/types.js'
import {assertFiniteDocument} from '../document/finite.js'
import type {SovaDocument} from '../document/schema.js'
import {EXIT, SovaError, UsageError, exitCodeOf} from '../errors.js'
import type {Column} from '../render/grid.js'
import type {FlatRecord} from '../render/records.js'
import type {Format, View} from '../render/view.js'
import {resolveFormat} from '../render/view.js'
import type {RuleSet} from '../policy/rules.js'
import type {PipelineStage} from '../store/run-lock.js'
import type {Store} from '../store/store.js'
import {PRIORITY, logLine, writeStdout} from './output.js'
import type {ResolvedOutput} from '../render/output-options.js'
import {type OutputFlagValues, tableFlags} from './table-flags.js'
import type {CommandShape} from './usage.js'

/** oclif decorates flag errors over several lines ("Parsing --x", "See more help"): keep the substance. */
function oneLine(message: string): string {
  return message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Parsing --\S+$/.test(line) && !/^See more help/.test(line))
    .join('; ')
}

/** The flags that choose and reach a backend (backendFlags plus the base --state and --quiet). */
export interface BackendFlagValues {
  backend?: BackendName
  config?: string
  concurrency?: number
  /** --prometheus URL (collect and run). */
  prometheus?: string
  state?: string
  quiet?: boolean
}

export interface ActingSession {
  store: Store
  backend: Backend
  executor: Executor | undefined
  /** The rules in force now (configuration and `sova rule set`), read again at each call. */
  rules: () => RuleSet
}

export abstract class SovaCommand extends Command {
  static baseFlags = {
    format: Flags.option({
      options: ['json', 'table', 'csv'] as const,
      description: 'Output format: json (NDJSON, one document a line), table or csv. Default: table on a terminal, json when piped.',
      helpGroup: 'OUTPUT',
    })(),
    color: Flags.boolean({
      allowNo: true,
      description: 'Colour in tables: --color forces it, --no-color turns it off. Default: on a terminal unless NO_COLOR is set.',
      helpGroup: 'OUTPUT',
    }),
    ...tableFlags,
    quiet: Flags.boolean({char: 'q', description: 'No log lines on stderr.', helpGroup: 'OUTPUT'}),
    state: Flags.string({
      description: 'State store directory (default: $SOVA_STATE_DIR, else $XDG_STATE_HOME/sova).',
      helpValue: 'DIR',
      helpGroup: 'STATE',
    }),
  }

  private csvHeaderWritten = false
  /** Documents already checked, and serialised: a stage keeps a document and then writes it, each done once. */
  private readonly checked = new WeakSet<SovaDocument>()
  private readonly written = new WeakMap<SovaDocument, Buffer>()

  /** Logs a line on stderr unless --quiet. */
  protected note(quiet: boolean, line: string): void {
    if (!quiet) logLine(line)
  }

  /** Documents from stdin as they arrive; a terminal on stdin is a usage error, not a hang. */
  protected async *inputDocuments(): AsyncGenerator<SovaDocument> {
    if (process.stdin.isTTY) {
      throw new UsageError(
        `no input: ${this.id} reads Sova documents on stdin`,
        `pipe them in, e.g. "sova collect | sova ${this.id}", or "sova ${this.id} < doc.json"`,
      )
    }
    const {readDocuments} = await import('../document/stream.js')
    yield* readDocuments(process.stdin, 'stdin')
  }

  /**
   * Checks the output flags (--rows, --columns, --sort) for `view` before anything runs: a wrong
   * column name exits 2 with the valid ones and no side effect. Acting commands call it first.
   */
  protected async checkOutput(flags: OutputFlagValues, view: View): Promise<ResolvedOutput> {
    const {resolveOutput} = await import('../render/output-options.js')
    return resolveOutput(flags, view, process.stdout, process.env)
  }

  /**
   * A one-off's document: as a table, the actions and the VM they were for (not the whole
   * cluster, unless --rows asks); JSON and CSV as any acting command's.
   */
  protected async emitOneOff(doc: SovaDocument, vm: string, flags: OutputFlagValues): Promise<void> {
    const output = await this.checkOutput(flags, 'actions')
    if (output.format !== 'table' || flags.rows !== undefined) return this.emit(doc, 'actions', flags)
    this.assertWritable(doc)
    const {renderOneOff} = await import('../render/table.js')
    await writeStdout(renderOneOff(doc, vm, output.table))
  }

  /** Checks --columns and --sort against a record table's columns before anything runs (exit 2 naming the valid ones). */
  protected async checkRecordColumns(flags: OutputFlagValues, columns: readonly Column[]): Promise<void> {
    const {checkRecordFlags} = await import('../render/output-options.js')
    checkRecordFlags(flags, columns.map((column) => column.name))
  }

  /** Writes one document in the chosen format. */
  protected async emit(doc: SovaDocument, view: View, flags: OutputFlagValues): Promise<void> {
    this.assertWritable(doc)
    const output = await this.checkOutput(flags, view)
    if (output.format === 'json') {
      await writeStdout(this.bytesOf(doc))
    } else if (output.format === 'table') {
      const {renderTable} = await import('../render/table.js')
      await writeStdout(renderTable(doc, {...output.table, rows: output.kinds}))
    } else {
      const {renderCsv} = await import('../render/csv.js')
      await writeStdout(renderCsv(doc, output.kinds[0], output.table, !this.csvHeaderWritten))
      this.csvHeaderWritten = true
    }
  }

  /** A document with a non-finite figure is a bug: stop (exit 70) before writing it anywhere. */
  protected assertWritable(doc: SovaDocument): void {
    if (this.checked.has(doc)) return
    assertFiniteDocument(doc, `${this.id ?? 'sova'} output`)
    this.checked.add(doc)
  }

  /** The document's JSON line (checked writable) as bytes, serialised and encoded once however many times it is kept and written. */
  protected bytesOf(doc: SovaDocument): Buffer {
    let bytes = this.written.get(doc)
    if (bytes === undefined) {
      this.assertWritable(doc)
      // Encoded straight into a buffer one byte longer for the newline: `json + '\n'` would copy 25 MB once more.
      const json = JSON.stringify(doc)
      const length = Buffer.byteLength(json, 'utf8')
      bytes = Buffer.allocUnsafe(length + 1)
      bytes.write(json, 0, 'utf8')
      bytes[length] = 0x0a
      this.written.set(doc, bytes)
    }
    return bytes
  }

  /**
   * Keeps `doc` as the last document of its cluster: what `sova explain` reads with nothing piped
   * in. Every command that writes a document keeps it just before writing it, so in a pipeline a
   * stage keeps its document before the next stage can see it, and the last stage's is kept last.
   * The bytes kept are the ones written to stdout.
   */
  protected keepLastDocument(store: Pick<Store, 'saveLastDocument'>, doc: SovaDocument): void {
    store.saveLastDocument(doc.source.cluster, this.bytesOf(doc))
  }

  /** Writes flat records (lists, summaries) in the chosen format; `columns` says how a table shows them. */
  protected async emitRecords(records: FlatRecord[], flags: OutputFlagValues, columns?: Column[]): Promise<void> {
    const [{renderRecords}, {recordTableOptions}] = await Promise.all([import('../render/records.js'), import('../render/output-options.js')])
    const format = resolveFormat(flags.format === 'text' ? 'table' : flags.format, Boolean(process.stdout.isTTY))
    await writeStdout(renderRecords(records, format, recordTableOptions(flags, process.stdout, process.env), columns))
  }

  /** Opens the state store (lazily: better-sqlite3 loads only for commands that need it). */
  protected async openStore(stateFlag: string | undefined): Promise<Store> {
    const [{Store}, {resolveStateDir}] = await Promise.all([import('../store/store.js'), import('../store/paths.js')])
    return Store.open(resolveStateDir(stateFlag))
  }

  /**
   * Takes the run lock for an acting command (closing the store gives it back); says so when it
   * replaced a stale holder. `stage`: the pipeline stage this command is when it reads documents
   * on stdin, the only case where a pipeline neighbour may share the lock.
   */
  protected async lockRun(store: Store, quiet = false, stage: PipelineStage | null = null): Promise<void> {
    const {currentLockOwner, describeTakeover, lockHolderState} = await import('../store/run-lock.js')
    const takeovers = store.acquireRunLock(this.id ?? 'sova', lockHolderState, currentLockOwner(stage))
    for (const takeover of takeovers) this.note(quiet, `${this.id}: ${describeTakeover(takeover)}`)
  }

  /**
   * The backend the flags and the configuration file choose (sim unless the file lists hosts),
   * with a progress bar on a terminal while a real cluster's hosts answer.
   */
  protected async openBackendFor(flags: BackendFlagValues, store: Store): Promise<Backend> {
    const [{openBackend}, {loadConfig, resolveConfigPath}, {hostProgress}] = await Promise.all([
      import('../backends/index.js'),
      import('../config.js'),
      import('./host-progress.js'),
    ])
    const config = loadConfig(flags.config)
    const progress = hostProgress(process.stderr, Boolean(flags.quiet))
    return openBackend(flags.backend, store, {
      config,
      configSource: resolveConfigPath(flags.config).path,
      concurrency: flags.concurrency,
      prometheus: flags.prometheus,
      log: (line) => this.note(Boolean(flags.quiet), line),
      onProgress: (answered, total) => {
        progress.onProgress(answered, total)
        if (answered === total) progress.done()
      },
    })
  }

  /**
   * The rules in force for this backend's cluster (rules/in-force.ts), as a function: a loop reads
   * them again each cycle, so a `sova rule set` meanwhile counts from the next one.
   */
  protected async rulesFor(flags: {config?: string}, store: Store, backend: Backend): Promise<() => RuleSet> {
    const [{loadConfig}, {rulesInForce}, {drainRules}] = await Promise.all([import('../config.js'), import('../rules/in-force.js'), import('../store/host-marks.js')])
    const config = loadConfig(flags.config)
    const cluster = await backend.clusterName()
    // Drain's marks come last: a host being emptied takes no VM whatever else was said.
    return () => rulesInForce(config, store, cluster, drainRules(store, cluster))
  }

  /** How many actions the executor runs at once: the configuration's bounds (config-bounds.ts). */
  protected async boundsFor(flags: {config?: string}): Promise<ActionBounds> {
    const [{loadConfig}, {actionBoundsOf}] = await Promise.all([import('../config.js'), import('../config-bounds.js')])
    return actionBoundsOf(loadConfig(flags.config))
  }

  /**
   * What an acting command needs: the store, the backend, and an executor, unless this is a dry
   * run (then nothing is locked and nothing can act). The caller closes the store. `stage`: see lockRun.
   */
  protected async openActing(flags: BackendFlagValues & {'dry-run'?: boolean}, stage: PipelineStage | null = null): Promise<ActingSession> {
    const [{Executor}, {stopGracefully, stopRequested}] = await Promise.all([import('../loop/apply.js'), import('./signals.js')])
    const store = await this.openStore(flags.state)
    try {
      const backend = await this.openBackendFor(flags, store)
      const rules = await this.rulesFor(flags, store, backend)
      if (flags['dry-run']) return {store, backend, executor: undefined, rules}
      // Acting on a damaged journal could repeat or lose what it owes: check its pages first.
      store.verify()
      await this.lockRun(store, Boolean(flags.quiet), stage)
      const runId = `${new Date().toISOString()}/${process.pid}`
      // SIGINT/SIGTERM: the action under way finishes (a migration with its VF steps), no new one starts.
      stopGracefully(() => this.note(Boolean(flags.quiet), `${this.id}: stopping after the current action`))
      const executor = new Executor(backend, store, runId, stopRequested, {rules, bounds: await this.boundsFor(flags)})
      const {isRunLive} = await import('../store/run-liveness.js')
      for (const line of await executor.reconcile((runId) => isRunLive(runId))) this.note(Boolean(flags.quiet), `${this.id}: ${line}`)
      return {store, backend, executor, rules}
    } catch (error) {
      store.close()
      throw error
    }
  }

  /**
   * The acting stages' stream loop: each document (of this backend's cluster, when acting) goes
   * through `stage` and out again. Returns how many actions the stage added that failed.
   */
  protected async actOnStream(
    session: ActingSession,
    flags: OutputFlagValues,
    stage: (doc: SovaDocument, executor: Executor | undefined) => Promise<SovaDocument>,
  ): Promise<number> {
    const {assertSameCluster, failedActions} = await import('../loop/stages.js')
    const cluster = await session.backend.clusterName()
    let failed = 0
    for await (const doc of this.inputDocuments()) {
      if (session.executor) assertSameCluster(doc, cluster)
      const next = await stage(doc, session.executor)
      this.keepLastDocument(session.store, next)
      failed += failedActions(next).length - failedActions(doc).length
      await this.emit(next, 'actions', flags)
    }
    return failed
  }

  /** Every failure leaves as one line on stderr with its exit code (errors.ts, README "Exit codes"). */
  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<void> {
    await reportFailure(this.id, error, this.ctor as unknown as CommandShape)
  }
}

/**
 * One line on stderr, `sova COMMAND: what (remedy)`, and the exit code: Sova's errors carry
 * theirs, oclif's usage errors are rephrased (exit 2), anything else is a bug (exit 70).
 */
export async function reportFailure(id: string | undefined, error: Error & {oclif?: {exit?: number}}, shape: CommandShape): Promise<void> {
  const command = `sova${id ? ' ' + id.replaceAll(':', ' ') : ''}`
  if (error instanceof SovaError) {
    // A run skipped because another holds the lock is a warning, not an error, in the journal.
    logLine(`${command}: ${oneLine(error.message)}${error.remedy ? ` (${error.remedy})` : ''}`, error.exit === EXIT.locked ? PRIORITY.warning : PRIORITY.err)
    process.exitCode = error.exit
    return
  }
  if (typeof error.oclif?.exit === 'number') {
    if (error.oclif.exit === 0) return
    const {usageMessage} = await import('./usage.js')
    logLine(`${command}: ${usageMessage(error.message, shape) || 'bad usage'} (see ${command} --help)`, PRIORITY.err)
    process.exitCode = error.oclif.exit === EXIT.usage ? EXIT.usage : error.oclif.exit
    return
  }
  logLine(`${command}: internal error: ${error.message}${process.env.SOVA_DEBUG ? '\n' + error.stack : ' (set SOVA_DEBUG=1 for details)'}`, PRIORITY.err)
  process.exitCode = exitCodeOf(error)
}
