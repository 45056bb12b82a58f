import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {readDocuments, splitJsonValues, type RawText} from '../../src/lib/document/stream.js'
import {EXIT, InputError} from '../../src/lib/errors.js'
import {doc, host, vm} from '../helpers/build.js'

/** A document at second `s` of 2024-01-01, one host h0 running web1. */
function sample(s: number, extra: Record<string, unknown> = {}): SovaDocument {
  const at = `2024-01-01T00:00:${String(s).padStart(2, '0')}Z`
  return {...doc([host('h0', [vm('web1', {vf: '0000:03:10.0'})])], {at}), ...extra}
}

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<string | Buffer> {
  for (const part of parts) yield part
}

/** Every byte of `text` (UTF-8) as its own Buffer: splits multi-byte characters too. */
async function* bytewise(text: string): AsyncGenerator<Buffer> {
  for (const byte of Buffer.from(text, 'utf8')) yield Buffer.from([byte])
}

async function readAll(input: AsyncIterable<string | Buffer>, name?: string): Promise<SovaDocument[]> {
  const out: SovaDocument[] = []
  for await (const document of readDocuments(input, name)) out.push(document)
  return out
}

/** Reads until the error; returns what came before it and the error. */
async function readUntilError(input: AsyncIterable<string | Buffer>): Promise<{docs: SovaDocument[]; error: unknown}> {
  const docs: SovaDocument[] = []
  try {
    for await (const document of readDocuments(input)) docs.push(document)
  } catch (error) {
    return {docs, error}
  }
  return {docs, error: undefined}
}

