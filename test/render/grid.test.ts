// The one table renderer: priority dropping, ellipsis, --columns, --no-headers, --sort, --wide.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkColumnNames, type Column, compareCells, renderGrid, truncate} from '../../src/lib/render/grid.js'
import {UsageError} from '../../src/lib/errors.js'

const COLUMNS: Column[] = [
  {name: 'vm', priority: 1, flexible: true, minWidth: 6},
  {name: 'host', priority: 2},
  {name: 'mbps', priority: 3, align: 'right'},
  {name: 'cpu', priority: 5, align: 'right'},
  {name: 'reason', priority: 4, flexible: true, minWidth: 10},
  {name: 'rx_bps', priority: 9, wideOnly: true},
]

const ROWS = [
  {vm: 'web10', host: 'host1', mbps: '451.3', cpu: '0.29', reason: 'on a VF at 338 Mbit/s: a VF is worth 34 Mbit/s', rx_bps: '1000'},
  {vm: 'web2', host: 'host2', mbps: '56.5', cpu: '0.27', reason: 'on PV', rx_bps: '2000'},
  {vm: 'a-very-long-virtual-machine-name', host: 'host3', mbps: '1200.0', cpu: '1.10', reason: 'idle', rx_bps: '3000'},
]

const lines = (text: string) => text.split('\n').filter((line) => line !== '')
const widest = (text: string) => Math.max(...lines(text).map((line) => [...line].length))

describe('renderGrid', () => {
  it('with no width limit: every column but the wide-only ones, headers in capitals, nothing cut', () => {
    const text = renderGrid(COLUMNS, ROWS)
    const [header, first] = lines(text)
    assert.match(header, /^VM +HOST +MBPS +CPU +REASON$/)
    assert.ok(first.endsWith('on a VF at 338 Mbit/s: a VF is worth 34 Mbit/s'))
    assert.ok(text.includes('a-very-long-virtual-machine-name'))
    assert.ok(!text.includes('…'))
    assert.ok(!text.includes('RX_BPS'))
  })

  it('at a narrow width: cuts flexible cells with an ellipsis, then leaves out the least important columns; no line is wider', () => {
    for (const width of [80, 60, 40, 35, 30, 20, 12]) {
      const text = renderGrid(COLUMNS, ROWS, {width})
      assert.ok(widest(text) <= width, `width ${width}:\n${text}`)
      assert.equal(lines(text).length, 1 + ROWS.length, 'one line per row, never wrapped')
    }
    const narrow = renderGrid(COLUMNS, ROWS, {width: 35})
    assert.match(lines(narrow)[0], /^VM +HOST +MBPS +REASON$/, 'cpu (priority 5) goes first')
    assert.ok(narrow.includes('…'), 'the long name and reason are cut with an ellipsis')
    const tiny = renderGrid(COLUMNS, ROWS, {width: 20})
    assert.match(lines(tiny)[0], /^VM +HOST$/, 'the most important columns stay')
  })

  it('right-aligns numbers and pads cells to the column', () => {
    const text = renderGrid(COLUMNS, ROWS, {columns: ['vm', 'mbps']})
    assert.deepEqual(lines(text).map((line) => line.slice(-6)), ['MBPS', ' 451.3', '  56.5', '1200.0'].map((cell) => cell.padStart(6)))
  })

  it('--columns: those columns in that order, the wide-only ones too, names in any case; never left out for width', () => {
    const text = renderGrid(COLUMNS, ROWS, {columns: ['RX_BPS', 'vm'], width: 200})
    assert.match(lines(text)[0], /^RX_BPS +VM$/)
    const cut = renderGrid(COLUMNS, ROWS, {columns: ['vm', 'host', 'cpu'], width: 18})
    assert.match(lines(cut)[0], /^VM +HOST +CPU$/, 'asked for: cut, not left out')
    assert.ok(widest(cut) <= 18)
  })

  it('--no-headers: rows only', () => {
    const text = renderGrid(COLUMNS, ROWS, {noHeaders: true})
    assert.equal(lines(text).length, ROWS.length)
    assert.match(lines(text)[0], /^web10 /)
  })

  it('--sort: numbers as numbers, names with numbers in order, stable, empty cells last', () => {
    const byMbps = lines(renderGrid(COLUMNS, ROWS, {sort: 'mbps', columns: ['vm']})).slice(1)
    assert.deepEqual(byMbps.map((line) => line.trim()), ['web2', 'web10', 'a-very-long-virtual-machine-name'])
    const byVm = lines(renderGrid(COLUMNS, ROWS, {sort: 'VM', columns: ['vm']})).slice(1)
    assert.deepEqual(byVm.map((line) => line.trim()), ['a-very-long-virtual-machine-name', 'web2', 'web10'])
    const ties = [{vm: 'b', host: 'h'}, {vm: 'a', host: 'h'}, {vm: 'c', host: ''}, {vm: 'd', host: 'h'}]
    const stable = lines(renderGrid(COLUMNS, ties, {sort: 'host', columns: ['vm']})).slice(1)
    assert.deepEqual(stable.map((line) => line.trim()), ['b', 'a', 'd', 'c'])
    assert.ok(compareCells('0.9', '0.10') > 0, '0.9 is more than 0.10')
    assert.ok(compareCells('-1', '10') < 0)
  })

  it('--wide: every column, nothing cut, whatever the width', () => {
    const text = renderGrid(COLUMNS, ROWS, {wide: true, width: 20})
    assert.match(lines(text)[0], /^VM +HOST +MBPS +CPU +REASON +RX_BPS$/)
    assert.ok(!text.includes('…'))
  })

  it('leaves out a column empty in every row unless asked for it', () => {
    const rows = ROWS.map((row) => ({...row, cpu: ''}))
    assert.ok(!lines(renderGrid(COLUMNS, rows))[0].includes('CPU'))
    assert.ok(lines(renderGrid(COLUMNS, rows, {columns: ['vm', 'cpu']}))[0].includes('CPU'))
  })

  it('colours after fitting: escape codes never count as width; control characters in cells are escaped', () => {
    const rows = [{vm: {text: 'web1', colour: 'red' as const}, host: 'h\u001b[31m\nx'}]
    const text = renderGrid(COLUMNS, rows, {colour: true, width: 30})
    assert.ok(text.includes('\u001b[31mweb1\u001b[39m'))
    assert.ok(text.includes('h\\u001b[31m x'))
    assert.equal(lines(text).length, 2)
  })

  it('truncate cuts to the width with an ellipsis', () => {
    assert.equal(truncate('abcdef', 4), 'abc…')
    assert.equal(truncate('abc', 3), 'abc')
    assert.equal(truncate('abc', 0), '')
  })

  it('an unknown column is a usage error naming the valid ones', () => {
    assert.throws(() => checkColumnNames(['vm', 'nope'], ['vm', 'host'], '--columns'), (error: unknown) => {
      assert.ok(error instanceof UsageError)
      assert.equal((error as Error).message, '--columns: no column "nope"; the columns are vm, host')
      return true
    })
    assert.doesNotThrow(() => checkColumnNames(['VM'], ['vm'], '--sort'))
  })
})
