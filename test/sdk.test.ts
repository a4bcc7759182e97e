// @loom/sdk against a real Loom listening on a port, with its worker running: the README's quick
// start run as a program, every call the client makes, its retries and errors, offline token
// checks against the published keys, webhook signatures of real deliveries, and its hand-written
// types compared with the route schemas the server publishes.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { Webhook } from 'standardwebhooks'
import {
  TEST_ADMIN_KEY,
  createKey,
  startTestApp,
  startWebhookReceiver,
  listenLocally,
} from './helpers.ts'
import type { TestApp, WebhookReceiver } from './helpers.ts'
import { passport } from './specimens.ts'
import { startWorker } from '../src/jobs/worker.ts'
import type { AgeTokenClaims as ServerAgeTokenClaims } from '../src/domain/age-tokens.ts'
import {
  AuthenticationError,
  ConflictError,
  ConnectionError,
  Loom,
  LoomError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  ServerError,
  ValidationError,
  WebhookVerificationError,
  verifyAgeToken,
  verifyWebhook,
} from '../packages/sdk/src/index.ts'
import type {
  AgeTokenClaims,
  AttestationMethod,
  CompletedVerification,
  CreateWebhookEndpointInput,
  DeletedVerification,
  DetailedResult,
  ImageFeedback,
  ImageList,
  ImageMetadata,
  ListDeliveriesQuery,
  MockBehavior,
  PublicResult,
  ResultCheck,
  StartVerificationInput,
  StartedVerification,
  SubmitOutcomeInput,
  TokenInvalidReason,
  TokenRevocation,
  TokenValidation,
  UploadedImage,
  VerificationEvent,
  VerificationEvents,
  VerificationStatus,
  VerificationStatusReply,
  VerificationType,
  WebhookAttempt,
  WebhookDelivery,
  WebhookDeliveryDetail,
  WebhookDeliveryStatus,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  WebhookEvent,
  WebhookEventType,
  WebhookSecret,
} from '../packages/sdk/src/index.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const ISSUER = 'https://loom.test'

let t: TestApp
let base: string
let worker: { stop(): Promise<void> }
let receiver: WebhookReceiver
let tenantId: string
let liveKey: string
let testKey: string
let passportImage: Buffer

beforeAll(async () => {
  // Reading a document takes well under the 5 s default on a quiet machine; a test machine shared
  // with other suites can take longer, and a timed-out read is not what these tests are about.
  t = await startTestApp('sqlite', { env: { LOOM_ENGINE_BUDGET_MS: '60000' } })
  base = await listenLocally(t.app)
  worker = startWorker(t.deps, { maintenance: false })
  receiver = await startWebhookReceiver()
  const created = await fetch(`${base}/admin/tenants`, {
    method: 'POST',
    headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'SDK tenant', rateLimitPerMinute: 100_000 }),
  })
  expect(created.status).toBe(201)
  const tenant = (await created.json()) as { id: string; apiKey: string }
  tenantId = tenant.id
  liveKey = tenant.apiKey
  testKey = (await createKey(t.app, tenantId, 'test')).key
  passportImage = (await passport({ adult: true })).image
}, 120_000)

afterAll(async () => {
  await worker?.stop()
  await receiver?.close()
  await t?.close()
})

/** The URL of a loopback port nothing listens on (one just closed). */
async function closedPort(): Promise<string> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

/** The first ```ts block under the package README's "Quick start" heading. */
function quickStartSnippet(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'packages/sdk/README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quick start'))
  const match = /```ts\n([\s\S]*?)```/.exec(section)
  if (match?.[1] === undefined) throw new Error('no ts block under "## Quick start"')
  return match[1]
}

/** The first ```ts block after the main README's "Node.js client" paragraph. */
function mainReadmeSnippet(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('**Node.js client.**'))
  const match = /```ts\n([\s\S]*?)```/.exec(section)
  if (match?.[1] === undefined) throw new Error('no ts block after "Node.js client"')
  return match[1]
}

