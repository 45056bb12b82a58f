// `--physics`, shared by `sova sim reset` and `sova evaluate` (src/lib/backends/sim/physics-overrides.ts).
import * as Flags from '@oclif/core/flags'

export const physicsFlag = {
  physics: Flags.string({
    description:
      "Run the scenario on other physics: NAME=VALUE, or NAME=xFACTOR for that multiple of the scenario's own (pvCapMbps=x0.5, attachMs=3000); repeat or comma-separate for several. Names: docs/scenario-file.md.",
    helpValue: 'NAME=VALUE',
    multiple: true,
  }),
}
