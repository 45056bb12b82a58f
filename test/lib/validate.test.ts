import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import type {SovaDocument} from '../../src/lib/document/schema.js'
import {formatPath, parseDocument} from '../../src/lib/document/validate.js'
import {EXIT, InputError} from '../../src/lib/errors.js'
import {doc, host, hostScore, seedScores, vm} from '../helpers/build.js'

const WHERE = 'stdin line 3'
const NAME_RULE = 'a name of letters, digits and . _ : @ + - (at most 64, not starting with -)'
const VF0 = '0000:03:10.0'
const VF1 = '0000:03:10.1'

/** h0 and h1 empty; h2 runs a (PV) and b (holds VF0). Every host offers VF0..VF3. */
function base(): SovaDocument {
  return doc([host('h0'), host('h1'), host('h2', [vm('a'), vm('b', {vf: VF0})])])
}

/** Asserts `run` refuses with an InputError (exit 65) whose one-line message is `WHERE: detail`. */
function assertRefused(run: () => unknown, detail: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`)
    assert.equal(error.exit, EXIT.badInput)
    assert.equal(error.exit, 65)
    assert.equal(error.message, `${WHERE}: ${detail}`)
    assert.ok(!/[\r\n]/.test(error.message), `message spans several lines: ${JSON.stringify(error.message)}`)
    return true
  })
}

describe('parseDocument: valid documents', () => {
  it('accepts a document from the builders and returns it as is', () => {
    const input = base()
    assert.equal(parseDocument(input, WHERE), input)
  })

  it('accepts a document carrying scores, plan and actions', () => {
    const input = base()
    input.scores = seedScores({h0: hostScore(), h1: hostScore(), h2: hostScore({hot: true, utilisation: 0.9})})
    input.plan = {
      policy: 'seed',
      migrations: [{vm: 'a', from: 'h2', to: 'h0', migrationFactor: 1.5, giveVfOnArrival: true, reason: 'test'}],
      vf: [{host: 'h2', vm: 'b', op: 'detach', vf: VF0, reason: 'test'}],
    }
    input.actions = [{kind: 'migrate', vm: 'a', host: 'h2', to: 'h0', status: 'done', reason: 'test', journalId: 4, durationMs: 1200}]
    assert.equal(parseDocument(input, WHERE), input)
  })

  it('keeps unknown fields at every level untouched', () => {
    const input = base() as unknown as Record<string, any>
    input.collector = {version: '9.9', tags: ['x', {deep: [1, null, true]}]}
    input.hosts[2].rack = 'r17'
    input.hosts[2].nic.firmware = {major: 14, minor: 27}
    input.hosts[2].vms[1].owner = {team: 'web', "quote\"d": 'a}"{'}
    input.hosts[2].vms[1].cpu.steal = 0.02
    input.source.region = 'eu-west'
    const before = structuredClone(input)
    const parsed = parseDocument(input, WHERE) as unknown as Record<string, any>
    assert.deepEqual(parsed, before)
    assert.deepEqual(parsed.collector, {version: '9.9', tags: ['x', {deep: [1, null, true]}]})
    assert.equal(parsed.hosts[2].rack, 'r17')
    assert.deepEqual(parsed.hosts[2].nic.firmware, {major: 14, minor: 27})
    assert.deepEqual(parsed.hosts[2].vms[1].owner, {team: 'web', "quote\"d": 'a}"{'})
    assert.equal(parsed.hosts[2].vms[1].cpu.steal, 0.02)
    assert.equal(parsed.source.region, 'eu-west')
  })

  it('accepts a VM name using every allowed punctuation mark', () => {
    const input = base()
    input.hosts[2].vms[0].name = '0web_1.prod:eu@x+y-z'
    assert.equal(parseDocument(input, WHERE).hosts[2].vms[0].name, '0web_1.prod:eu@x+y-z')
  })
})

describe('parseDocument: refusals', () => {
  const cases: {why: string; edit: (value: any) => unknown; detail: string}[] = [
    {
      why: 'another major version',
      edit: (value) => void (value.sova = 2),
      detail: 'sova: unsupported document version 2 (this sova reads version 1)',
    },
    {
      why: 'version 0',
      edit: (value) => void (value.sova = 0),
      detail: 'sova: unsupported document version 0 (this sova reads version 1)',
    },
    {
      why: 'the version as a string',
      edit: (value) => void (value.sova = '1'),
      detail: 'sova: expected version 1, got "1"',
    },
    {
      why: 'no version',
      edit: (value) => void delete value.sova,
      detail: 'sova: missing document version (expected "sova": 1)',
    },
    {
      why: 'a string where a number belongs',
      edit: (value) => void (value.hosts[2].vms[0].memoryMiB = '2G'),
      detail: 'hosts[2].vms[0].memoryMiB: expected a number, got "2G"',
    },
    {
      why: 'a number where an object belongs',
      edit: (value) => void (value.hosts[0] = 5),
      detail: 'hosts[0]: expected an object, got number 5',
    },
    {
      why: 'null where a VM belongs',
      edit: (value) => void (value.hosts[2].vms[1] = null),
      detail: 'hosts[2].vms[1]: expected an object, got null',
    },
    {
      why: 'an object where the host list belongs',
      edit: (value) => void (value.hosts = {}),
      detail: 'hosts: expected an array, got an object',
    },
    {
      why: 'a missing required VM field',
      edit: (value) => void delete value.hosts[2].vms[0].id,
      detail: 'hosts[2].vms[0].id: expected a value (required), got nothing',
    },
    {
      why: 'a missing required host field',
      edit: (value) => void delete value.hosts[1].vms,
      detail: 'hosts[1].vms: expected a value (required), got nothing',
    },
    {
      why: 'a path that is neither pv nor vf',
      edit: (value) => void (value.hosts[2].vms[0].path = 'sriov'),
      detail: 'hosts[2].vms[0].path: expected one of pv, vf, got "sriov"',
    },
    {
      why: 'a fractional CPU count',
      edit: (value) => void (value.hosts[0].cpus = 1.5),
      detail: 'hosts[0].cpus: expected a whole number from 0 to 65536, got number 1.5',
    },
    {
      why: 'an active ratio above 1',
      edit: (value) => void (value.hosts[2].vms[0].net.activeRatio = 2),
      detail: 'hosts[2].vms[0].net.activeRatio: expected a number from 0 to 1, got number 2',
    },
    {
      why: 'a link speed of 0',
      edit: (value) => void (value.hosts[0].nic.speedMbps = 0),
      detail: 'hosts[0].nic.speedMbps: expected a number from 1 to 1e7 (1 Mbit/s to 10 Tbit/s), got number 0',
    },
    {
      why: 'a sample time that is not ISO 8601',
      edit: (value) => void (value.at = 'yesterday'),
      detail: 'at: expected an ISO 8601 date-time, got "yesterday"',
    },
    ...['web1; rm -rf /', '$(reboot)', '`id`', '--help', '-rf', 'a b', 'x'.repeat(65)].map((name) => ({
      why: `the VM name ${JSON.stringify(name)}`,
      edit: (value: any) => void (value.hosts[2].vms[0].name = name),
      detail: `hosts[2].vms[0].name: expected ${NAME_RULE}, got ${JSON.stringify(name.length > 40 ? name.slice(0, 40) + '...' : name)}`,
    })),
    {
      why: 'a host name with a shell metacharacter',
      edit: (value) => void (value.hosts[1].name = 'h1;reboot'),
      detail: `hosts[1].name: expected ${NAME_RULE}, got "h1;reboot"`,
    },
    {
      why: 'a planned migration to an option-like host',
      edit: (value) =>
        void (value.plan = {
          policy: 'seed',
          migrations: [{vm: 'a', from: 'h2', to: '--force', migrationFactor: 1, giveVfOnArrival: false, reason: 'x'}],
          vf: [],
        }),
      detail: `plan.migrations[0].to: expected ${NAME_RULE}, got "--force"`,
    },
    {
      // The value is quoted as JSON, so a newline cannot break the message over two lines.
      why: 'a VM name with a newline',
      edit: (value) => void (value.hosts[2].vms[0].name = 'web1\nrm'),
      detail: `hosts[2].vms[0].name: expected ${NAME_RULE}, got "web1\\nrm"`,
    },
    {
      why: 'an invalid PCI address (function 9) in vfs.free',
      edit: (value) => void (value.hosts[0].vfs.free[1] = '0000:03:10.9'),
      detail: 'hosts[0].vfs.free[1]: expected a PCI address [DDDD:]BB:SS.F, got "0000:03:10.9"',
    },
    {
      why: 'a word in vfs.free',
      edit: (value) => void (value.hosts[1].vfs.free[0] = 'eth0'),
      detail: 'hosts[1].vfs.free[0]: expected a PCI address [DDDD:]BB:SS.F, got "eth0"',
    },
    {
      why: 'an invalid PCI address as the VM VF',
      edit: (value) => void (value.hosts[2].vms[1].vf = '03:10'),
      detail: 'hosts[2].vms[1].vf: expected a PCI address [DDDD:]BB:SS.F or null, got "03:10"',
    },
    {
      why: 'a forecast that is neither a number nor null',
      edit: (value) => void (value.scores = seedScores({h0: hostScore({forecast: 'high' as any})})),
      detail: 'scores.hosts.h0.forecast: expected a number from -1e15 to 1e15, or null, got "high"',
    },
    {
      why: 'two hosts of one name',
      edit: (value) => void (value.hosts[1].name = 'h0'),
      detail: 'hosts[1].name: host "h0" appears twice',
    },
    {
      why: 'the same VM on two hosts',
      edit: (value) => {
        value.hosts[0].vms.push(vm('z'))
        value.hosts[2].vms.push(vm('z'))
      },
      detail: 'hosts[2].vms[2].name: VM "z" appears twice (also at hosts[0].vms[0])',
    },
    {
      why: 'one VF assigned to two VMs of one host',
      edit: (value) => {
        value.hosts[2].vms[0].vf = VF0
        value.hosts[2].vms[0].path = 'vf'
      },
      detail: `hosts[2].vms[1].vf: VF ${VF0} is assigned to two VMs (also a)`,
    },
    {
      why: 'a VF both assigned and listed free',
      edit: (value) => void (value.hosts[2].vms[1].vf = VF1),
      detail: `hosts[2].vms[1].vf: VF ${VF1} is assigned and listed free`,
    },
    {
      why: 'a VF listed free twice',
      edit: (value) => {
        value.hosts[0].vfs.free.push(VF0)
        value.hosts[0].vfs.total = 5
      },
      detail: 'hosts[0].vfs.free: a VF is listed twice',
    },
    {
      // h2: b holds VF0 (1 in use), VF1..VF3 free (3): 1 + 3 = 4 > 3.
      why: 'in use + free above the total',
      edit: (value) => void (value.hosts[2].vfs.total = 3),
      detail: 'hosts[2].vfs: 1 in use + 3 free exceeds total 3',
    },
    {
      why: 'path vf without a VF',
      edit: (value) => void (value.hosts[2].vms[0].path = 'vf'),
      detail: 'hosts[2].vms[0].vf: path is "vf" but no VF is named',
    },
    {
      why: 'path pv with a VF',
      edit: (value) => {
        value.hosts[2].vms[1].path = 'pv'
      },
      detail: `hosts[2].vms[1].vf: path is "pv" but VF ${VF0} is named`,
    },
  ]
  for (const {why, edit, detail} of cases) {
    it(why, () => {
      const input: any = base()
      edit(input)
      assertRefused(() => parseDocument(input, WHERE), detail)
    })
  }

  const notObjects: {value: unknown; got: string}[] = [
    {value: [], got: 'an array'},
    {value: null, got: 'null'},
    {value: 5, got: 'number 5'},
    {value: 'sova', got: '"sova"'},
    {value: true, got: 'boolean true'},
  ]
  for (const {value, got} of notObjects) {
    it(`a top-level value that is not an object: ${JSON.stringify(value)}`, () => {
      assertRefused(() => parseDocument(value, WHERE), `expected a Sova document (a JSON object), got ${got}`)
    })
  }

  it('names the location given by the caller', () => {
    assert.throws(() => parseDocument({}, 'plan.ndjson line 40'), {
      name: 'InputError',
      message: 'plan.ndjson line 40: sova: missing document version (expected "sova": 1)',
    })
  })
})

describe('formatPath', () => {
  const cases: {pointer: string; path: string}[] = [
    {pointer: '', path: '(document)'},
    {pointer: '/', path: '(document)'},
    {pointer: '/sova', path: 'sova'},
    {pointer: '/hosts/2/vms/0/memoryMiB', path: 'hosts[2].vms[0].memoryMiB'},
    {pointer: '/hosts/0/vfs/free/13', path: 'hosts[0].vfs.free[13]'},
    {pointer: '/plan/migrations/1/to', path: 'plan.migrations[1].to'},
    // RFC 6901 escapes: ~1 is "/", ~0 is "~", and "~01" is the text "~1".
    {pointer: '/scores/vms/a~1b/tier', path: 'scores.vms.a/b.tier'},
    {pointer: '/scores/vms/x~0y/tier', path: 'scores.vms.x~y.tier'},
    {pointer: '/scores/vms/~01/tier', path: 'scores.vms.~1.tier'},
  ]
  for (const {pointer, path} of cases) {
    it(`${JSON.stringify(pointer)} -> ${path}`, () => assert.equal(formatPath(pointer), path))
  }
})