describe('the quick start in packages/sdk/README.md', () => {
  it('is the one the main README shows', () => {
    expect(mainReadmeSnippet()).toBe(quickStartSnippet())
  })

  it('is at most ten lines and, run as a program, approves a specimen passport and validates the token', async () => {
    const snippet = quickStartSnippet()
    expect(snippet.trimEnd().split('\n').length).toBeLessThanOrEqual(10)
    // A directory of its own outside the repository, as an application would be; its
    // node_modules is the repository's, where @loom/sdk is the workspace package.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-sdk-quickstart-'))
    try {
      fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'))
      fs.writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n')
      fs.writeFileSync(path.join(dir, 'quickstart.ts'), snippet)
      fs.writeFileSync(path.join(dir, 'passport.png'), passportImage)
      // `loom-source` resolves the package to its TypeScript source (no build needed); tsx runs it.
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--conditions=loom-source', '--import', 'tsx', 'quickstart.ts'],
        { cwd: dir, env: { ...process.env, LOOM_API_KEY: testKey, LOOM_URL: base } },
      )
      expect(stdout.trim()).toBe('approved true true')
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 180_000)
})

describe('verifications, images, results and tokens', () => {
  it('start → upload → decided by the worker → result, images, events → token checks → delete', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const started = await loom.verifications.start({
      metadata: { user_id: 'user_123' },
      externalId: 'order-77',
      minAge: 21,
    })
    expect(started).toMatchObject({ status: 'pending', mode: 'test' })
    expect(started.config.minAge).toBe(21)
    const id = started.verificationId
    expect(id).toMatch(/^ver_/)
    expect(await loom.verifications.status(id)).toMatchObject({
      verificationId: id,
      status: 'pending',
      livemode: false,
      externalId: 'order-77',
      metadata: { user_id: 'user_123' },
    })

    const uploaded = await loom.images.upload(id, 'document_front', passportImage)
    expect(uploaded).toMatchObject({ verificationId: id, type: 'document_front', feedback: 'ok' })
    expect(uploaded.complete).toBe(true)
    const decided = await loom.verifications.waitForDecision(id, { timeoutMs: 60_000 })
    expect(decided.status).toBe('approved')
    expect(decided.result).toMatchObject({ verified: true, over18: true, method: 'document' })
    const token = decided.token
    if (token === undefined) throw new Error('an approved verification has a token')

    const result = await loom.verifications.result(id)
    expect(result).toMatchObject({ verificationId: id, status: 'approved', purged: false })
    expect(result.person).not.toBeNull()
    expect(result.checks.length).toBeGreaterThan(0)
    const images = await loom.images.list(id)
    expect(images.images).toHaveLength(1)
    const image = images.images[0]!
    const downloaded = await loom.images.download(id, image.imageId)
    expect(Buffer.from(downloaded.bytes).equals(passportImage)).toBe(true)
    expect(downloaded.contentType).toBe(image.contentType)
    const events = await loom.verifications.events(id)
    expect(events.events.map((e) => e.type)).toContain('verification.completed')

    const validated = await loom.tokens.validate(token)
    expect(validated).toMatchObject({ valid: true, verificationId: id, livemode: false })
    expect(validated.ageOver).toContain(21)

    // Offline, against this Loom's /.well-known/jwks.json: the same answer.
    const offline = await loom.tokens.verifyOffline(token, { issuer: ISSUER, tenantId })
    if (!offline.valid) throw new Error(`offline check refused the token: ${offline.reason}`)
    expect(offline).toMatchObject({
      verificationId: id,
      tenantId,
      livemode: false,
      over18: true,
      verifiedAge: validated.verifiedAge,
      ageOver: validated.ageOver,
      method: validated.method,
      expiresAt: validated.expiresAt,
    })

    await loom.verifications.delete(id)
    expect(await loom.tokens.validate(token)).toMatchObject({
      valid: false,
      reason: 'TOKEN_NOT_FOUND',
    })
    const afterDelete = await loom.verifications.result(id)
    expect(afterDelete).toMatchObject({ status: 'approved', purged: true, person: null })
  }, 90_000)

  it('complete and submit decide; revoke makes validate say TOKEN_REVOKED', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const mocked = await loom.verifications.start({ mockBehavior: 'reject_underage' })
    const rejected = await loom.verifications.complete(mocked.verificationId)
    expect(rejected).toMatchObject({ status: 'rejected', result: { verified: false } })
    expect(rejected.token).toBeUndefined()

    const own = await loom.verifications.start()
    const submitted = await loom.verifications.submit(own.verificationId, {
      status: 'approved',
      verifiedAge: 30,
    })
    expect(submitted).toMatchObject({ status: 'approved', result: { method: 'tenant_attested' } })
    const token = submitted.token!
    expect(await loom.tokens.validate(token)).toMatchObject({ valid: true, verifiedAge: 30 })
    const revoked = await loom.tokens.revoke({ token })
    expect(revoked).toMatchObject({ revoked: true, verificationId: own.verificationId })
    expect(await loom.tokens.validate(token)).toMatchObject({
      valid: false,
      reason: 'TOKEN_REVOKED',
    })
  })

  it('offline checks: a local key set, a forged or tampered token, another tenant, the other mode, expiry', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const started = await loom.verifications.start({ mockBehavior: 'approve' })
    const { token } = await loom.verifications.complete(started.verificationId)
    if (token === undefined) throw new Error('approve mints a token')
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
      keys: { kid?: string }[]
    }
    expect(jwks.keys.length).toBeGreaterThan(0)

    const local = await verifyAgeToken(token, { jwks, issuer: ISSUER })
    // The SDK's claims type is the one Loom mints with (checked by the compiler).
    expectTypeOf<AgeTokenClaims>().toEqualTypeOf<ServerAgeTokenClaims>()
    if (local.valid) expectTypeOf(local.claims).toEqualTypeOf<ServerAgeTokenClaims>()
    expect(local).toMatchObject({ valid: true, verificationId: started.verificationId })

    const [header, payload, signature] = token.split('.') as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >
    const older = Buffer.from(JSON.stringify({ ...claims, verified_age: 99 })).toString('base64url')
    expect(await loom.tokens.verifyOffline(`${header}.${older}.${signature}`)).toEqual({
      valid: false,
      reason: 'TOKEN_INVALID',
    })
    // The mirrored twin of the signature (s → n − s) verifies mathematically; Loom refuses it.
    const sig = Buffer.from(signature, 'base64url')
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n
    const s = BigInt(`0x${sig.subarray(32).toString('hex')}`)
    const twin = Buffer.concat([
      sig.subarray(0, 32),
      Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'),
    ]).toString('base64url')
    expect(await loom.tokens.validate(`${header}.${payload}.${twin}`)).toMatchObject({
      valid: false,
    })
    expect(await loom.tokens.verifyOffline(`${header}.${payload}.${twin}`)).toEqual({
      valid: false,
      reason: 'TOKEN_INVALID',
    })
    expect(await loom.tokens.verifyOffline('not a token')).toEqual({
      valid: false,
      reason: 'TOKEN_INVALID',
    })
    expect(await loom.tokens.verifyOffline(token, { issuer: 'https://elsewhere.example' })).toEqual(
      { valid: false, reason: 'TOKEN_INVALID' },
    )
    expect(await loom.tokens.verifyOffline(token, { tenantId: 'ten_other' })).toEqual({
      valid: false,
      reason: 'TENANT_MISMATCH',
    })
    // A client with a live key refuses test tokens, as Loom's validate does.
    const liveLoom = new Loom({ apiKey: liveKey, baseUrl: base })
    expect(await liveLoom.tokens.verifyOffline(token)).toEqual({
      valid: false,
      reason: 'LIVEMODE_MISMATCH',
    })
    expect(await liveLoom.tokens.validate(token)).toMatchObject({
      valid: false,
      reason: 'LIVEMODE_MISMATCH',
    })
    const expiresAt = Number(claims.exp) * 1000
    expect(await verifyAgeToken(token, { jwks, currentDate: new Date(expiresAt + 1000) })).toEqual({
      valid: false,
      reason: 'TOKEN_EXPIRED',
    })
    // No key set to be had is an error, not a verdict on the token.
    const nowhere = new Loom({ apiKey: testKey, baseUrl: await closedPort(), maxRetries: 0 })
    await expect(nowhere.tokens.verifyOffline(token)).rejects.toMatchObject({
      code: 'JWKS_UNAVAILABLE',
    })
  })
})

