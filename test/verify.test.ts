import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  jwtVerify,
  SignJWT,
  base64url,
} from 'jose'
import { createHmac } from 'node:crypto'
import {
  TestClock,
  createKey,
  createTenant,
  dialects,
  errorCode,
  expectTenantAuthRequired,
  startTestApp,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { expireDueVerifications } from '../src/services/verifications.ts'
import { rotateSigningKey } from '../src/store/signing-keys.ts'
import { buildDeps } from '../src/deps.ts'
import { buildApp } from '../src/api/app.ts'
import { pino } from 'pino'

describe.each(dialects())('verification lifecycle and tokens on %s', (dialect) => {
  let t: TestApp
  const clock = new TestClock()
  let live: { id: string; key: string }
  let test: { key: string }
  let other: { id: string; key: string }

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock })
    live = await createTenant(t.app)
    test = await createKey(t.app, live.id, 'test')
    other = await createTenant(t.app)
  })
  afterAll(async () => t.close())

  async function start(key: string, payload: unknown = {}, headers: Record<string, string> = {}) {
    return t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: { 'x-tenant-api-key': key, ...headers },
      payload: payload as Record<string, unknown>,
    })
  }
  async function complete(key: string, verificationId: string) {
    return t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers: { 'x-tenant-api-key': key },
      payload: { verificationId },
    })
  }
  async function validate(key: string, token: string) {
    return t.app.inject({
      method: 'POST',
      url: '/tokens/validate',
      headers: { 'x-tenant-api-key': key },
      payload: { token },
    })
  }
  async function status(key: string, id: string) {
    return t.app.inject({
      method: 'GET',
      url: `/verify/status?verificationId=${encodeURIComponent(id)}`,
      headers: { 'x-tenant-api-key': key },
    })
  }
  async function approvedToken(): Promise<{ id: string; token: string }> {
    const started = await start(test.key, { mock_behavior: 'approve' })
    const id = started.json().verificationId as string
    const done = await complete(test.key, id)
    expect(done.statusCode).toBe(200)
    return { id, token: done.json().token as string }
  }

  it('starts a verification with defaults and a hosted-page URL', async () => {
    const res = await start(live.key)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.verificationId).toMatch(/^ver_/)
    expect(body.status).toBe('pending')
    expect(body.sessionUrl).toMatch(/^https:\/\/loom\.test\/s\/ver_/)
    expect(body.redirectUrl).toBe(body.sessionUrl)
    expect(body.config).toEqual({
      verificationType: 'age_only',
      minAge: 18,
      requiredImages: ['document_front'],
    })
    const ttlDays = (Date.parse(body.expiresAt) - Date.parse(body.createdAt)) / 86_400_000
    expect(ttlDays).toBe(90)
  })

  it('accepts every documented field and echoes metadata in status', async () => {
    const res = await start(live.key, {
      metadata: { user_id: 'user_123', nested: { a: [1, 2] }, emoji: '🦄' },
      callback_url: 'https://shop.example/verify/callback',
      state: 'csrf-123',
      userAgent: 'Mozilla/5.0',
      ip: '203.0.113.42',
      external_id: 'cust-9',
      verification_type: 'full_verification',
      minAge: 21,
      time_to_live: '30d',
    })
    expect(res.statusCode).toBe(200)
    expect(res.json().config).toEqual({
      verificationType: 'full_verification',
      minAge: 21,
      requiredImages: ['document_front', 'selfie'],
    })
    const s = await status(live.key, res.json().verificationId)
    expect(s.statusCode).toBe(200)
    expect(s.json()).toMatchObject({
      status: 'pending',
      metadata: { user_id: 'user_123', nested: { a: [1, 2] }, emoji: '🦄' },
      externalId: 'cust-9',
      minAge: 21,
      confidence: null,
      completedAt: null,
    })
    expect(s.json().result).toBeUndefined()
    // The user agent and IP are personal data: encrypted at rest, never in the row as text.
    const row = await t.deps.store.db
      .selectFrom('verifications')
      .select('client')
      .where('id', '=', res.json().verificationId)
      .executeTakeFirstOrThrow()
    expect(row.client).not.toContain('203.0.113.42')
    expect(row.client).not.toContain('Mozilla')
  })

  it('returns the same session for a retried start with the same Idempotency-Key', async () => {
    const key = `idem-${Math.random()}`
    const first = await start(live.key, { metadata: { a: 1 } }, { 'idempotency-key': key })
    const again = await start(live.key, { metadata: { a: 1 } }, { 'idempotency-key': key })
    expect(again.statusCode).toBe(200)
    expect(again.json().verificationId).toBe(first.json().verificationId)
    expect(again.json().sessionUrl).toBe(first.json().sessionUrl)
    expect(again.headers['idempotent-replayed']).toBe('true')
    const different = await start(live.key, { metadata: { a: 2 } }, { 'idempotency-key': key })
    expect(different.statusCode).toBe(409)
    expect(errorCode(different)).toBe('IDEMPOTENCY_KEY_REUSED')
    // Another tenant may use the same key independently.
    const otherTenant = await start(other.key, { metadata: { a: 1 } }, { 'idempotency-key': key })
    expect(otherTenant.json().verificationId).not.toBe(first.json().verificationId)
    // Concurrent retries: one verification.
    const racing = `race-${Math.random()}`
    const results = await Promise.all(
      Array.from({ length: 8 }, () => start(live.key, {}, { 'idempotency-key': racing })),
    )
    expect(new Set(results.map((r) => r.json().verificationId)).size).toBe(1)
  })

  it.each([
    ['minAge below 13', { minAge: 12 }],
    ['minAge above 25', { minAge: 26 }],
    ['minAge as string', { minAge: '18' }],
    ['metadata not an object', { metadata: 'x' }],
    ['metadata an array', { metadata: [1] }],
    ['huge metadata', { metadata: { big: 'x'.repeat(20_000) } }],
    ['bad time to live', { time_to_live: 'forever' }],
    ['too short time to live', { time_to_live: '1m' }],
    ['unknown verification type', { verification_type: 'vibes' }],
    ['javascript callback', { callback_url: 'javascript:alert(1)' }],
    ['not a URL', { callback_url: 'not a url' }],
    ['bad ip', { ip: '999.1.1.1' }],
    ['unknown field', { colour: 'red' }],
    ['disagreeing twins', { minAge: 18, min_age: 21 }],
    ['unknown mock behaviour', { mock_behavior: 'explode' }],
  ])('refuses a start with %s', async (_what, payload) => {
    const res = await start(test.key, payload)
    expect(res.statusCode).toBe(400)
    expect(errorCode(res)).toBe('INVALID_REQUEST_BODY')
  })

  it('refuses mock behaviours on live keys', async () => {
    const res = await start(live.key, { mock_behavior: 'approve' })
    expect(res.statusCode).toBe(400)
    expect(errorCode(res)).toBe('MOCK_BEHAVIOR_NOT_ALLOWED')
  })

  it.each([
    ['approve', 'approved', null, true],
    ['reject_underage', 'rejected', 'underage', false],
    ['reject_expired', 'rejected', 'document_expired', false],
    ['document_unreadable', 'rejected', 'document_unreadable', false],
    ['face_mismatch', 'rejected', 'face_mismatch', false],
    ['review', 'review', 'low_confidence', false],
  ])(
    'completes a test verification with mock %s',
    async (mock, expectedStatus, reason, hasToken) => {
      const started = await start(test.key, { mock_behavior: mock })
      const id = started.json().verificationId
      const done = await complete(test.key, id)
      expect(done.statusCode).toBe(200)
      expect(done.json()).toMatchObject({ verificationId: id, status: expectedStatus })
      expect(done.json().result.reason).toBe(reason)
      expect(done.json().token !== undefined).toBe(hasToken)
      const s = await status(test.key, id)
      expect(s.json().status).toBe(expectedStatus)
      expect(s.json().completedAt).not.toBeNull()
      expect(s.json().result.verified).toBe(expectedStatus === 'approved')
      if (mock === 'reject_underage') expect(s.json().result.over18).toBe(false)
      const again = await complete(test.key, id)
      expect(again.statusCode).toBe(400)
      expect(errorCode(again)).toBe('VERIFICATION_ALREADY_COMPLETED')
    },
  )

  it('says a live verification is not ready to complete without a document', async () => {
    const id = (await start(live.key)).json().verificationId
    const res = await complete(live.key, id)
    expect(res.statusCode).toBe(409)
    expect(errorCode(res)).toBe('VERIFICATION_NOT_READY')
  })

  it('records a tenant outcome with /verify/submit and refuses to approve a minor', async () => {
    const id = (await start(live.key)).json().verificationId
    const minor = await t.app.inject({
      method: 'POST',
      url: '/verify/submit',
      headers: { 'x-tenant-api-key': live.key },
      payload: { verificationId: id, status: 'approved', verifiedAge: 16 },
    })
    expect(minor.statusCode).toBe(400)
    const ok = await t.app.inject({
      method: 'POST',
      url: '/verify/submit',
      headers: { 'x-tenant-api-key': live.key },
      payload: { verificationId: id, status: 'approved', verifiedAge: 30 },
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({
      status: 'approved',
      result: { verified: true, verifiedAge: 30, over18: true },
    })
    expect(ok.json().completedAt).toEqual(expect.any(String))
    expect((await validate(live.key, ok.json().token)).json().valid).toBe(true)
    const twice = await t.app.inject({
      method: 'POST',
      url: '/verify/submit',
      headers: { 'x-tenant-api-key': live.key },
      payload: { verificationId: id, status: 'rejected' },
    })
    expect(errorCode(twice)).toBe('VERIFICATION_ALREADY_COMPLETED')
  })

  it('lets the tenant settle a verification in review', async () => {
    const id = (await start(test.key, { mock_behavior: 'review' })).json().verificationId
    await complete(test.key, id)
    const settled = await t.app.inject({
      method: 'POST',
      url: '/verify/submit',
      headers: { 'x-tenant-api-key': test.key },
      payload: { verificationId: id, status: 'rejected', reason: 'manual_review' },
    })
    expect(settled.statusCode).toBe(200)
    expect(settled.json().result).toMatchObject({ verified: false, reason: 'manual_review' })
    const events = await t.app.inject({
      method: 'GET',
      url: `/verify/events?verificationId=${id}`,
      headers: { 'x-tenant-api-key': test.key },
    })
    expect(events.json().events.map((e: { type: string }) => e.type)).toEqual([
      'verification.started',
      'verification.completed',
      'verification.completed',
    ])
  })

  it('lets exactly one of many concurrent completions win', async () => {
    for (let round = 0; round < 3; round++) {
      const id = (await start(test.key, { mock_behavior: 'approve' })).json().verificationId
      const results = await Promise.all([
        ...Array.from({ length: 6 }, () => complete(test.key, id)),
        ...Array.from({ length: 6 }, () =>
          t.app.inject({
            method: 'POST',
            url: '/verify/submit',
            headers: { 'x-tenant-api-key': test.key },
            payload: { verificationId: id, status: 'rejected' },
          }),
        ),
      ])
      const winners = results.filter((r) => r.statusCode === 200)
      expect(winners).toHaveLength(1)
      expect(results.filter((r) => errorCode(r) === 'VERIFICATION_ALREADY_COMPLETED')).toHaveLength(
        11,
      )
      const events = await t.app.inject({
        method: 'GET',
        url: `/verify/events?verificationId=${id}`,
        headers: { 'x-tenant-api-key': test.key },
      })
      expect(
        events.json().events.filter((e: { type: string }) => e.type === 'verification.completed'),
      ).toHaveLength(1)
    }
  })

  it('404s unknown ids and other tenants’ ids alike', async () => {
    const mine = (await start(live.key)).json().verificationId
    for (const id of ['ver_doesnotexist0000000', 'garbage', "ver_' OR 1=1 --"]) {
      const res = await status(live.key, id)
      expect(res.statusCode).toBe(404)
      expect(errorCode(res)).toBe('VERIFICATION_NOT_FOUND')
    }
    for (const res of [
      await status(other.key, mine),
      await complete(other.key, mine),
      await t.app.inject({
        method: 'GET',
        url: `/verify/events?verificationId=${mine}`,
        headers: { 'x-tenant-api-key': other.key },
      }),
      await t.app.inject({
        method: 'POST',
        url: '/tokens/revoke',
        headers: { 'x-tenant-api-key': other.key },
        payload: { verificationId: mine },
      }),
    ]) {
      expect(res.statusCode).toBe(404)
      expect(errorCode(res)).toBe('VERIFICATION_NOT_FOUND')
    }
    const missing = await t.app.inject({
      method: 'GET',
      url: '/verify/status',
      headers: { 'x-tenant-api-key': live.key },
    })
    expect(missing.statusCode).toBe(400)
    expect(errorCode(missing)).toBe('INVALID_PARAMETERS')
  })

  it('mints tokens that verify offline against the published JWKS with jose', async () => {
    const { id, token } = await approvedToken()
    const jwks = await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })
    expect(jwks.statusCode).toBe(200)
    const keySet = createLocalJWKSet(jwks.json())
    const { payload, protectedHeader } = await jwtVerify(token, keySet, {
      issuer: 'https://loom.test',
      audience: 'age-verification',
      currentDate: clock.now(),
    })
    expect(protectedHeader.alg).toBe('ES256')
    expect(payload.sub).toBe(id)
    expect(payload.tid).toBe(live.id)
    expect(payload).toMatchObject({
      over18: true,
      age_over_13: true,
      age_over_16: true,
      age_over_18: true,
      age_over_21: true,
    })
    expect(payload.jti).toEqual(expect.any(String))
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(24 * 3600)
    for (const forbidden of ['dateOfBirth', 'birthDate', 'name', 'documentNumber', 'dob']) {
      expect(payload).not.toHaveProperty(forbidden)
    }
    const res = await validate(test.key, token)
    expect(res.json()).toMatchObject({
      valid: true,
      over18: true,
      verificationId: id,
      ageOver: [13, 16, 18, 21, 25],
    })
  })

  it('verifies tokens through a remote JWKS on a listening server', async () => {
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { token } = await approvedToken()
    const keySet = createRemoteJWKSet(new URL(`${address}/.well-known/jwks.json`))
    const { payload } = await jwtVerify(token, keySet, {
      audience: 'age-verification',
      currentDate: clock.now(),
    })
    expect(payload.over18).toBe(true)
  })

  it('gives the right reason for bad tokens and never valid: true', async () => {
    const { token } = await approvedToken()
    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = decodeJwt(token)
    const forged = base64url.encode(JSON.stringify({ ...claims, over18: true, verified_age: 99 }))
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
    const publicJwk = JSON.stringify(jwks.keys[0])
    const hsHeader = base64url.encode(
      JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: jwks.keys[0].kid }),
    )
    const hsSig = createHmac('sha256', publicJwk)
      .update(`${hsHeader}.${payload}`)
      .digest('base64url')
    const noneHeader = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))
    const otherKeyToken = await new SignJWT({ tid: live.id, over18: true })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://loom.test')
      .setAudience('age-verification')
      .setSubject('ver_x')
      .setJti('x')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('x'.repeat(32)))
    const cases: [string, string][] = [
      ['tampered payload', `${header}.${forged}.${signature}`],
      ['truncated signature', `${header}.${payload}.${signature.slice(0, 20)}`],
      ['alg none', `${noneHeader}.${payload}.`],
      ['HS256 with the public key', `${hsHeader}.${payload}.${hsSig}`],
      ['foreign HS256 token', otherKeyToken],
      ['not a JWT', 'hello'],
      ['empty segments', '..'],
      ['oversized', `${header}.${'A'.repeat(5000)}.${signature}`],
    ]
    for (const [what, bad] of cases) {
      const res = await validate(test.key, bad)
      expect(res.statusCode, what).toBe(200)
      expect(res.json(), what).toMatchObject({ valid: false, reason: 'TOKEN_INVALID' })
    }
    const mismatch = await validate(other.key, token)
    expect(mismatch.json()).toMatchObject({ valid: false, reason: 'TENANT_MISMATCH' })
    const huge = await validate(test.key, 'x'.repeat(100_000))
    expect(huge.statusCode).toBe(400)
    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/tokens/validate',
      headers: { 'x-tenant-api-key': test.key },
      payload: { token: 42 },
    })
    expect(wrongType.statusCode).toBe(400)
  })

  it('revokes one token, or all of a verification', async () => {
    const a = await approvedToken()
    const b = await approvedToken()
    const revokeOne = await t.app.inject({
      method: 'POST',
      url: '/tokens/revoke',
      headers: { 'x-tenant-api-key': test.key },
      payload: { token: a.token },
    })
    expect(revokeOne.statusCode).toBe(200)
    expect((await validate(test.key, a.token)).json()).toMatchObject({
      valid: false,
      reason: 'TOKEN_REVOKED',
    })
    expect((await validate(test.key, b.token)).json().valid).toBe(true)
    await t.app.inject({
      method: 'POST',
      url: '/tokens/revoke',
      headers: { 'x-tenant-api-key': test.key },
      payload: { verificationId: b.id },
    })
    expect((await validate(test.key, b.token)).json()).toMatchObject({
      valid: false,
      reason: 'TOKEN_REVOKED',
    })
    const foreign = await t.app.inject({
      method: 'POST',
      url: '/tokens/revoke',
      headers: { 'x-tenant-api-key': other.key },
      payload: { token: (await approvedToken()).token },
    })
    expect(foreign.statusCode).toBe(400)
  })

  it('keeps old tokens valid after key rotation, until they expire', async () => {
    const before = await approvedToken()
    const oldKid = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
      .keys[0].kid
    await rotateSigningKey(t.deps.store.db, t.deps.sealer, clock.now(), 24 * 3600)
    await t.deps.tokens.reloadKeys()
    const after = await approvedToken()
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(oldKid)
    expect(jwks.keys).toHaveLength(2)
    expect(
      JSON.parse(Buffer.from(after.token.split('.')[0]!, 'base64url').toString()).kid,
    ).not.toBe(oldKid)
    expect((await validate(test.key, before.token)).json().valid).toBe(true)
    expect((await validate(test.key, after.token)).json().valid).toBe(true)
    clock.advance(24 * 3600_000 + 1000)
    expect((await validate(test.key, before.token)).json()).toMatchObject({
      valid: false,
      reason: 'TOKEN_EXPIRED',
    })
    await t.deps.tokens.reloadKeys()
    const published = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json()
    expect(published.keys.map((k: { kid: string }) => k.kid)).not.toContain(oldKid)
  })

  it('expires sessions whose time to live passed, by job and on read', async () => {
    const a = (await start(live.key, { time_to_live: '1h' })).json().verificationId
    const b = (await start(live.key, { time_to_live: '1h' })).json().verificationId
    const c = (await start(live.key, { time_to_live: '3h' })).json().verificationId
    clock.advance(2 * 3600_000)
    expect((await status(live.key, a)).json().status).toBe('expired')
    expect(await expireDueVerifications(t.deps)).toBeGreaterThanOrEqual(1)
    expect((await status(live.key, b)).json().status).toBe('expired')
    expect((await status(live.key, c)).json().status).toBe('pending')
    const res = await complete(live.key, b)
    expect(res.statusCode).toBe(410)
    expect(errorCode(res)).toBe('VERIFICATION_EXPIRED')
    const events = await t.app.inject({
      method: 'GET',
      url: `/verify/events?verificationId=${b}`,
      headers: { 'x-tenant-api-key': live.key },
    })
    expect(events.json().events.map((e: { type: string }) => e.type)).toEqual([
      'verification.started',
      'verification.expired',
    ])
  })

  it('accepts the key as a Bearer token too', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: { authorization: `Bearer ${live.key}` },
      payload: {},
    })
    expect(res.statusCode).toBe(200)
  })

  it('requires a valid, active tenant key on every tenant route', async () => {
    await expectTenantAuthRequired(t.app, [
      { method: 'POST', url: '/verify/start', payload: {} },
      { method: 'GET', url: '/verify/status?verificationId=ver_x' },
      { method: 'POST', url: '/verify/complete', payload: { verificationId: 'ver_x' } },
      {
        method: 'POST',
        url: '/verify/submit',
        payload: { verificationId: 'ver_x', status: 'approved' },
      },
      { method: 'GET', url: '/verify/events?verificationId=ver_x' },
      { method: 'POST', url: '/tokens/validate', payload: { token: 'x' } },
      { method: 'POST', url: '/tokens/revoke', payload: { verificationId: 'ver_x' } },
    ])
  })
})

