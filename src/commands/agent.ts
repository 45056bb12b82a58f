import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../lib/cli/base-command.js'
import {durationFlag} from '../lib/cli/flags.js'
import {UsageError} from '../lib/errors.js'

export default class Agent extends SovaCommand {
  static summary = 'In-guest agent (Xen): publish the bond\'s traffic to xenstore, or check the bond is ready.'
  static description = `Runs inside a Xen guest whose SR-IOV VF (primary) and para-virtual NIC (backup) form an
active-backup bond. --xenstore reads the bond's byte counters every second and, every --interval, writes
in one xenstore-write: network/value (rx+tx bytes in the interval), network/freq (active seconds in it:
both directions above 128 bytes), network/rx-bytes, network/tx-bytes, network/active-seconds (totals
since the agent started, which dom0's Sova turns into rates), network/interval (s) and network/updated
(unix s). It loops until SIGINT/SIGTERM, logging on stderr only; a failed write is logged and retried
next interval. --once measures one interval, writes, prints what it wrote and exits.
--check reads /proc/net/bonding and each slave's driver and reports, per check, whether the bond is
ready: active-backup, miimon > 0, the VF as primary and active slave, the PV backup up.
Files are read under $SOVA_AGENT_ROOT (default /).
Exit codes: 0 ok; 1: the bond is not ready (--check); 2 bad usage; 69 the bond is missing, or
xenstore-write failed (--once).`

  static examples = [
    {description: 'Run as the guest\'s service', command: '<%= config.bin %> agent --xenstore --quiet'},
    {description: 'Measure 10 s, write once, show what was written', command: '<%= config.bin %> agent --xenstore --once'},
    {description: 'Is bond0 ready for VF switching?', command: '<%= config.bin %> agent --check --bond bond0 --format table'},
  ]

  static flags = {
    xenstore: Flags.boolean({description: 'Measure the bond each second and publish network/* keys to xenstore.', exclusive: ['check']}),
    check: Flags.boolean({description: 'Report whether the bond is ready (exit 1 when it is not).', exclusive: ['xenstore']}),
    bond: Flags.string({description: 'The bond: the one to measure (default bond0), or the only one to check (default: every bond).', helpValue: 'NAME'}),
    // No oclif default: a defaulted flag trips its own dependsOn; the loop's default applies instead.
    interval: durationFlag({description: 'With --xenstore: write every this many whole seconds (default 10s).', dependsOn: ['xenstore']}),
    once: Flags.boolean({description: 'With --xenstore: measure one interval, write, print what was written, exit.', dependsOn: ['xenstore']}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Agent)
    if (!flags.xenstore && !flags.check) throw new UsageError('nothing to do: give --xenstore (measure and publish) or --check (bond readiness)', 'see sova agent --help')
    const {agentRoot, assertInterfaceName, readBondCounters} = await import('../lib/agent/guest-files.js')
    const root = agentRoot()
    const bond = flags.bond === undefined ? undefined : assertInterfaceName(flags.bond)
    if (flags.check) {
      const [{checkBonds}, {BondNotReadyError}] = await Promise.all([import('../lib/agent/check-bonds.js'), import('../lib/agent/readiness.js')])
      const checks = await checkBonds(root, bond)
      await this.emitRecords(checks, flags)
      const failed = checks.filter((check) => !check.ok)
      if (failed.length > 0) throw new BondNotReadyError(failed)
      return
    }
    const [{DEFAULT_INTERVAL_SECONDS, intervalSecondsOf, measureAndPublish}, {writeXenstore}, {entriesRecord}, signals] = await Promise.all([
      import('../lib/agent/measure-loop.js'),
      import('../lib/agent/xenstore-write.js'),
      import('../lib/agent/keys.js'),
      import('../lib/cli/signals.js'),
    ])
    const intervalSeconds = intervalSecondsOf(flags.interval ?? DEFAULT_INTERVAL_SECONDS)
    const measured = bond ?? 'bond0'
    const log = (line: string) => this.note(flags.quiet, line)
    // --once keeps the default signal behaviour: an interrupted single measurement has nothing to finish.
    if (!flags.once) {
      signals.stopGracefully(() => log('agent: stopping'))
      log(`agent: measuring ${measured} every second, writing network/* to xenstore every ${intervalSeconds} s`)
    }
    const written = await measureAndPublish(
      {
        readCounters: () => readBondCounters(root, measured),
        publish: (entries) => writeXenstore(entries),
        now: () => Date.now(),
        sleepUntil: (ms) => signals.pause(Math.max(0, ms - Date.now()) / 1000),
        stopRequested: signals.stopRequested,
        log,
      },
      {intervalSeconds, once: flags.once},
    )
    if (flags.once && written) await this.emitRecords([entriesRecord(written)], flags)
  }
}
