// Fuzzing the document reader: arbitrary text and bytes, and documents mutated from a real one
// (`sova collect | sova score | sova balance` on a fresh simulated cluster: deleted keys, changed
// types, huge numbers, duplicated names and elements, cut or corrupted bytes). Whatever comes in,
// the reader either yields documents that validate (and can be written out and read back) or throws
// an InputError with a one-line message saying where; never any other exception. A smaller number
// of runs goes through the real CLI (`sova score`): exit 0, or 65 with one line on stderr.
// fast-check's seed is fixed for a reproducible CI run; FC_SEED=N explores others.
import assert from 'node:assert/strict'
import {after, before, describe, it} from 'node:test'
import {rmSync} from 'node:fs'
import {Check} from '@sinclair/typebox/value'
import fc from 'fast-check'
import {SovaDocument} from '../../src/lib/document/schema.js'
import {readDocuments} from '../../src/lib/document/stream.js'
import {parseDocument} from '../../src/lib/document/validate.js'
import {InputError} from '../../src/lib/errors.js'
import {documents, freshStateDir, sova} from '../cli/helpers.js'

const FC_SEED = process.env.FC_SEED === undefined ? 20_251_125 : Number(process.env.FC_SEED)
const params = (numRuns: number) => ({seed: FC_SEED, numRuns, endOnFailure: true})

/** The input split into chunks at the given cut points, as stdin delivers it. */
async function* inChunks(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b)
  let from = 0
  for (const point of points) {
    if (point > from) yield bytes.subarray(from, point)
    from = Math.max(from, point)
  }
  if (from < bytes.length) yield bytes.subarray(from)
}

/**
 * Reads everything; returns the documents, or the error if it is an InputError. Any other exception
 * fails the property (rethrown as is), as does a message over several lines or one not saying where.
 */
async function readOrRefuse(bytes: Buffer, cuts: number[]): Promise<{docs: SovaDocument[]; error?: InputError}> {
  const docs: SovaDocument[] = []
  try {
    for await (const doc of readDocuments(inChunks(bytes, cuts), 'stdin')) docs.push(doc)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    assertOneLine(error.message)
    assert.match(error.message, /^stdin( line \d+)?: \S/, 'the message says where')
    return {docs, error}
  }
  return {docs}
}

/** One line as terminals and `split('\n')` see it (U+2028 inside a quoted value is not a break there). */
function assertOneLine(message: string): void {
  assert.ok(!/[\r\n]/.test(message), `message spans several lines: ${JSON.stringify(message)}`)
  assert.ok(message.length < 1000, `message of ${message.length} characters`)
}

/** An accepted document is valid, and what the stage would write out reads back the same. */
function assertSound(doc: SovaDocument): void {
  assert.ok(Check(SovaDocument, doc), 'the yielded document validates')
  const text = JSON.stringify(doc)
  assert.deepEqual(parseDocument(JSON.parse(text), 'stdin line 1'), JSON.parse(text))
}

// --- mutations of a valid document ---------------------------------------------------------------

/** Values a mutation writes somewhere: wrong types, huge and negative numbers, hostile strings. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null, true, 0, -1, -0.5, 1e308, -1e308, 2 ** 53 + 1, 1.5, '', ' ', 'NaN', 'Infinity', '1e999', '--help', '-rf', '--force',
    'web1; rm -rf /', '$(reboot)', '`reboot`', 'a\nb', '\u0000', '\u2028', '0000:03:20.1', '0000:03:10.0', 'host1', 'web1',
    '2026-13-45T99:99:99Z', [], {}, [null], {sova: 1},
  ),
  fc.string({maxLength: 80}),
  fc.string({unit: 'binary', maxLength: 40}),
  fc.double(),
  fc.integer(),
  fc.jsonValue({maxDepth: 3}),
)

type Mutation =
  | {op: 'delete'; path: number[]}
  | {op: 'set'; path: number[]; value: unknown}
  | {op: 'duplicate'; path: number[]}
  | {op: 'copyName'; from: number[]; to: number[]}
  | {op: 'rename'; path: number[]; key: string}

const pathArb = fc.array(fc.nat(), {minLength: 1, maxLength: 7})
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({op: fc.constant('delete' as const), path: pathArb}),
  fc.record({op: fc.constant('set' as const), path: pathArb, value: hostileValue}),
  fc.record({op: fc.constant('duplicate' as const), path: pathArb}),
  fc.record({op: fc.constant('copyName' as const), from: pathArb, to: pathArb}),
  fc.record({op: fc.constant('rename' as const), path: pathArb, key: fc.constantFrom('sova', 'name', 'vf', 'hosts', 'vms', '__proto__', 'constructor', 'x')}),
)

/** Walks `path` (each step an index into the keys of the container there); the parent and key reached. */
function locate(root: any, path: number[]): {parent: any; key: string | number} | undefined {
  let parent: any
  let key: string | number | undefined
  let node = root
  for (const step of path) {
    if (node === null || typeof node !== 'object') break
    const keys: (string | number)[] = Array.isArray(node) ? node.map((_, i) => i) : Object.keys(node)
    if (keys.length === 0) break
    parent = node
    key = keys[step % keys.length]
    node = node[key]
  }
  return parent === undefined ? undefined : {parent, key: key as string | number}
}

