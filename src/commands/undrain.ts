import * as Args from '@oclif/core/args'
import {SovaCommand} from '../lib/cli/base-command.js'
import {backendFlags} from '../lib/cli/flags.js'

export default class Undrain extends SovaCommand {
  static summary = 'End a host\'s maintenance: VMs may move in and VFs be handed out there again.'
  static description = `Clears the mark sova drain set on HOST (draining or maintenance). Nothing moves back by itself:
the loop balances onto the host as load calls for it. A host that was not drained is said so (exit 0).
Refused (exit 75) while a drain of it, or any acting run, holds the run lock; a drain that was killed
midway is abandoned (its VMs stay where they are). Exit 2 for an unknown host.`

  static examples = [
    {description: 'Put host2 back in service', command: '<%= config.bin %> undrain host2'},
    {description: 'After the maintenance: back in service, and let the loop balance onto it', command: '<%= config.bin %> undrain host2 && <%= config.bin %> run --once'},
  ]

  static args = {
    host: Args.string({description: 'Host to put back in service', required: true, ignoreStdin: true}),
  }

  static flags = {...backendFlags}

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Undrain)
    const [{undrainHost}, {validateName}, {minuteOf}] = await Promise.all([
      import('../lib/loop/drain.js'), import('../lib/identifiers.js'), import('../lib/store/host-marks.js'),
    ])
    validateName(args.host, 'host')
    const store = await this.openStore(flags.state)
    try {
      // The run lock: a drain of this host under way holds it, and must not lose its mark.
      await this.lockRun(store, flags.quiet)
      const backend = await this.openBackendFor(flags, store)
      const {was, message} = await undrainHost(backend, store, args.host)
      this.note(flags.quiet, `undrain: ${message}`)
      await this.emitRecords([{host: args.host, state: 'in service', was: was ? `${was.state} since ${minuteOf(was.since)}` : 'not drained'}], flags)
    } finally {
      store.close()
    }
  }
}