describe('the base URL', () => {
  it('may carry a path prefix (Loom behind a proxy under /loom/): the API and the JWKS resolve below it', async () => {
    const asked: string[] = []
    const prefixStripping = async (url: string, init: RequestInit) => {
      asked.push(url)
      return fetch(url.replace(`${base}/loom/`, `${base}/`), init)
    }
    const loom = new Loom({ apiKey: testKey, baseUrl: `${base}/loom`, fetch: prefixStripping })
    const { verificationId } = await loom.verifications.start({ mockBehavior: 'approve' })
    const { token } = await loom.verifications.complete(verificationId)
    expect(await loom.tokens.verifyOffline(token!)).toMatchObject({ valid: true, verificationId })
    expect(asked.map((u) => new URL(u).pathname)).toEqual([
      '/loom/verify/start',
      '/loom/verify/complete',
      '/loom/.well-known/jwks.json',
    ])
  })
})

describe('idempotency and retries', () => {
  it('start with the same Idempotency-Key returns the same verification; another body is a ConflictError', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const key = `order-${Math.random()}`
    const first = await loom.verifications.start({ minAge: 18 }, { idempotencyKey: key })
    const again = await loom.verifications.start({ minAge: 18 }, { idempotencyKey: key })
    expect(again.verificationId).toBe(first.verificationId)
    const reused = await loom.verifications
      .start({ minAge: 21 }, { idempotencyKey: key })
      .catch((e: unknown) => e)
    expect(reused).toBeInstanceOf(ConflictError)
    expect(reused).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' })
  })

  it('a start whose answer was lost is sent again with the same key and answers the same verification', async () => {
    const sent: { key: string | null; replayed: string | null }[] = []
    const losesFirstAnswer = async (url: string, init: RequestInit) => {
      const res = await fetch(url, init)
      sent.push({
        key: new Headers(init.headers).get('idempotency-key'),
        replayed: res.headers.get('idempotent-replayed'),
      })
      if (sent.length === 1) {
        await res.body?.cancel()
        throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })
      }
      return res
    }
    const loom = new Loom({ apiKey: testKey, baseUrl: base, fetch: losesFirstAnswer })
    const started = await loom.verifications.start({ metadata: { attempt: 'lost' } })
    expect(sent).toHaveLength(2)
    expect(sent[0]!.key).toBeTruthy()
    expect(sent[1]!.key).toBe(sent[0]!.key)
    expect(sent[1]!.replayed).toBe('true')
    expect((await loom.verifications.status(started.verificationId)).status).toBe('pending')
  })

  it('a complete whose answer was lost is not sent again (it is not idempotent)', async () => {
    const starter = new Loom({ apiKey: testKey, baseUrl: base })
    const { verificationId } = await starter.verifications.start({ mockBehavior: 'approve' })
    let calls = 0
    const losesAnswers = async (url: string, init: RequestInit) => {
      calls++
      const res = await fetch(url, init)
      await res.body?.cancel()
      throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } })
    }
    const loom = new Loom({ apiKey: testKey, baseUrl: base, fetch: losesAnswers })
    const error = await loom.verifications.complete(verificationId).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(calls).toBe(1)
    // It did happen: the verification is decided.
    expect((await starter.verifications.status(verificationId)).status).toBe('approved')
  })

  it('a 503 with Retry-After is waited out and retried', async () => {
    let calls = 0
    const unavailableOnce = async (url: string, init: RequestInit) => {
      calls++
      if (calls === 1) {
        return new Response(
          JSON.stringify({ error: { code: 'SERVICE_UNAVAILABLE', message: 'restarting' } }),
          { status: 503, headers: { 'retry-after': '1', 'content-type': 'application/json' } },
        )
      }
      return fetch(url, init)
    }
    const loom = new Loom({ apiKey: testKey, baseUrl: base, fetch: unavailableOnce })
    const began = Date.now()
    const started = await loom.verifications.start()
    expect(Date.now() - began).toBeGreaterThanOrEqual(950)
    expect(calls).toBe(2)
    expect(started.verificationId).toMatch(/^ver_/)
  })

  it('a refused connection is retried maxRetries times, then a ConnectionError', async () => {
    let calls = 0
    const counting = async (url: string, init: RequestInit) => {
      calls++
      return fetch(url, init)
    }
    const loom = new Loom({
      apiKey: testKey,
      baseUrl: await closedPort(),
      fetch: counting,
      maxRetries: 2,
    })
    const error = await loom.verifications.complete('ver_x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ConnectionError)
    expect(error).toMatchObject({ code: 'CONNECTION_ERROR', status: undefined })
    expect(calls).toBe(3)
  })

  it('a monthly quota reached is not retried (waiting cannot help)', async () => {
    const created = await fetch(`${base}/admin/tenants`, {
      method: 'POST',
      headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'SDK quota',
        rateLimitPerMinute: 1000,
        monthlyQuota: 1,
        allowOverage: false,
      }),
    })
    const { apiKey } = (await created.json()) as { apiKey: string }
    let calls = 0
    const counting = async (url: string, init: RequestInit) => {
      calls++
      return fetch(url, init)
    }
    const loom = new Loom({ apiKey, baseUrl: base, fetch: counting, maxRetries: 3 })
    await loom.verifications.start()
    const error = await loom.verifications.start().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitError)
    expect(error).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED' })
    expect(calls).toBe(2)
  })

  it('a 503 that lasts: retried maxRetries times, then a ServerError', async () => {
    let calls = 0
    const alwaysUnavailable = async () => {
      calls++
      return new Response(
        JSON.stringify({
          error: { code: 'SERVICE_UNAVAILABLE', message: 'down' },
          requestId: 'req_x',
        }),
        { status: 503, headers: { 'content-type': 'application/json' } },
      )
    }
    const loom = new Loom({
      apiKey: testKey,
      baseUrl: base,
      fetch: alwaysUnavailable,
      maxRetries: 1,
    })
    const error = await loom.verifications.status('ver_x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServerError)
    expect(error).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', requestId: 'req_x' })
    expect(calls).toBe(2)
  })

  it('no answer within timeoutMs: a read is sent again, then a ConnectionError with code TIMEOUT', async () => {
    const silent = await startWebhookReceiver(() => 'hang')
    try {
      const loom = new Loom({ apiKey: testKey, baseUrl: silent.url, timeoutMs: 300, maxRetries: 1 })
      const error = await loom.verifications.status('ver_x').catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ConnectionError)
      expect(error).toMatchObject({ code: 'TIMEOUT' })
      expect(silent.received).toHaveLength(2)
    } finally {
      await silent.close()
    }
  })

  it('a real rate limit: RateLimitError with retryAfterSeconds; a Retry-After past maxRetryDelayMs is not waited for', async () => {
    const created = await fetch(`${base}/admin/tenants`, {
      method: 'POST',
      headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'SDK limited', rateLimitPerMinute: 1 }),
    })
    const { apiKey } = (await created.json()) as { apiKey: string }
    const loom = new Loom({ apiKey, baseUrl: base, maxRetries: 3, maxRetryDelayMs: 2000 })
    await loom.verifications.start()
    const began = Date.now()
    const error = await loom.verifications.start().catch((e: unknown) => e)
    expect(Date.now() - began).toBeLessThan(2000)
    expect(error).toBeInstanceOf(RateLimitError)
    expect(error).toMatchObject({ status: 429, code: 'RATE_LIMIT_EXCEEDED' })
    expect((error as RateLimitError).retryAfterSeconds).toBeGreaterThan(2)
    expect((error as RateLimitError).requestId).toMatch(/\S/)
  })
})

