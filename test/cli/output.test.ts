// Output formats and help, as a person or a spreadsheet sees them.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {COMMANDS} from '../../src/commands.js'
import {documents, freshStateDir, sova} from './helpers.js'

const ESC = '\u001B['

describe('output', () => {
  it('--format csv: a header, then one row per VM (observing stages) or per action (acting stages)', async () => {
    const state = freshStateDir()
    const vms = await sova(['collect', '--format', 'csv'], {state})
    const lines = String(vms.stdout).trim().split('\n')
    assert.equal(lines[0], 'at,vm,host,path,vf,rules,cpu_used,cpu_blocked,mbps,rx_bps,tx_bps,active_ratio,io_ratio,net_score,tier,vf_value_mbps,reason')
    assert.equal(lines.length, 1 + 36)
    const actions = await sova(['switch-vf', 'idle1', '--to', 'vf', '--format', 'csv'], {state})
    const rows = String(actions.stdout).trim().split('\n')
    assert.equal(rows[0], 'at,kind,vm,host,to,vf,status,reason,error,duration_ms')
    assert.match(rows[1], /,attach-vf,idle1,host1,,0000:04:10\.\d,done,operator request: idle1 to vf,,\d+/)
  })

  it('--format table: hosts, VMs with what a VF is worth, and actions, without colour under NO_COLOR unless --color says so', async () => {
    const state = freshStateDir()
    const result = await sova(['run', '--once', '--format', 'table'], {state, env: {NO_COLOR: '1'}})
    assert.equal(result.exitCode, 0)
    const text = String(result.stdout)
    for (const expected of ['HOST', 'UTIL', 'host1', 'host3', 'web1', 'VF_VALUE_MBPS', 'KIND', 'attach-vf']) {
      assert.ok(text.includes(expected), `table shows ${expected}`)
    }
    assert.ok(!text.includes(ESC), 'no escape codes under NO_COLOR')
    const coloured = await sova(['run', '--once', '--format', 'table', '--color'], {state})
    assert.ok(String(coloured.stdout).includes(ESC), '--color colours when NO_COLOR is unset')
    const asked = await sova(['run', '--once', '--format', 'table', '--color'], {state, env: {NO_COLOR: '1'}})
    assert.ok(String(asked.stdout).includes(ESC), 'an explicit --color wins over NO_COLOR, which only changes the default')
  })

  it('piped output is NDJSON by default, logs go to stderr', async () => {
    const state = freshStateDir()
    const result = await sova(['collect', '--watch', '10ms', '--count', '3'], {state})
    const docs = documents(result.stdout)
    assert.equal(docs.length, 3)
    assert.deepEqual(docs.map((doc) => doc.source.tick), [docs[0].source.tick, docs[0].source.tick + 10, docs[0].source.tick + 20])
    assert.match(String(result.stderr), /no previous sample/)
    assert.equal(String((await sova(['collect', '--quiet'], {state: freshStateDir()})).stderr), '')
    const [sampled] = documents((await sova(['collect', '--sample', '2s'], {state})).stdout)
    assert.equal(sampled.source.windowSeconds, 2, '--sample sets the rate window')
    assert.equal((await sova(['collect', '--sample', 'soon'], {state})).exitCode, 2)
  })

  it('sova schema prints the JSON Schema of the document', async () => {
    const result = await sova(['schema'], {state: freshStateDir()})
    const schema = JSON.parse(String(result.stdout))
    assert.equal(schema.properties.sova.const, 1)
    assert.ok(schema.required.includes('hosts'))
    assert.equal(schema.properties.hosts.items.properties.vms.items.properties.memoryMiB.type, 'number')
  })

  it('every command has a summary, a description and at least two examples in --help', async () => {
    for (const [id, command] of Object.entries(COMMANDS)) {
      assert.ok(command.summary && command.description, `${id} has a summary and description`)
      assert.ok((command.examples?.length ?? 0) >= 2, `${id} has two examples`)
      const help = await sova([...id.split(':'), '--help'], {state: freshStateDir()})
      assert.equal(help.exitCode, 0)
      assert.match(String(help.stdout), /EXAMPLES/)
    }
  })
})
