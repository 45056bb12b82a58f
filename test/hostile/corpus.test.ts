// Hostile input, case by case, through every command that reads documents on stdin. Each refused
// document must give: exit 65 (2 for usage), ONE line on stderr that names the problem and where
// it is (stdin line N, and a field path like hosts[0].vms[1].name), nothing on stdout, and no
// action: the acting stages (migrate, switch-vf, for real and --dry-run) leave the journal empty
// and the simulated cluster as it was. Small raw inputs live in test/fixtures/hostile; the big
// ones (100 MB and more) are generated here, streamed, and never written to the repository.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'
import {after, before, describe, it} from 'node:test'
import {Store} from '../../src/lib/store/store.js'
import {BIN, documents, freshStateDir, sova} from '../cli/helpers.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'hostile')
const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name))

/** Every command that reads documents on stdin; the acting ones also without --dry-run. */
const READERS: {args: string[]; acts: boolean}[] = [
  {args: ['score'], acts: false},
  {args: ['balance'], acts: false},
  {args: ['explain'], acts: false},
  {args: ['migrate', '--dry-run'], acts: false},
  {args: ['switch-vf', '--dry-run'], acts: false},
  {args: ['migrate'], acts: true},
  {args: ['switch-vf'], acts: true},
]
const [SCORE, , , , , MIGRATE, SWITCH_VF] = READERS
const OTHERS = READERS.slice(1, 5)

/**
 * The readers case `index` goes through: score, one acting stage for real (alternately), and one
 * of the others in turn, so every reader meets about a quarter of the corpus (all share one reader,
 * and every process costs a start-up).
 */
const readersFor = (index: number) => [SCORE, index % 2 === 0 ? MIGRATE : SWITCH_VF, OTHERS[index % OTHERS.length]]

interface Case {
  why: string
  /** The bytes on stdin, built from a freshly collected (valid) document. */
  input: (doc: any) => string | Buffer
  /** What the one stderr line must say after "sova CMD: ". */
  message: RegExp
}

const clone = (doc: any): any => structuredClone(doc)
const edit = (change: (doc: any) => void) => (doc: any): string => {
  const copy = clone(doc)
  change(copy)
  return JSON.stringify(copy)
}
/** A VM that holds a VF, and where it is. */
function vmWithVf(doc: any): {h: number; v: number} {
  for (const [h, host] of doc.hosts.entries()) {
    for (const [v, vm] of host.vms.entries()) if (vm.vf) return {h, v}
  }
  throw new Error('the seed document has no VM on a VF')
}

const HOSTILE_NAMES = ['web1; rm -rf /', '$(reboot)', '`reboot`', '--help', '-rf', 'a b', 'web1\nreboot', 'x'.repeat(65), '']