describe('errors', () => {
  it('401: AuthenticationError with code, status and request id', async () => {
    const loom = new Loom({ apiKey: `loom_test_${'A'.repeat(43)}`, baseUrl: base })
    const error = await loom.verifications.status('ver_x').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AuthenticationError)
    expect(error).toBeInstanceOf(LoomError)
    expect(error).toMatchObject({ status: 401, code: 'UNAUTHENTICATED_TENANT' })
    expect((error as LoomError).requestId).toMatch(/\S/)
  })

  it('404: NotFoundError for an unknown verification and for another mode’s', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const unknown = await loom.verifications.status('ver_unknown').catch((e: unknown) => e)
    expect(unknown).toBeInstanceOf(NotFoundError)
    expect(unknown).toMatchObject({ status: 404, code: 'VERIFICATION_NOT_FOUND' })
    const { verificationId } = await loom.verifications.start()
    const live = new Loom({ apiKey: liveKey, baseUrl: base })
    await expect(live.verifications.delete(verificationId)).rejects.toBeInstanceOf(NotFoundError)
  })

  it('400: ValidationError with the server’s details; bad images too', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const error = await loom.verifications.start({ minAge: 99 }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect(error).toMatchObject({ status: 400, code: 'INVALID_REQUEST_BODY' })
    expect((error as ValidationError).details).toHaveProperty('issues')
    const { verificationId } = await loom.verifications.start()
    const notAnImage = await loom.images
      .upload(verificationId, 'document_front', Buffer.from('plain text, not a photo'))
      .catch((e: unknown) => e)
    expect(notAnImage).toBeInstanceOf(ValidationError)
    expect(notAnImage).toMatchObject({ code: 'DOCUMENT_INVALID_FORMAT' })
  })

  it('403: PermissionDeniedError when the operator turned submit off', async () => {
    const created = await fetch(`${base}/admin/tenants`, {
      method: 'POST',
      headers: { 'x-admin-key': TEST_ADMIN_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'SDK no submit',
        rateLimitPerMinute: 1000,
        submitAllowed: false,
      }),
    })
    const { apiKey } = (await created.json()) as { apiKey: string }
    const loom = new Loom({ apiKey, baseUrl: base })
    const { verificationId } = await loom.verifications.start()
    const error = await loom.verifications
      .submit(verificationId, { status: 'approved', verifiedAge: 30 })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PermissionDeniedError)
    expect(error).toMatchObject({ status: 403, code: 'SUBMIT_NOT_ALLOWED' })
  })

  it('the client refuses to start without a key, and does not show its key when logged', async () => {
    expect(() => new Loom({ apiKey: undefined })).toThrow(/apiKey/)
    const { inspect } = await import('node:util')
    const shown = inspect(new Loom({ apiKey: testKey, baseUrl: base }), { depth: 10 })
    expect(shown).toContain('Loom')
    expect(shown).not.toContain(testKey)
  })
})

