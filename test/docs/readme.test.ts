// Runs the examples of README.md (and docs/completion.md) so that they cannot rot.
//
// Rules (the README's authors follow them):
// - Every fenced block has an info string. Shell examples are `sh` blocks (bash, shell, zsh,
//   console and unlabelled blocks are refused, so none escapes); other languages (cron, ini,
//   text, ...) are file contents or output and are not run.
// - Each `sh` block is run, unless the line right before its fence is `<!-- not-run: reason -->`
//   (installs, real hosts, crontab, man, ...): the reason is required.
// - A run block gets a fresh temp dir: its working dir (with `docs` linked to the checkout's, so
//   paths such as docs/examples/cluster.json resolve as in a checkout), an empty HOME (the XDG
//   dirs are its defaults; no SOVA_* variable is inherited) and SOVA_STATE_DIR; NO_COLOR=1,
//   stdin /dev/null, and a PATH whose first entry holds a `sova` that runs this checkout's
//   bin/run.js. Blocks run in order; the lines of a block share it all.
// - Each line (joined over a trailing `\`), except blank lines and `#` comments, runs as
//   `bash -o pipefail -c LINE` and must exit 0, or N when its comment starts `# exit N`. A line
//   that exits 0 without sending stdout elsewhere (`>`, `>>`) must print something.
// - Each `json` block is a configuration file and must pass `sova config check`, unless marked
//   not-run; one marked `<!-- file: PATH -->` must be the same JSON as that file of the checkout.
// - jq is required (the recipes use it): without it the test fails with "install jq".
// - Every `sova COMMAND --flag` of a shell, cron or unit block (run or not) and of an inline code
//   span exists in the CLI (oclif's own view of its commands, plugins included), and so does
//   every bare `--flag` span; every relative link points to a file of the checkout, every
//   `#anchor` to a heading; the README links man/sova-COMMAND.1 for every visible command.
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {after, describe, test} from 'node:test'
import {Config} from '@oclif/core'

const ROOT = join(import.meta.dirname, '..', '..')
const BIN = join(ROOT, 'bin', 'run.js')
const DOCS = ['README.md', 'docs/completion.md']
const LINE_TIMEOUT_MS = 60_000
const SHELL_INFOS = new Set(['bash', 'shell', 'zsh', 'console', 'shell-session', 'shellsession', 'sh-session', 'terminal'])
/** Blocks whose lines may name sova commands: checked against the CLI even when not run. */
const COMMAND_INFOS = new Set(['sh', 'cron', 'ini', 'systemd'])
/** Inline spans that look like flags but are not (README: a VM name that is refused). */
const NOT_FLAGS = new Set(['--force'])
const INSTALL_JQ = 'install jq (Debian: apt-get install -y jq): the README recipes need it'

interface Block {
  file: string
  /** 1-based line of the opening fence. */
  line: number
  info: string
  body: string[]
  /** The `<!-- ... -->` comments on the lines right before the fence, innermost last. */
  markers: string[]
}

/** The fenced code blocks of a Markdown file, with the HTML comments right above each. */
function fencedBlocks(file: string): Block[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n')
  const found: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i])
    if (!open) continue
    const fence = open[1]
    const markers: string[] = []
    for (let j = i - 1; j >= 0; j--) {
      const comment = /^\s*<!--\s*(.*?)\s*-->\s*$/.exec(lines[j])
      if (!comment) break
      markers.unshift(comment[1])
    }
    const body: string[] = []
    let k = i + 1
    while (k < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[k])) body.push(lines[k++])
    assert.ok(k < lines.length, `${file}:${i + 1}: the block never closes`)
    found.push({file, line: i + 1, info: open[2].toLowerCase(), body, markers})
    i = k
  }
  return found
}

/** `reason` of a `not-run: reason` marker, '' for a marker without one, undefined if unmarked. */
function notRunReason(block: Block): string | undefined {
  const marker = block.markers.find((text) => /^not-run\b/.test(text))
  return marker === undefined ? undefined : marker.replace(/^not-run\s*:?\s*/, '')
}

function fileMarker(block: Block): string | undefined {
  return block.markers.find((text) => text.startsWith('file:'))?.replace(/^file:\s*/, '')
}

