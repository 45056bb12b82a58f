// Hosts an operator took out of service with `sova drain`: `draining` while its VMs are moved off
// (a drain killed midway leaves it so, and the next drain finishes), then `maintenance` until `sova
// undrain`. Either way no VM moves in and no VF is handed out there: the marks are host rules
// (maintenance) in every document the loop builds, naming the drain that set them.
import type {HostRule} from '../policy/rules.js'
import type {Sqlite} from './sqlite.js'
import type {Store} from './store.js'

export type HostMarkState = 'draining' | 'maintenance'

export interface HostMark {
  host: string
  state: HostMarkState
  /** When it was set, on the cluster's clock (ISO). */
  since: string
}

/** Migration of the state store: one mark per (cluster, host). */
export const HOST_MARKS_SCHEMA = `CREATE TABLE host_marks (
     cluster TEXT NOT NULL,
     host TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('draining', 'maintenance')),
     since TEXT NOT NULL,
     PRIMARY KEY (cluster, host)
   );`

export function readHostMarks(sql: Sqlite, cluster: string): HostMark[] {
  return sql.all<HostMark>('SELECT host, state, since FROM host_marks WHERE cluster = ? ORDER BY host', cluster)
}

export function writeHostMark(sql: Sqlite, cluster: string, mark: HostMark): void {
  sql.run(`INSERT INTO host_marks (cluster, host, state, since) VALUES (?, ?, ?, ?)
      ON CONFLICT(cluster, host) DO UPDATE SET state = excluded.state, since = excluded.since`, cluster, mark.host, mark.state, mark.since)
}

/** Removes the mark; true when there was one. */
export function deleteHostMark(sql: Sqlite, cluster: string, host: string): boolean {
  return sql.run('DELETE FROM host_marks WHERE cluster = ? AND host = ?', cluster, host).changes > 0
}

/** Removes the marks of every cluster whose id starts with `prefix` (`sim:`: the simulator started over). */
export function deleteHostMarksOf(sql: Sqlite, prefix: string): void {
  sql.run('DELETE FROM host_marks WHERE substr(cluster, 1, length(?)) = ?', prefix, prefix)
}

/** `2026-12-03T15:04Z`: to the minute, as an operator reads it. */
export function minuteOf(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16)}Z`
}

/** The marks as host rules (maintenance), for the rule set in force: origin `sova drain h2, 2026-12-03T15:04Z`. */
export function hostMarkRules(marks: readonly HostMark[]): HostRule[] {
  return marks.map((mark) => ({
    host: mark.host,
    maintenance: true,
    origin: `sova drain ${mark.host}, ${minuteOf(mark.since)}${mark.state === 'draining' ? ', still draining' : ''}`,
  }))
}

/** The host rules `sova drain` keeps for `cluster`: what the loader of the rules in force adds to the rest. */
export function drainRules(store: Pick<Store, 'hostMarks'>, cluster: string): HostRule[] {
  return hostMarkRules(store.hostMarks(cluster))
}
