// contrib/: the systemd service and timer pass `systemd-analyze verify` and their command runs as
// the unit runs it; the cron.d line appends documents and nothing else. Needs systemd-analyze
// (Debian: systemd) and man (Debian: man-db): verify looks up the units' Documentation= pages.
// systemd need not be running (verify works in a container whose PID 1 is not systemd).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {BIN, documents, freshStateDir} from '../cli/helpers.js'

const ROOT = join(import.meta.dirname, '..', '..')
const SERVICE = join(ROOT, 'contrib', 'systemd', 'sova.service')
const TIMER = join(ROOT, 'contrib', 'systemd', 'sova.timer')
const CRON = join(ROOT, 'contrib', 'cron', 'sova')
/** Where the service expects `npm install -g` to have put sova; the tests run the checkout's instead. */
const INSTALLED = '/usr/local/bin/sova'
const METRICS = '/var/lib/prometheus/node-exporter/sova.prom'

/** A unit file as "Section.Key" → its values in order (comments and blank lines dropped). */
function unitKeys(path: string): Map<string, string[]> {
  const keys = new Map<string, string[]>()
  let section = ''
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[(\w+)\]$/.exec(line)
    if (header) {
      section = header[1]
      continue
    }
    const [key, ...rest] = line.split('=')
    const name = `${section}.${key.trim()}`
    keys.set(name, [...(keys.get(name) ?? []), rest.join('=').trim()])
  }
  return keys
}

function one(keys: Map<string, string[]>, name: string): string {
  const values = keys.get(name) ?? []
  assert.equal(values.length, 1, `exactly one ${name}`)
  return values[0]
}

/** Fails, naming the Debian package, when a program the test needs is missing. */
function requireProgram(program: string, debianPackage: string): void {
  const result = spawnSync(program, ['--version'], {encoding: 'utf8'})
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    assert.fail(`${program} is not installed: install the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`)
  }
}

/** The service's command line with the checkout's sova and a scratch metrics path. */
function execStart(metricsFile: string): string[] {
  const argv = one(unitKeys(SERVICE), 'Service.ExecStart').split(/\s+/)
  assert.equal(argv[0], INSTALLED)
  assert.equal(argv[argv.indexOf('--metrics-file') + 1], METRICS)
  return argv.slice(1).map((arg) => (arg === METRICS ? metricsFile : arg))
}

/** Units copied beside man pages of this checkout, ExecStart pointing at bin/run.js (verify wants an executable that exists). */
function verifiableCopy(): {dir: string; manpath: string} {
  const dir = mkdtempSync(join(tmpdir(), 'sova-units-'))
  copyFileSync(TIMER, join(dir, 'sova.timer'))
  const service = readFileSync(SERVICE, 'utf8')
  assert.ok(service.includes(`ExecStart=${INSTALLED} `))
  writeFileSync(join(dir, 'sova.service'), service.replace(`ExecStart=${INSTALLED} `, `ExecStart=${BIN} `))
  const man1 = join(dir, 'man', 'man1')
  mkdirSync(man1, {recursive: true})
  for (const page of readdirSync(join(ROOT, 'man')).filter((name) => name.endsWith('.1'))) symlinkSync(join(ROOT, 'man', page), join(man1, page))
  return {dir, manpath: join(dir, 'man')}
}

function verify(dir: string, manpath: string) {
  requireProgram('systemd-analyze', 'systemd')
  requireProgram('man', 'man-db')
  return spawnSync('systemd-analyze', ['verify', join(dir, 'sova.service'), join(dir, 'sova.timer')], {encoding: 'utf8', env: {...process.env, MANPATH: manpath}})
}

/** Another acting run of `state`, holding the run lock until released. */
async function holdLock(state: string): Promise<{release: () => Promise<void>}> {
  const holder = execa(process.execPath, [BIN, 'run', '--cycles', '2', '--interval', '30s', '--quiet'], {env: {SOVA_STATE_DIR: state}, reject: false})
  // Its first document means it holds the lock and is pausing before the second cycle.
  await new Promise<void>((resolve, reject) => {
    holder.stdout?.once('data', () => resolve())
    holder.once('exit', () => reject(new Error('the lock holder exited early')))
  })
  return {
    release: async () => {
      holder.kill('SIGTERM')
      await holder
    },
  }
}

