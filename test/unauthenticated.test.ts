// A refused request tells the caller where its key goes, in the words of the surface it called:
// each API style documents a different header, and a 401 naming another one sends people astray.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_ADMIN_KEY, createTenant, randomAddress, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'

interface Case {
  surface: string
  method: 'GET' | 'POST'
  url: string
  /** The header this surface documents for the key, as the message should name it. */
  names: RegExp
  /** Headers of other surfaces the message must not send the caller to. */
  notNames: RegExp[]
}

function nested(body: Record<string, unknown>): string {
  const message = (body.error as { message?: unknown } | undefined)?.message
  return typeof message === 'string' ? message : ''
}

const CASES: Case[] = [
  {
    surface: 'the native API',
    method: 'POST',
    url: '/verify/start',
    names: /x-tenant-api-key/,
    notNames: [/x-api-key/, /Bearer/],
  },
  {
    surface: 'the one-shot verify API',
    method: 'POST',
    url: '/v1/verify',
    names: /Authorization header \(Bearer <key>\)|Authorization: Bearer/,
    notNames: [/x-api-key/, /x-tenant-api-key/],
  },
  {
    surface: 'the applicant sessions API',
    method: 'GET',
    url: '/v1/sessions',
    names: /x-api-key/,
    notNames: [/x-tenant-api-key/, /Bearer/],
  },
  {
    surface: 'the document verification sessions API',
    method: 'POST',
    url: '/api/v1/verification',
    names: /Authorization: Bearer/,
    notNames: [/x-api-key/],
  },
]

describe('401 messages name the header each surface documents', () => {
  let t: TestApp
  let liveKey: string

  beforeAll(async () => {
    t = await startTestApp('sqlite')
    liveKey = (await createTenant(t.app)).key
  })
  afterAll(async () => t.close())

  for (const c of CASES) {
    it(`${c.surface}: without a key, and with a wrong one`, async () => {
      const wrong = `loom_live_${'Q'.repeat(43)}`
      // The wrong key is sent the way this surface documents, so the refusal is about the key.
      const wrongHeaders: Record<string, string> = /x-api-key/.test(c.names.source)
        ? { 'x-api-key': wrong }
        : /Bearer/.test(c.names.source)
          ? { authorization: `Bearer ${wrong}` }
          : { 'x-tenant-api-key': wrong }
      for (const headers of [{}, wrongHeaders]) {
        const res = await t.app.inject({
          method: c.method,
          url: c.url,
          headers,
          remoteAddress: randomAddress(),
          ...(c.method === 'POST' ? { payload: {} } : {}),
        })
        expect(res.statusCode, `${c.url} ${JSON.stringify(headers)}`).toBe(401)
        const message = nested(res.json())
        expect(message, `${c.url} ${JSON.stringify(headers)}`).toMatch(c.names)
        for (const other of c.notNames) {
          expect(message, `${c.url} ${JSON.stringify(headers)}`).not.toMatch(other)
        }
      }
      // And the documented header works there (the message did not send anyone wrong).
      const right: Record<string, string> = /x-api-key/.test(c.names.source)
        ? { 'x-api-key': liveKey }
        : /Bearer/.test(c.names.source)
          ? { authorization: `Bearer ${liveKey}` }
          : { 'x-tenant-api-key': liveKey }
      const res = await t.app.inject({
        method: c.method,
        url: c.url,
        headers: right,
        ...(c.method === 'POST' ? { payload: {} } : {}),
      })
      expect(res.statusCode, c.url).not.toBe(401)
    })
  }

  it('the admin API names x-admin-key', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/tenants',
      headers: { 'x-tenant-api-key': liveKey },
      remoteAddress: randomAddress(),
    })
    expect(res.statusCode).toBe(401)
    expect(nested(res.json())).toMatch(/x-admin-key/)
    const ok = await t.app.inject({
      method: 'GET',
      url: '/admin/tenants',
      headers: { 'x-admin-key': TEST_ADMIN_KEY },
    })
    expect(ok.statusCode).toBe(200)
  })
})
