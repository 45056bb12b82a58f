// contrib/systemd/sova-export.{service,timer}: what docs/prometheus-textfile.md says of them, they
// pass `systemd-analyze verify`, and the service's command writes the textfile as the unit runs it
// (on a simulated host instead of /etc/sova/config.json's, into a scratch directory).
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {execa} from 'execa'
import {BIN, freshStateDir} from '../cli/helpers.js'
import {parseExposition} from '../metrics/parse-exposition.js'

const ROOT = join(import.meta.dirname, '..', '..')
const SERVICE = join(ROOT, 'contrib', 'systemd', 'sova-export.service')
const TIMER = join(ROOT, 'contrib', 'systemd', 'sova-export.timer')
const INSTALLED = '/usr/local/bin/sova'
const TEXTFILE_DIR = '/var/lib/prometheus/node-exporter'

/** A unit file's "Section.Key" values (comments and blank lines dropped). */
function unitKeys(path: string): Map<string, string[]> {
  const keys = new Map<string, string[]>()
  let section = ''
  for (const raw of readFileSync(path, 'utf8').split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const header = /^\[(\w+)\]$/.exec(line)
    if (header) {
      section = header[1]
      continue
    }
    const [key, ...rest] = line.split('=')
    keys.set(`${section}.${key}`, [...(keys.get(`${section}.${key}`) ?? []), rest.join('=')])
  }
  return keys
}

function one(keys: Map<string, string[]>, name: string): string {
  const values = keys.get(name) ?? []
  assert.equal(values.length, 1, `exactly one ${name}`)
  return values[0]
}

function verifiableCopy(mistake?: (service: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-export-units-'))
  copyFileSync(TIMER, join(dir, 'sova-export.timer'))
  const service = readFileSync(SERVICE, 'utf8').replace(`ExecStart=${INSTALLED} `, `ExecStart=${BIN} `)
  writeFileSync(join(dir, 'sova-export.service'), mistake ? mistake(service) : service)
  mkdirSync(join(dir, 'man', 'man1'), {recursive: true})
  for (const page of readdirSync(join(ROOT, 'man')).filter((name) => name.endsWith('.1'))) symlinkSync(join(ROOT, 'man', page), join(dir, 'man', 'man1', page))
  return dir
}

function verify(dir: string) {
  for (const [program, pkg] of [['systemd-analyze', 'systemd'], ['man', 'man-db']]) {
    if ((spawnSync(program, ['--version']).error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') assert.fail(`${program} is not installed: apt-get install -y ${pkg}`)
  }
  return spawnSync('systemd-analyze', ['verify', join(dir, 'sova-export.service'), join(dir, 'sova-export.timer')], {encoding: 'utf8', env: {...process.env, MANPATH: join(dir, 'man')}})
}

describe('sova-export units', () => {
  it('a oneshot writing Debian\'s textfile directory, every 15 s from the timer\'s start', () => {
    const service = unitKeys(SERVICE)
    assert.equal(one(service, 'Service.Type'), 'oneshot')
    assert.equal(one(service, 'Service.ExecStart'), `${INSTALLED} export --quiet --textfile ${TEXTFILE_DIR}`)
    assert.equal(one(service, 'Service.UMask'), '0022')
    const timer = unitKeys(TIMER)
    assert.equal(one(timer, 'Timer.OnUnitActiveSec'), '15s')
    assert.equal(one(timer, 'Timer.OnActiveSec'), '1s', 'without it OnUnitActiveSec never fires the first time')
    assert.equal(one(timer, 'Install.WantedBy'), 'timers.target')
  })

  it('pass systemd-analyze verify, which would have caught a misspelt key', () => {
    const result = verify(verifiableCopy())
    assert.equal(result.stderr, '')
    assert.equal(result.status, 0)
    assert.match(verify(verifiableCopy((text) => text.replace('TimeoutStartSec=', 'TimeoutStartSecs='))).stderr, /TimeoutStartSecs/)
  })

  it('the service\'s command writes the textfile and nothing else, silently', async () => {
    const state = freshStateDir()
    const dir = mkdtempSync(join(tmpdir(), 'sova-export-unit-run-'))
    const argv = one(unitKeys(SERVICE), 'Service.ExecStart').split(/\s+/).slice(1).map((arg) => (arg === TEXTFILE_DIR ? dir : arg))
    const result = await execa(process.execPath, [BIN, ...argv, '--backend', 'sim', '--host', 'host2'], {env: {SOVA_STATE_DIR: state, SOVA_CONFIG: ''}, reject: false})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.equal(result.stdout + result.stderr, '')
    assert.deepEqual(readdirSync(dir), ['sova-export.prom'])
    assert.equal(statSync(join(dir, 'sova-export.prom')).mode & 0o777, 0o644)
    assert.ok(parseExposition(readFileSync(join(dir, 'sova-export.prom'), 'utf8')).some((family) => family.name === 'sova_vf_info'))
  })
})