describe('systemd units', () => {
  it('say what docs/cron-systemd.md says: a oneshot run --once --quiet with metrics, 75 a success, state in StateDirectory; a minutely timer', () => {
    const service = unitKeys(SERVICE)
    assert.equal(one(service, 'Service.Type'), 'oneshot')
    assert.match(one(service, 'Service.ExecStart'), / run --once --quiet --metrics-file \S+\.prom$/)
    assert.ok(one(service, 'Service.SuccessExitStatus').split(/\s+/).includes('75'))
    assert.equal(one(service, 'Service.StateDirectory'), 'sova')
    assert.ok(service.get('Service.Environment')?.includes('SOVA_STATE_DIR=%S/sova'))
    const timer = unitKeys(TIMER)
    assert.equal(one(timer, 'Timer.OnCalendar'), '*:*:00')
    assert.equal(one(timer, 'Timer.AccuracySec'), '1s')
    assert.equal(one(timer, 'Timer.Persistent'), 'false')
    assert.equal(one(timer, 'Install.WantedBy'), 'timers.target')
  })

  it('pass systemd-analyze verify without a word on stderr', () => {
    const {dir, manpath} = verifiableCopy()
    const result = verify(dir, manpath)
    assert.equal(result.stderr, '', 'systemd-analyze verify complained')
    assert.equal(result.status, 0)
  })

  it('verify would have complained about a mistake (the check above is not vacuous)', () => {
    const {dir, manpath} = verifiableCopy()
    const path = join(dir, 'sova.service')
    writeFileSync(path, readFileSync(path, 'utf8').replace('SuccessExitStatus=', 'SuccessExitStatuss='))
    assert.match(verify(dir, manpath).stderr, /SuccessExitStatuss/)
  })

  it('the service\'s command prints one document, nothing on stderr, and writes the metrics file', async () => {
    const state = freshStateDir()
    const metrics = join(state, 'sova.prom')
    const result = await execa(process.execPath, [BIN, ...execStart(metrics)], {env: {SOVA_STATE_DIR: state}, reject: false})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(result.stderr, '')
    assert.equal(documents(result.stdout).length, 1)
    assert.match(readFileSync(metrics, 'utf8'), /^sova_host_port_utilisation_ratio\{host="host1"\} /m)
  })

  it('while another run holds the lock the command exits 75, which the unit counts as success, with one line on stderr', async () => {
    const state = freshStateDir()
    const lock = await holdLock(state)
    try {
      const result = await execa(process.execPath, [BIN, ...execStart(join(state, 'sova.prom'))], {env: {SOVA_STATE_DIR: state}, reject: false})
      assert.equal(result.exitCode, 75)
      assert.equal(result.stdout, '')
      assert.match(String(result.stderr), /^sova run: another run holds the lock[^\n]*$/)
    } finally {
      await lock.release()
    }
  })
})

describe('systemd template units for shards (docs/fleets.md)', () => {
  const TEMPLATE = join(ROOT, 'contrib', 'systemd', 'sova-run@.service')
  const TEMPLATE_TIMER = join(ROOT, 'contrib', 'systemd', 'sova-run@.timer')

  /** The template's command for shard `shard`: its configuration and state directory moved under `scratch`. */
  function shardCommand(shard: string, scratch: string): string[] {
    const argv = one(unitKeys(TEMPLATE), 'Service.ExecStart').split(/\s+/)
    assert.equal(argv[0], INSTALLED)
    return argv.slice(1).map((arg) => arg.replace('/etc/sova/shards/', `${scratch}/etc/`).replace('%S/sova/', `${scratch}/state/`).replaceAll('%i', shard))
  }

  it('run one shard per instance: its configuration and state directory named by the instance, its own log, a minutely timer at a fixed second', () => {
    const service = unitKeys(TEMPLATE)
    assert.match(one(service, 'Service.ExecStart'), / run --once --quiet --config \/etc\/sova\/shards\/%i\.json --state %S\/sova\/%i$/)
    assert.equal(one(service, 'Service.StateDirectory'), 'sova/%i')
    assert.equal(one(service, 'Service.StandardOutput'), 'append:/var/log/sova-%i.ndjson')
    assert.ok(one(service, 'Service.SuccessExitStatus').split(/\s+/).includes('75'))
    const timer = unitKeys(TEMPLATE_TIMER)
    assert.equal(one(timer, 'Timer.OnCalendar'), '*:*:00')
    assert.equal(one(timer, 'Timer.FixedRandomDelay'), 'yes')
  })

  it('an instance of each passes systemd-analyze verify without a word on stderr', () => {
    const {dir, manpath} = verifiableCopy()
    writeFileSync(join(dir, 'sova-run@.service'), readFileSync(TEMPLATE, 'utf8').replace(`ExecStart=${INSTALLED} `, `ExecStart=${BIN} `))
    copyFileSync(TEMPLATE_TIMER, join(dir, 'sova-run@.timer'))
    symlinkSync('sova-run@.service', join(dir, 'sova-run@rack1.service'))
    symlinkSync('sova-run@.timer', join(dir, 'sova-run@rack1.timer'))
    requireProgram('systemd-analyze', 'systemd')
    const result = spawnSync('systemd-analyze', ['verify', join(dir, 'sova-run@rack1.service'), join(dir, 'sova-run@rack1.timer')], {encoding: 'utf8', env: {...process.env, MANPATH: manpath}})
    assert.equal(result.stderr, '', 'systemd-analyze verify complained')
    assert.equal(result.status, 0)
  })

  it('two shards run side by side: a run holding one shard\'s lock does not stop the other, and makes its own shard exit 75', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'sova-shards-'))
    mkdirSync(join(scratch, 'etc'))
    // Configurations without hosts: each shard drives its own simulated cluster in its state directory.
    for (const shard of ['rack1', 'rack2']) writeFileSync(join(scratch, 'etc', `${shard}.json`), '{}\n')
    const [rack1, rack2] = [shardCommand('rack1', scratch), shardCommand('rack2', scratch)]
    assert.equal(rack1[rack1.indexOf('--state') + 1], join(scratch, 'state', 'rack1'))
    const lock = await holdLock(join(scratch, 'state', 'rack1'))
    try {
      const other = await execa(process.execPath, [BIN, ...rack2], {reject: false})
      assert.equal(other.exitCode, 0, String(other.stderr))
      assert.equal(documents(other.stdout).length, 1)
      const same = await execa(process.execPath, [BIN, ...rack1], {reject: false})
      assert.equal(same.exitCode, 75)
      assert.match(String(same.stderr), /^sova run: another run holds the lock/)
    } finally {
      await lock.release()
    }
  })
})

