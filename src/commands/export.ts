import {hostname} from 'node:os'
import * as Flags from '@oclif/core/flags'
import {SovaCommand} from '../lib/cli/base-command.js'
import {backendFlags} from '../lib/cli/flags.js'
import type {Store} from '../lib/store/store.js'

export default class Export extends SovaCommand {
  static summary = 'Write this host\'s VFs, port and VMs as Prometheus metrics for node_exporter\'s textfile collector.'
  static description = `Reads this host once, as collect reads it (through its backend's tools), and writes
DIR/sova-export.prom in the Prometheus text format: the port's whole counters and the basis they
stand on, every VF of the pool with the domain holding it and the VF's own counters, and every domain Sova
manages with its path, traffic and CPU (docs/prometheus-textfile.md lists every metric). The file is
replaced at once (a temporary file in DIR, renamed), mode 0644. The host is the configuration's host
named by --host, else the one named as this machine is; it is read with this machine's own tools
(its ssh and the remote part of its libvirt URI are not used) unless --remote. Run it from a timer
on each host (contrib/systemd).
Nothing on stdout. Exit codes: 0 written, 2 bad usage (no such host), 65 DIR missing, not a
directory or not writable, 69 the host's tools did not answer; on any failure nothing is written.`

  static examples = [
    {description: 'Write node_exporter\'s textfile directory on Debian', command: '<%= config.bin %> export --textfile /var/lib/prometheus/node-exporter'},
    {description: 'Try it on a simulated host', command: '<%= config.bin %> export --backend sim --host host1 --textfile /tmp'},
  ]

  // Nothing goes to stdout: no format, colour or table flags to choose; --state only for the
  // simulator. (Typed as the base's: the flags left out are simply never given.)
  static baseFlags = {quiet: SovaCommand.baseFlags.quiet, state: SovaCommand.baseFlags.state} as unknown as typeof SovaCommand.baseFlags

  static flags = {
    backend: backendFlags.backend,
    config: backendFlags.config,
    textfile: Flags.string({required: true, description: 'Directory to write sova-export.prom in (node_exporter\'s --collector.textfile.directory).', helpValue: 'DIR'}),
    host: Flags.string({description: 'The configuration\'s host this machine is (default: the one named as its hostname).', helpValue: 'NAME'}),
    remote: Flags.boolean({description: 'Read the host over its configured ssh or libvirt URI, as collect does from a management host, instead of with this machine\'s own tools.'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Export)
    const [{checkTextfileDir, writeTextfile}, {readLocalHost}, {textfileText}, {loadConfig, resolveConfigPath}] = await Promise.all([
      import('../lib/export/textfile-write.js'),
      import('../lib/export/local-host.js'),
      import('../lib/export/textfile-metrics.js'),
      import('../lib/config.js'),
    ])
    const path = checkTextfileDir(flags.textfile)
    let store: Store | undefined
    try {
      const host = await readLocalHost({
        backend: flags.backend,
        config: loadConfig(flags.config),
        configSource: resolveConfigPath(flags.config).path,
        host: flags.host,
        hostname: hostname(),
        simStore: async () => (store = await this.openStore(flags.state)),
        remote: flags.remote,
      })
      writeTextfile(path, textfileText(host, Date.now() / 1000))
    } finally {
      store?.close()
    }
  }
}
