import {SovaCommand} from '../lib/cli/base-command.js'
import {UsageError} from '../lib/errors.js'

export default class Schema extends SovaCommand {
  static summary = 'Print the JSON Schema of the Sova document.'
  static description = `The document every stage reads and writes, as JSON Schema (draft 2020-12 compatible).
Unknown fields are allowed everywhere and passed through. JSON only: --format table and csv are refused.`

  static examples = [
    {description: 'Save the schema', command: '<%= config.bin %> schema > sova-document.schema.json'},
    {description: 'List the fields of a VM', command: `<%= config.bin %> schema | jq '.properties.hosts.items.properties.vms.items.properties | keys'`},
  ]

  async run(): Promise<void> {
    const {flags} = await this.parse(Schema)
    if (flags.format && flags.format !== 'json') throw new UsageError(`--format ${flags.format}: the schema is JSON only`)
    const [{documentJsonSchema}, {writeStdout}] = await Promise.all([import('../lib/document/schema.js'), import('../lib/cli/output.js')])
    await writeStdout(JSON.stringify(documentJsonSchema(), null, 2) + '\n')
  }
}
