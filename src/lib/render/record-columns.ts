// How the tables of flat records show their columns (the records' keys are the column names):
// which stay longest at a narrow width, which may be cut, how a status is coloured.
import type {Colour, Column} from './grid.js'

const status = (text: string): Colour | undefined =>
  text === 'done' || text === 'pass' ? 'green' : text === 'failed' || text === 'FAIL' ? 'red' : text === 'skipped' || text === 'rolled-back' ? 'yellow' : undefined

/** `sova history`: one journalled action a row. */
export const HISTORY_COLUMNS: Column[] = [
  {name: 'id', priority: 6, align: 'right'},
  {name: 'wall_time', priority: 3},
  {name: 'run', priority: 8, flexible: true, minWidth: 10},
  {name: 'kind', priority: 1},
  {name: 'vm', priority: 1, flexible: true, minWidth: 6},
  {name: 'host', priority: 2, flexible: true, minWidth: 6},
  {name: 'to', priority: 2, flexible: true, minWidth: 6},
  {name: 'vf', priority: 5},
  {name: 'status', priority: 1, colourOf: status},
  {name: 'reason', priority: 4, flexible: true, minWidth: 12},
  {name: 'error', priority: 3, flexible: true, minWidth: 12, colourOf: () => 'red'},
]

/** `sova doctor`: one check of one host a row. */
export const DOCTOR_COLUMNS: Column[] = [
  {name: 'host', priority: 1, flexible: true, minWidth: 6},
  {name: 'check', priority: 1, flexible: true, minWidth: 10},
  {name: 'result', priority: 1, colourOf: status},
  {name: 'detail', priority: 2, flexible: true, minWidth: 12},
  {name: 'fix', priority: 3, flexible: true, minWidth: 12},
]

/** `sova check`: one violated invariant a row. */
export const CHECK_COLUMNS: Column[] = [
  {name: 'invariant', priority: 1, flexible: true, minWidth: 12},
  {name: 'host', priority: 2, flexible: true, minWidth: 6},
  {name: 'vm', priority: 2, flexible: true, minWidth: 6},
  {name: 'vf', priority: 4},
  {name: 'detail', priority: 3, flexible: true, minWidth: 12},
]
