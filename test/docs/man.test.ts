// The man pages: generated from the code (scripts/man.mjs, npm run man) and committed under man/.
// They must match what the code generates now, cover every command, and render cleanly.
// Needs a current build (the pages are generated from dist/, as `sova` loads its commands) and
// groff (Debian: groff-base) and man (Debian: man-db).
import {Config} from '@oclif/core'
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {EXIT} from '../../src/lib/errors.js'
import {SOVA_HOT_THRESHOLD} from '../../src/lib/policy/sova-params.js'

const ROOT = join(import.meta.dirname, '..', '..')
const MAN = join(ROOT, 'man')
const REGENERATE = 'run npm run man (after npm run build) and commit man/'

const pagesIn = (dir: string) => readdirSync(dir).filter((file) => file.endsWith('.1')).sort()

/** A program's output, or a test failure that says which Debian package provides it. */
function run(program: string, args: string[], debianPackage: string, env: NodeJS.ProcessEnv = process.env) {
  const result = spawnSync(program, args, {cwd: ROOT, encoding: 'utf8', env})
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    assert.fail(`${program} is not installed: install ${debianPackage} (apt-get install ${debianPackage})`)
  }
  if (result.error) throw result.error
  return result
}

/** What a user sees with `man -l PAGE` at 80 columns, without overstrikes or colour. */
function manText(page: string): string {
  const env: NodeJS.ProcessEnv = {...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat', GROFF_NO_SGR: '1', LC_ALL: 'C.UTF-8'}
  delete env.MAN_KEEP_FORMATTING
  const result = run('man', ['-l', join(MAN, page)], 'man-db', env)
  assert.equal(result.status, 0, `man -l man/${page} failed: ${result.stderr}`)
  return result.stdout.replaceAll(/.\x08/g, '').replaceAll(/\x1b\[[0-9;]*m/g, '')
}

/** The lines of a rendered section, up to the next heading. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`)
  assert.ok(start >= 0, `no ${heading} section`)
  const rest = text.slice(start + heading.length + 2)
  const end = rest.search(/\n[A-Z][A-Z ]+\n/)
  return end < 0 ? rest : rest.slice(0, end)
}

describe('man pages', () => {
  const generated = mkdtempSync(join(tmpdir(), 'sova-man-'))
  after(() => rmSync(generated, {recursive: true, force: true}))

  it('are what the code generates now, byte for byte', () => {
    // The committed pages carry the generator's fixed date, not a build's SOURCE_DATE_EPOCH.
    const env = {...process.env}
    delete env.SOURCE_DATE_EPOCH
    const result = spawnSync(process.execPath, [join(ROOT, 'scripts', 'man.mjs'), generated], {cwd: ROOT, encoding: 'utf8', env})
    assert.equal(result.status, 0, `scripts/man.mjs failed:\n${result.stderr}`)
    const committed = pagesIn(MAN)
    const fresh = pagesIn(generated)
    assert.deepEqual(committed, fresh, `the pages in man/ are not the ones the commands need: ${REGENERATE}`)
    const stale = fresh.filter((page) => !readFileSync(join(MAN, page)).equals(readFileSync(join(generated, page))))
    assert.deepEqual(stale, [], `man/ is out of date with the code (${stale.join(', ')}): ${REGENERATE}`)
  })

  it('are one per command of the loaded Config, plus sova(1), and npm installs them all', async () => {
    assert.ok(existsSync(join(ROOT, 'dist', 'commands.js')), 'dist/commands.js is missing: run npm run build')
    const config = await Config.load({root: ROOT})
    const commands = config.commands.filter((command) => !command.hidden)
    assert.ok(commands.some((command) => command.id === 'score'), 'the Config has no score command: run npm run build')
    const expected = ['sova.1', ...commands.map((command) => `sova-${command.id.replaceAll(':', '-')}.1`)].sort()
    assert.deepEqual(pagesIn(MAN), expected, `man/ does not have one page per command: ${REGENERATE}`)
    const pjson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {man?: string[]}
    assert.deepEqual(
      [...(pjson.man ?? [])].sort(),
      expected.map((page) => `./man/${page}`),
      'package.json "man" must list every page of man/, so that npm install -g installs them',
    )
  })

  it('render with groff -man -ww without a warning', () => {
    const problems = []
    for (const page of pagesIn(MAN)) {
      const result = run('groff', ['-man', '-ww', '-z', join(MAN, page)], 'groff-base')
      if (result.status !== 0 || result.stderr !== '') problems.push(`man/${page} (exit ${result.status}):\n${result.stderr}`)
    }
    assert.deepEqual(problems, [], 'groff warns; fix scripts/man.mjs or man/sova.1.in, then npm run man')
  })

  it('sova-score(1), read with man -l, shows --threshold with its default', () => {
    const text = manText('sova-score.1')
    const entry = /^ {7}--threshold NUMBER\n((?: {14}.*\n)+)/m.exec(text)
    assert.ok(entry, `no --threshold entry in man -l man/sova-score.1:\n${text}`)
    assert.match(entry[1].replaceAll(/\s+/g, ' '), new RegExp(`\\b${String(SOVA_HOT_THRESHOLD).replace('.', '\\.')}\\b`))
  })

  it('sova(1), read with man -l, lists every exit code, 75 (locked, "skipped" for cron) included', () => {
    const exitStatus = section(manText('sova.1'), 'EXIT STATUS')
    for (const code of Object.values(EXIT)) assert.match(exitStatus, new RegExp(`^ {7}${code} +\\S`, 'm'), `exit ${code} missing`)
    assert.equal(EXIT.locked, 75)
    assert.match(exitStatus.replaceAll(/\s+/g, ' '), /75 Another acting run holds the run lock\. .*skipped/)
  })
})