/** Every object with a `name` (hosts, VMs), found by a walk: where a duplicate name can go. */
function named(root: any, path: number[]): any {
  const found = locate(root, path)
  let node = found?.parent?.[found.key]
  if (node && typeof node === 'object' && typeof node.name === 'string') return node
  node = found?.parent
  return node && typeof node === 'object' && typeof node.name === 'string' ? node : undefined
}

function mutate(seed: unknown, mutations: Mutation[]): unknown {
  const doc: any = structuredClone(seed)
  for (const m of mutations) {
    if (m.op === 'copyName') {
      const from = named(doc, m.from)
      const to = named(doc, m.to)
      if (from && to) to.name = from.name
      continue
    }
    const at = locate(doc, m.path)
    if (!at) continue
    const {parent, key} = at
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else delete parent[key]
    } else if (m.op === 'set') {
      parent[key] = structuredClone(m.value)
    } else if (m.op === 'duplicate') {
      // The same VM, host or VF twice: in an array a copy of the element goes next to it.
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]))
      else parent[`${key}`] = structuredClone(parent[key])
    } else if (m.op === 'rename' && !Array.isArray(parent)) {
      Object.defineProperty(parent, m.key, {value: parent[key], enumerable: true, configurable: true, writable: true})
      if (m.key !== key) delete parent[key]
    }
  }
  return doc
}

/** Byte-level damage to the serialized document: cut it, overwrite or insert bytes. */
type ByteEdit = {at: number; kind: 'cut' | 'overwrite' | 'insert'; bytes: Uint8Array}
const byteEditArb: fc.Arbitrary<ByteEdit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('cut' as const, 'overwrite' as const, 'insert' as const),
  bytes: fc.oneof(
    fc.uint8Array({minLength: 1, maxLength: 4}),
    fc.constantFrom(...['{', '}', '[', ']', '"', '\\', '\n', ',', ':', '1e999', '\u00e9'].map((s) => new Uint8Array(Buffer.from(s)))),
    fc.constantFrom(new Uint8Array([0xff]), new Uint8Array([0xc3]), new Uint8Array([0xed, 0xa0, 0x80])),
  ),
})

function damage(text: Buffer, edits: ByteEdit[]): Buffer {
  let bytes = text
  for (const edit of edits) {
    const at = edit.at % (bytes.length + 1)
    const inserted = Buffer.from(edit.bytes)
    if (edit.kind === 'cut') bytes = bytes.subarray(0, at)
    else if (edit.kind === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at)])
    else bytes = Buffer.concat([bytes.subarray(0, at), inserted, bytes.subarray(at + inserted.length)])
  }
  return bytes
}

const layoutArb = fc.constantFrom('ndjson', 'pretty', 'two', 'crlf')
function serialise(value: unknown, layout: string): Buffer {
  const line = JSON.stringify(value)
  if (layout === 'pretty') return Buffer.from(JSON.stringify(value, null, 2) + '\n')
  if (layout === 'two') return Buffer.from(`${line}\n${line}\n`)
  if (layout === 'crlf') return Buffer.from(`\r\n${line}\r\n`)
  return Buffer.from(line + '\n')
}

// --- the properties ------------------------------------------------------------------------------

const dirs: string[] = []
after(() => {
  for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
})

