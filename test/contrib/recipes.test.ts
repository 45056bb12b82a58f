// The recipes as an operator copies them: README's cron line (the same as contrib/cron/sova) runs a
// cycle on a fresh host without node_exporter and sends errors where people look; cron and
// systemd agree on state and configuration; stopping the unit lets a migration finish; in the
// journal, error lines carry their priority.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {DEFAULT_TIMEOUTS} from '../../src/lib/backends/hosts/driver.js'
import {BIN, documents, freshStateDir} from '../cli/helpers.js'

const ROOT = join(import.meta.dirname, '..', '..')
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const CRON = readFileSync(join(ROOT, 'contrib', 'cron', 'sova'), 'utf8')
const SERVICE = readFileSync(join(ROOT, 'contrib', 'systemd', 'sova.service'), 'utf8')

/** The README's cron block: its variables and its one job line. */
function readmeCron(): {env: Record<string, string>; command: string} {
  const blocks = [...README.matchAll(/```cron\n([\s\S]*?)```/g)].map((match) => match[1])
  assert.equal(blocks.length, 1, 'one cron block in README')
  const env: Record<string, string> = {}
  const jobs: string[] = []
  for (const line of blocks[0].split('\n').filter((text) => text.trim() !== '')) {
    const variable = /^([A-Z_]+)=(.*)$/.exec(line)
    if (variable) env[variable[1]] = variable[2]
    else jobs.push(line)
  }
  assert.equal(jobs.length, 1)
  return {env, command: jobs[0].split(/\s+/).slice(6).join(' ')}
}

/** `Key=value` lines of the unit (the last of each key). */
const unit = (key: string) => [...SERVICE.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((match) => match[1]).at(-1)

/** seconds in a systemd time span such as 6min, 360s, 5min 30s. */
function seconds(span: string): number {
  const units: Record<string, number> = {s: 1, sec: 1, min: 60, m: 60, h: 3600}
  return [...span.matchAll(/(\d+)\s*([a-z]+)?/g)].reduce((sum, [, n, u]) => sum + Number(n) * units[u ?? 's'], 0)
}

describe('recipes', () => {
  it('README\'s cron line is contrib/cron/sova\'s, and cron and systemd keep state and configuration in the same places', () => {
    const {env, command} = readmeCron()
    assert.ok(CRON.includes(command), 'the job line of contrib/cron/sova')
    for (const [name, value] of Object.entries(env)) assert.ok(CRON.includes(`\n${name}=${value}\n`), `${name} as in contrib/cron/sova`)
    assert.equal(`SOVA_STATE_DIR=${env.SOVA_STATE_DIR}`, 'SOVA_STATE_DIR=/var/lib/sova')
    assert.equal(unit('StateDirectory'), 'sova', 'systemd: %S/sova is /var/lib/sova')
    assert.ok(SERVICE.includes('Environment=SOVA_STATE_DIR=%S/sova'))
    assert.ok(SERVICE.includes(`Environment=SOVA_CONFIG=${env.SOVA_CONFIG}`))
    assert.ok(unit('ExecStart')?.endsWith(command.slice('sova'.length, command.indexOf(' 2>&1'))), 'the same sova command')
  })

  it('the unit lets a migration finish when stopped, and errors reach journalctl -p err', () => {
    assert.equal(unit('KillMode'), 'mixed', 'SIGTERM to sova alone, not to the virsh/xl it runs')
    assert.equal(unit('KillSignal'), 'SIGTERM')
    assert.ok(seconds(unit('TimeoutStopSec') ?? '90s') >= DEFAULT_TIMEOUTS.migrateMs / 1000 + 30, `TimeoutStopSec ${unit('TimeoutStopSec')}`)
    assert.equal(unit('StandardError'), 'journal')
    assert.equal(unit('SyslogLevelPrefix'), 'yes')
  })

  it('README\'s cron line on a fresh host without node_exporter: exit 0, the cycle balances, the metrics directory is made, nothing in syslog', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'sova-recipe-'))
    const home = join(scratch, 'home')
    const bin = join(scratch, 'bin')
    for (const dir of [home, bin, join(scratch, 'log')]) mkdirSync(dir)
    writeFileSync(join(bin, 'sova'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
    writeFileSync(join(bin, 'logger'), `#!/bin/sh\nwhile IFS= read -r line; do printf '%s %s\\n' "$*" "$line" >> "${join(scratch, 'log', 'syslog')}"; done\n`)
    for (const tool of ['sova', 'logger']) chmodSync(join(bin, tool), 0o755)
    const {env, command} = readmeCron()
    const state = join(scratch, 'var-lib-sova')
    const moved = command.replaceAll('/var/lib/prometheus/', `${scratch}/prometheus/`).replaceAll('/var/log/', `${scratch}/log/`)
    // SOVA_CONFIG left out: the simulated cluster, as the README says.
    const result = await execa('/bin/sh', ['-c', moved], {env: {PATH: `${bin}:/usr/bin:/bin`, HOME: home, SOVA_STATE_DIR: state}, extendEnv: false, reject: false})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(String(result.stdout) + String(result.stderr), '', 'cron would mail nothing')
    assert.ok(env.SOVA_STATE_DIR)
    const [doc] = documents(readFileSync(join(scratch, 'log', 'sova.ndjson'), 'utf8'))
    assert.ok((doc.actions ?? []).some((action: {status: string}) => action.status === 'done'), 'the cycle acted')
    assert.ok(statSync(join(scratch, 'prometheus', 'node-exporter', 'sova.prom')).isFile())
    assert.equal(existsSync(join(scratch, 'log', 'syslog')), false)
  })
})

describe('stderr in the journal', () => {
  /** `sova ARGS` with stderr on a file; JOURNAL_STREAM names that file's device and inode when `journal`. */
  function stderrOf(args: string[], journal: boolean): {exitCode?: number; stderr: string} {
    const dir = mkdtempSync(join(tmpdir(), 'sova-journal-'))
    const file = join(dir, 'stderr')
    // The file's own descriptor as the child's stderr (as systemd hands the journal's socket over).
    const fd = openSync(file, 'a')
    const {dev, ino} = statSync(file)
    try {
      const result = spawnSync(process.execPath, [BIN, ...args], {
        env: {...process.env, SOVA_STATE_DIR: freshStateDir(), ...(journal ? {JOURNAL_STREAM: `${dev}:${ino}`} : {JOURNAL_STREAM: ''})},
        stdio: ['ignore', 'ignore', fd],
      })
      return {exitCode: result.status ?? undefined, stderr: readFileSync(file, 'utf8')}
    } finally {
      closeSync(fd)
    }
  }

  it('an error line carries <3> when stderr is the journal, and nothing elsewhere', () => {
    const inJournal = stderrOf(['run', '--once', '--config', '/nonexistent/sova.json'], true)
    assert.equal(inJournal.exitCode, 2)
    assert.match(inJournal.stderr, /^<3>sova run: --config \/nonexistent\/sova\.json: cannot read \(ENOENT\)\n$/)
    const elsewhere = stderrOf(['run', '--once', '--config', '/nonexistent/sova.json'], false)
    assert.match(elsewhere.stderr, /^sova run: --config/)
    const unknown = stderrOf(['colect'], true)
    assert.match(unknown.stderr, /^<3>sova: unknown command "colect"/)
  })
})
