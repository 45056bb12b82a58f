// Where a Xen VM's traffic is read from, and the choice between the sources. Pure.
import type {ByteCounters} from '../../linux/host-facts.js'
import {DEFAULT_INTERVAL_SECONDS} from '../../agent/measure-loop.js'
import type {AgentCounters} from './parse-xenstore.js'

/** A VM's cumulative traffic from its own point of view (rx = received by the VM). */
export interface VmTraffic extends ByteCounters {
  activeSeconds?: number
  /** Which source the numbers came from, for doctor output and tests. */
  source: 'agent' | 'vif' | 'vif+vf'
  /** What the counters count (the source, and the VF whose counters are in them): rates need one basis. */
  basis: string
}

/** Intervals an agent may miss before its figures count as stale: it has stopped, or its guest hangs. */
export const AGENT_MISSED_INTERVALS = 3

/** Why the agent's figures are too old to use at `nowSeconds`; undefined when they are fresh (or undated: older agents). */
export function staleAgent(agent: AgentCounters, nowSeconds: number): string | undefined {
  if (agent.updated === undefined) return undefined
  // An agent that does not say how often it writes writes at sova agent's default.
  const interval = agent.intervalSeconds ?? DEFAULT_INTERVAL_SECONDS
  const age = nowSeconds - agent.updated
  return age > AGENT_MISSED_INTERVALS * interval ? `guest agent last wrote ${Math.round(age)} s ago (more than ${AGENT_MISSED_INTERVALS} intervals of ${interval} s)` : undefined
}

/** True for dom0's backend netdevs of `domid`: `vif<domid>.<devid>` and the HVM twin `...-emu`. */
export function isVifOf(ifname: string, domid: number, customNames: string[] = []): boolean {
  const base = ifname.endsWith('-emu') ? ifname.slice(0, -'-emu'.length) : ifname
  return new RegExp(`^vif${domid}\\.\\d+$`).test(base) || customNames.includes(base)
}

/**
 * The sum of a domain's vif counters, turned to the guest's view: a vif's RX is what the guest
 * sent, so rx and tx swap (INTERFACES.md §3.1). Undefined when dom0 has no vif of it.
 */
export function sumVifTraffic(netDev: Map<string, ByteCounters>, domid: number, customNames: string[] = []): ByteCounters | undefined {
  let found = false
  const sum = {rxBytes: 0, txBytes: 0}
  for (const [ifname, counters] of netDev) {
    if (!isVifOf(ifname, domid, customNames)) continue
    found = true
    sum.rxBytes += counters.txBytes
    sum.txBytes += counters.rxBytes
  }
  return found ? sum : undefined
}

/**
 * The best traffic figures for one VM: the guest agent's cumulative xenstore keys when it
 * publishes them (the guest counts every interface it has, its VF included, and says how many
 * seconds were active; a stale agent is the caller's to leave out); else dom0's vif counters plus,
 * when the VM holds the VF `vfAddress`, that VF's own counters from the PF (VF traffic never
 * crosses a vif). Zero when no source knows the VM.
 */
export function chooseVmTraffic(agent: AgentCounters | undefined, vif: ByteCounters | undefined, vf: ByteCounters | undefined, vfAddress: string | null = null): VmTraffic {
  if (agent) {
    const traffic: VmTraffic = {rxBytes: agent.rxBytes, txBytes: agent.txBytes, source: 'agent', basis: 'agent'}
    if (agent.activeSeconds !== undefined) traffic.activeSeconds = agent.activeSeconds
    return traffic
  }
  const base = vif ?? {rxBytes: 0, txBytes: 0}
  if (!vf) return {rxBytes: base.rxBytes, txBytes: base.txBytes, source: 'vif', basis: 'vif'}
  return {rxBytes: base.rxBytes + vf.rxBytes, txBytes: base.txBytes + vf.txBytes, source: 'vif+vf', basis: `vif+vf ${vfAddress}`}
}