const CASES: Case[] = [
  {why: 'malformed JSON (a missing comma, pretty-printed)', input: () => fixture('malformed.json'), message: /^stdin line 1: not valid JSON \(.+\)$/},
  {why: 'not JSON at all', input: () => fixture('garbage.txt'), message: /^stdin line 1: not valid JSON/},
  {why: 'a stray closing brace after a document', input: () => fixture('trailing-brace.json'), message: /^stdin line 1: source: expected a value \(required\)/},
  {why: 'truncated after 100 bytes', input: (doc) => JSON.stringify(doc).slice(0, 100), message: /^stdin line 1: input ends inside a document \(truncated JSON\?\)$/},
  {why: 'a bad document on line 3 after blank lines', input: (doc) => `\n\n${JSON.stringify(doc).replace('"sova":1', '"sova":1,,')}\n`, message: /^stdin line 3: not valid JSON/},
  {why: 'null', input: () => 'null\n', message: /^stdin line 1: expected a Sova document \(a JSON object\), got null$/},
  {why: 'an array of documents', input: (doc) => JSON.stringify([doc]), message: /^stdin line 1: expected a Sova document \(a JSON object\), got an array$/},
  {why: 'an empty object', input: () => '{}', message: /^stdin line 1: sova: missing document version \(expected "sova": 1\)$/},
  {why: 'version 2', input: edit((d) => (d.sova = 2)), message: /^stdin line 1: sova: unsupported document version 2 \(this sova reads version 1\)$/},
  {why: 'version 1.5', input: edit((d) => (d.sova = 1.5)), message: /^stdin line 1: sova: expected version 1, got number 1\.5$/},
  {why: 'version "1" (a string)', input: edit((d) => (d.sova = '1')), message: /^stdin line 1: sova: expected version 1, got "1"$/},
  {why: 'hosts an object', input: edit((d) => (d.hosts = {})), message: /^stdin line 1: hosts: expected an array, got an object$/},
  {why: 'cpus a string', input: edit((d) => (d.hosts[0].cpus = '32')), message: /^stdin line 1: hosts\[0\]\.cpus: expected a whole number from 0 to 65536, got "32"$/},
  {why: 'a VM without a name', input: edit((d) => delete d.hosts[1].vms[2].name), message: /^stdin line 1: hosts\[1\]\.vms\[2\]\.name: expected a value \(required\), got nothing$/},
  {why: 'at not a date', input: edit((d) => (d.at = 'yesterday')), message: /^stdin line 1: at: expected an ISO 8601 date-time, got "yesterday"$/},
  {why: 'the same VM on two hosts', input: edit((d) => (d.hosts[1].vms[0].name = d.hosts[0].vms[0].name)), message: /^stdin line 1: hosts\[1\]\.vms\[0\]\.name: VM "[^"]+" appears twice \(also at hosts\[0\]\.vms\[0\]\)$/},
  {why: 'the same host twice', input: edit((d) => (d.hosts[2].name = d.hosts[0].name)), message: /^stdin line 1: hosts\[2\]\.name: host "host1" appears twice$/},
  {
    why: 'one VF in two VMs',
    input: edit((d) => {
      const {h, v} = vmWithVf(d)
      const other = v === 0 ? 1 : 0
      Object.assign(d.hosts[h].vms[other], {path: 'vf', vf: d.hosts[h].vms[v].vf})
    }),
    message: /^stdin line 1: hosts\[\d+\]\.vms\[\d+\]\.vf: VF [0-9a-f:.]+ is assigned to two VMs \(also \S+\)$/,
  },
  {
    why: 'a VF assigned and listed free',
    input: edit((d) => {
      const {h, v} = vmWithVf(d)
      d.hosts[h].vfs.free.push(d.hosts[h].vms[v].vf)
    }),
    message: /^stdin line 1: hosts\[\d+\]\.vms\[\d+\]\.vf: VF [0-9a-f:.]+ is assigned and listed free$/,
  },
  {why: 'a host both sampled and listed missing', input: edit((d) => (d.missing = [{host: d.hosts[1].name, reason: 'did not answer'}])), message: /^stdin line 1: missing\[0\]\.host: host "host2" is both sampled and missing$/},
  {why: 'a missing host named like a shell command', input: edit((d) => (d.missing = [{host: 'h9;reboot', reason: 'did not answer'}])), message: /^stdin line 1: missing\[0\]\.host: expected a name of letters, digits .*, got "h9;reboot"$/},
  {why: 'more VFs than the host has', input: edit((d) => (d.hosts[0].vfs.total = 0)), message: /^stdin line 1: hosts\[0\]\.vfs: \d+ in use \+ \d+ free exceeds total 0$/},
  {why: 'negative memory', input: edit((d) => (d.hosts[0].vms[1].memoryMiB = -1)), message: /^stdin line 1: hosts\[0\]\.vms\[1\]\.memoryMiB: expected a number from 0 to 1073741824 \(1 PiB\), got number -1$/},
  {why: 'a ratio above 1', input: edit((d) => (d.hosts[0].vms[0].net.activeRatio = 1.5)), message: /^stdin line 1: hosts\[0\]\.vms\[0\]\.net\.activeRatio: expected a number from 0 to 1, got number 1\.5$/},
  {
    why: '1e999 (Infinity: JSON has no NaN)',
    input: (doc) => JSON.stringify(doc).replace(/"rxBps":[^,}]+/, '"rxBps":1e999'),
    message: /^stdin line 1: hosts\[0\]\.nic\.rxBps: expected a number, got number Infinity$/,
  },
  {
    why: '-1e999',
    input: (doc) => JSON.stringify(doc).replace(/"speedMbps":[^,}]+/, '"speedMbps":-1e999'),
    message: /^stdin line 1: hosts\[0\]\.nic\.speedMbps: expected a number, got number -Infinity$/,
  },
  {why: '"NaN" as a string', input: edit((d) => (d.hosts[0].nic.utilisation = 'NaN')), message: /^stdin line 1: hosts\[0\]\.nic\.utilisation: expected a number, got "NaN"$/},
  {why: 'a window of 0 s', input: edit((d) => (d.source.windowSeconds = 0)), message: /^stdin line 1: source\.windowSeconds: expected a number > 0, got number 0$/},
  ...HOSTILE_NAMES.map((name): Case => ({
    why: `VM named ${JSON.stringify(name)}`,
    input: edit((d) => (d.hosts[0].vms[1].name = name)),
    message: /^stdin line 1: hosts\[0\]\.vms\[1\]\.name: expected a name of letters, digits and \. _ : @ \+ - \(at most 64, not starting with -\), got ".*"$/,
  })),
  ...HOSTILE_NAMES.slice(0, 5).map((name): Case => ({
    why: `host named ${JSON.stringify(name)}`,
    input: edit((d) => (d.hosts[1].name = name)),
    message: /^stdin line 1: hosts\[1\]\.name: expected a name of .*, got ".*"$/,
  })),
  {
    why: 'a VF at slot 20 (0000:03:20.1)',
    input: edit((d) => {
      const {h, v} = vmWithVf(d)
      d.hosts[h].vms[v].vf = '0000:03:20.1'
    }),
    message: /^stdin line 1: hosts\[\d+\]\.vms\[\d+\]\.vf: expected a PCI address \[DDDD:\]BB:SS\.F or null, got "0000:03:20\.1"$/,
  },
  {why: 'a free VF named --force', input: edit((d) => d.hosts[0].vfs.free.push('--force')), message: /^stdin line 1: hosts\[0\]\.vfs\.free\[\d+\]: expected a PCI address \[DDDD:\]BB:SS\.F, got "--force"$/},
  {
    why: 'a planned migration to "$(reboot)"',
    input: edit((d) => (d.plan = {policy: 'sova', migrations: [{vm: d.hosts[0].vms[0].name, from: 'host1', to: '$(reboot)', giveVfOnArrival: false, reason: 'x'}], vf: []})),
    message: /^stdin line 1: plan\.migrations\[0\]\.to: expected a name of .*, got "\$\(reboot\)"$/,
  },
  {
    why: 'a planned VF attach of "--force"',
    input: edit((d) => (d.plan = {policy: 'sova', migrations: [], vf: [{host: 'host1', vm: d.hosts[0].vms[0].name, op: 'attach', vf: '--force', reason: 'x'}]})),
    message: /^stdin line 1: plan\.vf\[0\]\.vf: expected a PCI address \[DDDD:\]BB:SS\.F, got "--force"$/,
  },
  {why: '10,000-deep nesting', input: () => fixture('deep-nesting.json'), message: /^stdin line 1: document nested more than 1000 levels deep; refused$/},
  {why: 'invalid UTF-8 bytes', input: () => fixture('invalid-utf8.ndjson'), message: /^stdin: invalid UTF-8 near byte \d+$/},
]

