// The HTTP client against a local server answering in the Prometheus API's JSON: what it sends,
// when it retries, and how each failure leaves (69 unreachable, 65 an answer the API does not document).
import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {EXIT, SovaError} from '../../src/lib/errors.js'
import {MAX_CONCURRENT_QUERIES, PrometheusClient} from '../../src/lib/sensing/prom-client.js'
import {type Answer, type SeenRequest, startFakePrometheus, vector} from '../support/fake-prometheus.js'

const noSleep = async () => {}
const servers: {close: () => Promise<void>}[] = []
after(() => Promise.all(servers.map((server) => server.close())))

async function serve(answer: (request: SeenRequest, index: number) => Answer) {
  let index = 0
  const server = await startFakePrometheus((request) => answer(request, index++))
  servers.push(server)
  return server
}

const exitOf = (code: number) => (error: unknown) => error instanceof SovaError && error.exit === code

describe('the Prometheus client', () => {
  it('POSTs /api/v1/query with query= and time=, and returns the parsed answer', async () => {
    const server = await serve((request) => ({status: 200, body: vector([{metric: {sova_part: 'up'}, value: 1}], request.time)}))
    const client = new PrometheusClient({url: `${server.url}/prom/`})
    const answer = (await client.query('up', 1234.5)) as {status: string}
    assert.equal(answer.status, 'success')
    assert.deepEqual(server.requests.map((r) => [r.method, r.path, r.query, r.time, r.authorization]), [['POST', '/prom/api/v1/query', 'up', 1234.5, undefined]])
  })

  it('POSTs /api/v1/query_range with query=, start=, end= and step=', async () => {
    const server = await serve(() => ({status: 200, body: {status: 'success', data: {resultType: 'matrix', result: []}}}))
    await new PrometheusClient({url: `${server.url}/prom`}).queryRange('up', 940.5, 1000.5, 60)
    assert.deepEqual(server.requests.map((r) => [r.path, r.query, r.start, r.end, r.step]), [['/prom/api/v1/query_range', 'up', 940.5, 1000.5, 60]])
  })

  it('retries a 5xx and then succeeds', async () => {
    const server = await serve((request, index) => (index === 0 ? {status: 503, body: 'busy'} : {status: 200, body: vector([], request.time)}))
    const answer = await new PrometheusClient({url: server.url, retries: 1}, {sleep: noSleep}).query('up', 1)
    assert.equal((answer as {status: string}).status, 'success')
    assert.equal(server.requests.length, 2)
  })

  it('gives up after its retries with exit 69, on 5xx and on a timeout', async () => {
    const failing = await serve(() => ({status: 500, body: 'no'}))
    await assert.rejects(new PrometheusClient({url: failing.url, retries: 2}, {sleep: noSleep}).query('up', 1), (error: Error) => exitOf(EXIT.unreachable)(error) && /HTTP 500, 3 attempts/.test(error.message))
    assert.equal(failing.requests.length, 3)
    const hanging = await serve(() => ({hang: true}))
    await assert.rejects(new PrometheusClient({url: hanging.url, retries: 1, timeoutSeconds: 0.2}, {sleep: noSleep}).query('up', 1), (error: Error) => exitOf(EXIT.unreachable)(error) && /no answer within 0.2 s, 2 attempts/.test(error.message))
    assert.equal(hanging.requests.length, 2)
  })

  it('a refused connection is exit 69 naming the URL', async () => {
    const server = await serve(() => ({status: 200, body: {}}))
    await server.close()
    await assert.rejects(new PrometheusClient({url: server.url, retries: 0}).query('up', 1), (error: Error) => exitOf(EXIT.unreachable)(error) && error.message.includes(`Prometheus at ${server.url} cannot be reached (ECONNREFUSED`))
  })

  it('an error status is handed on for the reader (never retried); a body that is not JSON is exit 65', async () => {
    const refusing = await serve(() => ({status: 400, body: {status: 'error', errorType: 'bad_data', error: 'parse error'}}))
    assert.deepEqual(await new PrometheusClient({url: refusing.url}, {sleep: noSleep}).query('up(', 1), {status: 'error', errorType: 'bad_data', error: 'parse error'})
    assert.equal(refusing.requests.length, 1)
    const html = await serve(() => ({status: 200, body: '<html>'}))
    await assert.rejects(new PrometheusClient({url: html.url}).query('up', 1), (error: Error) => exitOf(EXIT.badInput)(error) && /not JSON: is .* a Prometheus\?/.test(error.message))
  })

  it('sends basic or bearer auth read from files, and never puts the secret in a message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sova-prom-auth-'))
    writeFileSync(join(dir, 'password'), 's3cret\n')
    writeFileSync(join(dir, 'token'), 'tok-123\n')
    const server = await serve((request) => (request.authorization ? {status: 200, body: vector([], request.time)} : {status: 401, body: 'no'}))
    await new PrometheusClient({url: server.url, auth: {basic: {username: 'sova', passwordFile: join(dir, 'password')}}}).query('up', 1)
    await new PrometheusClient({url: server.url, auth: {bearer: {tokenFile: join(dir, 'token')}}}).query('up', 1)
    assert.deepEqual(server.requests.map((r) => r.authorization), [`Basic ${Buffer.from('sova:s3cret').toString('base64')}`, 'Bearer tok-123'])
    await assert.rejects(new PrometheusClient({url: server.url}).query('up', 1), (error: Error) => exitOf(EXIT.badInput)(error) && /refused Sova's credentials \(HTTP 401\)/.test(error.message))
    assert.throws(() => new PrometheusClient({url: server.url, auth: {bearer: {tokenFile: join(dir, 'none')}}}), (error: Error) => exitOf(EXIT.badInput)(error) && error.message.includes(join(dir, 'none')))
  })

  it('refuses a URL with credentials, and a CA file Node was not started with', () => {
    assert.throws(() => new PrometheusClient({url: 'http://user:pw@prom:9090'}), (error: Error) => exitOf(EXIT.usage)(error) && /with credentials/.test(error.message) && !error.message.includes('pw'))
    assert.throws(() => new PrometheusClient({url: 'https://prom:9090', tls: {caFile: '/etc/ca.pem'}}, {env: {}}), (error: SovaError) => error.remedy === 'run Sova with NODE_EXTRA_CA_CERTS=/etc/ca.pem')
    assert.doesNotThrow(() => new PrometheusClient({url: 'https://prom:9090', tls: {caFile: '/etc/ca.pem'}}, {env: {NODE_EXTRA_CA_CERTS: '/etc/ca.pem'}}))
  })

  it('has at most MAX_CONCURRENT_QUERIES queries in flight; the next starts when one ends', async () => {
    const pending: (() => void)[] = []
    const fetch = (() => new Promise<Response>((resolve) => pending.push(() => resolve(new Response(JSON.stringify({status: 'success'}), {status: 200}))))) as typeof globalThis.fetch
    const client = new PrometheusClient({url: 'http://prom:9090'}, {fetch})
    const queries = Array.from({length: MAX_CONCURRENT_QUERIES + 2}, (_, i) => client.query(`q${i}`, 1))
    const settle = () => new Promise((resolve) => setImmediate(resolve))
    await settle()
    assert.equal(pending.length, MAX_CONCURRENT_QUERIES)
    pending[0]()
    await settle()
    assert.equal(pending.length, MAX_CONCURRENT_QUERIES + 1)
    for (let i = 1; i < pending.length; i++) pending[i]()
    await settle()
    pending.at(-1)?.()
    assert.equal((await Promise.all(queries)).length, MAX_CONCURRENT_QUERIES + 2)
    assert.equal(pending.length, MAX_CONCURRENT_QUERIES + 2)
  })
})
