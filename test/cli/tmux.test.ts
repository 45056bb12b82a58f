// The tables as a person sees them in a real 80-column terminal (tmux): no row wraps. Each command
// runs in a detached tmux window 80 columns wide (stdout a terminal, $COLUMNS unset, so Sova reads
// the terminal's width); the pane is captured and every line must be at most 80 columns, and the
// pane must hold as many lines as the command printed (a wrapped row would add lines).
// Without tmux the test fails under CI=true or SOVA_LAB=required (.ci/run installs tmux), and is
// skipped with the reason otherwise.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, before, describe, it} from 'node:test'
import {BIN, freshStateDir, sova} from './helpers.js'

const WIDTH = 80
const FIXTURES = join(import.meta.dirname, '..', 'fixtures')
/** Polls of the pane for a command's end marker, 100 ms apart: a budget, generous for a slow machine. */
const POLL_BUDGET = 1200

const tmuxMissing = spawnSync('tmux', ['-V']).status === 0 ? undefined : 'tmux is not installed (Debian: apt-get install -y tmux)'
if (tmuxMissing && (process.env.CI === 'true' || process.env.SOVA_LAB === 'required')) {
  throw new Error(`${process.env.CI === 'true' ? 'CI=true' : 'SOVA_LAB=required'}, but ${tmuxMissing}`)
}

const dir = mkdtempSync(join(tmpdir(), 'sova-tmux-'))
const socket = join(dir, 'tmux.sock')
const tmux = (...args: string[]) => spawnSync('tmux', ['-S', socket, '-f', join(dir, 'tmux.conf'), ...args], {encoding: 'utf8'})
const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`

/** Runs `sova ARGS` in an 80-column tmux window and returns the pane's lines, history included. */
async function inTerminal(name: string, args: string[], env: Record<string, string>): Promise<string[]> {
  const exports = Object.entries(env).map(([key, value]) => `${key}=${quote(value)}`).join(' ')
  const command = `env -u COLUMNS ${exports} ${quote(process.execPath)} ${quote(BIN)} ${args.map(quote).join(' ')} 2>/dev/null; echo "__sova_done $?"; sleep 600`
  const started = tmux('new-window', '-d', '-t', 'sova', '-n', name, command)
  assert.equal(started.status, 0, started.stderr)
  for (let poll = 0; poll < POLL_BUDGET; poll++) {
    const pane = tmux('capture-pane', '-p', '-S', '-', '-E', '-', '-t', `sova:${name}`)
    const lines = pane.stdout.replace(/\n+$/, '').split('\n')
    const end = lines.findIndex((line) => line.startsWith('__sova_done '))
    if (end >= 0) {
      tmux('kill-window', '-t', `sova:${name}`)
      return lines.slice(0, end)
    }
    await sleep(100)
  }
  throw new Error(`sova ${args.join(' ')} did not finish in the tmux window within ${POLL_BUDGET} polls`)
}

/** The lines the same command writes when its width is given by $COLUMNS (the logical rows). */
async function logicalLines(args: string[], env: Record<string, string>): Promise<string[]> {
  const result = await sova(args, {state: env.SOVA_STATE_DIR, env: {...env, COLUMNS: String(WIDTH), NO_COLOR: '1'}})
  return String(result.stdout).replace(/\n$/, '').split('\n')
}

describe('tables in an 80-column terminal (tmux)', {skip: tmuxMissing}, () => {
  const state = freshStateDir()
  const xenState = mkdtempSync(join(tmpdir(), 'sova-tmux-xen-'))
  const xenEnv = {
    PATH: [join(FIXTURES, 'bin', 'xen'), dirname(process.execPath), process.env.PATH].join(delimiter),
    SOVA_FAKE_STATE: xenState,
    SOVA_CONFIG: '',
  }

  before(async () => {
    writeFileSync(join(dir, 'tmux.conf'), 'set -g history-limit 50000\nset -g default-shell /bin/sh\n')
    // One session, 80 columns: every window of it is 80 columns wide.
    const created = tmux('new-session', '-d', '-s', 'sova', '-x', String(WIDTH), '-y', '50')
    assert.equal(created.status, 0, created.stderr)
    tmux('set-option', '-t', 'sova', 'window-size', 'manual')
    // A journal and a last document to show: a few cycles that move a VM.
    await sova(['run', '--cycles', '8', '--interval', '0s', '-q'], {state})
  })

  after(() => {
    tmux('kill-server')
  })

  // Commands that act or sample change the cluster: each run gets a fresh simulated cluster (the
  // simulator is deterministic), so the terminal's run and the logical one print the same rows.
  const fresh = () => ({SOVA_STATE_DIR: freshStateDir()})
  const kept = () => ({SOVA_STATE_DIR: state})
  const cases: [string, string[], () => Record<string, string>][] = [
    ['run', ['run', '--once', '--format', 'table'], fresh],
    ['explain', ['explain', '--format', 'table'], kept],
    ['history', ['history', '--format', 'table'], kept],
    ['explain-vm', ['explain', '--vm', 'bulk1', '--format', 'table'], kept],
    ['doctor', ['doctor', '--config', join(FIXTURES, 'config', 'xen.json'), '--format', 'table'], () => ({...xenEnv, ...kept()})],
    ['cycles', ['run', '--cycles', '10', '--interval', '0s', '--format', 'table'], fresh],
    ['switch-vf', ['switch-vf', 'idle2', '--to', 'vf', '--format', 'table'], fresh],
    ['collect', ['collect', '--format', 'table'], fresh],
    ['scenarios', ['sim', 'scenarios', '--format', 'table'], kept],
  ]

  for (const [name, args, env] of cases) {
    it(`sova ${args.join(' ')}: no line wider than ${WIDTH}, no row wrapped`, async () => {
      const shown = await inTerminal(name, args, {...env(), NO_COLOR: '1'})
      assert.ok(shown.length > 2, `something was shown:\n${shown.join('\n')}`)
      for (const line of shown) assert.ok([...line].length <= WIDTH, `wider than ${WIDTH}: ${line}`)
      // The same command, told the width by $COLUMNS instead of a terminal: as many lines, the same
      // rows. A row that wrapped on the screen would be two screen lines for one printed line.
      const logical = await logicalLines(args, env())
      assert.equal(shown.length, logical.length, `one screen line per printed line:\n${shown.join('\n')}`)
      assert.deepEqual(shown.map((line) => line.trimEnd()), logical.map((line) => line.trimEnd()))
    })
  }

  it('the terminal is really 80 columns wide (a line of 100 characters wraps in it)', async () => {
    const shown = await inTerminal('probe', ['sim', 'scenarios', '--format', 'table', '--wide'], {SOVA_STATE_DIR: state, NO_COLOR: '1'})
    const logical = await logicalLines(['sim', 'scenarios', '--format', 'table', '--wide'], {SOVA_STATE_DIR: state})
    assert.ok(shown.length > logical.length, '--wide rows wrap at 80 columns: the capture sees wrapping when it happens')
  })
})
