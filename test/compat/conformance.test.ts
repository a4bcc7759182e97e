// A client's view of every documented API style Loom serves: a real Loom listening on a port,
// spoken to over HTTP with fetch, each documented endpoint, field, header and error code checked
// as an integrator migrating from that API would use it. Where Loom deliberately differs, the
// test says so and the README's Compatibility sections explain it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import sharp from 'sharp'
import {
  TEST_ADMIN_KEY,
  createKey,
  startTestApp,
  startWebhookReceiver,
  listenLocally,
} from '../helpers.ts'
import type { TestApp, WebhookReceiver } from '../helpers.ts'
import { passport } from '../specimens.ts'
import { startWorker } from '../../src/jobs/worker.ts'

let t: TestApp
let base: string
let worker: { stop(): Promise<void> }
let receiver: WebhookReceiver
let live: string
let test: string
let tenantId: string
let adultPassport: Buffer
let blurry: Buffer

interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown> & { error?: Record<string, unknown> }
}

async function call(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} }
}

const adminHeaders = { 'x-admin-key': TEST_ADMIN_KEY }

beforeAll(async () => {
  t = await startTestApp('sqlite')
  base = await listenLocally(t.app)
  worker = startWorker(t.deps, { maintenance: false })
  receiver = await startWebhookReceiver()
  const created = await call('POST', '/admin/tenants', adminHeaders, {
    name: 'Conformance',
    rateLimitPerMinute: 100_000,
  })
  expect(created.status).toBe(201)
  tenantId = created.body.id as string
  live = created.body.apiKey as string
  test = (await createKey(t.app, tenantId, 'test')).key
  adultPassport = (await passport({ adult: true })).image
  // Poor by the intake's own measure: under 160 px a side, and blurred.
  blurry = await sharp(adultPassport).resize(150).blur(12).png().toBuffer()
}, 120_000)

afterAll(async () => {
  await worker?.stop()
  await receiver?.close()
  await t?.close()
})