describe('webhooks', () => {
  it('verifies a real delivery; refuses a tampered body, another secret, a stale timestamp, missing headers', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const hookPath = `/sdk-${Math.random().toString(36).slice(2)}`
    const endpoint = await loom.webhooks.endpoints.create({
      url: `${receiver.url}${hookPath}`,
      events: ['verification.completed'],
    })
    expect(endpoint.secret).toMatch(/^whsec_/)
    expect((await loom.webhooks.endpoints.list()).map((e) => e.id)).toContain(endpoint.id)
    const { verificationId } = await loom.verifications.start({ mockBehavior: 'approve' })
    await loom.verifications.complete(verificationId)
    await receiver.waitFor((r) => r.some((w) => w.path === hookPath), 30_000)
    const delivery = receiver.at(hookPath)[0]!

    const event = loom.webhooks.verify(delivery.body, delivery.headers, endpoint.secret)
    expect(event).toMatchObject({
      type: 'verification.completed',
      verificationId,
      mode: 'test',
      data: { status: 'approved' },
    })
    // Headers as fetch's Headers, and the body as bytes, verify the same.
    expect(
      verifyWebhook(Buffer.from(delivery.body), new Headers(delivery.headers), endpoint.secret).id,
    ).toBe(event.id)

    const refusal = (fn: () => unknown) => {
      try {
        fn()
      } catch (err) {
        expect(err).toBeInstanceOf(WebhookVerificationError)
        return (err as WebhookVerificationError).code
      }
      return 'accepted'
    }
    expect(
      refusal(() =>
        loom.webhooks.verify(
          delivery.body.replace('approved', 'rejected'),
          delivery.headers,
          endpoint.secret,
        ),
      ),
    ).toBe('WEBHOOK_SIGNATURE_INVALID')
    const other = await loom.webhooks.endpoints.create({ url: `${receiver.url}/other` })
    expect(refusal(() => loom.webhooks.verify(delivery.body, delivery.headers, other.secret))).toBe(
      'WEBHOOK_SIGNATURE_INVALID',
    )
    const sentAt = Number(delivery.headers['webhook-timestamp']) * 1000
    expect(
      refusal(() =>
        loom.webhooks.verify(delivery.body, delivery.headers, endpoint.secret, {
          now: new Date(sentAt + 6 * 60_000),
        }),
      ),
    ).toBe('WEBHOOK_TIMESTAMP_TOO_OLD')
    expect(
      refusal(() =>
        loom.webhooks.verify(delivery.body, delivery.headers, endpoint.secret, {
          now: new Date(sentAt - 6 * 60_000),
        }),
      ),
    ).toBe('WEBHOOK_TIMESTAMP_TOO_NEW')
    expect(
      refusal(() =>
        loom.webhooks.verify(delivery.body, delivery.headers, endpoint.secret, {
          now: new Date(sentAt + 4 * 60_000),
        }),
      ),
    ).toBe('accepted')
    const { ['webhook-signature']: _dropped, ...unsigned } = delivery.headers
    expect(refusal(() => loom.webhooks.verify(delivery.body, unsigned, endpoint.secret))).toBe(
      'WEBHOOK_HEADERS_MISSING',
    )

    // The delivery log names the same webhook-id.
    const deliveries = await loom.webhooks.deliveries.list({ verificationId })
    expect(deliveries.map((d) => d.id)).toContain(delivery.headers['webhook-id'])
    await loom.webhooks.endpoints.delete(other.id)
    await loom.webhooks.endpoints.delete(endpoint.id)
  }, 60_000)

  it('a callback URL’s deliveries verify with the tenant’s callback secret', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const hookPath = `/sdk-callback-${Math.random().toString(36).slice(2)}`
    const { verificationId } = await loom.verifications.start({
      mockBehavior: 'approve',
      callbackUrl: `${receiver.url}${hookPath}`,
    })
    await loom.verifications.complete(verificationId)
    await receiver.waitFor(
      (r) => r.some((w) => w.path === hookPath && w.body.includes('verification.completed')),
      30_000,
    )
    const { secret } = await loom.webhooks.secret()
    const types = receiver
      .at(hookPath)
      .map((d) => loom.webhooks.verify(d.body, d.headers, secret).type)
    expect(types).toContain('verification.completed')
    for (const type of types) expect(type).toMatch(/^verification\./)
  }, 60_000)

  it('during a secret rotation either secret verifies the delivery', async () => {
    const loom = new Loom({ apiKey: testKey, baseUrl: base })
    const hookPath = `/sdk-rotated-${Math.random().toString(36).slice(2)}`
    const endpoint = await loom.webhooks.endpoints.create({
      url: `${receiver.url}${hookPath}`,
      events: ['verification.completed'],
    })
    const rotated = await loom.webhooks.endpoints.rotateSecret(endpoint.id)
    expect(rotated.secret).not.toBe(endpoint.secret)
    const { verificationId } = await loom.verifications.start({ mockBehavior: 'approve' })
    await loom.verifications.complete(verificationId)
    await receiver.waitFor((r) => r.some((w) => w.path === hookPath), 30_000)
    const delivery = receiver.at(hookPath)[0]!
    expect(delivery.headers['webhook-signature']!.split(' ')).toHaveLength(2)
    for (const secret of [endpoint.secret, rotated.secret]) {
      expect(loom.webhooks.verify(delivery.body, delivery.headers, secret).verificationId).toBe(
        verificationId,
      )
    }
    await loom.webhooks.endpoints.delete(endpoint.id)
  }, 60_000)

  it('agrees with the standardwebhooks library on what it signs', () => {
    const secret = `whsec_${Buffer.from('a secret of thirty-two bytes.....').toString('base64')}`
    const body = JSON.stringify({ id: 'evt_1', type: 'verification.completed', data: {} })
    const sentAt = new Date()
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': new Webhook(secret).sign('msg_1', sentAt, body),
    }
    expect(verifyWebhook(body, headers, secret).id).toBe('evt_1')
    // Node's request headers are accepted as they are.
    const incoming: IncomingHttpHeaders = { ...headers, 'x-forwarded-for': ['a', 'b'] }
    expect(verifyWebhook(body, incoming, secret).type).toBe('verification.completed')
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ id: 'evt_1' })
  })
})

