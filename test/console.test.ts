// The console over HTTP on SQLite and PostgreSQL: sign-in (users and operator), sessions and
// CSRF, roles (a viewer sees no personal data), the review decision, and tenant isolation checked
// for every console route with another tenant's session.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import {
  TEST_ADMIN_KEY,
  admin,
  createKey,
  createTenant,
  dialects,
  eventually,
  startTestApp,
  startWebhookReceiver,
} from './helpers.ts'
import { startWorker } from '../src/jobs/worker.ts'
import { newId } from '../src/domain/ids.ts'
import { insertImage } from '../src/store/images.ts'
import { insertDeliveries } from '../src/store/webhooks.ts'
import { CONSOLE_ROUTES } from '../src/console/route-list.ts'
import type { ConsoleRoute } from '../src/console/route-list.ts'
import type { TestApp } from './helpers.ts'

const PASSWORD = 'correct horse battery staple'

interface Session {
  cookie: string
  csrf: string
}

async function createUser(
  app: FastifyInstance,
  tenantId: string,
  role: string,
  email = `${role}-${Math.random().toString(36).slice(2)}@example.test`,
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: `/admin/tenants/${tenantId}/console-users`,
    headers: admin,
    payload: { email, role, password: PASSWORD },
  })
  expect(res.statusCode, res.body).toBe(201)
  return email
}

/** The sign-in form's token and cookie. */
async function signInForm(app: FastifyInstance): Promise<{ form: string; cookie: string }> {
  const page = await app.inject({ method: 'GET', url: '/console/sign-in' })
  expect(page.statusCode).toBe(200)
  const form = /name="_form" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  const cookie = String(page.headers['set-cookie']).split(';')[0] ?? ''
  return { form, cookie }
}

async function signIn(
  app: FastifyInstance,
  fields: Record<string, string>,
  url = '/console/sign-in',
): Promise<Session> {
  const { form, cookie } = await signInForm(app)
  const res = await app.inject({
    method: 'POST',
    url,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _form: form, ...fields }).toString(),
  })
  expect(res.statusCode, res.body).toBe(303)
  const session = String(res.headers['set-cookie']).split(';')[0] ?? ''
  const page = await app.inject({
    method: 'GET',
    url: '/console/account',
    headers: { cookie: session },
  })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  return { cookie: session, csrf }
}

function post(app: FastifyInstance, s: Session, url: string, fields: Record<string, string>) {
  return app.inject({
    method: 'POST',
    url,
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
  })
}

/** A test-mode verification decided `review` by its mock behaviour. */
async function reviewVerification(app: FastifyInstance, testKey: string): Promise<string> {
  const started = await app.inject({
    method: 'POST',
    url: '/verify/start',
    headers: { 'x-tenant-api-key': testKey },
    payload: { mockBehavior: 'review', externalId: 'order-42' },
  })
  expect(started.statusCode, started.body).toBe(200)
  const id = started.json<{ verificationId: string }>().verificationId
  const done = await app.inject({
    method: 'POST',
    url: '/verify/complete',
    headers: { 'x-tenant-api-key': testKey },
    payload: { verificationId: id },
  })
  expect(done.statusCode, done.body).toBe(200)
  return id
}

