// The fast path of POST /tokens/validate (src/api/age-token-lane.ts) over real HTTP: every request it
// takes is answered exactly as the Fastify route answers the same request (sent through
// app.inject, which never reaches the HTTP server), and every request it must not take is left
// to the route.
import http from 'node:http'
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { base64url, decodeJwt } from 'jose'
import { TestClock, admin, createKey, createTenant, dialects, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { MAX_TOKEN_LENGTH } from '../src/domain/age-tokens.ts'

interface Sent {
  method?: string
  path?: string
  headers?: Record<string, string>
  /** Sent with Content-Length unless `chunked`. */
  body?: string
  chunked?: boolean
}

interface Received {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: string
}

/** One request over a real connection, exactly as given. */
function send(port: number, req: Sent): Promise<Received> {
  return new Promise((resolve, reject) => {
    const body = req.body ?? ''
    const headers: Record<string, string> = { ...req.headers }
    if (!req.chunked) headers['content-length'] = String(Buffer.byteLength(body))
    const r = http.request(
      {
        host: '127.0.0.1',
        port,
        method: req.method ?? 'POST',
        path: req.path ?? '/tokens/validate',
        headers,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c: string) => (text += c))
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }),
        )
      },
    )
    r.on('error', reject)
    if (req.chunked) r.write(body)
    r.end(req.chunked ? undefined : body)
  })
}