// ---------------------------------------------------------------------------------------------
// The SDK's hand-written types against the route schemas. Each `Fields<T>` literal must name
// exactly T's fields, each marked required or optional and nullable or not (the compiler holds
// it to T); the test then compares it with the schema in /openapi.json, which the server
// generates from its TypeBox schemas.

type Presence<
  T,
  K extends keyof T,
> = `${object extends Pick<T, K> ? 'optional' : 'required'}${null extends T[K] ? '|null' : ''}`
type Fields<T> = { [K in keyof T]-?: Presence<T, K> }
/** Every member of a string union, once. */
type Members<U extends string> = Record<U, true>

interface JsonSchema {
  type?: string
  properties?: Record<string, JsonSchema>
  required?: string[]
  anyOf?: JsonSchema[]
  enum?: string[]
  const?: string
  items?: JsonSchema
}
interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody?: { content: { 'application/json': { schema: JsonSchema } } }
        parameters?: { name: string; in: string; required?: boolean }[]
        responses: Record<string, { content?: { 'application/json': { schema: JsonSchema } } }>
      }
    >
  >
}

function presenceOf(schema: JsonSchema, name: string): string {
  const property = schema.properties?.[name]
  if (property === undefined) return 'absent'
  const nullable = property.anyOf?.some((s) => s.type === 'null') === true
  return `${schema.required?.includes(name) ? 'required' : 'optional'}${nullable ? '|null' : ''}`
}

function describeSchema(schema: JsonSchema): Record<string, string> {
  return Object.fromEntries(
    Object.keys(schema.properties ?? {}).map((name) => [name, presenceOf(schema, name)]),
  )
}

function valuesOf(schema: JsonSchema): string[] {
  const own = schema.enum ?? (schema.const !== undefined ? [schema.const] : [])
  return [...own, ...(schema.anyOf ?? []).flatMap(valuesOf)].sort()
}

/** A `Nullable(X)` schema's X; any other schema as it is. */
function nonNull(schema: JsonSchema): JsonSchema {
  const members = schema.anyOf ?? []
  if (!members.some((s) => s.type === 'null')) return schema
  const rest = members.filter((s) => s.type !== 'null')
  return rest.length === 1 ? rest[0]! : { anyOf: rest }
}