describe('the native API: verification flow and reference', () => {
  const key = () => ({ 'x-tenant-api-key': test })

  it('POST /verify/start answers verificationId, status, sessionUrl, redirectUrl (= sessionUrl) and config', async () => {
    const res = await call('POST', '/verify/start', key(), {
      metadata: { user_id: 'user_123', session_id: 'session_456' },
      callback_url: 'https://your-app.example/verify/callback',
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ status: 'pending' })
    expect(res.body.verificationId).toMatch(/^ver_/)
    expect(res.body.redirectUrl).toBe(res.body.sessionUrl)
    expect(res.body.config).toBeTypeOf('object')
    expect(res.headers.get('x-request-id')).toBeTruthy()
  })

  it('the example start body (userAgent, ip) is accepted; returnUrl names where the person returns', async () => {
    const res = await call('POST', '/verify/start', key(), {
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36',
      ip: '203.0.113.42',
      returnUrl: 'https://your-app.example/back',
    })
    expect(res.status).toBe(200)
  })

  it('status, complete (token when approved), tokens/validate (valid, over18, verificationId, verifiedAge)', async () => {
    const started = await call('POST', '/verify/start', key(), { mockBehavior: 'approve' })
    const id = started.body.verificationId as string
    const status = await call('GET', `/verify/status?verificationId=${id}`, key())
    expect(status.status).toBe(200)
    for (const field of ['verificationId', 'status', 'confidence', 'createdAt', 'completedAt']) {
      expect(status.body).toHaveProperty(field)
    }
    const completed = await call('POST', '/verify/complete', key(), { verificationId: id })
    expect(completed.status).toBe(200)
    expect(completed.body).toMatchObject({ verificationId: id, status: 'approved' })
    expect(completed.body).toHaveProperty('confidence')
    const token = completed.body.token as string
    expect(token).toMatch(/^ey/)
    const valid = await call('POST', '/tokens/validate', key(), { token })
    expect(valid.status).toBe(200)
    expect(valid.body).toMatchObject({ valid: true, over18: true, verificationId: id })
    expect(valid.body.verifiedAge).toBeTypeOf('number')
    // Completing again: VERIFICATION_ALREADY_COMPLETED with the reference's 400.
    const again = await call('POST', '/verify/complete', key(), { verificationId: id })
    expect(again.status).toBe(400)
    expect(again.body.error).toMatchObject({ code: 'VERIFICATION_ALREADY_COMPLETED' })
    expect(again.body.requestId).toBeTruthy()
  })

  it('POST /verify/submit answers verificationId, status, completedAt', async () => {
    const started = await call('POST', '/verify/start', key(), {})
    const id = started.body.verificationId as string
    const res = await call('POST', '/verify/submit', key(), {
      verificationId: id,
      status: 'approved',
      verifiedAge: 30,
    })
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ verificationId: id, status: 'approved' })
    expect(res.body.completedAt).toBeTypeOf('string')
  })

  it('token errors are 200 with valid: false and the reference’s reason codes', async () => {
    const res = await call('POST', '/tokens/validate', key(), { token: 'eyJhbGciOi.not.atoken' })
    expect(res.status).toBe(200)
    expect(res.body.valid).toBe(false)
    expect(['TOKEN_INVALID', 'TOKEN_NOT_FOUND']).toContain(res.body.reason)
  })

  it('error codes: UNAUTHENTICATED_TENANT, INVALID_REQUEST_BODY, INVALID_PARAMETERS, VERIFICATION_NOT_FOUND', async () => {
    const missing = await call('GET', '/verify/status?verificationId=ver_x', {})
    expect(missing.status).toBe(401)
    expect(missing.body.error).toMatchObject({ code: 'UNAUTHENTICATED_TENANT' })
    expect(String(missing.body.error?.message)).toContain('x-tenant-api-key')
    const badBody = await call('POST', '/verify/start', key(), { metadata: 'nope' })
    expect(badBody.status).toBe(400)
    expect(badBody.body.error).toMatchObject({ code: 'INVALID_REQUEST_BODY' })
    const badQuery = await call('GET', '/verify/status', key())
    expect(badQuery.status).toBe(400)
    expect(badQuery.body.error).toMatchObject({ code: 'INVALID_PARAMETERS' })
    const unknown = await call('GET', '/verify/status?verificationId=ver_unknown', key())
    expect(unknown.status).toBe(404)
    expect(unknown.body.error).toMatchObject({ code: 'VERIFICATION_NOT_FOUND' })
  })

  it('RATE_LIMIT_EXCEEDED (429, retryAfterSeconds) and QUOTA_EXCEEDED (429)', async () => {
    const limited = await call('POST', '/admin/tenants', adminHeaders, {
      name: 'Limited',
      rateLimitPerMinute: 1,
    })
    const k = { 'x-tenant-api-key': limited.body.apiKey as string }
    await call('POST', '/verify/start', k, {})
    const res = await call('POST', '/verify/start', k, {})
    expect(res.status).toBe(429)
    expect(res.body.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' })
    expect(res.body.retryAfterSeconds).toBeGreaterThan(0)
    const quota = await call('POST', '/admin/tenants', adminHeaders, {
      name: 'Quota',
      rateLimitPerMinute: 1000,
      monthlyQuota: 1,
      allowOverage: false,
    })
    const q = { 'x-tenant-api-key': quota.body.apiKey as string }
    expect((await call('POST', '/verify/start', q, {})).status).toBe(200)
    const over = await call('POST', '/verify/start', q, {})
    expect(over.status).toBe(429)
    expect(['QUOTA_EXCEEDED', 'HARD_LIMIT_EXCEEDED']).toContain(over.body.error?.code)
  })

  it('admin: metrics, tenants, one tenant, logs; UNAUTHENTICATED_ADMIN', async () => {
    const metrics = await call('GET', '/admin/metrics', adminHeaders)
    for (const field of [
      'uptimeSeconds',
      'dbStatus',
      'redisStatus',
      'totalTenants',
      'totalVerifications',
    ]) {
      expect(metrics.body).toHaveProperty(field)
    }
    const list = await call('GET', '/admin/tenants', adminHeaders)
    expect(list.status).toBe(200)
    const tenants = (Array.isArray(list.body) ? list.body : list.body.tenants) as unknown[]
    expect(Array.isArray(tenants)).toBe(true)
    const one = await call('GET', `/admin/tenants/${tenantId}`, adminHeaders)
    for (const field of ['id', 'name', 'isActive', 'totalVerifications', 'lastVerifications']) {
      expect(one.body).toHaveProperty(field)
    }
    const logs = await call('GET', '/admin/logs', adminHeaders)
    const entry = (logs.body.logs as Record<string, unknown>[])[0]!
    for (const field of ['id', 'time', 'method', 'url', 'status', 'durationMs', 'tenantId']) {
      expect(entry).toHaveProperty(field)
    }
    const refused = await call('GET', '/admin/metrics', { 'x-admin-key': 'wrong' })
    expect(refused.status).toBe(401)
    expect(refused.body.error).toMatchObject({ code: 'UNAUTHENTICATED_ADMIN' })
  })

  it('GET /health: status, database, redis (not_configured without Redis)', async () => {
    const res = await call('GET', '/health', {})
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({ status: 'ok', database: 'connected' })
    expect(['connected', 'disconnected', 'not_configured']).toContain(res.body.redis)
  })
})

