import {Command} from '@oclif/core/command'
import * as Flags from '@oclif/core/flags'
import {reportFailure} from '../lib/cli/base-command.js'

// Not a SovaCommand: the schema is one JSON text, with no table, CSV, colour or state to choose.
export default class Schema extends Command {
  static summary = 'Print the JSON Schema of the Sova document.'
  static description = `The document every stage reads and writes, as JSON Schema (draft 2020-12 compatible).
Unknown fields are allowed everywhere and passed through.`

  static examples = [
    {description: 'Save the schema', command: '<%= config.bin %> schema > sova-document.schema.json'},
    {description: 'List the fields of a VM', command: `<%= config.bin %> schema | jq '.properties.hosts.items.properties.vms.items.properties | keys'`},
  ]

  static flags = {
    format: Flags.option({options: ['json'] as const, description: 'Output format: json, the only one a schema has (accepted for scripts that pass --format to every command).', helpGroup: 'OUTPUT'})(),
  }

  async run(): Promise<void> {
    await this.parse(Schema)
    const [{documentJsonSchema}, {writeStdout}] = await Promise.all([import('../lib/document/schema.js'), import('../lib/cli/output.js')])
    await writeStdout(JSON.stringify(documentJsonSchema(), null, 2) + '\n')
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<void> {
    await reportFailure(this.id, error, Schema)
  }
}