describe.each(dialects())('console on %s', (dialect) => {
  let t: TestApp
  let app: FastifyInstance
  const a = {
    id: '',
    testKey: '',
    verificationId: '',
    owner: '',
    developer: '',
    reviewer: '',
    viewer: '',
  }
  const b = { id: '', testKey: '', keyId: '', verificationId: '', owner: '' }

  beforeAll(async () => {
    t = await startTestApp(dialect)
    app = t.app
    for (const x of [a, b]) {
      const tenant = await createTenant(app)
      x.id = tenant.id
      const key = await createKey(app, tenant.id, 'test')
      x.testKey = key.key
      if (x === b) b.keyId = key.keyId
      x.verificationId = await reviewVerification(app, x.testKey)
      x.owner = await createUser(app, tenant.id, 'owner')
    }
    a.reviewer = await createUser(app, a.id, 'reviewer')
    a.developer = await createUser(app, a.id, 'developer')
    a.viewer = await createUser(app, a.id, 'viewer')
    // The document fields Loom would have read, sealed as the engine's processing seals them.
    const person = {
      person: { lastName: 'ERIKSSON', firstName: 'ANNA', dateOfBirth: '1990-01-02' },
      document: { number: 'L898902C3', issuer: 'UTO', expiryDate: '2030-01-01' },
      documentType: 'passport',
      source: 'mrz',
      checks: [{ name: 'face_match', outcome: 'review', detail: 'similarity 0.41' }],
    }
    await t.deps.store.db
      .updateTable('verifications')
      .set({
        personSealed: t.deps.sealer.seal(JSON.stringify(person), `person:${a.verificationId}`),
      })
      .where('id', '=', a.verificationId)
      .execute()
  }, 60_000)
  afterAll(async () => t?.close())

  it('sends a visitor without a session to sign-in, and serves pages with a strict CSP', async () => {
    const res = await app.inject({ method: 'GET', url: '/console/verifications' })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toBe('/console/sign-in')
    const page = await app.inject({ method: 'GET', url: '/console/sign-in?lang=fr' })
    expect(page.headers['content-security-policy']).toContain("default-src 'none'")
    expect(page.headers['content-security-policy']).not.toContain('unsafe-inline')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.body).toContain('<html lang="fr">')
    expect(page.body).toContain('Se connecter')
    expect(page.body).not.toMatch(/<script|style=/)
  })

  it('refuses a wrong password, a missing form token, and counts failures', async () => {
    const { form, cookie } = await signInForm(app)
    const wrong = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _form: form, email: a.owner, password: 'nope' }).toString(),
    })
    expect(wrong.statusCode).toBe(401)
    expect(wrong.headers['set-cookie']).not.toMatch(/loom_console=/)
    const forged = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email: a.owner, password: PASSWORD }).toString(),
    })
    expect(forged.statusCode).toBe(403)
  })

  it('sets a HttpOnly, SameSite=Strict session cookie, and Secure behind TLS', async () => {
    const { form, cookie } = await signInForm(app)
    const res = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: {
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-proto': 'https',
      },
      payload: new URLSearchParams({ _form: form, email: a.owner, password: PASSWORD }).toString(),
    })
    expect(res.statusCode).toBe(303)
    const set = String(res.headers['set-cookie'])
    expect(set).toMatch(
      /^loom_console=[A-Za-z0-9_-]{43}; Path=\/console; HttpOnly; SameSite=Strict/,
    )
    // The test app trusts no proxy: the request came over plain HTTP, so Secure is not set.
    expect(set).not.toContain('Secure')
  })

  it('signs the operator in with the admin key only', async () => {
    const op = await signIn(app, { adminKey: TEST_ADMIN_KEY }, '/console/operator/sign-in')
    const tenants = await app.inject({
      method: 'GET',
      url: '/console/operator/tenants',
      headers: { cookie: op.cookie },
    })
    expect(tenants.statusCode).toBe(200)
    expect(tenants.body).toContain(a.id)
    expect(tenants.body).toContain(b.id)
    const { form, cookie } = await signInForm(app)
    const wrong = await app.inject({
      method: 'POST',
      url: '/console/operator/sign-in',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _form: form, adminKey: 'guess' }).toString(),
    })
    expect(wrong.statusCode).toBe(401)
    // A tenant user is not the operator.
    const owner = await signIn(app, { email: a.owner, password: PASSWORD })
    const refused = await app.inject({
      method: 'GET',
      url: '/console/operator/tenants',
      headers: { cookie: owner.cookie },
    })
    expect(refused.statusCode).toBe(303)
  })

  it('shows a viewer the verification without personal fields or images', async () => {
    const viewer = await signIn(app, { email: a.viewer, password: PASSWORD })
    const page = await app.inject({
      method: 'GET',
      url: `/console/verifications/${a.verificationId}`,
      headers: { cookie: viewer.cookie },
    })
    expect(page.statusCode).toBe(200)
    expect(page.body).toContain('face_match')
    expect(page.body).not.toContain('ERIKSSON')
    expect(page.body).not.toContain('L898902C3')
    expect(page.body).toContain('Your role does not show personal data.')
    expect(page.body).not.toContain('/decision')
    const decide = await post(app, viewer, `/console/verifications/${a.verificationId}/decision`, {
      status: 'approved',
      reason: 'manual_check_passed',
    })
    expect(decide.statusCode).toBe(403)
  })

  it('shows a reviewer the fields read and writes the view to the audit log', async () => {
    const reviewer = await signIn(app, { email: a.reviewer, password: PASSWORD })
    const page = await app.inject({
      method: 'GET',
      url: `/console/verifications/${a.verificationId}`,
      headers: { cookie: reviewer.cookie },
    })
    expect(page.body).toContain('ERIKSSON')
    expect(page.body).toContain('verification.personal_data_viewed')
    const rows = await t.deps.store.db
      .selectFrom('consoleAudit')
      .selectAll()
      .where('verificationId', '=', a.verificationId)
      .execute()
    expect(rows.some((r) => r.action === 'verification.personal_data_viewed')).toBe(true)
  })

  it('lists and filters verifications, and refuses bad filters with a 400', async () => {
    const owner = await signIn(app, { email: a.owner, password: PASSWORD })
    const get = (url: string) =>
      app.inject({ method: 'GET', url, headers: { cookie: owner.cookie } })
    const all = await get('/console/verifications?status=review&externalId=order-42')
    expect(all.statusCode).toBe(200)
    expect(all.body).toContain(a.verificationId)
    expect(all.body).not.toContain(b.verificationId)
    const none = await get('/console/verifications?status=approved')
    expect(none.body).not.toContain(a.verificationId)
    const byReason = await get('/console/verifications?reason=low_confidence')
    expect(byReason.body).toContain(a.verificationId)
    expect((await get('/console/verifications?status=bogus')).statusCode).toBe(400)
    expect((await get('/console/verifications?from=yesterday')).statusCode).toBe(400)
    expect((await get('/console/verifications?after=%%%')).statusCode).toBe(400)
    const queue = await get('/console/review')
    expect(queue.body).toContain(a.verificationId)
  })

  it('refuses a form without the CSRF token', async () => {
    const reviewer = await signIn(app, { email: a.reviewer, password: PASSWORD })
    const res = await post(
      app,
      { ...reviewer, csrf: 'forged' },
      `/console/verifications/${a.verificationId}/decision`,
      {
        status: 'approved',
        reason: 'manual_check_passed',
      },
    )
    expect(res.statusCode).toBe(403)
  })

  it('reaches nothing of another tenant on any console route, GET and POST, with its ids', async () => {
    // Tenant B's things: an endpoint with a real receiver, a delivered delivery, an image.
    const receiver = await startWebhookReceiver()
    try {
      const endpoint = await app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': b.testKey },
        payload: { url: `${receiver.url}/tenant-b` },
      })
      expect(endpoint.statusCode, endpoint.body).toBe(201)
      const endpointId = endpoint.json<{ id: string }>().id
      const now = new Date().toISOString()
      const [delivery] = await insertDeliveries(
        t.deps.store.db,
        b.id,
        [
          {
            eventId: newId('evt'),
            eventType: 'verification.completed',
            verificationId: b.verificationId,
            endpointId,
            url: `${receiver.url}/tenant-b`,
          },
        ],
        now,
      )
      await t.deps.store.db
        .updateTable('webhookDeliveries')
        .set({ status: 'delivered', attempts: 1, lastStatusCode: 200 })
        .where('id', '=', delivery!.id)
        .execute()
      const imageId = newId('img')
      const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4])
      await t.deps.blobs.put(`image-${imageId}`, jpeg)
      await insertImage(t.deps.store.db, {
        id: imageId,
        tenantId: b.id,
        verificationId: b.verificationId,
        kind: 'document_front',
        contentType: 'image/jpeg',
        byteSize: jpeg.length,
        width: null,
        height: null,
        blobKey: `image-${imageId}`,
        feedback: '',
        readOk: 0,
        readDocumentType: null,
        readSealed: null,
        createdAt: now,
        purgedAt: null,
      })
      // B's own owner reaches the image: the refusals below are about the tenant, not the id.
      const bOwner = await signIn(app, { email: b.owner, password: PASSWORD })
      const own = await app.inject({
        method: 'GET',
        url: `/console/verifications/${b.verificationId}/images/${imageId}`,
        headers: { cookie: bOwner.cookie },
      })
      expect(own.statusCode).toBe(200)

      const theirs = [b.id, b.owner, b.verificationId, b.keyId, endpointId, delivery!.id, imageId]
      const ok = [200]
      interface Case {
        url: string
        fields?: Record<string, string>
        expect: number[]
        /** Runs with a session of its own (the sign-outs end theirs). */
        fresh?: boolean
      }
      // Keyed by every route, so a route added without a case here does not compile.
      const cases: Record<ConsoleRoute, Case> = {
        'GET /console': { url: '/console', expect: [303] },
        'GET /console/static/console.css': { url: '/console/static/console.css', expect: ok },
        'GET /console/sign-in': { url: '/console/sign-in', expect: ok },
        'POST /console/sign-in': {
          url: '/console/sign-in',
          fields: { email: b.owner, password: PASSWORD },
          expect: [403],
        },
        'POST /console/operator/sign-in': { url: '/console/operator/sign-in', expect: [403] },
        'POST /console/sign-out': { url: '/console/sign-out', expect: [303], fresh: true },
        'POST /console/sign-out-everywhere': {
          url: '/console/sign-out-everywhere',
          expect: [303],
          fresh: true,
        },
        // The invitation token is itself the credential (no session needed); an unknown one is a 404.
        'GET /console/invite/:token': { url: '/console/invite/not-a-token', expect: [404] },
        'POST /console/invite/:token': {
          url: '/console/invite/not-a-token',
          fields: { password: PASSWORD },
          expect: [404],
        },
        'GET /console/verifications': {
          url: `/console/verifications?externalId=order-42`,
          expect: ok,
        },
        'GET /console/review': { url: '/console/review', expect: ok },
        'GET /console/verifications/:id': {
          url: `/console/verifications/${b.verificationId}`,
          expect: [404],
        },
        'POST /console/verifications/:id/decision': {
          url: `/console/verifications/${b.verificationId}/decision`,
          fields: { status: 'approved', reason: 'manual_check_passed' },
          expect: [404],
        },
        'GET /console/verifications/:id/images/:imageId': {
          url: `/console/verifications/${b.verificationId}/images/${imageId}`,
          expect: [404],
        },
        'GET /console/usage': { url: '/console/usage', expect: ok },
        'GET /console/workflows': { url: '/console/workflows', expect: ok },
        'GET /console/branding': { url: '/console/branding', expect: ok },
        'GET /console/keys': { url: '/console/keys', expect: ok },
        'POST /console/keys': { url: '/console/keys', fields: { mode: 'test' }, expect: [201] },
        'POST /console/keys/:id/roll': { url: `/console/keys/${b.keyId}/roll`, expect: [404] },
        'GET /console/keys/:id/revoke': { url: `/console/keys/${b.keyId}/revoke`, expect: [404] },
        'POST /console/keys/:id/revoke': { url: `/console/keys/${b.keyId}/revoke`, expect: [404] },
        'GET /console/webhooks': { url: '/console/webhooks', expect: ok },
        'GET /console/webhooks/:id': { url: `/console/webhooks/${endpointId}`, expect: [404] },
        'POST /console/webhooks/:id/test': {
          url: `/console/webhooks/${endpointId}/test`,
          expect: [404],
        },
        'POST /console/webhooks/deliveries/:id/resend': {
          url: `/console/webhooks/deliveries/${delivery!.id}/resend`,
          fields: { mode: 'test' },
          expect: [404],
        },
        'GET /console/users': { url: '/console/users', expect: ok },
        'POST /console/users': { url: '/console/users', fields: {}, expect: [400] },
        'GET /console/account': { url: '/console/account', expect: ok },
        'POST /console/account/totp': {
          url: '/console/account/totp',
          fields: { secret: 'x', code: '1' },
          expect: [400],
        },
        'GET /console/operator/tenants': { url: '/console/operator/tenants', expect: [303] },
      }
      // The list holds only registered routes (the console refuses to start with one missing).
      for (const route of CONSOLE_ROUTES) {
        const [method, url] = route.split(' ') as ['GET' | 'POST', string]
        expect(app.hasRoute({ method, url }), route).toBe(true)
      }
      const owner = await signIn(app, { email: a.owner, password: PASSWORD })
      // A's own verification with B's image is refused too.
      const mixed = await app.inject({
        method: 'GET',
        url: `/console/verifications/${a.verificationId}/images/${imageId}`,
        headers: { cookie: owner.cookie },
      })
      expect(mixed.statusCode).toBe(404)
      const order = [...CONSOLE_ROUTES].sort(
        (x, y) => Number(cases[x].fresh ?? false) - Number(cases[y].fresh ?? false),
      )
      for (const route of order) {
        const c = cases[route]
        const s = c.fresh ? await signIn(app, { email: a.owner, password: PASSWORD }) : owner
        const res = route.startsWith('GET ')
          ? await app.inject({ method: 'GET', url: c.url, headers: { cookie: s.cookie } })
          : await post(app, s, c.url, c.fields ?? {})
        expect(c.expect, `${route} answered ${res.statusCode}`).toContain(res.statusCode)
        // The page's own address (in its language links) may echo the id asked for; nothing else.
        const shown = res.body.split(c.url.split('?')[0]!).join('')
        for (const id of theirs) expect(shown, `${route} shows ${id}`).not.toContain(id)
      }
      // B's things are untouched: its key works, its delivery was not queued again, its
      // receiver got nothing, its verification still waits.
      const keyStill = await app.inject({
        method: 'GET',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': b.testKey },
      })
      expect(keyStill.statusCode).toBe(200)
      const row = await t.deps.store.db
        .selectFrom('webhookDeliveries')
        .select(['status', 'attempts'])
        .where('id', '=', delivery!.id)
        .executeTakeFirstOrThrow()
      expect(row).toEqual({ status: 'delivered', attempts: 1 })
      expect(receiver.received).toHaveLength(0)
      const still = await app.inject({
        method: 'GET',
        url: `/verify/status?verificationId=${b.verificationId}`,
        headers: { 'x-tenant-api-key': b.testKey },
      })
      expect(still.json<{ status: string }>().status).toBe('review')
    } finally {
      await receiver.close()
    }
  })

  it('records a reviewer’s approval through the decision service, with method manual_review', async () => {
    const reviewer = await signIn(app, { email: a.reviewer, password: PASSWORD })
    const bad = await post(app, reviewer, `/console/verifications/${a.verificationId}/decision`, {
      status: 'approved',
      reason: 'face_mismatch',
    })
    expect(bad.headers.location).toContain('problem=reason_invalid')
    const res = await post(app, reviewer, `/console/verifications/${a.verificationId}/decision`, {
      status: 'approved',
      reason: 'manual_check_passed',
      note: 'Portrait checked against the selfie by hand',
    })
    expect(res.statusCode).toBe(303)
    expect(res.headers.location).toContain('decided=1')
    const status = await app.inject({
      method: 'GET',
      url: `/verify/status?verificationId=${a.verificationId}`,
      headers: { 'x-tenant-api-key': a.testKey },
    })
    const body = status.json<{ status: string; token?: string; result?: { method?: string } }>()
    expect(body.status).toBe('approved')
    expect(JSON.stringify(body)).toContain('manual_review')
    const again = await post(app, reviewer, `/console/verifications/${a.verificationId}/decision`, {
      status: 'rejected',
      reason: 'face_mismatch',
    })
    expect(again.headers.location).toContain('problem=not_in_review')
    const events = await t.deps.store.db
      .selectFrom('verificationEvents')
      .select(['type', 'payload'])
      .where('verificationId', '=', a.verificationId)
      .execute()
    const completed = events.filter((e) => e.type === 'verification.completed').at(-1)
    expect(completed?.payload).toContain('manual_review')
    expect(completed?.payload).not.toContain('Portrait checked')
  })

  it('creates, rolls and revokes API keys: each secret shown once, and the native API agrees', async () => {
    const developer = await signIn(app, { email: a.developer, password: PASSWORD })
    const native = (key: string) =>
      app.inject({
        method: 'GET',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': key },
      })
    const keyIdOf = async (secret: string) => {
      const res = await app.inject({
        method: 'GET',
        url: `/admin/tenants/${a.id}/keys`,
        headers: admin,
      })
      const found = res
        .json<{ id: string; prefix: string }[]>()
        .find((k) => k.prefix === secret.slice(0, 14))
      expect(found).toBeDefined()
      return found!.id
    }
    const created = await post(app, developer, '/console/keys', { mode: 'test', name: 'checkout' })
    expect(created.statusCode, created.body).toBe(201)
    const secret = /loom_test_[A-Za-z0-9_-]{43}/.exec(created.body)?.[0] ?? ''
    expect(secret).not.toBe('')
    expect((await native(secret)).statusCode).toBe(200)
    const live = await post(app, developer, '/console/keys', { mode: 'live' })
    expect(live.statusCode).toBe(201)
    expect(live.body).toMatch(/loom_live_[A-Za-z0-9_-]{43}/)
    // Shown once: the list never shows it again, only its prefix.
    const list = await app.inject({
      method: 'GET',
      url: '/console/keys',
      headers: { cookie: developer.cookie },
    })
    expect(list.body).toContain(secret.slice(0, 14))
    expect(list.body).not.toContain(secret)
    expect((await post(app, developer, '/console/keys', { mode: 'gold' })).statusCode).toBe(400)

    const id = await keyIdOf(secret)
    const rolled = await post(app, developer, `/console/keys/${id}/roll`, {})
    expect(rolled.statusCode, rolled.body).toBe(201)
    const next = /loom_test_[A-Za-z0-9_-]{43}/.exec(rolled.body)?.[0] ?? ''
    expect(next).not.toBe('')
    expect(next).not.toBe(secret)
    expect((await native(secret)).statusCode).toBe(401)
    expect((await native(next)).statusCode).toBe(200)
    expect((await post(app, developer, `/console/keys/${id}/roll`, {})).statusCode).toBe(404)

    const nextId = await keyIdOf(next)
    const confirm = await app.inject({
      method: 'GET',
      url: `/console/keys/${nextId}/revoke`,
      headers: { cookie: developer.cookie },
    })
    expect(confirm.statusCode).toBe(200)
    expect(confirm.body).toContain(`action="/console/keys/${nextId}/revoke"`)
    const revoked = await post(app, developer, `/console/keys/${nextId}/revoke`, {})
    expect(revoked.statusCode).toBe(303)
    expect((await native(next)).statusCode).toBe(401)
    expect((await post(app, developer, `/console/keys/${nextId}/revoke`, {})).statusCode).toBe(404)
  })

  it('shows reviewers and viewers the keys without forms, and refuses their key forms with a 403', async () => {
    const owner = await signIn(app, { email: a.owner, password: PASSWORD })
    const created = await post(app, owner, '/console/keys', { mode: 'test', name: 'kept' })
    const secret = /loom_test_[A-Za-z0-9_-]{43}/.exec(created.body)?.[0] ?? ''
    const keys = await app.inject({
      method: 'GET',
      url: `/admin/tenants/${a.id}/keys`,
      headers: admin,
    })
    const id = keys
      .json<{ id: string; prefix: string }[]>()
      .find((k) => k.prefix === secret.slice(0, 14))!.id
    for (const email of [a.reviewer, a.viewer]) {
      const s = await signIn(app, { email, password: PASSWORD })
      const page = await app.inject({
        method: 'GET',
        url: '/console/keys',
        headers: { cookie: s.cookie },
      })
      expect(page.statusCode).toBe(200)
      expect(page.body).toContain(secret.slice(0, 14))
      expect(page.body).not.toContain('action="/console/keys')
      expect((await post(app, s, '/console/keys', { mode: 'live' })).statusCode).toBe(403)
      expect((await post(app, s, `/console/keys/${id}/roll`, {})).statusCode).toBe(403)
      expect((await post(app, s, `/console/keys/${id}/revoke`, {})).statusCode).toBe(403)
      const confirm = await app.inject({
        method: 'GET',
        url: `/console/keys/${id}/revoke`,
        headers: { cookie: s.cookie },
      })
      expect(confirm.statusCode).toBe(403)
    }
    const still = await app.inject({
      method: 'GET',
      url: '/webhooks/endpoints',
      headers: { 'x-tenant-api-key': secret },
    })
    expect(still.statusCode).toBe(200)
  })

  it('shows an endpoint’s delivery log, sends a test event and resends a delivery to a real receiver', async () => {
    const receiver = await startWebhookReceiver()
    const worker = startWorker(t.deps, { maintenance: false })
    try {
      const endpoint = await app.inject({
        method: 'POST',
        url: '/webhooks/endpoints',
        headers: { 'x-tenant-api-key': a.testKey },
        payload: { url: `${receiver.url}/console-hooks` },
      })
      expect(endpoint.statusCode, endpoint.body).toBe(201)
      const endpointId = endpoint.json<{ id: string }>().id
      const verificationId = await reviewVerification(app, a.testKey)
      const first = await eventually(async () =>
        receiver
          .at('/console-hooks')
          .find(
            (r) => r.body.includes(verificationId) && r.body.includes('"verification.completed"'),
          ),
      )
      const developer = await signIn(app, { email: a.developer, password: PASSWORD })
      const pageOf = () =>
        app.inject({
          method: 'GET',
          url: `/console/webhooks/${endpointId}`,
          headers: { cookie: developer.cookie },
        })
      const delivered = await eventually(async () => {
        const page = await pageOf()
        return /<td>delivered<\/td>/.test(page.body) ? page : undefined
      })
      expect(delivered.statusCode).toBe(200)
      expect(delivered.body).toContain('verification.completed')
      expect(delivered.body).toContain(verificationId)
      expect(delivered.body).toContain('<td>200</td>')
      // Status, attempts and codes only: nothing of the payload (the external id is in it).
      expect(delivered.body).not.toContain('order-42')
      const deliveryIds = [
        ...delivered.body.matchAll(/webhooks\/deliveries\/(del_[A-Za-z0-9_-]+)\/resend/g),
      ]
      expect(deliveryIds.length).toBeGreaterThan(0)
      const rows = await t.deps.store.db
        .selectFrom('webhookDeliveries')
        .select(['id', 'eventType'])
        .where('endpointId', '=', endpointId)
        .where('verificationId', '=', verificationId)
        .execute()
      const completed = rows.find((r) => r.eventType === 'verification.completed')!

      const before = receiver.at('/console-hooks').length
      const resent = await post(
        app,
        developer,
        `/console/webhooks/deliveries/${completed.id}/resend`,
        {
          mode: 'test',
        },
      )
      expect(resent.statusCode, resent.body).toBe(303)
      expect(resent.headers.location).toBe(`/console/webhooks/${endpointId}?resent=1`)
      const again = await eventually(async () =>
        receiver
          .at('/console-hooks')
          .slice(before)
          .find((r) => r.headers['webhook-id'] === first.headers['webhook-id']),
      )
      expect(again.body).toContain(verificationId)
      const wrongMode = await post(
        app,
        developer,
        `/console/webhooks/deliveries/${completed.id}/resend`,
        {
          mode: 'live',
        },
      )
      expect(wrongMode.statusCode).toBe(404)
      const noMode = await post(
        app,
        developer,
        `/console/webhooks/deliveries/${completed.id}/resend`,
        {},
      )
      expect(noMode.statusCode).toBe(400)

      const tested = await post(app, developer, `/console/webhooks/${endpointId}/test`, {
        type: 'verification.expired',
      })
      expect(tested.statusCode, tested.body).toBe(200)
      expect(tested.body).toContain('The receiver accepted the test event.')
      const example = await eventually(async () =>
        receiver.at('/console-hooks').find((r) => r.body.includes('"verification.expired"')),
      )
      expect(JSON.parse(example.body)).toMatchObject({ mode: 'test', data: { test: true } })
      expect(
        (await post(app, developer, `/console/webhooks/${endpointId}/test`, { type: 'bogus' }))
          .statusCode,
      ).toBe(400)

      const reviewer = await signIn(app, { email: a.reviewer, password: PASSWORD })
      expect(
        (await post(app, reviewer, `/console/webhooks/${endpointId}/test`, {})).statusCode,
      ).toBe(403)
      expect(
        (
          await post(app, reviewer, `/console/webhooks/deliveries/${completed.id}/resend`, {
            mode: 'test',
          })
        ).statusCode,
      ).toBe(403)
    } finally {
      await worker.stop()
      await receiver.close()
    }
  })

  it('signs out everywhere: every session of the user ends', async () => {
    const one = await signIn(app, { email: a.viewer, password: PASSWORD })
    const two = await signIn(app, { email: a.viewer, password: PASSWORD })
    const res = await post(app, one, '/console/sign-out-everywhere', {})
    expect(res.statusCode).toBe(303)
    for (const s of [one, two]) {
      const page = await app.inject({
        method: 'GET',
        url: '/console/verifications',
        headers: { cookie: s.cookie },
      })
      expect(page.statusCode).toBe(303)
    }
  })

  it('invites a user by link; the link sets a password once', async () => {
    const owner = await signIn(app, { email: a.owner, password: PASSWORD })
    const email = `invited-${Math.random().toString(36).slice(2)}@example.test`
    const res = await post(app, owner, '/console/users', { email, role: 'reviewer' })
    expect(res.statusCode).toBe(201)
    const link = /https:\/\/loom\.test(\/console\/invite\/[A-Za-z0-9_-]+)/.exec(res.body)?.[1]
    expect(link).toBeDefined()
    const accept = await app.inject({
      method: 'POST',
      url: link!,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ password: PASSWORD }).toString(),
    })
    expect(accept.statusCode).toBe(200)
    const reused = await app.inject({ method: 'GET', url: link! })
    expect(reused.statusCode).toBe(404)
    await signIn(app, { email, password: PASSWORD })
  })
})