/** The run's result must be a refusal: exit, one stderr line `sova CMD: <message>`, empty stdout. */
function assertRefused(result: {exitCode?: number; stdout: unknown; stderr: unknown}, command: string, exit: number, message: RegExp): void {
  const stderr = String(result.stderr)
  assert.equal(result.exitCode, exit, `exit code; stderr: ${stderr.slice(0, 500)}`)
  assert.equal(String(result.stdout), '', 'nothing on stdout')
  assert.ok(stderr.endsWith('\n') && stderr.indexOf('\n') === stderr.length - 1, `one line on stderr: ${JSON.stringify(stderr.slice(0, 500))}`)
  const prefix = `sova ${command}: `
  assert.ok(stderr.startsWith(prefix), `stderr starts with "${prefix}": ${stderr}`)
  assert.match(stderr.slice(prefix.length, -1), message)
}

/** Nothing acted: no journal row, the simulated cluster unchanged, no run lock left behind. */
function assertNoAction(state: string, simBefore: string | undefined): void {
  const store = Store.open(state)
  try {
    assert.equal(store.journalCount(), 0, 'journal is empty')
    assert.equal(store.readSim(), simBefore, 'the simulated cluster is unchanged')
  } finally {
    store.close()
  }
}

function readSim(state: string): string | undefined {
  const store = Store.open(state)
  try {
    return store.readSim()
  } finally {
    store.close()
  }
}

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

