// Files written for the operator in a directory others may write (--metrics-file, --plot): whoever
// writes that directory must not be able to make Sova (root) write anywhere else, and a path that
// cannot be written is refused before anything is done.
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import {existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {EXIT, SovaError} from '../../src/lib/errors.js'
import {writeFileAtomic} from '../../src/lib/evaluate/write-file.js'
import {checkWritable, replaceFile, type SafeFs} from '../../src/lib/files/safe-write.js'
import {writeFileDurably} from '../../src/lib/metrics/metrics-file.js'
import {documents, freshStateDir, sova} from '../cli/helpers.js'

const scratch = () => mkdtempSync(join(tmpdir(), 'sova-safe-write-'))
const PRECIOUS = 'root:x:0:0:root:/root:/bin/bash\n'

/** A file the attacker wants overwritten, outside the writable directory. */
function victim(): string {
  const path = join(scratch(), 'passwd')
  writeFileSync(path, PRECIOUS)
  return path
}

/** Process ids to plant at: every one the kernel may give next (all of them where pid_max is small). */
function likelyPids(): number[] {
  const read = (name: string, fallback: number) => {
    try {
      return Number(readFileSync(`/proc/sys/kernel/${name}`, 'utf8'))
    } catch {
      return fallback
    }
  }
  const max = read('pid_max', 32_768)
  const last = read('ns_last_pid', process.pid)
  return Array.from({length: Math.min(max, 32_768)}, (_, i) => ((last + i) % max) + 1)
}

/** Symlinks to `target` at each name the old writer used for `path` (`.NAME.PID.tmp`) and a few more guesses. */
function plantAt(dir: string, name: string, target: string, pids: number[]): void {
  for (const pid of pids) symlinkSync(target, join(dir, `.${name}.${pid}.tmp`))
  for (const guess of [`.${name}.tmp`, `${name}.tmp`, `.${name}.new`]) symlinkSync(target, join(dir, guess))
}

describe('safe write: planted symlinks', () => {
  it('a symlink planted at the very name being created is refused, another random name is used, the target is untouched', () => {
    const dir = scratch()
    const target = victim()
    const path = join(dir, 'sova.prom')
    let planted = 0
    // The attacker wins every race it can: a symlink appears at the name just before each of the first three opens.
    const racing: SafeFs = {
      ...fs,
      openSync: ((name: string, flags: number, mode: number) => {
        if (planted < 3) {
          symlinkSync(target, name)
          planted++
        }
        return fs.openSync(name, flags, mode)
      }) as SafeFs['openSync'],
    }
    replaceFile(path, 'sova_up 1\n', racing)
    assert.equal(planted, 3)
    assert.equal(readFileSync(target, 'utf8'), PRECIOUS)
    assert.equal(readFileSync(path, 'utf8'), 'sova_up 1\n')
    assert.ok(lstatSync(path).isFile(), 'a regular file, not a link')
  })

  it('an attacker winning every race makes the write fail, never succeed through the link', () => {
    const dir = scratch()
    const target = victim()
    const always: SafeFs = {...fs, openSync: ((name: string, flags: number, mode: number) => (symlinkSync(target, name), fs.openSync(name, flags, mode))) as SafeFs['openSync']}
    assert.throws(() => writeFileDurably(join(dir, 'sova.prom'), 'x\n', 'metrics-file', always), (error: unknown) => error instanceof SovaError && /EEXIST/.test(error.message))
    assert.equal(readFileSync(target, 'utf8'), PRECIOUS)
    assert.ok(!existsSync(join(dir, 'sova.prom')))
  })

  it('this process: symlinks at every name the old writers used leave the target untouched (metrics and plot)', () => {
    const dir = scratch()
    const target = victim()
    plantAt(dir, 'sova.prom', target, [process.pid])
    plantAt(dir, 'plot.svg', target, [process.pid])
    writeFileDurably(join(dir, 'sova.prom'), 'sova_up 1\n', 'metrics-file')
    writeFileAtomic(join(dir, 'plot.svg'), '<svg/>\n', 'plot')
    assert.equal(readFileSync(target, 'utf8'), PRECIOUS)
    assert.equal(readFileSync(join(dir, 'sova.prom'), 'utf8'), 'sova_up 1\n')
    assert.equal(readFileSync(join(dir, 'plot.svg'), 'utf8'), '<svg/>\n')
    assert.equal(readdirSync(dir).filter((name) => lstatSync(join(dir, name)).isFile()).sort().join(' '), 'plot.svg sova.prom', 'no temporary file left')
  })

  it('sova run --metrics-file in a directory full of planted symlinks: the target is untouched, the file written', async () => {
    const state = freshStateDir()
    const dir = join(state, 'textfile')
    mkdirSync(dir)
    const target = victim()
    plantAt(dir, 'sova.prom', target, likelyPids())
    const result = await sova(['run', '--once', '--quiet', '--metrics-file', join(dir, 'sova.prom')], {state})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.ok(readFileSync(target, 'utf8') === PRECIOUS, 'the target of the planted links is untouched')
    assert.ok(lstatSync(join(dir, 'sova.prom')).isFile(), 'a regular file, not a planted link renamed into place')
    assert.match(readFileSync(join(dir, 'sova.prom'), 'utf8'), /^sova_cluster_info\{/m)
  })
})

describe('safe write: a path that cannot be written is refused before anything is done', () => {
  it('checkWritable refuses a directory name, a missing directory, a directory in the way, a directory no file can be created in', () => {
    const dir = scratch()
    mkdirSync(join(dir, 'existing'))
    for (const [path, why] of [
      [join(dir, 'newdir') + '/', /it names a directory/],
      [join(dir, 'existing') + '/', /it names a directory/],
      [`${dir}/.`, /it names a directory/],
      [`${dir}/..`, /it names a directory/],
      [join(dir, 'existing'), /it is a directory/],
      [join(dir, 'missing', 'sova.prom'), /directory .*missing is not writable \(ENOENT\)/],
      // Root passes every permission check, yet no file can be created here.
      ['/proc/sova.prom', /directory \/proc is not writable/],
    ] as const) {
      assert.throws(() => checkWritable(path, 'metrics-file'), (error: unknown) => error instanceof SovaError && error.exit === EXIT.usage && why.test(error.message), path)
    }
    checkWritable(join(dir, 'sova.prom'), 'metrics-file')
    assert.deepEqual(readdirSync(dir), ['existing'], 'the trial file is gone')
  })

  it('a directory without write permission is refused (as root, whom modes do not stop, /proc stands for it above)', {skip: process.getuid?.() === 0 ? 'root may write any directory' : false}, () => {
    const dir = join(scratch(), 'read-only')
    mkdirSync(dir, {mode: 0o555})
    assert.throws(() => checkWritable(join(dir, 'sova.prom'), 'metrics-file'), (error: unknown) => error instanceof SovaError && error.exit === EXIT.usage && /not writable \(EACCES\)/.test(error.message))
  })

  for (const [label, path] of [
    ['a new directory with a trailing slash', (state: string) => join(state, 'newdir') + '/'],
    ['an existing directory with a trailing slash', (state: string) => join(state) + '/'],
    ['a directory where no file can be created', () => '/proc/sova.prom'],
    ['a directory that cannot be made', () => '/proc/sova-nonexistent/x.prom'],
  ] as const) {
    it(`sova run --once --metrics-file: ${label} exits 2 with one line and nothing done`, async () => {
      const state = freshStateDir()
      const result = await sova(['run', '--once', '--metrics-file', path(state)], {state})
      assert.equal(result.exitCode, 2, String(result.stderr))
      assert.ok(result.stdout === '', 'no document: no cycle ran')
      assert.match(String(result.stderr), /^sova run: --metrics-file: cannot write [^\n]*\n$/)
      const history = await sova(['history', '--format', 'json'], {state})
      assert.deepEqual(documents(history.stdout), [], 'no action journalled')
      assert.equal(documents((await sova(['collect'], {state})).stdout)[0].source.tick, 12, "no cycle ran: this is the cluster's first sample")
    })
  }
})