describe('cron.d line', () => {
  /** The file's variables and its one job. */
  function cronFile(): {env: Record<string, string>; schedule: string; user: string; command: string} {
    const env: Record<string, string> = {}
    const jobs: string[] = []
    for (const line of readFileSync(CRON, 'utf8').split('\n')) {
      if (line.trim() === '' || line.startsWith('#')) continue
      const variable = /^([A-Z_]+)=(.*)$/.exec(line)
      if (variable) env[variable[1]] = variable[2]
      else jobs.push(line)
    }
    assert.equal(jobs.length, 1, 'one job')
    const fields = jobs[0].split(/\s+/)
    return {env, schedule: fields.slice(0, 5).join(' '), user: fields[5], command: fields.slice(6).join(' ')}
  }

  /**
   * Runs the job as cron would (sh -c), its paths moved into a scratch dir, `sova` being this
   * checkout and `logger` a stand-in that appends its arguments and each line it reads to log/syslog.
   */
  async function runJob(scratch: string, state: string) {
    const {env, command} = cronFile()
    const bin = join(scratch, 'bin')
    if (!existsSync(bin)) {
      mkdirSync(bin)
      mkdirSync(join(scratch, 'log'))
      writeFileSync(join(bin, 'sova'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
      writeFileSync(join(bin, 'logger'), `#!/bin/sh\nwhile IFS= read -r line; do printf '%s %s\\n' "$*" "$line" >> "${join(scratch, 'log', 'syslog')}"; done\n`)
      for (const tool of ['sova', 'logger']) chmodSync(join(bin, tool), 0o755)
    }
    const moved = command.replaceAll(METRICS, join(scratch, 'sova.prom')).replaceAll('/var/log/', `${scratch}/log/`)
    // The simulated cluster instead of /etc/sova/config.json's hosts.
    const {SOVA_CONFIG, ...rest} = env
    return execa(env.SHELL ?? '/bin/sh', ['-c', moved], {env: {...rest, PATH: `${bin}:${env.PATH}`, SOVA_STATE_DIR: state}, extendEnv: false, reject: false})
  }

  it('runs every minute as root', () => {
    const {env, schedule, user, command} = cronFile()
    assert.equal(schedule, '* * * * *')
    assert.equal(user, 'root')
    assert.match(command, /^sova run --once --quiet /)
    assert.equal(env.SOVA_STATE_DIR, '/var/lib/sova')
  })

  it('appends one document per run to the log, nothing to syslog; a locked minute leaves one user.err line there', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'sova-cron-'))
    const state = freshStateDir()
    for (let run = 0; run < 2; run++) assert.equal((await runJob(scratch, state)).exitCode, 0)
    const log = () => documents(readFileSync(join(scratch, 'log', 'sova.ndjson'), 'utf8'))
    const errors = () => (existsSync(join(scratch, 'log', 'syslog')) ? readFileSync(join(scratch, 'log', 'syslog'), 'utf8') : '')
    assert.equal(log().length, 2)
    assert.equal(errors(), '')
    assert.ok(existsSync(join(scratch, 'sova.prom')))
    const lock = await holdLock(state)
    try {
      // The pipeline's status is logger's; the skipped minute is in syslog.
      assert.equal((await runJob(scratch, state)).exitCode, 0)
    } finally {
      await lock.release()
    }
    assert.equal(log().length, 2)
    assert.match(errors(), /^--tag=sova -p user\.err sova run: another run holds the lock[^\n]*\n$/)
  })
})