describe('the one-shot API: POST /v1/verify', () => {
  const bearer = (k: string) => ({ authorization: `Bearer ${k}` })

  it('200 with request_id (from X-Request-ID), status, verified_age, confidence_score, document_type, processing_time_ms, metadata', async () => {
    const res = await call(
      'POST',
      '/v1/verify',
      { ...bearer(live), 'x-request-id': 'verify_user_123_1' },
      {
        document_type: 'passport',
        document_data: adultPassport.toString('base64'),
        verification_type: 'age_only',
        metadata: { user_id: 'user_123' },
      },
    )
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      request_id: 'verify_user_123_1',
      status: 'verified',
      metadata: { user_id: 'user_123' },
    })
    // Deliberate difference: document_type is the type Loom read (e.g. travel_document, id_card),
    // not an echo of the request's document_type.
    expect(res.body.document_type).toBeTypeOf('string')
    expect(res.body.verified_age).toBeGreaterThanOrEqual(18)
    expect(res.body.confidence_score).toBeGreaterThan(0)
    expect(res.body.processing_time_ms).toBeTypeOf('number')
  })

  it('full_verification adds extraction_data', async () => {
    const res = await call('POST', '/v1/verify', bearer(live), {
      document_type: 'passport',
      document_data: adultPassport.toString('base64'),
      verification_type: 'full_verification',
    })
    expect(res.status).toBe(200)
    expect(res.body.extraction_data).toBeTypeOf('object')
  })

  it('test_mode follows the documented scenarios (success 25, underage 17, expired)', async () => {
    const cases = [
      ['passport', 'verified', 25],
      ['drivers_license', 'rejected', 17],
      ['national_id', 'rejected', undefined],
    ] as const
    for (const [documentType, status, age] of cases) {
      const res = await call('POST', '/v1/verify', bearer(live), {
        document_type: documentType,
        document_data: adultPassport.toString('base64'),
        test_mode: true,
      })
      expect(res.status).toBe(200)
      expect(res.body.status).toBe(status)
      if (age !== undefined) expect(res.body.verified_age).toBe(age)
    }
  })

  it('with webhook_url: 202 {request_id, status: processing, estimated_time_seconds, webhook_url}, then one result delivery (test mode too)', async () => {
    for (const k of [test, live]) {
      const path = `/v1-${k === test ? 'test' : 'live'}`
      const url = `${receiver.url}${path}`
      const res = await call(
        'POST',
        '/v1/verify',
        { ...bearer(k), 'x-request-id': `async-${path.slice(1)}` },
        {
          document_type: 'passport',
          document_data: adultPassport.toString('base64'),
          webhook_url: url,
        },
      )
      expect(res.status).toBe(202)
      expect(res.body).toMatchObject({ status: 'processing', webhook_url: url })
      expect(res.body.estimated_time_seconds).toBeTypeOf('number')
      await receiver.waitFor((r) => r.some((w) => w.path === path), 60_000)
      // Give a second delivery (verification.started) the chance to arrive: it must not.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      const deliveries = receiver.at(path)
      expect(deliveries).toHaveLength(1)
      const payload = JSON.parse(deliveries[0]!.body)
      expect(payload.type).toBe('verification.completed')
      expect(payload.data.v1).toMatchObject({
        request_id: `async-${path.slice(1)}`,
        status: 'verified',
      })
    }
  }, 120_000)

  it('errors: AUTH_INVALID_KEY (401, names Authorization), DOCUMENT_INVALID_FORMAT, DOCUMENT_QUALITY_LOW, RATE_LIMIT_EXCEEDED with details.retry_after_seconds', async () => {
    const noKey = await call('POST', '/v1/verify', {}, { document_type: 'passport' })
    expect(noKey.status).toBe(401)
    expect(noKey.body.error).toMatchObject({ code: 'AUTH_INVALID_KEY' })
    expect(String(noKey.body.error?.message)).toContain('Authorization')
    expect(noKey.body.request_id).toBeTruthy()
    const badKey = await call('POST', '/v1/verify', bearer('loom_live_nope'), {})
    expect(badKey.status).toBe(401)
    const notImage = await call('POST', '/v1/verify', bearer(live), {
      document_type: 'passport',
      document_data: Buffer.from('plain text, not an image').toString('base64'),
    })
    expect(notImage.status).toBe(400)
    expect(notImage.body.error).toMatchObject({ code: 'DOCUMENT_INVALID_FORMAT' })
    const poor = await call('POST', '/v1/verify', bearer(live), {
      document_type: 'passport',
      document_data: blurry.toString('base64'),
      test_mode: true,
    })
    expect(poor.status).toBe(400)
    expect(poor.body.error).toMatchObject({ code: 'DOCUMENT_QUALITY_LOW' })
    const limited = await call('POST', '/admin/tenants', adminHeaders, {
      name: 'Limited v1',
      rateLimitPerMinute: 1,
    })
    const k = limited.body.apiKey as string
    const body = { document_type: 'passport', document_data: 'AAAA', test_mode: true }
    await call('POST', '/v1/verify', bearer(k), body)
    const res = await call('POST', '/v1/verify', bearer(k), body)
    expect(res.status).toBe(429)
    expect(res.body.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED' })
    expect((res.body.error?.details as Record<string, number>).retry_after_seconds).toBeGreaterThan(
      0,
    )
  })
})

