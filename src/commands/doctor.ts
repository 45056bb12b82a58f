import {existsSync} from 'node:fs'
import {dirname} from 'node:path'
import * as Args from '@oclif/core/args'
import {SovaCommand} from '../lib/cli/base-command.js'
import {configFlag} from '../lib/cli/flags.js'
import {DOCTOR_COLUMNS} from '../lib/render/record-columns.js'
import {CheckFailedError, UsageError} from '../lib/errors.js'

export default class Doctor extends SovaCommand {
  static summary = 'Check that each configured host is ready for Sova, and say how to fix what is not.'
  static description = `For each host of the configuration file (or only the HOSTs named): ssh or the libvirt URI
answers, the hypervisor's tools are there and run, the physical port (PF) is found, its link speed is
known, SR-IOV is enabled and VFs are free to assign; then, read as collect reads it, how many VMs Sova
manages there and, by name with why, the domains it does not (the document's "unmanaged"), and which
counters its port's load is read from and why (port-counters, pf+vfs; pf-only FAILs: the PF's own
counters miss the VFs' traffic, see docs/port-counters.md); with sensing.prometheus, whether
Prometheus has the host's readings (targets up, a fresh sova textfile) or why not. Prints one
row per check with pass, FAIL or "not checked" (a check it needs failed: the FAIL row is the cause),
what was seen and how to fix it. Changes nothing. Exit codes: 0 all checks pass, 1 some check failed, 2 bad usage
(unknown host, no hosts configured), 65 invalid configuration.`

  static examples = [
    {description: 'Check every host', command: '<%= config.bin %> doctor'},
    {description: 'Check two hosts, as JSON', command: '<%= config.bin %> doctor host1 host2 --format json'},
  ]

  static strict = false
  static args = {host: Args.string({description: 'Hosts to check (default: all of the configuration).', ignoreStdin: true})}
  static flags = {...configFlag}

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Doctor)
    await this.checkRecordColumns(flags, DOCTOR_COLUMNS)
    const [{loadConfig, resolveConfigPath}, {HostsBackend}, {checkHost}, {mapSettled}, {validateName}, {locateConfig}] = await Promise.all([
      import('../lib/config.js'),
      import('../lib/backends/hosts/hosts-backend.js'),
      import('../lib/backends/hosts/doctor.js'),
      import('../lib/concurrency.js'),
      import('../lib/identifiers.js'),
      import('../lib/config-path.js'),
    ])
    const config = loadConfig(flags.config)
    const configured = (config.hosts ?? []).map((host) => host.name)
    if (configured.length === 0) {
      const located = locateConfig(flags.config)
      const {path} = resolveConfigPath(flags.config)
      if (located.path === undefined) {
        const dirs = [...new Set(located.looked.map((candidate) => dirname(candidate.path)))]
        throw new UsageError(`no configuration file: no config.yaml, config.yml or config.json in ${dirs.join(' or ')}`, 'write one listing the hosts, see docs/configuration.md; or name one with --config or $SOVA_CONFIG; sova config path shows the order')
      }
      if (!existsSync(path)) throw new UsageError(`no configuration file: looked for ${path}, which does not exist`, 'write one listing the hosts, see docs/configuration.md; or name one with --config or $SOVA_CONFIG')
      throw new UsageError(`no hosts to check: ${path} lists none`, 'add a "hosts" list (see sova config check)')
    }
    const wanted = (argv as string[]).map((name) => validateName(name, 'host'))
    const unknown = wanted.filter((name) => !configured.includes(name))
    if (unknown.length > 0) throw new UsageError(`${unknown.join(', ')}: not in the configuration (hosts: ${configured.join(', ')})`)
    const backend = new HostsBackend(config)
    const hosts = wanted.length > 0 ? wanted : configured
    const results = await mapSettled(hosts, 16, async (name) => checkHost(await backend.driver(name)))
    const checked = results.flatMap((result, i) =>
      result.status === 'fulfilled'
        ? result.value
        : [{host: hosts[i], check: 'checks ran', ok: false, detail: (result.reason as Error).message, fix: 'see the message'}],
    )
    // Sensing through Prometheus: a row per host saying whether Prometheus has its readings.
    const sensing = config.sensing?.prometheus
    const read = sensing ? await (await import('../lib/sensing/doctor-rows.js')).prometheusRows(backend, config.hosts ?? [], sensing, hosts) : []
    const rows = hosts.flatMap((host) => [...checked.filter((row) => row.host === host), ...read.filter((row) => row.host === host)])
    await this.emitRecords(
      rows.map((row) => ({host: row.host, check: row.check, result: row.notChecked ? 'not checked' : row.ok ? 'pass' : 'FAIL', detail: row.detail, fix: row.ok || row.notChecked ? '' : (row.fix ?? '')})),
      flags,
      DOCTOR_COLUMNS,
    )
    const failed = rows.filter((row) => !row.ok && !row.notChecked).length
    const unchecked = rows.filter((row) => row.notChecked).length
    if (failed > 0) throw new CheckFailedError(`${failed} check${failed === 1 ? '' : 's'} failed${unchecked > 0 ? `, ${unchecked} not checked behind ${failed === 1 ? 'it' : 'them'}` : ''}`)
  }
}
