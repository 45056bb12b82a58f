// The oclif runtime, bundled so that a pipeline stage starts fast (TOOLING.md).
import {execute} from '@oclif/core/execute'

export async function run(root: string): Promise<void> {
  await execute({dir: root})
}