describe('the SDK’s types match the server’s route schemas', () => {
  let doc: OpenApi
  const answer = (route: string, method: string, status = '200'): JsonSchema => {
    const schema =
      doc.paths[route]?.[method]?.responses[status]?.content?.['application/json']?.schema
    if (schema === undefined) throw new Error(`no ${status} schema for ${method} ${route}`)
    return schema
  }
  const requestBody = (route: string, method: string): JsonSchema => {
    const schema = doc.paths[route]?.[method]?.requestBody?.content['application/json'].schema
    if (schema === undefined) throw new Error(`no body schema for ${method} ${route}`)
    return schema
  }
  const property = (schema: JsonSchema, name: string): JsonSchema => {
    const found = schema.properties?.[name]
    if (found === undefined) throw new Error(`no property ${name}`)
    return nonNull(found)
  }

  beforeAll(async () => {
    doc = (await (await fetch(`${base}/openapi.json`)).json()) as OpenApi
  })

  const publicResult: Fields<PublicResult> = {
    verified: 'required',
    verifiedAge: 'required|null',
    over18: 'required',
    reason: 'required|null',
    reasons: 'required',
    method: 'required',
  }

  it('answers: every field, required or optional, nullable or not', () => {
    const pairs: [string, Record<string, string>, JsonSchema][] = [
      [
        'start',
        {
          verificationId: 'required',
          status: 'required',
          sessionUrl: 'required',
          redirectUrl: 'required',
          expiresAt: 'required',
          createdAt: 'required',
          mode: 'required',
          config: 'required',
        } satisfies Fields<StartedVerification>,
        answer('/verify/start', 'post'),
      ],
      [
        'start config',
        {
          verificationType: 'required',
          minAge: 'required',
          requiredImages: 'required',
        } satisfies Fields<StartedVerification['config']>,
        property(answer('/verify/start', 'post'), 'config'),
      ],
      [
        'status',
        {
          verificationId: 'required',
          livemode: 'required',
          status: 'required',
          confidence: 'required|null',
          verificationType: 'required',
          minAge: 'required',
          createdAt: 'required',
          completedAt: 'required|null',
          expiresAt: 'required',
          metadata: 'required|null',
          externalId: 'required|null',
          result: 'optional',
          token: 'optional',
          tokenExpiresAt: 'optional',
        } satisfies Fields<VerificationStatusReply>,
        answer('/verify/status', 'get'),
      ],
      ['status result', publicResult, property(answer('/verify/status', 'get'), 'result')],
      ...(['/verify/complete', '/verify/submit'] as const).map(
        (route): [string, Record<string, string>, JsonSchema] => [
          route,
          {
            verificationId: 'required',
            livemode: 'required',
            status: 'required',
            confidence: 'required|null',
            completedAt: 'required|null',
            result: 'required',
            token: 'optional',
            tokenExpiresAt: 'optional',
          } satisfies Fields<CompletedVerification>,
          answer(route, 'post'),
        ],
      ),
      [
        'events',
        { verificationId: 'required', events: 'required' } satisfies Fields<VerificationEvents>,
        answer('/verify/events', 'get'),
      ],
      [
        'event',
        {
          id: 'required',
          type: 'required',
          createdAt: 'required',
          data: 'required',
        } satisfies Fields<VerificationEvent>,
        property(answer('/verify/events', 'get'), 'events').items!,
      ],
      [
        'result',
        {
          verificationId: 'required',
          status: 'required',
          result: 'required|null',
          confidence: 'required|null',
          documentType: 'required|null',
          source: 'required|null',
          person: 'required|null',
          document: 'required|null',
          checks: 'required',
          purged: 'required',
        } satisfies Fields<DetailedResult>,
        answer('/verify/result', 'get'),
      ],
      ['result result', publicResult, property(answer('/verify/result', 'get'), 'result')],
      [
        'result check',
        { name: 'required', outcome: 'required', detail: 'optional' } satisfies Fields<ResultCheck>,
        property(answer('/verify/result', 'get'), 'checks').items!,
      ],
      [
        'delete',
        {
          verificationId: 'required',
          deleted: 'required',
          status: 'required',
        } satisfies Fields<DeletedVerification>,
        answer('/verify/{verificationId}', 'delete'),
      ],
      [
        'upload',
        {
          imageId: 'required',
          verificationId: 'required',
          type: 'required',
          feedback: 'required',
          message: 'required',
          missingImages: 'required',
          complete: 'required',
          status: 'required',
        } satisfies Fields<UploadedImage>,
        answer('/verify/images', 'post'),
      ],
      [
        'images',
        { verificationId: 'required', images: 'required' } satisfies Fields<ImageList>,
        answer('/verify/images', 'get'),
      ],
      [
        'image',
        {
          imageId: 'required',
          type: 'required',
          contentType: 'required',
          byteSize: 'required',
          feedback: 'required',
          createdAt: 'required',
          purged: 'required',
        } satisfies Fields<ImageMetadata>,
        property(answer('/verify/images', 'get'), 'images').items!,
      ],
      [
        'validate',
        {
          valid: 'required',
          reason: 'optional',
          livemode: 'optional',
          method: 'optional',
          over18: 'optional',
          verificationId: 'optional',
          verifiedAge: 'optional',
          ageOver: 'optional',
          issuedAt: 'optional',
          expiresAt: 'optional',
        } satisfies Fields<TokenValidation>,
        answer('/tokens/validate', 'post'),
      ],
      [
        'revoke',
        {
          revoked: 'required',
          tokenId: 'required|null',
          verificationId: 'required',
          revokedAt: 'required',
        } satisfies Fields<TokenRevocation>,
        answer('/tokens/revoke', 'post'),
      ],
    ]
    const endpoint = {
      id: 'required',
      url: 'required',
      events: 'required',
      enabled: 'required',
      description: 'required|null',
      disabledReason: 'required|null',
      previousSecretExpiresAt: 'required|null',
      createdAt: 'required',
      updatedAt: 'required',
    } satisfies Fields<WebhookEndpoint>
    const delivery = {
      id: 'required',
      eventId: 'required',
      eventType: 'required',
      verificationId: 'required',
      endpointId: 'required|null',
      target: 'required',
      url: 'required',
      status: 'required',
      attempts: 'required',
      lastStatusCode: 'required|null',
      lastError: 'required|null',
      lastAttemptAt: 'required|null',
      nextAttemptAt: 'required|null',
      deliveredAt: 'required|null',
      createdAt: 'required',
    } satisfies Fields<WebhookDelivery>
    pairs.push(
      ['endpoint', endpoint, answer('/webhooks/endpoints/{id}', 'get')],
      [
        'endpoint with secret',
        { ...endpoint, secret: 'required' } satisfies Fields<WebhookEndpointWithSecret>,
        answer('/webhooks/endpoints', 'post', '201'),
      ],
      ['endpoint list', endpoint, property(answer('/webhooks/endpoints', 'get'), 'data').items!],
      [
        'secret',
        {
          secret: 'required',
          previousSecretExpiresAt: 'required|null',
          createdAt: 'required',
          updatedAt: 'required',
        } satisfies Fields<WebhookSecret>,
        answer('/webhooks/secret', 'get'),
      ],
      ['delivery', delivery, property(answer('/webhooks/deliveries', 'get'), 'data').items!],
      ['delivery retry', delivery, answer('/webhooks/deliveries/{id}/retry', 'post', '202')],
      [
        'delivery detail',
        { ...delivery, attemptLog: 'required' } satisfies Fields<WebhookDeliveryDetail>,
        answer('/webhooks/deliveries/{id}', 'get'),
      ],
      [
        'attempt',
        {
          attempt: 'required',
          statusCode: 'required|null',
          durationMs: 'required',
          responseExcerpt: 'required|null',
          error: 'required|null',
          createdAt: 'required',
        } satisfies Fields<WebhookAttempt>,
        property(answer('/webhooks/deliveries/{id}', 'get'), 'attemptLog').items!,
      ],
      [
        'webhook event',
        {
          id: 'required',
          type: 'required',
          createdAt: 'required',
          verificationId: 'required',
          metadata: 'required|null',
          externalId: 'required|null',
          mode: 'required|null',
          data: 'required',
        } satisfies Fields<WebhookEvent>,
        property(answer('/webhooks/endpoints/{id}/test', 'post'), 'event'),
      ],
    )
    for (const [name, sdk, schema] of pairs) {
      expect(sdk, name).toEqual(describeSchema(nonNull(schema)))
    }
  })

  it('requests: every field the SDK sends is one the route takes, with the same presence', () => {
    const pairs: [string, Record<string, string>, JsonSchema][] = [
      [
        'start',
        {
          metadata: 'optional',
          returnUrl: 'optional',
          callbackUrl: 'optional',
          state: 'optional',
          userAgent: 'optional',
          ip: 'optional',
          externalId: 'optional',
          verificationType: 'optional',
          minAge: 'optional',
          timeToLive: 'optional',
          mockBehavior: 'optional',
          workflowId: 'optional',
        } satisfies Fields<StartVerificationInput>,
        requestBody('/verify/start', 'post'),
      ],
      [
        'submit',
        {
          verificationId: 'required',
          status: 'required',
          verifiedAge: 'optional',
          reason: 'optional',
        } satisfies Fields<SubmitOutcomeInput & { verificationId: string }>,
        requestBody('/verify/submit', 'post'),
      ],
      [
        'create endpoint',
        {
          url: 'required',
          events: 'optional',
          enabled: 'optional',
          // The schema says "optional, may be null"; Fields reads `string | null` as nullable.
          description: 'optional|null',
        } satisfies Fields<CreateWebhookEndpointInput>,
        requestBody('/webhooks/endpoints', 'post'),
      ],
    ]
    const deliveryQuery = doc.paths['/webhooks/deliveries']?.get?.parameters ?? []
    pairs.push([
      'list deliveries',
      {
        endpointId: 'optional',
        verificationId: 'optional',
        status: 'optional',
        limit: 'optional',
      } satisfies Fields<ListDeliveriesQuery>,
      {
        properties: Object.fromEntries(deliveryQuery.map((p) => [p.name, {}])),
        required: deliveryQuery.filter((p) => p.required === true).map((p) => p.name),
      },
    ])
    for (const [name, sdk, schema] of pairs) {
      const server = describeSchema(schema)
      for (const [field, presence] of Object.entries(sdk)) {
        expect(`${name}.${field}: ${server[field] ?? 'absent'}`).toBe(
          `${name}.${field}: ${presence}`,
        )
      }
      // Nothing the server requires is missing from the SDK's input.
      for (const [field, presence] of Object.entries(server)) {
        if (presence.startsWith('required'))
          expect(sdk, `${name} needs ${field}`).toHaveProperty(field)
      }
    }
  })

  it('enumerations: statuses, types, mock behaviours, methods, feedback, token reasons, event types', () => {
    const statuses: Members<VerificationStatus> = {
      pending: true,
      in_progress: true,
      processing: true,
      approved: true,
      rejected: true,
      review: true,
      expired: true,
      abandoned: true,
      failed: true,
    }
    const types: Members<VerificationType> = {
      age_only: true,
      full_verification: true,
      age_estimation: true,
    }
    const mocks: Members<MockBehavior> = {
      approve: true,
      reject_underage: true,
      reject_expired: true,
      document_unreadable: true,
      face_mismatch: true,
      review: true,
    }
    const methods: Members<AttestationMethod> = {
      document: true,
      'document+face': true,
      age_estimation: true,
      tenant_attested: true,
      manual_review: true,
      mock: true,
    }
    const feedback: Members<ImageFeedback> = {
      ok: true,
      blurry: true,
      glare: true,
      too_dark: true,
      too_small: true,
      no_document: true,
      mrz_unreadable: true,
      barcode_unreadable: true,
      try_again: true,
      no_face: true,
      multiple_faces: true,
      face_too_small: true,
      face_cut_off: true,
    }
    const reasons: Members<TokenInvalidReason> = {
      TOKEN_NOT_FOUND: true,
      TOKEN_EXPIRED: true,
      TOKEN_INVALID: true,
      TENANT_MISMATCH: true,
      LIVEMODE_MISMATCH: true,
      TOKEN_REVOKED: true,
    }
    const eventTypes: Members<WebhookEventType | '*'> = {
      'verification.started': true,
      'verification.completed': true,
      'verification.failed': true,
      'verification.expired': true,
      'verification.abandoned': true,
      'verification.deleted': true,
      '*': true,
    }
    const deliveryStatuses: Members<WebhookDeliveryStatus> = {
      pending: true,
      delivered: true,
      failed: true,
      cancelled: true,
    }
    const checks: [Record<string, true>, JsonSchema][] = [
      [statuses, property(answer('/verify/status', 'get'), 'status')],
      [types, property(answer('/verify/status', 'get'), 'verificationType')],
      [mocks, property(requestBody('/verify/start', 'post'), 'mockBehavior')],
      [methods, property(property(answer('/verify/status', 'get'), 'result'), 'method')],
      [feedback, property(answer('/verify/images', 'post'), 'feedback')],
      [reasons, property(answer('/tokens/validate', 'post'), 'reason')],
      [eventTypes, property(requestBody('/webhooks/endpoints', 'post'), 'events').items!],
      [
        deliveryStatuses,
        property(property(answer('/webhooks/deliveries', 'get'), 'data').items!, 'status'),
      ],
    ]
    for (const [sdk, schema] of checks) {
      expect(Object.keys(sdk).sort()).toEqual(valuesOf(schema))
    }
  })
})