/** A state directory holding the cluster the seed document was collected from. */
function copyOf(seedState: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sova-hostile-'))
  dirs.push(dir)
  cpSync(seedState, dir, {recursive: true})
  return dir
}

describe('hostile documents on stdin', {concurrency: 2}, () => {
  let seedState: string
  let seedDoc: any
  before(async () => {
    seedState = freshStateDir()
    dirs.push(seedState)
    const collected = await sova(['collect'], {state: seedState})
    assert.equal(collected.exitCode, 0, String(collected.stderr))
    seedDoc = documents(collected.stdout)[0]
  })

  it('the seed document, scored, is accepted by every reader', async () => {
    const scored = await sova(['score', '--format', 'json'], {state: copyOf(seedState), input: JSON.stringify(seedDoc)})
    assert.equal(scored.exitCode, 0, String(scored.stderr))
    for (const {args} of READERS) {
      const state = copyOf(seedState)
      const result = await sova([...args, '--format', 'json'], {state, input: String(scored.stdout)})
      assert.equal(result.exitCode, 0, `${args.join(' ')}: ${result.stderr}`)
    }
  })

  for (const [index, c] of CASES.entries()) {
    it(c.why, async () => {
      const input = c.input(seedDoc)
      for (const {args, acts} of readersFor(index)) {
        const state = copyOf(seedState)
        const simBefore = acts ? readSim(state) : undefined
        const result = await sova(args, {state, input: input as string})
        assertRefused(result, args[0], 65, c.message)
        if (acts) assertNoAction(state, simBefore)
      }
    })
  }
})

describe('hostile names on the command line (one-off actions)', {concurrency: 2}, () => {
  let seedState: string
  before(async () => {
    seedState = freshStateDir()
    dirs.push(seedState)
    assert.equal((await sova(['collect'], {state: seedState})).exitCode, 0)
  })

  const cases: {args: string[]; message: RegExp}[] = [
    {args: ['switch-vf', '--', '--help', '--to', 'vf'], message: /^unexpected arguments "--to", "vf" \(see sova switch-vf --help\)$/},
    {args: ['switch-vf', '--to', 'vf', '--', '--help'], message: /^VM "--help" is not a valid name \(.*\)$/},
    {args: ['switch-vf', '--to', 'pv', '--', '-rf'], message: /^VM "-rf" is not a valid name/},
    {args: ['switch-vf', '`reboot`', '--to', 'vf'], message: /^VM "`reboot`" is not a valid name/},
    {args: ['migrate', 'web1;reboot', '--to', 'host2'], message: /^VM "web1;reboot" is not a valid name \(letters, digits and \. _ : @ \+ -, at most 64, not starting with -\)$/},
    {args: ['migrate', '$(reboot)', '--to', 'host2'], message: /^VM "\$\(reboot\)" is not a valid name/},
    {args: ['migrate', 'web1', '--to', 'host2; rm -rf /'], message: /^host "host2; rm -rf \/" is not a valid name/},
    {args: ['migrate', 'web1', '--to', '-rf'], message: /^host "-rf" is not a valid name/},
    {args: ['migrate', '--', 'web1', '--to', '--force'], message: /^unexpected arguments "--to", "--force"/},
    {args: ['migrate', 'web1', '--to', 'host2', '--dry-run', '--', '--force'], message: /^unexpected argument "--force"/},
  ]
  for (const c of cases) {
    it(`sova ${c.args.join(' ')}`, async () => {
      const state = copyOf(seedState)
      const simBefore = readSim(state)
      assertRefused(await sova(c.args, {state}), c.args[0], 2, c.message)
      assertNoAction(state, simBefore)
    })
  }
})

/** Peak RSS (KiB) through /usr/bin/time when it is there, else undefined. */
const TIME = '/usr/bin/time'
const hasTime = existsSync(TIME)