describe('the sessions API: /v1/sessions', () => {
  const apiKey = () => ({ 'x-api-key': test })
  const applicant = {
    first_name: 'Jane',
    last_name: 'Doe',
    email: 'jane@example.com',
    phone: '+15192223333',
  }

  it('creates a session with snake_case fields: id, session_url (with redirect_url encoded), externalId, links', async () => {
    const res = await call('POST', '/v1/sessions', apiKey(), {
      ...applicant,
      external_id: 'cust-1',
      send_email_invite: false,
      send_phone_invite: false,
      redirect_url: 'https://shop.example/done',
    })
    expect(res.status).toBe(200)
    expect(res.body.id).toMatch(/^ver_/)
    expect(res.body.externalId).toBe('cust-1')
    expect(Array.isArray(res.body.links)).toBe(true)
    expect(res.body.session_url).toContain(
      `redirect_url=${encodeURIComponent('https://shop.example/done')}`,
    )
  })

  it('accepts every documented camelCase alias', async () => {
    const res = await call('POST', '/v1/sessions', apiKey(), {
      firstName: 'Jane',
      lastName: 'Doe',
      email: 'jane@example.com',
      phone: '+15192223333',
      externalId: 'cust-2',
      sendEmailInvite: false,
      sendPhoneInvite: false,
      redirectUrl: 'https://shop.example/done',
    })
    expect(res.status).toBe(200)
    expect(res.body.externalId).toBe('cust-2')
  })

  it('400 (bad phone, missing field, http redirect), 401, 404 workflow, 402 balance', async () => {
    const badPhone = await call('POST', '/v1/sessions', apiKey(), { ...applicant, phone: '555' })
    expect(badPhone.status).toBe(400)
    const missing = await call('POST', '/v1/sessions', apiKey(), { first_name: 'Jane' })
    expect(missing.status).toBe(400)
    const http = await call('POST', '/v1/sessions', apiKey(), {
      ...applicant,
      redirect_url: 'http://shop.example/done',
    })
    expect(http.status).toBe(400)
    const noKey = await call('POST', '/v1/sessions', {}, applicant)
    expect(noKey.status).toBe(401)
    expect(String(noKey.body.error?.message)).toContain('x-api-key')
    const workflow = await call('POST', '/v1/sessions', apiKey(), {
      ...applicant,
      workflow_id: 'wf_unknown',
    })
    expect(workflow.status).toBe(404)
    const poor = await call('POST', '/admin/tenants', adminHeaders, {
      name: 'Poor',
      rateLimitPerMinute: 1000,
      monthlyQuota: 1,
      allowOverage: false,
    })
    const k = { 'x-api-key': poor.body.apiKey as string }
    const quiet = { ...applicant, send_email_invite: false, send_phone_invite: false }
    expect((await call('POST', '/v1/sessions', k, quiet)).status).toBe(200)
    const broke = await call('POST', '/v1/sessions', k, quiet)
    expect(broke.status).toBe(402)
  })

  it('GET /v1/sessions/:id reads a session; its outcome is null while it is open', async () => {
    const created = await call('POST', '/v1/sessions', apiKey(), {
      ...applicant,
      redirect_url: 'https://shop.example/done',
    })
    const read = await call('GET', `/v1/sessions/${created.body.id as string}`, apiKey())
    expect(read.status).toBe(200)
    expect(read.body).toMatchObject({ id: created.body.id, outcome: null })
  })
})