function assertInputError(error: unknown, message: string | RegExp): void {
  assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`)
  assert.equal(error.exit, EXIT.badInput)
  assert.ok(!/[\r\n]/.test(error.message), `message spans several lines: ${JSON.stringify(error.message)}`)
  if (typeof message === 'string') assert.equal(error.message, message)
  else assert.match(error.message, message)
}

const NO_DOCUMENT = 'stdin: no document in the input (expected NDJSON or one JSON document, e.g. from sova collect)'

describe('readDocuments: accepted inputs', () => {
  const three = [sample(10), sample(20), sample(30)]
  const pretty = (value: unknown) => JSON.stringify(value, null, 2)
  const tricky = sample(40, {note: {name: 'a}"{', path: 'C:\\dir\\', brackets: '[[[{', unicode: 'é€😀'}})

  const cases: {why: string; input: string; expected: SovaDocument[]}[] = [
    {why: 'NDJSON with three documents', input: three.map((d) => JSON.stringify(d)).join('\n') + '\n', expected: three},
    {why: 'NDJSON without a final newline', input: three.map((d) => JSON.stringify(d)).join('\n'), expected: three},
    {why: 'NDJSON with CRLF and blank lines', input: three.map((d) => JSON.stringify(d)).join('\r\n\r\n') + '\r\n', expected: three},
    {why: 'one pretty-printed document', input: pretty(three[0]) + '\n', expected: [three[0]]},
    {why: 'two pretty-printed documents back to back', input: pretty(three[0]) + pretty(three[1]), expected: three.slice(0, 2)},
    {why: 'two documents on one line', input: JSON.stringify(three[0]) + ' ' + JSON.stringify(three[1]), expected: three.slice(0, 2)},
    {why: 'braces, brackets, escaped quotes and backslashes inside strings', input: JSON.stringify(tricky) + '\n', expected: [tricky]},
    {why: 'the same, pretty-printed', input: pretty(tricky), expected: [tricky]},
  ]
  for (const {why, input, expected} of cases) {
    it(why, async () => {
      assert.deepEqual(await readAll(chunks(input)), expected)
    })
    it(`${why}, fed one byte at a time`, async () => {
      assert.deepEqual(await readAll(bytewise(input)), expected)
    })
  }

  it('gives the same documents whichever byte the input is cut at', async () => {
    const input = JSON.stringify(tricky) + '\n' + pretty(three[1])
    const bytes = Buffer.from(input, 'utf8')
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got = await readAll(chunks(bytes.subarray(0, cut), bytes.subarray(cut)))
      assert.deepEqual(got, [tricky, three[1]], `cut at byte ${cut}`)
    }
  })

  it('drops a UTF-8 byte order mark at the start', async () => {
    const input = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(three[0]))])
    assert.deepEqual(await readAll(chunks(input)), [three[0]])
  })

  it('yields the first document before the second has arrived (streaming)', async () => {
    const produced: string[] = []
    async function* slowSource(): AsyncGenerator<string> {
      produced.push('first')
      yield JSON.stringify(three[0]) + '\n'
      produced.push('second')
      yield '{"sova": 2}\n'
    }
    const iterator = readDocuments(slowSource())[Symbol.asyncIterator]()
    const first = await iterator.next()
    assert.deepEqual(first, {done: false, value: three[0]})
    assert.deepEqual(produced, ['first'])
    await assert.rejects(iterator.next(), (error: unknown) => {
      assertInputError(error, 'stdin line 2: sova: unsupported document version 2 (this sova reads version 1)')
      return true
    })
    assert.deepEqual(produced, ['first', 'second'])
  })
})

describe('readDocuments: refusals', () => {
  const good = JSON.stringify(sample(10))
  const cases: {why: string; input: () => AsyncIterable<string | Buffer>; before: number; message: string | RegExp}[] = [
    {why: 'empty input', input: () => chunks(), before: 0, message: NO_DOCUMENT},
    {why: 'an empty chunk', input: () => chunks(Buffer.alloc(0)), before: 0, message: NO_DOCUMENT},
    {why: 'whitespace only', input: () => chunks('  \n\t\r\n\n'), before: 0, message: NO_DOCUMENT},
    {
      why: 'truncated JSON',
      input: () => chunks(good.slice(0, 50)),
      before: 0,
      message: 'stdin line 1: input ends inside a document (truncated JSON?)',
    },
    {
      why: 'a truncated second document',
      input: () => chunks(good + '\n\n' + good.slice(0, -1)),
      before: 1,
      message: 'stdin line 3: input ends inside a document (truncated JSON?)',
    },
    {
      why: 'a garbage line after a good one',
      input: () => chunks(good + '\n\nhello\n' + good + '\n'),
      before: 1,
      message: /^stdin line 3: not valid JSON \(.+\)$/,
    },
    {
      why: 'garbage after a pretty-printed document',
      input: () => chunks(JSON.stringify(sample(10), null, 2) + '\nhello'),
      before: 1,
      message: new RegExp(`^stdin line ${JSON.stringify(sample(10), null, 2).split('\n').length + 1}: not valid JSON \\(.+\\)$`),
    },
    {
      why: 'a stray closing brace',
      input: () => chunks('}\n'),
      before: 0,
      message: /^stdin line 1: not valid JSON \(.+\)$/,
    },
    {
      why: 'a number instead of a document',
      input: () => chunks('5\n'),
      before: 0,
      message: 'stdin line 1: expected a Sova document (a JSON object), got number 5',
    },
    {
      why: 'an array instead of a document',
      input: () => chunks('[1, 2]\n'),
      before: 0,
      message: 'stdin line 1: expected a Sova document (a JSON object), got an array',
    },
    {
      why: 'invalid UTF-8',
      input: () => chunks(Buffer.from([0x7b, 0xff, 0x7d])),
      before: 0,
      message: /^stdin: invalid UTF-8 near byte \d+$/,
    },
    {
      why: 'invalid UTF-8 fed byte by byte',
      input: () => chunks(Buffer.from([0x7b]), Buffer.from([0xff]), Buffer.from([0x7d])),
      before: 0,
      message: /^stdin: invalid UTF-8 near byte \d+$/,
    },
    {
      why: 'input ending inside a multi-byte character',
      input: () => chunks(Buffer.from('{"x": "'), Buffer.from([0xe2, 0x82])),
      before: 0,
      message: /^stdin: invalid UTF-8 near byte \d+$/,
    },
    {
      why: 'a valid document, then one of another version',
      input: () => chunks(good + '\n' + JSON.stringify({...sample(20), sova: 2}) + '\n'),
      before: 1,
      message: 'stdin line 2: sova: unsupported document version 2 (this sova reads version 1)',
    },
  ]
  for (const {why, input, before, message} of cases) {
    it(why, async () => {
      const {docs, error} = await readUntilError(input())
      assertInputError(error, message)
      assert.equal(docs.length, before, 'documents yielded before the error')
    })
  }

  it('names the input in its messages', async () => {
    await assert.rejects(readAll(chunks(''), 'plan.ndjson'), {
      name: 'InputError',
      message: 'plan.ndjson: no document in the input (expected NDJSON or one JSON document, e.g. from sova collect)',
    })
  })

  // A document nested this deep cannot be written back out (JSON.stringify overflows the stack
  // from about 5,000 levels): it must be refused as input, not crash the stage that writes it.
  for (const depth of [10_000, 100_000]) {
    it(`an unknown field nested ${depth} deep is refused or carried through, never a crash`, async () => {
      const text = good.slice(0, -1) + ',"junk":' + '['.repeat(depth) + ']'.repeat(depth) + '}\n'
      const {docs, error} = await readUntilError(chunks(text))
      if (error === undefined) {
        assert.equal(docs.length, 1)
        assert.equal(JSON.stringify(docs[0]), text.trimEnd())
      } else {
        assertInputError(error, /^stdin line 1: /)
        assert.equal(docs.length, 0)
      }
    })
  }

  // The document object is level 1, so k brackets in a top-level field reach level k + 1.
  it('accepts nesting of exactly 1000 levels and refuses 1001, naming the line', async () => {
    const nested = (k: number) => good.slice(0, -1) + ',"junk":' + '['.repeat(k) + ']'.repeat(k) + '}'
    const [parsed] = await readAll(chunks(nested(999)))
    assert.equal(JSON.stringify(parsed), nested(999))
    const {docs, error} = await readUntilError(chunks(good + '\n' + nested(1000) + '\n'))
    assert.equal(docs.length, 1)
    assertInputError(error, 'stdin line 2: document nested more than 1000 levels deep; refused')
  })

  it('carries a 100-deep unknown field through unchanged', async () => {
    const text = good.slice(0, -1) + ',"junk":' + '['.repeat(100) + '1' + ']'.repeat(100) + '}'
    const [parsed] = await readAll(chunks(text))
    assert.equal(JSON.stringify(parsed), text)
  })

  it('a garbage line gives a one-line message even when JSON.parse quotes a newline', async () => {
    const {error} = await readUntilError(chunks('hello\n'))
    assertInputError(error, /^stdin line 1: not valid JSON \(.*hello.*\)$/)
  })
})

describe('splitJsonValues', () => {
  async function split(...parts: string[]): Promise<RawText[]> {
    const out: RawText[] = []
    for await (const raw of splitJsonValues(chunks(...parts) as AsyncIterable<string>, 'stdin')) out.push(raw)
    return out
  }

  const cases: {why: string; parts: string[]; expected: RawText[]}[] = [
    {why: 'NDJSON', parts: ['{"a":1}\n{"b":2}\n'], expected: [{text: '{"a":1}', line: 1}, {text: '{"b":2}', line: 2}]},
    {why: 'a value split over chunks', parts: ['{"a"', ':[1,', '2]}'], expected: [{text: '{"a":[1,2]}', line: 1}]},
    {
      why: 'a pretty-printed object: its first line',
      parts: ['\n\n{\n  "a": 1\n}\n{\n  "b": 2\n}'],
      expected: [{text: '{\n  "a": 1\n}', line: 3}, {text: '{\n  "b": 2\n}', line: 6}],
    },
    {
      why: 'brackets and escapes in strings',
      parts: ['{"s":"}\\"]{\\\\"}', '\n[1]'],
      expected: [{text: '{"s":"}\\"]{\\\\"}', line: 1}, {text: '[1]', line: 2}],
    },
    {why: 'a stray scalar runs to the end of its line', parts: ['  42 x\n{"a":1}'], expected: [{text: '42 x\n', line: 1}, {text: '{"a":1}', line: 2}]},
    {why: 'a scalar at the end of the input', parts: ['true'], expected: [{text: 'true', line: 1}]},
    // A one-line value is taken whole (one search for its newline); anything else is scanned.
    {why: 'CRLF and spaces after a one-line value', parts: ['{"a":1} \r\n\r\n[2]\r\n'], expected: [{text: '{"a":1}', line: 1}, {text: '[2]', line: 3}]},
    {why: 'two values on one line', parts: ['{"a":1} {"b":', '2}\n{"c":3}\n'], expected: [{text: '{"a":1}', line: 1}, {text: '{"b":2}', line: 1}, {text: '{"c":3}', line: 2}]},
    {
      why: 'a one-line value over chunks, then a pretty-printed one',
      parts: ['{"a":', '[1,2]}\n{\n', '  "b": 2\n}\n[3]'],
      expected: [{text: '{"a":[1,2]}', line: 1}, {text: '{\n  "b": 2\n}', line: 2}, {text: '[3]', line: 5}],
    },
    {why: 'two values on the last line, no newline', parts: ['{"a":1}', '{"b":2}'], expected: [{text: '{"a":1}', line: 1}, {text: '{"b":2}', line: 1}]},
    {why: 'a value and a scalar on the last line', parts: ['{"a":1} 7'], expected: [{text: '{"a":1}', line: 1}, {text: '7', line: 1}]},
  ]
  for (const {why, parts, expected} of cases) {
    it(why, async () => assert.deepEqual(await split(...parts), expected))
  }

  it('a one-line value nested too deeply is refused as a scanned one is', async () => {
    const deep = '['.repeat(1001) + ']'.repeat(1001)
    for (const input of [deep + '\n', deep]) {
      const {error} = await readUntilError(chunks(input))
      assertInputError(error, 'stdin line 1: document nested more than 1000 levels deep; refused')
    }
  })

  it('a truncated one-line value at the end of the input', async () => {
    await assert.rejects(split('{"a":1}\n{"b":[2'), (error: unknown) => {
      assertInputError(error, 'stdin line 2: input ends inside a document (truncated JSON?)')
      return true
    })
  })
})
