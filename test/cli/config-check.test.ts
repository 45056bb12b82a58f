// `sova config check` through the built CLI: which file it reads, every problem as FILE:LINE, and
// the exit codes (0 valid, 65 problems, 2 nothing to check). Nothing is contacted, so no fakes.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {freshStateDir, sova} from './helpers.js'

const config = (name: string) => join(import.meta.dirname, '..', 'fixtures', 'config', name)
const GOOD = config('xen.json')

/** `sova config check ARGS` with no SOVA_CONFIG and an empty XDG_CONFIG_HOME unless `env` says otherwise. */
function check(args: string[], env: Record<string, string> = {}) {
  const xdg = mkdtempSync(join(tmpdir(), 'sova-xdg-'))
  const etc = mkdtempSync(join(tmpdir(), 'sova-etc-'))
  return sova(['config', 'check', ...args], {state: freshStateDir(), env: {SOVA_CONFIG: '', XDG_CONFIG_HOME: xdg, SOVA_SYSTEM_CONFIG_DIR: etc, ...env}})
}

describe('sova config check', () => {
  it('a valid file: exit 0, one summary line on stdout, nothing on stderr', async () => {
    // Protects the all-clear an operator scripts on before installing a configuration.
    const result = await check(['--config', GOOD])
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(String(result.stdout), `${GOOD}: valid JSON; 2 xen hosts: xen1, xen2; policy sova (default)\n`)
    assert.equal(String(result.stderr), '')
  })

  it('a file with shape problems: one FILE:LINE: path: message line each, in file order, exit 65', async () => {
    // Protects the line numbers and JSON paths of schema problems (bad-shape.json, lines known).
    const file = config('bad-shape.json')
    const result = await check(['--config', file])
    assert.equal(result.exitCode, 65)
    assert.equal(
      String(result.stdout),
      [
        `${file}:7: hosts[0].ssh: expected [user@]host, got "root@xen1; reboot"`,
        `${file}:8: hosts[0].port.speedMbps: expected a number > 0, got number -10`,
        `${file}:12: hosts[1].backend: expected xen or libvirt, got "kvm"`,
        `${file}:14: hosts[1].vfs.allow[1]: expected a PCI address [DDDD:]BB:SS.F, got "not-a-bdf"`,
        `${file}:17: timeouts.toolSeconds: expected a number, got "30"`,
        `${file}:18: polcy: unknown key (expected cluster, hosts, timeouts, maxSampleAgeSeconds, policy, migration, vfChanges, rules or sensing)`,
        '',
      ].join('\n'),
    )
    assert.equal(String(result.stderr), `sova config check: ${file}: 6 problems\n`)
  })

  it('a well-shaped file that breaks the cross-host rules: each rule named, exit 65', async () => {
    // Protects the rules the schema cannot say: unique names, one backend kind, Xen without a URI, VFs once.
    const file = config('bad-rules.json')
    const result = await check(['--config', file])
    assert.equal(result.exitCode, 65)
    assert.equal(
      String(result.stdout),
      [
        `${file}:5: hosts[1].name: "xen1" is also hosts[0]; host names must be unique`,
        `${file}:5: hosts[1].uri: only libvirt hosts have a connection URI (Xen hosts are reached with ssh)`,
        `${file}:5: hosts[1].port.speedMbps: required when counters is "vms" (there is no real port to read a speed from)`,
        `${file}:6: hosts[2].backend: libvirt, but hosts[0] is xen: one cluster has one backend kind (a VM cannot migrate between them)`,
        `${file}:6: hosts[2].vfs: VF 0000:04:10.1 is listed twice (also on xen1)`,
        '',
      ].join('\n'),
    )
    assert.equal(String(result.stderr), `sova config check: ${file}: 5 problems\n`)
  })

  it('a file that is not JSON: exit 65, the parser\'s words on stdout, one problem on stderr', async () => {
    // Protects the truncated-file case: refused as bad input, not as an internal error.
    const file = config('not-json.json')
    const result = await check(['--config', file])
    assert.equal(result.exitCode, 65)
    assert.match(String(result.stdout), new RegExp(`^${file.replace(/[.]/g, '\\.')}: not valid JSON \\(.+\\)\\n$`))
    assert.equal(String(result.stderr), `sova config check: ${file}: 1 problem\n`)
  })

  it('a --config file that does not exist: exit 2, naming it', async () => {
    // Protects a mistyped path: usage error, not "valid" and not a stack trace.
    const file = join(tmpdir(), 'sova-no-such-config.json')
    const result = await check(['--config', file])
    assert.equal(result.exitCode, 2)
    assert.equal(String(result.stdout), '')
    assert.equal(String(result.stderr), `sova config check: ${file}: cannot read (ENOENT)\n`)
  })

  it('no --config, no SOVA_CONFIG, no user or system-wide file: exit 2, saying where it looked', async () => {
    // Protects the "nothing to check" case: checking nothing must not pass as valid.
    const xdg = mkdtempSync(join(tmpdir(), 'sova-xdg-empty-'))
    const etc = mkdtempSync(join(tmpdir(), 'sova-etc-empty-'))
    const result = await check([], {XDG_CONFIG_HOME: xdg, SOVA_SYSTEM_CONFIG_DIR: etc})
    assert.equal(result.exitCode, 2)
    assert.equal(String(result.stdout), '')
    assert.equal(
      String(result.stderr),
      `sova config check: no configuration file to check (none of config.yaml, config.yml, config.json in ${join(xdg, 'sova')} or ${etc}) (give one with --config FILE or SOVA_CONFIG)\n`,
    )
  })

  it('reads $SOVA_CONFIG, else $XDG_CONFIG_HOME/sova/config.json', async () => {
    // Protects the lookup order of ARCHITECTURE.md §6 for the checker.
    const fromEnv = await check([], {SOVA_CONFIG: config('bad-shape.json')})
    assert.equal(fromEnv.exitCode, 65)
    assert.equal(String(fromEnv.stderr), `sova config check: ${config('bad-shape.json')}: 6 problems\n`)

    const xdg = mkdtempSync(join(tmpdir(), 'sova-xdg-'))
    mkdirSync(join(xdg, 'sova'))
    writeFileSync(join(xdg, 'sova', 'config.json'), '{"policy": {"name": "seed"}}\n')
    const fromXdg = await check([], {XDG_CONFIG_HOME: xdg})
    assert.equal(fromXdg.exitCode, 0, String(fromXdg.stderr))
    assert.equal(String(fromXdg.stdout), `${join(xdg, 'sova', 'config.json')}: valid JSON; no hosts (the simulated cluster runs); policy seed\n`)
  })
})