/** Runs `sova args` with a generated byte stream on stdin, measuring its peak RSS. */
function runStreamed(args: string[], state: string, chunks: () => Iterable<Buffer>): Promise<{exitCode: number; stdout: string; stderr: string; peakKiB?: number}> {
  return new Promise((resolve, reject) => {
    const rssFile = join(state, 'rss.txt')
    const command = hasTime ? TIME : process.execPath
    const argv = hasTime ? ['-f', '%M', '-o', rssFile, process.execPath, BIN, ...args] : [BIN, ...args]
    const child = spawn(command, argv, {env: {...process.env, SOVA_STATE_DIR: state}, stdio: ['pipe', 'pipe', 'pipe']})
    let stdoutBytes = 0
    let stdoutHead = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdoutBytes += chunk.length
      if (stdoutHead.length < 2000) stdoutHead += chunk.toString('utf8', 0, 2000)
    })
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk))
    // The child may refuse and exit before it has read everything: a broken pipe is expected.
    child.stdin.on('error', () => {})
    Readable.from(chunks()).on('error', reject).pipe(child.stdin)
    child.on('error', reject)
    child.on('close', (code) => {
      const peak = hasTime && existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) : undefined
      resolve({exitCode: code ?? -1, stdout: stdoutBytes > 0 ? stdoutHead : '', stderr, peakKiB: peak})
    })
  })
}

const MiB = 1024 * 1024

describe('huge input: refused or handled with bounded memory, never a crash', () => {
  let seedDoc: any
  before(async () => {
    const state = freshStateDir()
    dirs.push(state)
    seedDoc = documents((await sova(['collect'], {state})).stdout)[0]
  })

  function assertBounded(peakKiB: number | undefined, limitMiB: number): void {
    if (peakKiB === undefined) return
    assert.ok(peakKiB / 1024 < limitMiB, `peak RSS ${Math.round(peakKiB / 1024)} MiB exceeds ${limitMiB} MiB`)
  }

  it('a 100 MB line that never closes its document: exit 65, truncated JSON', async () => {
    const state = freshStateDir()
    dirs.push(state)
    const result = await runStreamed(['score'], state, function* () {
      yield Buffer.from('{"sova":1,"note":"')
      for (let i = 0; i < 100; i++) yield Buffer.alloc(MiB, 'a')
    })
    assertRefused(result, 'score', 65, /^stdin line 1: input ends inside a document \(truncated JSON\?\)$/)
    assertBounded(result.peakKiB, 800)
  })

  it('a 100 MB bare word on one line: exit 65, not valid JSON, one line', async () => {
    const state = freshStateDir()
    dirs.push(state)
    const result = await runStreamed(['switch-vf', '--dry-run'], state, function* () {
      for (let i = 0; i < 100; i++) yield Buffer.alloc(MiB, 'a')
      yield Buffer.from('\n')
    })
    assertRefused(result, 'switch-vf', 65, /^stdin line 1: not valid JSON \(.{0,200}\)$/)
    assertBounded(result.peakKiB, 800)
  })

  it('a 300 MB document: refused past 256 MiB without reading it all into memory', async () => {
    const state = freshStateDir()
    dirs.push(state)
    const result = await runStreamed(['migrate', '--dry-run'], state, function* () {
      yield Buffer.from('{"sova":1,"note":"')
      for (let i = 0; i < 300; i++) yield Buffer.alloc(MiB, 'b')
      yield Buffer.from('"}\n')
    })
    assertRefused(result, 'migrate', 65, /^stdin line 1: document larger than 256 MiB; refused$/)
    assertBounded(result.peakKiB, 1024)
  })

  it('a valid 100 MB document (unknown fields pass through) is scored', async () => {
    const state = freshStateDir()
    dirs.push(state)
    const doc = clone(seedDoc)
    const head = JSON.stringify(doc).slice(0, -1)
    const note = Buffer.from(`{"note":"${'x'.repeat(1000)}"},`)
    const result = await runStreamed(['score', '--format', 'json'], state, function* () {
      yield Buffer.from(`${head},"annotations":[`)
      const perChunk = Math.floor(MiB / note.length)
      for (let i = 0; i < 100; i++) yield Buffer.concat(Array.from({length: perChunk}, () => note))
      yield Buffer.from('{"note":"last"}]}\n')
    })
    assert.equal(result.exitCode, 0, result.stderr.slice(0, 500))
    assert.equal(result.stderr, '')
    assert.ok(result.stdout.startsWith('{"sova":1,'), 'the scored document on stdout')
    assertBounded(result.peakKiB, 1536)
  })
})
