// Per-host policy parameters: a host of the configuration may override any parameter (a host with
// a slower port gets a lower hotspot threshold, a host that must stay quiet a lower targetBelow).
// The policies ask `of(host)` wherever a decision concerns one host; cluster-wide limits (the
// cycle's migration cap) stay global.
import type {SeedBalanceParams} from './balance-seed.js'
import type {HotspotParams} from './hotspot.js'
import type {SovaParams} from './sova-params.js'

/** What one host changes of the policy's parameters. */
export interface HostOverrides {
  hotspot?: Partial<HotspotParams>
  balance?: Partial<SeedBalanceParams>
  sova?: Partial<SovaParams>
}

/** The parameters in force for one host. */
export interface HostParams {
  hotspot: HotspotParams
  balance: SeedBalanceParams
  sova: SovaParams
}

/** Resolves a host's parameters: its overrides over the cluster's. */
export type HostParamsOf = (host: string) => HostParams

/** A resolver for `base` with `overrides` by host name; hosts without overrides share `base`. */
export function hostParamsResolver(base: HostParams, overrides: Readonly<Record<string, HostOverrides>> = {}): HostParamsOf {
  const resolved = new Map<string, HostParams>()
  for (const [host, own] of Object.entries(overrides)) {
    resolved.set(host, {
      hotspot: {...base.hotspot, ...own.hotspot},
      balance: {...base.balance, ...own.balance},
      sova: {...base.sova, ...own.sova},
    })
  }
  return (host) => resolved.get(host) ?? base
}

/** The cluster's parameters and every host's: what history must be long enough for. */
export function allHostParams(base: HostParams, overrides: Readonly<Record<string, HostOverrides>> = {}): HostParams[] {
  const of = hostParamsResolver(base, overrides)
  return [base, ...Object.keys(overrides).map(of)]
}