describe('fuzz: the document reader', () => {
  /** collect, score and balance output of a fresh simulated cluster, and a sample with a host out: the documents mutations start from. */
  let seeds: any[]
  before(async () => {
    const state = freshStateDir()
    dirs.push(state)
    const collected = await sova(['collect', '--format', 'json'], {state})
    const scored = await sova(['score', '--format', 'json'], {state, input: String(collected.stdout)})
    const balanced = await sova(['balance', '--format', 'json'], {state, input: String(scored.stdout)})
    seeds = [collected, scored, balanced].map((result) => {
      assert.equal(result.exitCode, 0, String(result.stderr))
      return documents(result.stdout)[0]
    })
    // And a sample with a host missing (an outage): its `missing` list is mutated too.
    await sova(['sim', 'outage', 'host2'], {state})
    const partial = await sova(['collect', '--format', 'json'], {state})
    assert.equal(partial.exitCode, 69, String(partial.stderr))
    seeds.push(documents(partial.stdout)[0])
    for (const seed of seeds) parseDocument(seed, 'seed')
  })

  const cutsArb = fc.array(fc.nat(), {maxLength: 6})

  it('arbitrary text: documents that validate, or a one-line InputError', async () => {
    const textArb = fc.oneof(
      fc.string({unit: 'binary', maxLength: 300}),
      fc.string({unit: fc.constantFrom('{', '}', '[', ']', '"', '\\', ',', ':', ' ', '\n', '1', 'a', '-', 'e'), maxLength: 200}),
      fc.json({maxDepth: 4}),
    )
    await fc.assert(
      fc.asyncProperty(textArb, cutsArb, async (text, cuts) => {
        const {docs} = await readOrRefuse(Buffer.from(text, 'utf8'), cuts)
        for (const doc of docs) assertSound(doc)
      }),
      params(1500),
    )
  })

  it('arbitrary bytes: documents that validate, or a one-line InputError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({maxLength: 400}), cutsArb, async (bytes, cuts) => {
        const {docs} = await readOrRefuse(Buffer.from(bytes), cuts)
        for (const doc of docs) assertSound(doc)
      }),
      params(1500),
    )
  })

  it('nesting of any depth: refused beyond the limit, never a stack overflow', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({min: 1, max: 20_000}), fc.constantFrom('[', '{"a":'), cutsArb, async (depth, open, cuts) => {
        const close = open === '[' ? ']' : '}'
        const text = `{"sova":1,"x":${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}}`
        const {error} = await readOrRefuse(Buffer.from(text), cuts)
        // Not a document at all (at, source, hosts missing), so refused either way: with the depth named when too deep.
        assert.ok(error)
        if (depth >= 1000) assert.match(error.message, /nested more than 1000 levels deep/)
      }),
      params(60),
    )
  })

  it('documents mutated from a real one: documents that validate, or a one-line InputError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({max: 3}),
        fc.array(mutationArb, {minLength: 1, maxLength: 4}),
        layoutArb,
        cutsArb,
        async (which, mutations, layout, cuts) => {
          const value = mutate(seeds[which], mutations)
          // Straight to the validator, as parsed JSON...
          try {
            assertSound(parseDocument(value, 'stdin line 1'))
          } catch (error) {
            if (!(error instanceof InputError)) throw error
            assertOneLine(error.message)
          }
          // ...and through the stream reader, as bytes.
          const {docs} = await readOrRefuse(serialise(value, layout), cuts)
          for (const doc of docs) assertSound(doc)
        },
      ),
      params(1500),
    )
  })

  it('documents damaged byte by byte: documents that validate, or a one-line InputError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({max: 3}), layoutArb, fc.array(byteEditArb, {minLength: 1, maxLength: 3}), cutsArb, async (which, layout, edits, cuts) => {
        const {docs} = await readOrRefuse(damage(serialise(seeds[which], layout), edits), cuts)
        for (const doc of docs) assertSound(doc)
      }),
      params(1500),
    )
  })
})

describe('fuzz: sova score on hostile stdin', () => {
  let seed: any
  let state: string
  before(async () => {
    state = freshStateDir()
    dirs.push(state)
    seed = documents((await sova(['collect', '--format', 'json'], {state})).stdout)[0]
  })

  it('exit 0 with the scored document, or exit 65 with one line on stderr and nothing on stdout', async () => {
    const inputArb = fc.oneof(
      fc.array(mutationArb, {minLength: 1, maxLength: 3}).map((mutations) => Buffer.from(JSON.stringify(mutate(seed, mutations)) + '\n')),
      fc.array(byteEditArb, {minLength: 1, maxLength: 2}).map((edits) => damage(Buffer.from(JSON.stringify(seed) + '\n'), edits)),
    )
    await fc.assert(
      fc.asyncProperty(inputArb, async (input) => {
        const result = await sova(['score', '--format', 'json'], {state, input: input as unknown as string})
        const stderr = String(result.stderr)
        assert.ok(result.exitCode === 0 || result.exitCode === 65, `exit ${result.exitCode}: ${stderr.slice(0, 500)}`)
        if (result.exitCode === 65) {
          assert.match(stderr, /^sova score: stdin( line \d+)?: [^\n]+\n$/, 'one line on stderr, saying where')
          // One document a line, so a refused one leaves stdout empty unless the damage split it in two.
          if (!input.includes(0x0a, 0) || input.indexOf(0x0a) === input.length - 1) assert.equal(String(result.stdout), '')
        } else {
          assert.equal(stderr, '')
          for (const doc of documents(result.stdout)) assert.ok(doc.scores, 'a scored document')
        }
      }),
      params(40),
    )
  })
})
