import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../lib/cli/base-command.js'
import type {SovaDocument} from '../lib/document/schema.js'
import {InputError, UsageError} from '../lib/errors.js'
import type {VmExplanation} from '../lib/explain/explain-vm.js'

type ExplainFormat = 'json' | 'table' | 'csv' | 'text'

/** stdin's chunks, noting whether anything but white space came: an empty pipe means "use the store". */
function watchForText(input: AsyncIterable<Buffer | string>): {chunks: AsyncGenerator<Buffer | string>; sawText: () => boolean} {
  let seen = false
  async function* chunks() {
    for await (const chunk of input) {
      if (!seen && /\S/.test(typeof chunk === 'string' ? chunk : chunk.toString('latin1'))) seen = true
      yield chunk
    }
  }
  return {chunks: chunks(), sawText: () => seen}
}

export default class Explain extends SovaCommand {
  static summary = 'Say why each VM is where it is, has the path it has, and why each action was or was not taken.'
  static description = `Reads Sova documents on stdin (any stage's output; sova run's is the fullest), or, when nothing is
piped in, the last document any command wrote (collect, score, balance, migrate, switch-vf, run,
one-offs and dry runs included; in a pipeline the last stage's), kept in the state store. For each VM: its host and why (moved
this cycle, from where and why; or why it stayed), its path (VF or PV) and why, the figures and the
thresholds that decided it (sova: what a VF is worth against the free-VF minimum, the swap margin and
the hold, demand against the PV path; seed: the tier from the I/O-ratio and net-score ranking), its
host's hotspot status, the alternatives rejected and the actions taken. Thresholds come from the
document's reasons where they state them, else from the policy's defaults, and say which.
--vm explains one VM in full (text on a terminal).`

  static examples = [
    {description: 'Why each VM is where it is after one cycle', command: '<%= config.bin %> run --once | <%= config.bin %> explain'},
    {description: 'One VM in full, from the last document written', command: '<%= config.bin %> explain --vm web1'},
    {description: 'The VMs of one host, as CSV', command: '<%= config.bin %> explain --host host2 --format csv < cycle.json'},
  ]

  static flags = {
    vm: Flags.string({description: 'Explain this VM in full.', helpValue: 'NAME'}),
    host: Flags.string({description: 'Only the VMs on this host (before or after the cycle).', helpValue: 'NAME'}),
    format: Flags.option({
      options: ['json', 'table', 'csv', 'text'] as const,
      description: 'Output format: json (one explanation a line), table, csv, or text (a block per VM). Default: table on a terminal (text with --vm), json when piped.',
      helpGroup: 'OUTPUT',
    })(),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Explain)
    const [{explainDocument}, render, {writeStdout}, {unmanagedLine}] = await Promise.all([
      import('../lib/explain/explain-vm.js'), import('../lib/explain/render-explanation.js'), import('../lib/cli/output.js'), import('../lib/render/table.js'),
    ])
    const {checkColumnNames, fitLine} = await import('../lib/render/grid.js')
    const {recordTableOptions} = await import('../lib/render/output-options.js')
    const options = recordTableOptions(flags, process.stdout, process.env)
    if (options.columns) checkColumnNames(options.columns, render.EXPLAIN_COLUMNS, '--columns')
    if (options.sort !== undefined) checkColumnNames([options.sort], render.EXPLAIN_COLUMNS, '--sort')
    const format: ExplainFormat = flags.format ?? (process.stdout.isTTY ? (flags.vm ? 'text' : 'table') : 'json')
    // Prose is wrapped at words to the width, never cut: every word of a reason matters.
    const blocks = (explanations: VmExplanation[]) => explanations.map((explanation) => render.renderExplanationText(explanation, options.wide ? undefined : options.width)).join('\n')
    let first = true
    for await (const doc of this.documents(flags.state, flags.quiet)) {
      const explanations = explainDocument(doc, {vm: flags.vm, host: flags.host})
      const explained = {cluster: doc.source.cluster, at: doc.at, policy: explanations[0]?.policy ?? doc.scores?.policy ?? 'none', tick: doc.source.tick}
      if (format === 'json') await writeStdout(explanations.map((explanation) => JSON.stringify(explanation) + '\n').join(''))
      else if (format === 'csv') await writeStdout(render.renderExplanationCsv(explanations, first, options))
      else if (format === 'text') await writeStdout((first ? '' : '\n') + blocks(explanations))
      else await writeStdout(render.renderExplanationTable(explained, explanations, options) + (flags.vm ? blocks(explanations) : ''))
      // Domains Sova does not manage are said, not hidden (the JSON document lists them in `unmanaged`).
      if (format === 'table' || format === 'text') {
        const onHost = (doc.unmanaged ?? []).filter((entry) => flags.host === undefined || entry.host === flags.host)
        const width = options.wide ? undefined : options.width
        if (!flags.vm && onHost.length > 0) await writeStdout(onHost.map((entry) => fitLine(unmanagedLine(entry), width) + '\n').join(''))
      }
      first = false
    }
  }

  /** The documents on stdin; with a terminal or an empty pipe there, the last one the state store kept. */
  private async *documents(state: string | undefined, quiet: boolean): AsyncGenerator<SovaDocument> {
    if (!process.stdin.isTTY) {
      const {readDocuments} = await import('../lib/document/stream.js')
      const input = watchForText(process.stdin)
      try {
        yield* readDocuments(input.chunks, 'stdin')
        return
      } catch (error) {
        if (input.sawText()) throw error
      }
    }
    const [{parseDocument}, store] = await Promise.all([import('../lib/document/validate.js'), this.openStore(state)])
    try {
      const stored = store.lastDocument()
      if (!stored) {
        throw new UsageError('no document to explain: none on stdin, and the state store holds none', 'pipe one in, e.g. "sova run --once | sova explain", or run "sova run" first')
      }
      this.note(quiet, `explain: the last document of ${stored.cluster}, saved ${stored.savedAt}`)
      let value: unknown
      try {
        value = JSON.parse(stored.json)
      } catch {
        throw new InputError(`state store: the last document of ${stored.cluster} is not valid JSON`, 'any command that writes a document, e.g. sova collect, replaces it')
      }
      yield parseDocument(value, `state store (last document of ${stored.cluster})`)
    } finally {
      store.close()
    }
  }
}