describe('the verification-sessions API: /api/v1/verification', () => {
  const key = () => ({ 'x-tenant-api-key': test })

  it('create → start_token, session_id, expiration, missing_images; images; result; delete', async () => {
    const created = await call('POST', '/api/v1/verification', key(), {
      callback_url: 'https://shop.example/callback',
      state: 'csrf-123',
      time_to_live: '30d',
      mock_behavior: 'ALLOW',
    })
    expect(created.status).toBe(200)
    for (const field of ['start_token', 'session_id', 'expiration', 'missing_images']) {
      expect(created.body).toHaveProperty(field)
    }
    const sid = created.body.session_id as string
    const up = await call('POST', `/api/v1/verification/${sid}/images`, key(), {
      image: { type: 'document_front', data: adultPassport.toString('base64') },
      device_info: { os: 'test' },
    })
    expect(up.status).toBe(200)
    expect(up.body).toMatchObject({ feedback: 'ok', complete: true, missing_images: [] })
    const again = await call('POST', `/api/v1/verification/${sid}/images`, key(), {
      image: { type: 'document_front', data: adultPassport.toString('base64') },
    })
    expect(again.status).toBe(409)
    const images = await call('GET', `/api/v1/verification/${sid}/images`, key())
    const list = images.body.session_images as { id: string; content_type: string }[]
    expect(list).toHaveLength(1)
    expect(list[0]!.content_type).toBe('image/png')
    const bytes = await fetch(`${base}/api/v1/verification/${sid}/images/${list[0]!.id}`, {
      headers: key(),
    })
    expect(bytes.status).toBe(200)
    expect(bytes.headers.get('content-type')).toBe('image/png')
    let result: Answer | undefined
    for (let i = 0; i < 100; i++) {
      result = await call('GET', `/api/v1/verification/${sid}/result`, key())
      if (result.body.status === 'complete') break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(result!.body).toMatchObject({
      session_id: sid,
      status: 'complete',
      recommendation: 'ALLOW',
    })
    expect(result!.body).toHaveProperty('additional_info')
    const flat = await call('GET', `/api/v1/verification/${sid}/result?detailed=false`, key())
    expect(flat.body).toMatchObject({
      session_id: sid,
      status: 'complete',
      recommendation: 'ALLOW',
    })
    expect(flat.body).not.toHaveProperty('additional_info')
    const deleted = await call('DELETE', `/api/v1/verification/${sid}`, key())
    expect(deleted.status).toBe(200)
  }, 60_000)

  it('400 malformed, 401 without a key or token, 404 unknown session and image', async () => {
    const bad = await call('POST', '/api/v1/verification', key(), { time_to_live: 5 })
    expect(bad.status).toBe(400)
    const noKey = await call('POST', '/api/v1/verification', {}, {})
    expect(noKey.status).toBe(401)
    expect(String(noKey.body.error?.message)).toContain('Authorization: Bearer')
    const unknown = await call('GET', '/api/v1/verification/ver_unknown/result', key())
    expect(unknown.status).toBe(404)
    const created = await call('POST', '/api/v1/verification', key(), {})
    const sid = created.body.session_id as string
    const image = await call('GET', `/api/v1/verification/${sid}/images/img_unknown`, key())
    expect(image.status).toBe(404)
  })

  it('accepts a verify_access_token (POST /oidc/token) as Authorization: Bearer', async () => {
    const res = await fetch(`${base}/oidc/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: tenantId,
        client_secret: test,
      }).toString(),
    })
    expect(res.status).toBe(200)
    const { access_token: accessToken } = (await res.json()) as { access_token: string }
    const created = await call(
      'POST',
      '/api/v1/verification',
      { authorization: `Bearer ${accessToken}` },
      {},
    )
    expect(created.status).toBe(200)
  })
})