/** The commands of an sh block: lines joined over a trailing backslash, without blanks and comments. */
function commands(block: Block): {text: string; line: number}[] {
  const result: {text: string; line: number}[] = []
  let pending: {text: string; line: number} | undefined
  block.body.forEach((raw, index) => {
    const line = block.line + 1 + index
    const current = pending ? {text: `${pending.text} ${raw.trim()}`, line: pending.line} : {text: raw, line}
    if (/\\\s*$/.test(current.text)) {
      pending = {text: current.text.replace(/\\\s*$/, ''), line: current.line}
      return
    }
    pending = undefined
    const trimmed = current.text.trim()
    if (trimmed !== '' && !trimmed.startsWith('#')) result.push({text: trimmed, line: current.line})
  })
  assert.equal(pending, undefined, `${block.file}:${block.line}: the block ends in a line continuation`)
  return result
}

/** The exit code a line announces with a comment starting `# exit N`, else 0. */
export function expectedExit(command: string): number {
  const match = /(?:^|\s)#\s*exit\s+(\d+)\b/.exec(command)
  return match ? Number(match[1]) : 0
}

/** Whether the line sends its stdout to a file (or stderr) instead of printing it. */
export function redirectsStdout(command: string): boolean {
  const code = command
    .replace(/'[^']*'/g, "''")
    .replace(/"(?:\\.|[^"\\])*"/g, '""')
    .replace(/(?:^|\s)#.*$/, '')
  return /(?:^|[^0-9])>/.test(code)
}

