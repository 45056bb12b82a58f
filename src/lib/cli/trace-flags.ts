// Flags of the trace scenario (docs/traces.md), shared by `sova sim reset` and `sova evaluate`.
// Values pass to the simulator as given; they are checked there (trace-options.ts), with the rest.
import * as Flags from '@oclif/core/flags'
import type {TraceFlagValues} from '../backends/sim/trace-options.js'
import {numberFlag} from './flags.js'

const helpGroup = 'TRACE'

export const traceFlags = {
  traces: Flags.string({description: 'Trace directory of the trace scenario (default: $SOVA_TRACES): the compact grid (net_rx_KBps_5min.csv.gz ...) or the GWA-T-12 per-VM files (rnd/2013-7/1.csv ...).', helpValue: 'DIR', helpGroup}),
  'trace-start': Flags.string({description: 'Where the slice starts: an offset from the first sample (7d9h, 90m) or a time with its zone (2013-07-08T09:00+02:00); rounded down to 5 minutes. Default 0.', helpValue: 'OFFSET|TIME', helpGroup}),
  'trace-duration': Flags.string({description: 'Length of the slice kept in the cluster (it repeats after); default: sim reset 1h, evaluate its --duration.', helpValue: 'DURATION', helpGroup}),
  'trace-scale': numberFlag({description: 'Multiplier from trace Mbit/s to offered Mbit/s (instead of --target-peak).', helpGroup, exclusive: ['target-peak']}),
  'target-peak': numberFlag({description: 'Pick the scale so the busiest host\'s busiest 5-minute bin offers this share of its port\'s line rate (default 0.8).', helpGroup, exclusive: ['trace-scale']}),
  'vm-cap': numberFlag({description: 'Per-VM cap of each direction\'s offered rate, Mbit/s, after scaling and bursts (default 4000).', helpGroup}),
  'burst-sigma': numberFlag({description: 'Within-bin burstiness: log-normal sigma of the 10 s slot weights, 0 = flat (default 0.8).', helpGroup}),
}

/** The parsed trace flags as the simulator takes them; SOVA_TRACES stands in for --traces of the trace scenario only. */
export function traceFlagValues(scenario: string, flags: {traces?: string; 'trace-start'?: string; 'trace-duration'?: string; 'trace-scale'?: number; 'target-peak'?: number; 'vm-cap'?: number; 'burst-sigma'?: number}): TraceFlagValues {
  return {
    traces: flags.traces ?? (scenario === 'trace' ? process.env.SOVA_TRACES || undefined : undefined),
    traceStart: flags['trace-start'],
    traceDuration: flags['trace-duration'],
    traceScale: flags['trace-scale'],
    targetPeak: flags['target-peak'],
    vmCap: flags['vm-cap'],
    burstSigma: flags['burst-sigma'],
  }
}