describe.each(dialects())('token validation fast path on %s', (dialect) => {
  let t: TestApp
  let port: number
  const clock = new TestClock()
  let tenant: { id: string; key: string }
  let other: { id: string; key: string }
  let token: string

  /** A token of an approved verification of `key`'s tenant. */
  async function approvedToken(key: string): Promise<string> {
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: { 'x-tenant-api-key': key },
      payload: { mock_behavior: 'approve' },
    })
    const done = await t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers: { 'x-tenant-api-key': key },
      payload: { verificationId: started.json().verificationId },
    })
    return done.json<{ token: string }>().token
  }

  /** The request through the lane and through the route; both answers, and whether the lane took it. */
  async function both(req: Sent): Promise<{ lane: Received; route: Received; taken: boolean }> {
    const before = t.app.tokenLane!.served
    const lane = await send(port, req)
    const taken = t.app.tokenLane!.served === before + 1
    const res = await t.app.inject({
      method: (req.method ?? 'POST') as 'POST',
      url: req.path ?? '/tokens/validate',
      headers: req.headers ?? {},
      payload: req.body ?? '',
    })
    const route = { status: res.statusCode, headers: res.headers, body: res.body }
    return { lane, route, taken }
  }

  /** Same status, body and headers (the rate-limit count and reset time move between the two). */
  function expectSameAnswer({ lane, route }: { lane: Received; route: Received }, what: string) {
    expect(lane.status, what).toBe(route.status)
    expect(lane.body, what).toBe(route.body)
    for (const name of ['content-type', 'x-request-id', 'x-ratelimit-limit', 'retry-after']) {
      expect(lane.headers[name], `${what}: ${name}`).toBe(route.headers[name])
    }
    const remaining = (r: Received) => Number(r.headers['x-ratelimit-remaining'])
    expect(Math.abs(remaining(lane) - remaining(route)), what).toBeLessThanOrEqual(1)
    if (route.headers.connection === 'close') expect(lane.headers.connection, what).toBe('close')
  }

  const json = { 'content-type': 'application/json' }

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock })
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    port = Number(new URL(address).port)
    const live = await createTenant(t.app)
    tenant = { id: live.id, key: (await createKey(t.app, live.id, 'test')).key }
    const second = await createTenant(t.app)
    other = { id: second.id, key: (await createKey(t.app, second.id, 'test')).key }
    token = await approvedToken(tenant.key)
  })
  afterAll(async () => t.close())

  it('leaves a key it has not seen to the route, then answers from memory', async () => {
    const fresh = (await createKey(t.app, tenant.id, 'test')).key
    const req = {
      headers: { ...json, 'x-tenant-api-key': fresh, 'x-request-id': 'unseen-key' },
      body: JSON.stringify({ token }),
    }
    const first = await both(req)
    expect(first.taken).toBe(false)
    expect(JSON.parse(first.lane.body)).toMatchObject({ valid: true, over18: true })
    const second = await both(req)
    expect(second.taken).toBe(true)
    expectSameAnswer(second, 'valid token')
  })

  it('answers valid and invalid tokens as the route does', async () => {
    const otherToken = await approvedToken(other.key)
    const revoked = await approvedToken(tenant.key)
    await t.app.inject({
      method: 'POST',
      url: '/tokens/revoke',
      headers: { 'x-tenant-api-key': tenant.key },
      payload: { token: revoked },
    })
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const forged = base64url.encode(JSON.stringify({ ...decodeJwt(token), verified_age: 99 }))
    const none = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))
    const cases: [string, string][] = [
      ['valid', token],
      ['tampered payload', `${header}.${forged}.${signature}`],
      ['alg none', `${none}.${payload}.`],
      ['not a JWT', 'hello'],
      ['another tenant', otherToken],
      ['revoked', revoked],
    ]
    const reasons: unknown[] = []
    for (const [what, value] of cases) {
      const answer = await both({
        headers: {
          ...json,
          'x-tenant-api-key': tenant.key,
          'x-request-id': `case-${reasons.length}`,
        },
        body: JSON.stringify({ token: value }),
      })
      expect(answer.taken, what).toBe(true)
      expectSameAnswer(answer, what)
      reasons.push(JSON.parse(answer.lane.body).reason)
    }
    expect(reasons).toEqual([
      undefined,
      'TOKEN_INVALID',
      'TOKEN_INVALID',
      'TOKEN_INVALID',
      'TENANT_MISMATCH',
      'TOKEN_REVOKED',
    ])
  })

  it('answers an expired token as expired', async () => {
    const soon = await approvedToken(tenant.key)
    clock.advance(25 * 3600_000)
    try {
      const answer = await both({
        headers: { ...json, 'x-tenant-api-key': tenant.key, 'x-request-id': 'expired-1' },
        body: JSON.stringify({ token: soon }),
      })
      expect(answer.taken).toBe(true)
      expectSameAnswer(answer, 'expired')
      expect(JSON.parse(answer.lane.body)).toMatchObject({ valid: false, reason: 'TOKEN_EXPIRED' })
    } finally {
      clock.advance(-25 * 3600_000)
    }
  })

  it('answers bad bodies with the route’s 400s, and records them in the request log', async () => {
    const cases: [string, string][] = [
      ['not JSON', '{"token":'],
      ['a JSON string', '"abc"'],
      ['an array', '[1]'],
      ['no token', '{}'],
      ['a number', '{"token":42}'],
      ['an empty token', '{"token":""}'],
      ['an unknown field', '{"token":"a","extra":1}'],
      ['prototype poisoning', '{"token":"a","__proto__":{"x":1}}'],
      ['a token too long', JSON.stringify({ token: 'x'.repeat(MAX_TOKEN_LENGTH * 4 + 1) })],
      ['a byte-order mark and a valid body', `\ufeff${JSON.stringify({ token: 'abc' })}`],
    ]
    const ids: string[] = []
    for (const [what, body] of cases) {
      const id = `bad-body-${dialect}-${ids.length}`
      const answer = await both({
        headers: { ...json, 'x-tenant-api-key': tenant.key, 'x-request-id': id },
        body,
      })
      expect(answer.taken, what).toBe(true)
      expectSameAnswer(answer, what)
      if (answer.lane.status === 400) ids.push(id)
    }
    expect(ids).toHaveLength(cases.length - 1)
    await new Promise((r) => setTimeout(r, 1200))
    const logs = (
      await t.app.inject({ method: 'GET', url: '/admin/logs?status=400&limit=200', headers: admin })
    ).json<{ logs: { requestId: string; tenantId: string | null; url: string }[] }>().logs
    for (const id of ids) {
      // One entry from the lane, one from the route.
      const entries = logs.filter((l) => l.requestId === id)
      expect(entries, id).toHaveLength(2)
      expect(entries.every((e) => e.tenantId === tenant.id && e.url === '/tokens/validate')).toBe(
        true,
      )
    }
  })

  it('takes every way of presenting the key and both JSON content types', async () => {
    const body = JSON.stringify({ token })
    const ways: Record<string, string>[] = [
      { 'content-type': 'application/json; charset=utf-8', 'x-tenant-api-key': tenant.key },
      { 'content-type': 'Application/JSON', 'x-api-key': tenant.key },
      { ...json, authorization: `Bearer ${tenant.key}` },
    ]
    for (const headers of ways) {
      const answer = await both({ headers: { ...headers, 'x-request-id': 'ways' }, body })
      expect(answer.taken, JSON.stringify(headers)).toBe(true)
      expectSameAnswer(answer, JSON.stringify(headers))
    }
    // An unusable request id is replaced, as the route replaces it.
    const odd = await send(port, {
      headers: { ...json, 'x-tenant-api-key': tenant.key, 'x-request-id': 'has spaces' },
      body,
    })
    expect(odd.headers['x-request-id']).toMatch(/^req_/)
  })

  it('leaves to the route what it cannot answer from the headers alone', async () => {
    const body = JSON.stringify({ token })
    const cases: [string, Sent][] = [
      [
        'an unknown key',
        { headers: { ...json, 'x-tenant-api-key': 'loom_test_' + 'a'.repeat(43) }, body },
      ],
      ['no key', { headers: json, body }],
      [
        'text/plain',
        { headers: { 'content-type': 'text/plain', 'x-tenant-api-key': tenant.key }, body },
      ],
      [
        'another charset',
        {
          headers: {
            'content-type': 'application/json; charset=latin1',
            'x-tenant-api-key': tenant.key,
          },
          body,
        },
      ],
      [
        'a trailing slash',
        { path: '/tokens/validate/', headers: { ...json, 'x-tenant-api-key': tenant.key }, body },
      ],
      [
        'a query string',
        {
          path: '/tokens/validate?x=1',
          headers: { ...json, 'x-tenant-api-key': tenant.key },
          body,
        },
      ],
      ['an empty body', { headers: { ...json, 'x-tenant-api-key': tenant.key }, body: '' }],
      [
        'a chunked body',
        { headers: { ...json, 'x-tenant-api-key': tenant.key }, body, chunked: true },
      ],
      [
        'a body over the limit',
        {
          headers: { ...json, 'x-tenant-api-key': tenant.key },
          body: JSON.stringify({ token: 'x'.repeat(300_000) }),
        },
      ],
      ['GET', { method: 'GET', headers: { 'x-tenant-api-key': tenant.key } }],
    ]
    const statuses: Record<string, number> = {}
    for (const [what, req] of cases) {
      const answer = await both({ ...req, headers: { ...req.headers, 'x-request-id': 'left' } })
      expect(answer.taken, what).toBe(false)
      expect(answer.lane.status, what).toBe(answer.route.status)
      statuses[what] = answer.lane.status
    }
    expect(statuses).toEqual({
      'an unknown key': 401,
      'no key': 401,
      'text/plain': 415,
      'another charset': 200,
      'a trailing slash': 200,
      'a query string': 200,
      'an empty body': 400,
      'a chunked body': 200,
      'a body over the limit': 413,
      GET: 404,
    })
  })

  it('survives a client that goes away in the middle of its body', async () => {
    const served = t.app.tokenLane!.served
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write(
          'POST /tokens/validate HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
            `x-tenant-api-key: ${tenant.key}\r\nx-request-id: cut-off-${dialect}\r\n` +
            `content-length: 200\r\n\r\n{"token":"ab`,
        )
        setTimeout(() => {
          socket.destroy()
          resolve()
        }, 50)
      })
      socket.on('error', reject)
    })
    expect(t.app.tokenLane!.served).toBe(served + 1)
    const after = await send(port, {
      headers: { ...json, 'x-tenant-api-key': tenant.key },
      body: JSON.stringify({ token }),
    })
    expect(JSON.parse(after.body)).toMatchObject({ valid: true })
    // The read ended (no answer left waiting): the cut-off request was answered and recorded.
    await new Promise((r) => setTimeout(r, 1200))
    const logs = (
      await t.app.inject({ method: 'GET', url: '/admin/logs?status=400&limit=200', headers: admin })
    ).json<{ logs: { requestId: string }[] }>().logs
    expect(logs.some((l) => l.requestId === `cut-off-${dialect}`)).toBe(true)
  })

  it('refuses a tenant over its rate limit as the route does, before reading the body', async () => {
    const limited = await createTenant(t.app, { rateLimitPerMinute: 4 })
    const key = (await createKey(t.app, limited.id, 'test')).key
    const req = {
      headers: { ...json, 'x-tenant-api-key': key, 'x-request-id': 'limited' },
      body: JSON.stringify({ token }),
    }
    // 1: the route (key not yet seen), 2–4: the lane, then refused.
    expect((await send(port, req)).status).toBe(200)
    for (let i = 0; i < 3; i++) expect((await send(port, req)).status).toBe(200)
    const answer = await both(req)
    expect(answer.taken).toBe(true)
    expect(answer.lane.status).toBe(429)
    expect(answer.route.status).toBe(429)
    const lane = JSON.parse(answer.lane.body)
    const route = JSON.parse(answer.route.body)
    expect(lane.error.code).toBe('RATE_LIMIT_EXCEEDED')
    expect({
      ...lane,
      retryAfterSeconds: 0,
      error: { ...lane.error, message: '', details: {} },
    }).toEqual({
      ...route,
      retryAfterSeconds: 0,
      error: { ...route.error, message: '', details: {} },
    })
    expect(Math.abs(lane.retryAfterSeconds - route.retryAfterSeconds)).toBeLessThanOrEqual(1)
    expect(answer.lane.headers['retry-after']).toBeDefined()
    expect(answer.lane.headers['x-ratelimit-remaining']).toBe('0')
  })
})