describe.each(dialects())('revocation across processes on %s', (dialect) => {
  it('takes effect on another server process sharing the database', async () => {
    const a = await startTestApp(dialect)
    const { deps: depsB } = await buildDeps(a.config, { logger: pino({ level: 'silent' }) })
    const b = await buildApp(depsB)
    try {
      const tenant = await createTenant(a.app)
      const key = (await createKey(a.app, tenant.id, 'test')).key
      const started = await a.app.inject({
        method: 'POST',
        url: '/verify/start',
        headers: { 'x-tenant-api-key': key },
        payload: {},
      })
      const token = (
        await a.app.inject({
          method: 'POST',
          url: '/verify/complete',
          headers: { 'x-tenant-api-key': key },
          payload: { verificationId: started.json().verificationId },
        })
      ).json().token
      const check = async () =>
        (
          await b.inject({
            method: 'POST',
            url: '/tokens/validate',
            headers: { 'x-tenant-api-key': key },
            payload: { token },
          })
        ).json()
      expect((await check()).valid).toBe(true)
      await a.app.inject({
        method: 'POST',
        url: '/tokens/revoke',
        headers: { 'x-tenant-api-key': key },
        payload: { token },
      })
      let result = await check()
      for (let i = 0; i < 30 && result.valid; i++) {
        await new Promise((r) => setTimeout(r, 100))
        result = await check()
      }
      expect(result).toMatchObject({ valid: false, reason: 'TOKEN_REVOKED' })
    } finally {
      await b.close()
      await depsB.close()
      await a.close()
    }
  })
})