/** The `sova ...` invocations of a shell line: each as the words after `sova`. */
export function invocations(line: string): string[][] {
  const code = line
    .replace(/'[^']*'/g, "''")
    .replace(/"(?:\\.|[^"\\])*"/g, '""')
    .replace(/(?:^|\s)#.*$/, '')
  const found: string[][] = []
  for (const segment of code.split(/\|\||&&|\$\(|[|;()`]/)) {
    const words = segment.trim().split(/\s+/)
    const at = words.findIndex((word) => word === 'sova' || word.endsWith('/sova') || word.endsWith('bin/run.js'))
    if (at === -1) continue
    const rest = words.slice(at + 1)
    const end = rest.findIndex((word) => /^\d*[<>]/.test(word) && !word.startsWith('<TAB'))
    found.push(end === -1 ? rest : rest.slice(0, end))
  }
  return found
}

/** Inline code spans of a Markdown file's prose (fenced blocks left out). */
function inlineSpans(file: string): string[] {
  const prose = readFileSync(join(ROOT, file), 'utf8').replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, '')
  return [...prose.matchAll(/`([^`\n]+)`/g)].map((match) => match[1])
}

/** Markdown links of a file's prose: [text](target). */
function links(file: string): string[] {
  const prose = readFileSync(join(ROOT, file), 'utf8').replace(/^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?^ {0,3}\1[^\n]*$/gm, '')
  return [...prose.replaceAll(/`[^`\n]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1])
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replaceAll(' ', '-')
}

/** The CLI as oclif sees it, plugins included: every command id (`sim:reset`) and topic with its
 * flags (`--name`, `--no-name`, `-c`), and the ids of the commands that are not hidden. */
async function loadCli(): Promise<{flags: Map<string, Set<string>>; visible: string[]}> {
  const config = await Config.load(ROOT)
  const commands = new Map<string, Set<string>>()
  for (const command of config.commands) {
    const flags = new Set(['--help', '--version'])
    for (const [name, flag] of Object.entries(command.flags ?? {})) {
      flags.add(`--${name}`)
      if ((flag as {allowNo?: boolean}).allowNo) flags.add(`--no-${name}`)
      if (flag.char) flags.add(`-${flag.char}`)
    }
    commands.set(command.id, flags)
  }
  // A topic alone (`sova sim`) lists its commands.
  for (const topic of config.topics) if (!commands.has(topic.name)) commands.set(topic.name, new Set(['--help']))
  return {flags: commands, visible: config.commands.filter((command) => !command.hidden).map((command) => command.id)}
}

/** What is wrong with `sova WORDS...` for the CLI, or undefined. */
export function checkInvocation(words: string[], commands: Map<string, Set<string>>): string | undefined {
  if (words.length === 0 || words[0].startsWith('<') || words[0] === '--help' || words[0] === '--version') return undefined
  const end = words.findIndex((word) => word.startsWith('-') || word.startsWith('<'))
  const leading = end === -1 ? words : words.slice(0, end)
  let id: string | undefined
  for (let length = Math.min(leading.length, 3); length > 0 && id === undefined; length--) {
    const candidate = leading.slice(0, length).join(':')
    if (commands.has(candidate)) id = candidate
  }
  if (id === undefined) return `no command \`sova ${leading.join(' ')}\``
  const flags = commands.get(id)!
  for (const word of words) {
    if (!word.startsWith('-') || word.includes('<')) continue
    const flag = word.startsWith('--') ? word.split('=')[0] : word.slice(0, 2)
    if (!flags.has(flag)) return `\`sova ${id.replaceAll(':', ' ')}\` has no flag ${flag}`
  }
  return undefined
}

function hasJq(): boolean {
  return spawnSync('jq', ['--version'], {stdio: 'ignore'}).status === 0
}

const scratch = mkdtempSync(join(tmpdir(), 'sova-readme-'))
after(() => rmSync(scratch, {recursive: true, force: true}))

const shim = join(scratch, 'bin')
mkdirSync(shim)
writeFileSync(join(shim, 'sova'), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, {mode: 0o755})

/** A fresh sandbox for one block: working dir, HOME, XDG dirs and state, and its environment. */
function sandbox(name: string): {cwd: string; env: NodeJS.ProcessEnv} {
  const dir = mkdtempSync(join(scratch, `${name}-`))
  const cwd = join(dir, 'work')
  const home = join(dir, 'home')
  for (const sub of ['work', 'home', 'state']) mkdirSync(join(dir, sub))
  symlinkSync(join(ROOT, 'docs'), join(cwd, 'docs'))
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('SOVA_') && !key.startsWith('XDG_') && key !== 'FORCE_COLOR') env[key] = value
  }
  Object.assign(env, {
    PATH: [shim, process.env.PATH ?? '/usr/bin:/bin'].join(delimiter),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    SOVA_STATE_DIR: join(dir, 'state'),
    NO_COLOR: '1',
  })
  return {cwd, env}
}

function runLine(command: string, where: {cwd: string; env: NodeJS.ProcessEnv}) {
  return spawnSync('bash', ['-o', 'pipefail', '-c', command], {
    cwd: where.cwd,
    env: where.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: LINE_TIMEOUT_MS,
    maxBuffer: 256 * 1024 * 1024,
  })
}

/** Relative links of a doc whose file or heading does not exist. */
function linkProblems(file: string): string[] {
  const headings = new Set(
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => slug(line.replace(/^#+ /, ''))),
  )
  const problems: string[] = []
  for (const target of links(file)) {
    if (/^[a-z]+:/i.test(target)) continue
    const [path, anchor] = target.split('#')
    if (path === '') {
      if (!headings.has(anchor)) problems.push(`${file}: no heading for #${anchor}`)
    } else if (!existsSync(join(ROOT, dirname(file), path))) {
      problems.push(`${file}: ${target} does not exist`)
    }
  }
  return problems
}

const all = DOCS.flatMap(fencedBlocks)
const shBlocks = all.filter((block) => block.info === 'sh')
const jsonBlocks = all.filter((block) => block.info === 'json')
const where = (block: Block) => `${block.file}:${block.line}`

describe('the documentation examples', () => {
  test('every fenced block says its language, and shell examples are sh blocks', () => {
    for (const block of all) {
      assert.notEqual(block.info, '', `${where(block)}: give the block an info string (sh to run it, text for output)`)
      assert.ok(!SHELL_INFOS.has(block.info), `${where(block)}: a \`${block.info}\` block is never run: make it \`sh\``)
    }
  })

  test('every sh and json block is run or checked, or marked not-run with a reason', () => {
    for (const block of [...shBlocks, ...jsonBlocks]) {
      for (const marker of block.markers) {
        assert.match(marker, /^(not-run|file):/, `${where(block)}: unknown marker <!-- ${marker} --> (not-run: REASON, or file: PATH)`)
      }
      const reason = notRunReason(block)
      if (reason !== undefined) assert.notEqual(reason, '', `${where(block)}: <!-- not-run: ... --> needs a reason`)
      if (block.info === 'sh' && reason === undefined) {
        assert.ok(commands(block).length > 0, `${where(block)}: an sh block with no command`)
      }
    }
    assert.ok(shBlocks.filter((block) => notRunReason(block) === undefined).length >= 8, 'most examples run')
  })

  test('the Quick start is exactly the two commands', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const section = readme.split(/^## /m).find((part) => part.startsWith('Quick start'))
    assert.ok(section, 'README.md has a "## Quick start" section')
    const quick = shBlocks.find((block) => block.file === 'README.md' && section.includes(block.body.join('\n')))
    assert.ok(quick, 'the Quick start has an sh block')
    assert.deepEqual(commands(quick).map((command) => command.text), [
      'npm ci && ./bin/run.js run --once --format table',
      'npm test',
    ])
  })

  test('jq is installed', () => {
    assert.ok(hasJq(), INSTALL_JQ)
  })

  test('the configuration example is docs/examples/cluster.json, and the README checks that file', () => {
    const marked = jsonBlocks.filter((block) => fileMarker(block) === 'docs/examples/cluster.json')
    assert.equal(marked.length, 1, 'README.md shows docs/examples/cluster.json in a json block marked <!-- file: docs/examples/cluster.json -->')
    const checks = shBlocks
      .filter((block) => notRunReason(block) === undefined)
      .flatMap(commands)
      .filter((command) => /\bsova config check\b.*--config docs\/examples\/cluster\.json/.test(command.text))
    assert.ok(checks.length > 0, 'a run example says `sova config check --config docs/examples/cluster.json`')
  })

  test('every sova command and flag the docs name exists', async () => {
    const cli = (await loadCli()).flags
    assert.ok(cli.has('run') && cli.has('autocomplete'), 'oclif sees the commands and the autocomplete plugin')
    const allFlags = new Set([...cli.values()].flatMap((flags) => [...flags]))
    const problems: string[] = []
    for (const block of all.filter((candidate) => COMMAND_INFOS.has(candidate.info))) {
      const lines = block.info === 'sh' ? commands(block) : block.body.map((text, index) => ({text, line: block.line + 1 + index}))
      for (const line of lines) {
        for (const words of invocations(line.text)) {
          const problem = checkInvocation(words, cli)
          if (problem) problems.push(`${block.file}:${line.line}: ${problem}`)
        }
      }
    }
    for (const file of DOCS) {
      for (const span of inlineSpans(file)) {
        if (/^(sova|\.\/bin\/run\.js) /.test(span)) {
          for (const words of invocations(span)) {
            const problem = checkInvocation(words, cli)
            if (problem) problems.push(`${file}: \`${span}\`: ${problem}`)
          }
        }
        const flag = /^(--[a-z][a-z0-9-]*)(?:[ =]|$)/.exec(span)?.[1]
        if (flag && !NOT_FLAGS.has(flag) && !allFlags.has(flag)) problems.push(`${file}: \`${span}\`: no command has ${flag}`)
      }
    }
    assert.deepEqual(problems, [])
  })

  test('every relative link points to a file, every anchor to a heading', () => {
    assert.deepEqual(DOCS.flatMap(linkProblems), [])
  })

  test('the README links the man page of every command', async () => {
    const linked = new Set(links('README.md'))
    const pages = ['man/sova.1', ...(await loadCli()).visible.map((id) => `man/sova-${id.replaceAll(':', '-')}.1`)]
    assert.deepEqual(pages.filter((page) => !linked.has(page)), [])
  })

  for (const block of jsonBlocks) {
    test(`${where(block)}: json block`, {skip: notRunReason(block) === undefined ? false : notRunReason(block)}, () => {
      const text = block.body.join('\n')
      const value = JSON.parse(text)
      const file = fileMarker(block)
      if (file !== undefined) {
        assert.deepEqual(value, JSON.parse(readFileSync(join(ROOT, file), 'utf8')), `${where(block)} differs from ${file}`)
      }
      const box = sandbox('json')
      writeFileSync(join(box.cwd, 'config.json'), text)
      const result = runLine('sova config check --config config.json', box)
      assert.equal(result.status, 0, `${where(block)}: sova config check refused it:\n${result.stdout}${result.stderr}`)
    })
  }

  for (const block of shBlocks) {
    const reason = notRunReason(block)
    const first = (block.body.find((line) => line.trim() !== '' && !line.trim().startsWith('#')) ?? '').replace(/\s+#.*$/, '').trim()
    test(`${where(block)}: ${first}`, {skip: reason === undefined ? false : `not run: ${reason}`}, () => {
      if (block.body.some((line) => /\bjq\b/.test(line)) && !hasJq()) assert.fail(INSTALL_JQ)
      const box = sandbox('sh')
      for (const command of commands(block)) {
        const started = Date.now()
        const result = runLine(command.text, box)
        const context = `${block.file}:${command.line}: ${command.text}\n--- stdout\n${result.stdout.slice(0, 2000)}\n--- stderr\n${result.stderr.slice(0, 4000)}`
        assert.equal(result.error, undefined, `${context}\n${result.error}`)
        assert.equal(result.signal, null, `${context}\nkilled by ${result.signal} after ${Date.now() - started} ms`)
        const expected = expectedExit(command.text)
        assert.equal(result.status, expected, `exit ${result.status}, expected ${expected}: ${context}`)
        if (expected === 0 && !redirectsStdout(command.text)) {
          assert.notEqual(result.stdout.trim(), '', `printed nothing on stdout: ${context}`)
        }
      }
    })
  }
})

describe('the example runner itself', () => {
  test('reads `# exit N` comments', () => {
    assert.equal(expectedExit('sova collect   # exit 69: host2 does not answer'), 69)
    assert.equal(expectedExit('sova sim outage host2   # host2 stops answering (collect exits 69)'), 0)
    assert.equal(expectedExit("sova collect | jq -r '.x'"), 0)
  })

  test('finds the sova invocations of a line', () => {
    assert.deepEqual(invocations("sova collect | sova score | jq -r '.x | sova'"), [['collect'], ['score']])
    assert.deepEqual(invocations('SOVA_CONFIG=$(scripts/lab.sh up) sova doctor   # sova run'), [['doctor']])
    assert.deepEqual(invocations('* * * * * sova run --once --quiet >> /var/log/sova.ndjson'), [['run', '--once', '--quiet']])
    assert.deepEqual(invocations('ExecStart=/usr/bin/sova run --once'), [['run', '--once']])
    assert.deepEqual(invocations('npm ci && ./bin/run.js run --once'), [['run', '--once']])
  })

  test('checks an invocation against the commands and their flags', () => {
    const cli = new Map([
      ['run', new Set(['--help', '--once', '-q'])],
      ['sim', new Set(['--help'])],
      ['sim:reset', new Set(['--help', '--seed'])],
    ])
    assert.equal(checkInvocation(['run', '--once', '-q'], cli), undefined)
    assert.equal(checkInvocation(['sim', 'reset', '--seed=3'], cli), undefined)
    assert.equal(checkInvocation(['sim', '<TAB>'], cli), undefined)
    assert.equal(checkInvocation(['run', '--<TAB>'], cli), undefined)
    assert.match(checkInvocation(['run', '--twice'], cli) ?? '', /no flag --twice/)
    assert.match(checkInvocation(['sim', 'reset', '-x'], cli) ?? '', /no flag -x/)
    assert.match(checkInvocation(['runn', '--once'], cli) ?? '', /no command `sova runn`/)
  })

  test('tells a redirected stdout from a printed one', () => {
    assert.equal(redirectsStdout('sova run --cycles 3 --format csv > actions.csv'), true)
    assert.equal(redirectsStdout('printf "$(sova autocomplete script bash)" >> ~/.bashrc; source ~/.bashrc'), true)
    assert.equal(redirectsStdout("sova collect | jq 'select(.a > 1)'"), false)
    assert.equal(redirectsStdout('sova collect 2>/dev/null'), false)
    assert.equal(redirectsStdout('sova collect   # writes > nothing'), false)
  })
})
