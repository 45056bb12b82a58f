// Tables as an operator meets them: they fit $COLUMNS, UTIL is the hotspot test's figure, run over
// many cycles prints what changed, one-offs print their VM, CSV holds one kind of row.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {documents, freshStateDir, sova, withStore} from './helpers.js'

const lines = (stdout: unknown) => String(stdout).split('\n').filter((line) => line !== '')
const widest = (stdout: unknown) => Math.max(...lines(stdout).map((line) => [...line].length))

describe('tables', () => {
  it('run --once at 80 columns: no line wider, one line per row; UTIL is the figure the hotspot test used over its threshold', async () => {
    const state = freshStateDir()
    const result = await sova(['run', '--cycles', '8', '--interval', '0s', '--format', 'table'], {state, env: {COLUMNS: '80'}})
    assert.equal(result.exitCode, 0, String(result.stderr))
    assert.ok(widest(result.stdout) <= 80, String(result.stdout))
    const text = String(result.stdout)
    assert.match(text, /^HOST +UTIL +HOTSPOT /m)
    assert.match(text, /^UTIL: busier direction \/ line rate \(the hotspot test's figure\) \/ threshold$/m)
    const hostRows = lines(text).filter((line) => /^host\d +\d\.\d\d\/\d\.\d\d /.test(line))
    assert.equal(hostRows.length, 3, 'the first cycle in full: three hosts')
    // Every cycle's hosts (--rows prints each cycle in full): host1 turns hot by cycle 10.
    const everyCycle = await sova(['run', '--cycles', '10', '--interval', '0s', '--format', 'table', '--rows', 'hosts'], {state: freshStateDir(), env: {COLUMNS: '80'}})
    const allHostRows = lines(everyCycle.stdout).filter((line) => /^host\d +\d\.\d\d\/\d\.\d\d /.test(line))
    assert.equal(allHostRows.length, 3 * 10)
    assert.ok(allHostRows.some((row) => / HOT /.test(row)), 'a hot host is shown HOT')
    for (const row of [...hostRows, ...allHostRows]) {
      const [, util, limit, status] = /^\S+ +(\d\.\d\d)\/(\d\.\d\d) +(\S+)/.exec(row)!
      assert.ok(Number(util) <= 1, row)
      if (Number(util) >= Number(limit)) assert.notEqual(status, 'ok', `a figure at or above its threshold is never "ok": ${row}`)
    }
    // The hosts' UTIL is what the document's scores say the test used.
    const json = documents((await sova(['run', '--once'], {state: freshStateDir()})).stdout)[0]
    const host1 = json.scores.hosts.host1
    assert.equal(host1.measure, 'peak')
    assert.ok(hostRows[0].includes(`${host1.utilisation.toFixed(2)}/${host1.threshold.toFixed(2)}`), hostRows[0])
  })

  it('run --cycles N as a table: the first cycle in full, then one line a cycle with what changed, then a summary that agrees with the documents', async () => {
    // 16 cycles: host1 turns hot after about 80 s, and sova moves only once it has watched it 120 s.
    const table = await sova(['run', '--cycles', '16', '--interval', '0s', '--format', 'table'], {state: freshStateDir(), env: {COLUMNS: '200'}})
    assert.equal(table.exitCode, 0, String(table.stderr))
    const out = lines(table.stdout)
    const json = documents((await sova(['run', '--cycles', '16', '--interval', '0s'], {state: freshStateDir()})).stdout)
    const done = json.flatMap((doc: any) => doc.actions ?? []).filter((action: any) => action.status === 'done')
    const moves = done.filter((action: any) => action.kind === 'migrate').length
    const switches = done.length - moves
    assert.ok(moves >= 1, 'the paper scenario moves a VM within 16 cycles')
    for (let cycle = 2; cycle <= 16; cycle++) assert.equal(out.filter((line) => line.startsWith(`cycle ${cycle} · `)).length, 1, `cycle ${cycle}`)
    assert.ok(out.some((line) => /^cycle \d+ · \S+ · tick \d+: no change$/.test(line)), 'a quiet cycle is one line')
    assert.ok(out.some((line) => /^cycle \d+ · .*: (no action|\d+ actions? \(\d+ done\)); host1 HOT \d\.\d\d\/0\.85(;|$)/.test(line)), 'a host turning hot is said')
    assert.equal(out.at(-1), `summary: 16 cycles, ${moves} move${moves === 1 ? '' : 's'}, ${switches} VF switches, 0 failures; hotspots seen: host1 (${json.filter((doc: any) => doc.scores.hosts.host1.hot).length} cycles)`)
    assert.ok(out.length < 120, `not the whole cluster every cycle (${out.length} lines)`)
  })

  it('switch-vf VM --to vf as a table: the action and the VM as it left it, not the whole cluster', async () => {
    const state = freshStateDir()
    const moved = await sova(['switch-vf', 'web1', '--to', 'pv', '--format', 'table'], {state, env: {COLUMNS: '80'}})
    assert.equal(moved.exitCode, 0, String(moved.stderr))
    const out = lines(moved.stdout)
    assert.match(out[1], /^KIND +VM +HOST +VF +STATUS +REASON$/)
    assert.match(out[2], /^detach-vf +web1 +host1 +0000:04:10\.\d +done +operator request/)
    assert.deepEqual(out.slice(3), ['VM    HOST   PATH  VF', 'web1  host1  pv'], 'the VM after the action, and nothing else')
    assert.ok(!String(moved.stdout).includes('web2'))
  })

  it('--columns, --sort, --no-headers and --rows through the CLI; an unknown column exits 2 naming the valid ones, with nothing done', async () => {
    const state = freshStateDir()
    const sorted = await sova(['run', '--once', '--format', 'table', '--rows', 'vms', '--columns', 'vm,mbps', '--sort', 'mbps', '--no-headers'], {state})
    assert.equal(sorted.exitCode, 0, String(sorted.stderr))
    const rows = lines(sorted.stdout)
    assert.equal(rows.length, 36, 'the rows only: no heading, no header, no notes')
    const figures = rows.map((row) => Number(row.trim().split(/ +/)[1]))
    assert.deepEqual(figures, [...figures].sort((a, b) => a - b))
    const fresh = freshStateDir()
    const bad = await sova(['run', '--once', '--format', 'table', '--columns', 'vm,nope'], {state: fresh})
    assert.equal(bad.exitCode, 2)
    assert.match(String(bad.stderr), /^sova run: --columns: no column "nope"; the columns are .*\bvm\b.*\bstatus\b/)
    assert.equal(bad.stdout, '')
    withStore(fresh, (store) => assert.equal(store.lastDocument(), undefined, 'no cycle ran'))
    const badSort = await sova(['history', '--sort', 'when'], {state})
    assert.equal(badSort.exitCode, 2)
    assert.match(String(badSort.stderr), /--sort: no column "when"; the columns are id, wall_time, run, kind,/)
    const badRows = await sova(['collect', '--format', 'csv', '--rows', 'hosts,vms'], {state})
    assert.equal(badRows.exitCode, 2)
    assert.match(String(badRows.stderr), /--rows: a CSV holds one kind of row/)
  })

  it('explain --vm as text at 80 columns: the prose wrapped at words under its label, not a word lost', async () => {
    const state = freshStateDir()
    await sova(['run', '--once', '-q'], {state})
    const wrapped = await sova(['explain', '--vm', 'bulk1', '--format', 'text', '-q'], {state, env: {COLUMNS: '80'}})
    const whole = await sova(['explain', '--vm', 'bulk1', '--format', 'text', '-q'], {state})
    assert.equal(wrapped.exitCode, 0, String(wrapped.stderr))
    assert.ok(widest(wrapped.stdout) <= 80, String(wrapped.stdout))
    assert.ok(widest(whole.stdout) > 80, 'piped with no COLUMNS: not wrapped')
    const words = (text: unknown) => String(text).split(/\s+/).filter(Boolean)
    assert.deepEqual(words(wrapped.stdout), words(whole.stdout))
    assert.match(String(wrapped.stdout), /\n {2}Host: {7}\S.*\n {14}\S/, 'continuation lines sit under the item')
  })

  it('balance --format csv writes the planned migrations; --rows hosts the hosts with the hotspot figure and its threshold', async () => {
    const state = freshStateDir()
    // Watched for more than the 120 s horizon (sova moves nothing before), without moving anything yet.
    await sova(['run', '--cycles', '14', '--interval', '0s', '--max-migrations', '0', '-q'], {state})
    const scored = String((await sova(['collect', '-q'], {state})).stdout)
    const input = String((await sova(['score', '-q'], {state, input: scored})).stdout)
    const csv = await sova(['balance', '--format', 'csv'], {state, input})
    assert.equal(csv.exitCode, 0, String(csv.stderr))
    const [header, ...moves] = lines(csv.stdout)
    assert.equal(header, 'at,vm,from,to,vf_on_arrival,relief_mbps,copy_mib,reason')
    assert.ok(moves.length >= 1, 'host1 is hot: a move is planned')
    assert.match(moves[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z,bulk\d,host1,host\d,(true|false),[\d.]+,\d+,"host1 predicted hot/)
    const hosts = lines((await sova(['balance', '--format', 'csv', '--rows', 'hosts'], {state, input})).stdout)
    assert.equal(hosts[0], 'at,host,util,hot_at,measure,forecast,hotspot,vfs_used,vfs_total,vms,rules,rx_mbps,tx_mbps,nic_util,reason')
    assert.match(hosts[1], /^[^,]+,host1,0\.\d+,0\.85,peak,[\d.]+,HOT,/)
  })
})
