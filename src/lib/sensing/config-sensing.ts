// The configuration's `sensing` section: where Sova reads the cluster from when not from the
// hypervisors' tools (docs/prometheus.md). Secrets are file paths, never the secrets themselves.
import {Type} from '@sinclair/typebox'
import {PROMETHEUS_URL_PATTERN} from './prom-client.js'
import {LABEL_NAME_PATTERN} from './promql.js'

const strict = {additionalProperties: false} as const
const positive = (description: string) => Type.Optional(Type.Number({exclusiveMinimum: 0, description, expected: 'a number > 0'}))
const file = (description: string) => Type.String({minLength: 1, description, expected: 'a file path'})

export const PrometheusSection = Type.Object(
  {
    url: Type.String({pattern: PROMETHEUS_URL_PATTERN, description: 'the Prometheus server, http(s)://host:port[/prefix] (no credentials in it: see auth)', expected: 'a URL such as http://prometheus:9090'}),
    hostLabel: Type.Optional(Type.String({pattern: LABEL_NAME_PATTERN, description: 'the label naming a series\' host (default instance, without its :port)', expected: 'a Prometheus label name'})),
    windowSeconds: positive('rates are taken over this window ending now (default 60; a multiple of the scrape interval)'),
    timeoutSeconds: positive('longest one query may take (default 10)'),
    retries: Type.Optional(Type.Integer({minimum: 0, maximum: 10, description: 'retries of a query after a 5xx answer, a network error or a timeout (default 2)', expected: 'a whole number 0..10'})),
    maxTextfileAgeSeconds: positive('a host whose sova textfile is older than this is missing (default 120)'),
    tls: Type.Optional(Type.Object({caFile: Type.Optional(file('a CA bundle to trust (Node takes it from NODE_EXTRA_CA_CERTS: Sova checks the two agree)'))}, strict)),
    auth: Type.Optional(
      Type.Object(
        {
          basic: Type.Optional(Type.Object({username: Type.String({minLength: 1, expected: 'a user name'}), passwordFile: file('the file holding the password')}, strict)),
          bearer: Type.Optional(Type.Object({tokenFile: file('the file holding the bearer token')}, strict)),
        },
        strict,
      ),
    ),
  },
  strict,
)

export const SensingSection = Type.Object({prometheus: Type.Optional(PrometheusSection)}, {...strict, description: 'where the cluster is read from (default: the hypervisors\' tools, host by host)'})

/** Cross-field rules of the section: one kind of auth, and hosts to act on. */
export function sensingProblems(sensing: {prometheus?: {auth?: {basic?: unknown; bearer?: unknown}}} | undefined, hasHosts: boolean): {pointer: string; line: string}[] {
  const problems: {pointer: string; line: string}[] = []
  if (!sensing?.prometheus) return problems
  if (!hasHosts) problems.push({pointer: '/sensing/prometheus', line: 'sensing.prometheus: needs the hosts list (Sova acts on them with their hypervisors\' tools)'})
  const auth = sensing.prometheus.auth
  if (auth?.basic && auth.bearer) problems.push({pointer: '/sensing/prometheus/auth', line: 'sensing.prometheus.auth: choose one of basic or bearer'})
  return problems
}