describe('token validation fast path behind a proxy', () => {
  // Behind a load balancer at 127.0.0.1 (a trusted private address), which appends the address
  // it saw to whatever X-Forwarded-For the client sent: the client is the right-most untrusted
  // entry, in the fast path and in Fastify alike.
  it('takes the right-most untrusted X-Forwarded-For entry, never what the client wrote', async () => {
    const t = await startTestApp('sqlite', {
      env: { LOOM_TRUST_PROXY: 'true', LOOM_AUTH_MAX_FAILURES: '6' },
    })
    try {
      const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
      const port = Number(new URL(address).port)
      const live = await createTenant(t.app)
      const key = (await createKey(t.app, live.id, 'test')).key
      const body = JSON.stringify({ token: 'x' })
      const via = (forwardedFor: string, apiKey: string, path = '/tokens/validate') =>
        send(port, {
          method: path === '/tokens/validate' ? 'POST' : 'GET',
          path,
          headers: {
            'content-type': 'application/json',
            'x-tenant-api-key': apiKey,
            'x-forwarded-for': forwardedFor,
          },
          ...(path === '/tokens/validate' && { body }),
        })
      const attacker = '198.51.100.66'
      const backend = '203.0.113.50'
      // Warm the key for the backend and the attacker.
      expect((await via(`${backend}, 10.0.0.1`, key)).status).toBe(200)
      expect((await via(attacker, key)).status).toBe(200)
      // The attacker writes a new address in front of its own every time, and claims to be the
      // backend: every failure still counts against the attacker's own address.
      const badKey = 'loom_test_' + 'b'.repeat(43)
      for (let i = 0; i < 7; i++) await via(`192.0.2.${i + 1}, ${attacker}`, badKey)
      for (let i = 0; i < 3; i++) await via(`${backend}, ${attacker}`, badKey)
      for (const path of ['/tokens/validate', '/verify/status?verificationId=ver_x']) {
        const blocked = await via(`${backend}, ${attacker}`, key, path)
        expect(blocked.status, path).toBe(429)
        expect(JSON.parse(blocked.body).error.code).toBe('AUTH_RATE_LIMITED')
        const spoofed = await via(`192.0.2.99, ${attacker}`, key, path)
        expect(spoofed.status, path).toBe(429)
      }
      // The backend itself was never blocked; its requests still take the fast path.
      const served = t.app.tokenLane!.served
      expect((await via(`${backend}, 10.0.0.1`, key)).status).toBe(200)
      expect(t.app.tokenLane!.served).toBe(served + 1)
      expect((await via(backend, key, '/verify/status?verificationId=ver_x')).status).toBe(404)
    } finally {
      await t.close()
    }
  })

  it('trusts only the listed proxies, or the given number of hops', async () => {
    const settings: Record<string, string>[] = [
      { LOOM_TRUSTED_PROXIES: '127.0.0.1' },
      { LOOM_TRUST_PROXY: '1' },
    ]
    for (const env of settings) {
      const t = await startTestApp('sqlite', { env: { ...env, LOOM_AUTH_MAX_FAILURES: '6' } })
      try {
        const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
        const port = Number(new URL(address).port)
        const live = await createTenant(t.app)
        const key = (await createKey(t.app, live.id, 'test')).key
        const via = (forwardedFor: string, apiKey: string) =>
          send(port, {
            headers: {
              'content-type': 'application/json',
              'x-tenant-api-key': apiKey,
              'x-forwarded-for': forwardedFor,
            },
            body: JSON.stringify({ token: 'x' }),
          })
        // 10.0.0.9 is not a listed proxy (and is one hop further): it is the client here.
        expect((await via('198.51.100.7, 10.0.0.9', key)).status).toBe(200)
        for (let i = 0; i < 7; i++) {
          await via(`198.51.100.${10 + i}, 10.0.0.9`, 'loom_test_' + 'c'.repeat(43))
        }
        expect((await via('198.51.100.7, 10.0.0.9', key)).status, JSON.stringify(env)).toBe(429)
        expect((await via('198.51.100.7, 10.0.0.8', key)).status, JSON.stringify(env)).toBe(200)
      } finally {
        await t.close()
      }
    }
  })

  it('is off with LOOM_TOKEN_FAST_PATH=false', async () => {
    const t = await startTestApp('sqlite', { env: { LOOM_TOKEN_FAST_PATH: 'false' } })
    try {
      expect(t.app.tokenLane).toBeNull()
    } finally {
      await t.close()
    }
  })
})
