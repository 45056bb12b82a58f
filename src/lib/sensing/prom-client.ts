// The HTTP side of Prometheus sensing: instant and range queries over the documented API (POST
// /api/v1/query with query= and time=, /api/v1/query_range with query=, start=, end=, step=), with Node's own fetch, a timeout per attempt, bounded
// retries with backoff on what may pass (5xx, network errors, timeouts) and never on an answer
// that will not change (4xx). Secrets come from files and never reach a message.
import {readFileSync} from 'node:fs'
import {InputError, UnreachableError, UsageError} from '../errors.js'

export const DEFAULT_TIMEOUT_SECONDS = 10
export const DEFAULT_RETRIES = 2
/** First pause before a retry; doubled each time. */
const BACKOFF_MS = 250
/**
 * Queries in flight at once: enough to keep a Prometheus's cores busy and hide a round trip, few
 * enough that neither side holds many whole answers at a time (bench/fleet).
 */
export const MAX_CONCURRENT_QUERIES = 4

/** http(s)://host[:port][/prefix], nothing more: credentials in a URL would end up in messages. */
export const PROMETHEUS_URL_PATTERN = '^https?://[A-Za-z0-9._~\\[\\]:-]+(/[A-Za-z0-9._~/%-]*)?$'

export interface PrometheusAuth {
  basic?: {username: string; passwordFile: string}
  bearer?: {tokenFile: string}
}

/** How to reach Prometheus (the configuration's sensing.prometheus, or --prometheus). */
export interface PrometheusEndpoint {
  url: string
  timeoutSeconds?: number
  retries?: number
  auth?: PrometheusAuth
  tls?: {caFile?: string}
}

export interface ClientOptions {
  fetch?: typeof fetch
  sleep?: (ms: number) => Promise<void>
  env?: NodeJS.ProcessEnv
}

/** A secret file's content, without its trailing newline; the message names the file, never what is in it. */
function secretOf(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '')
  } catch (error) {
    throw new InputError(`sensing.prometheus.auth: cannot read the ${what} file ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

/** The Authorization header the endpoint asks for, read from its files now. */
export function authorizationOf(auth: PrometheusAuth | undefined): string | undefined {
  if (auth?.basic) return `Basic ${Buffer.from(`${auth.basic.username}:${secretOf(auth.basic.passwordFile, 'password')}`).toString('base64')}`
  if (auth?.bearer) return `Bearer ${secretOf(auth.bearer.tokenFile, 'token')}`
  return undefined
}

/** Runs instant queries against one Prometheus. */
export class PrometheusClient {
  private readonly base: string
  private readonly authorization: string | undefined
  private readonly fetch: typeof fetch
  private readonly sleep: (ms: number) => Promise<void>
  private inFlight = 0
  private readonly waiting: (() => void)[] = []

  constructor(
    private readonly settings: PrometheusEndpoint,
    options: ClientOptions = {},
  ) {
    if (!new RegExp(PROMETHEUS_URL_PATTERN).test(settings.url)) {
      // Never echo what may hold a password.
      const shown = settings.url.includes('@') ? 'with credentials' : JSON.stringify(settings.url)
      throw new UsageError(`Prometheus URL ${shown}: expected http(s)://host[:port][/path], without credentials or a query (credentials go in sensing.prometheus.auth)`)
    }
    const env = options.env ?? process.env
    // Node's fetch trusts a CA only from NODE_EXTRA_CA_CERTS, read when Node starts (undici's
    // per-request Agent is not a dependency of Sova): say so rather than ignore caFile.
    if (settings.tls?.caFile !== undefined && env.NODE_EXTRA_CA_CERTS !== settings.tls.caFile) {
      throw new UsageError(`sensing.prometheus.tls.caFile ${settings.tls.caFile}: Node's fetch takes an extra CA only from the environment at start`, `run Sova with NODE_EXTRA_CA_CERTS=${settings.tls.caFile}`)
    }
    this.base = settings.url.endsWith('/') ? settings.url : `${settings.url}/`
    this.authorization = authorizationOf(settings.auth)
    this.fetch = options.fetch ?? globalThis.fetch
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  /**
   * The parsed JSON answer of `query` at `time` (Unix seconds), at most MAX_CONCURRENT_QUERIES at a
   * time. 69 when Prometheus cannot be reached, 65 when it answers what the API does not document.
   */
  query(query: string, time: number): Promise<unknown> {
    return this.limited('api/v1/query', {query, time: time.toFixed(3)})
  }

  /**
   * The parsed JSON answer of `query` evaluated at `start`, `start + step`, ... up to `end` (Unix
   * seconds; each point as an instant query at that time would read it), as `query` is limited.
   */
  queryRange(query: string, start: number, end: number, step: number): Promise<unknown> {
    return this.limited('api/v1/query_range', {query, start: start.toFixed(3), end: end.toFixed(3), step: step.toFixed(3)})
  }

  private async limited(path: string, form: Record<string, string>): Promise<unknown> {
    if (this.inFlight >= MAX_CONCURRENT_QUERIES) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.inFlight++
    try {
      return await this.attempts(new URL(path, this.base), form)
    } finally {
      // A waiting query takes this one's place (inFlight unchanged), else the place is freed.
      const next = this.waiting.shift()
      if (next) next()
      else this.inFlight--
    }
  }

  private async attempts(endpoint: URL, form: Record<string, string>): Promise<unknown> {
    const retries = this.settings.retries ?? DEFAULT_RETRIES
    const timeoutMs = (this.settings.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000
    const where = `Prometheus at ${this.settings.url}`
    let lastProblem = ''
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await this.sleep(BACKOFF_MS * 2 ** (attempt - 1))
      let response: Response
      try {
        response = await this.fetch(endpoint, {
          method: 'POST',
          headers: {'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...(this.authorization ? {authorization: this.authorization} : {})},
          body: new URLSearchParams(form),
          signal: AbortSignal.timeout(timeoutMs),
        })
      } catch (error) {
        const cause = (error as Error & {cause?: {code?: string; message?: string}}).cause
        lastProblem = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : (cause?.code ?? cause?.message ?? (error as Error).message)
        continue
      }
      if (response.status >= 500) {
        lastProblem = `HTTP ${response.status}`
        await response.body?.cancel()
        continue
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel()
        throw new InputError(`${where} refused Sova's credentials (HTTP ${response.status})`, 'check sensing.prometheus.auth')
      }
      let body: unknown
      try {
        body = await response.json()
      } catch {
        throw new InputError(`${where} answered HTTP ${response.status} with a body that is not JSON: is ${this.settings.url} a Prometheus?`)
      }
      // 400 and 422 carry {status: "error"} (the API's documented errors): the reader says which.
      if (response.status !== 200 && (body as {status?: unknown})?.status !== 'error') throw new InputError(`${where} answered HTTP ${response.status}`)
      return body
    }
    throw new UnreachableError(`${where} cannot be reached (${lastProblem}, ${retries + 1} attempt${retries === 0 ? '' : 's'})`)
  }
}
