import {SovaCommand} from '../lib/cli/base-command.js'
import {rowsFlag} from '../lib/cli/table-flags.js'
import {resolvePolicyParams, scoreFlags} from '../lib/cli/flags.js'
import type {Store as StoreType} from '../lib/store/store.js'

export default class Score extends SovaCommand {
  static summary = 'Add per-VM scores and per-host hotspot predictions to each document.'
  static description = `For each VM: I/O ratio (blocked / CPU time) and net score; under sova (the default) also its
rate, estimated demand, what a VF is worth to it and what the loop remembers of it (recent moves,
last path change); under seed-based policies its tier (list1 holds VFs). Each with the reason in
words. For each host: the port-utilisation window (sova: the busier direction; seed: rx + tx) and
an AR(4) forecast of the next sample (Burg, or least squares), and whether it is a hotspot.
History comes from earlier documents of the stream, else from the state store.`

  static examples = [
    {description: 'Score a live sample', command: '<%= config.bin %> collect | <%= config.bin %> score --format table'},
    {description: 'Score saved samples with the least-squares predictor', command: '<%= config.bin %> score --predictor lsq < samples.ndjson'},
    {description: 'Which VMs the seed policy would give VFs', command: `<%= config.bin %> collect | <%= config.bin %> score --policy seed | jq -r '.scores.vms | to_entries[] | select(.value.tier=="list1") | .key'`},
    {description: 'What a VF is worth to each VM (sova)', command: `<%= config.bin %> collect | <%= config.bin %> score | jq -r '.scores.vms | to_entries[] | "\\(.key) \\(.value.vfValueMbps)"'`},
  ]

  static flags = {...scoreFlags, ...rowsFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(Score)
    const params = await resolvePolicyParams(flags)
    const [{SampleHistory}, {scoreStage}, {Store}, {resolveStateDir}] = await Promise.all([
      import('../lib/loop/history.js'), import('../lib/loop/stages.js'), import('../lib/store/store.js'), import('../lib/store/paths.js'),
    ])
    // The store is opened when the first document is kept (for sova explain), or before, if that
    // document's history is not all in the stream.
    let store: StoreType | undefined
    const opened = () => (store ??= Store.open(resolveStateDir(flags.state)))
    const history = new SampleHistory({
      samplesBefore: (...args) => opened().samplesBefore(...args),
      samplesSince: (...args) => opened().samplesSince(...args),
      failuresSince: (...args) => opened().failuresSince(...args),
    })
    try {
      for await (const doc of this.inputDocuments()) {
        const scored = scoreStage(doc, history, params)
        this.keepLastDocument(opened(), scored)
        await this.emit(scored, 'vms', flags)
      }
    } finally {
      store?.close()
    }
  }
}
