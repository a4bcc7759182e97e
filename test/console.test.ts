// The console over HTTP on SQLite and PostgreSQL: sign-in (users and operator), sessions and
// CSRF, roles (a viewer sees no personal data), the review decision and invitations.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { TEST_ADMIN_KEY, dialects, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { PASSWORD, post, seedTenants, signIn, signInForm } from './console-session.ts'

describe.each(dialects())('console on %s', (dialect) => {
  let t: TestApp
  let app: FastifyInstance
  let a: Awaited<ReturnType<typeof seedTenants>>['a']
  let b: Awaited<ReturnType<typeof seedTenants>>['b']

  beforeAll(async () => {
    t = await startTestApp(dialect)
    app = t.app
    ;({ a, b } = await seedTenants(t))
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

  it('shows the operator the instance and the request log, filtered, and refuses bad filters', async () => {
    const op = await signIn(app, { adminKey: TEST_ADMIN_KEY }, '/console/operator/sign-in')
    const refused = await app.inject({
      method: 'GET',
      url: '/verify/status?verificationId=ver_x',
      headers: { 'x-tenant-api-key': 'loom_test_not_a_key' },
    })
    expect(refused.statusCode).toBe(401)
    const get = (url: string) => app.inject({ method: 'GET', url, headers: { cookie: op.cookie } })
    const tenants = await get('/console/operator/tenants')
    expect(tenants.body).toContain('Database')
    // This process's own metrics: the 401 above is among the requests answered.
    expect(tenants.body).toMatch(/Requests answered<\/dt><dd>[^<]*4xx [1-9]/)
    expect(tenants.body).toMatch(/Memory \(resident\)<\/dt><dd>\d+ MiB/)
    const all = await get('/console/operator/logs?status=401')
    expect(all.statusCode).toBe(200)
    expect(all.body).toContain('GET /verify/status')
    expect(all.body).not.toContain('ver_x')
    const other = await get(`/console/operator/logs?tenant=${b.id}&status=401`)
    expect(other.statusCode).toBe(200)
    expect(other.body).not.toContain('GET /verify/status')
    for (const bad of ['status=99', 'status=abc', 'tenant=%27%3B--']) {
      expect((await get(`/console/operator/logs?${bad}`)).statusCode, bad).toBe(400)
    }
    const owner = await signIn(app, { email: a.owner, password: PASSWORD })
    const asOwner = await app.inject({
      method: 'GET',
      url: '/console/operator/logs',
      headers: { cookie: owner.cookie },
    })
    expect(asOwner.statusCode).toBe(303)
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

  it('lets one email belong to several tenants without telling one tenant about another', async () => {
    const owner = await signIn(app, { email: a.owner, password: PASSWORD })
    // b's owner, invited by a: an invitation like any other, no word of b's account.
    const invited = await post(app, owner, '/console/users', { email: b.owner, role: 'viewer' })
    expect(invited.statusCode, invited.body).toBe(201)
    expect(invited.body).not.toContain('already has')
    const again = await post(app, owner, '/console/users', { email: b.owner, role: 'viewer' })
    expect(again.statusCode).toBe(400)
    expect(again.body).toContain('already has an account in this organisation')
    const link = /https:\/\/loom\.test(\/console\/invite\/[A-Za-z0-9_-]+)/.exec(invited.body)?.[1]
    const other = 'another horse battery staple'
    const accept = await app.inject({
      method: 'POST',
      url: link!,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ password: other }).toString(),
    })
    expect(accept.statusCode).toBe(200)
    const sees = async (s: { cookie: string }) => {
      const page = await app.inject({
        method: 'GET',
        url: '/console/verifications',
        headers: { cookie: s.cookie },
      })
      return { a: page.body.includes(a.verificationId), b: page.body.includes(b.verificationId) }
    }
    // Each password opens its own account.
    expect(await sees(await signIn(app, { email: b.owner, password: other }))).toEqual({
      a: true,
      b: false,
    })
    expect(await sees(await signIn(app, { email: b.owner, password: PASSWORD }))).toEqual({
      a: false,
      b: true,
    })
  })

  it('asks which organisation when the password opens accounts in two tenants', async () => {
    const email = `twice-${Math.random().toString(36).slice(2)}@example.test`
    for (const tenantId of [a.id, b.id]) {
      const res = await app.inject({
        method: 'POST',
        url: `/admin/tenants/${tenantId}/console-users`,
        headers: { 'x-admin-key': TEST_ADMIN_KEY },
        payload: { email, role: 'viewer', password: PASSWORD },
      })
      expect(res.statusCode, res.body).toBe(201)
    }
    const { form, cookie } = await signInForm(app)
    const asked = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _form: form, email, password: PASSWORD }).toString(),
    })
    expect(asked.statusCode).toBe(200)
    expect(asked.headers['set-cookie']).not.toMatch(/loom_console=/)
    expect(asked.body).toContain('several organisations')
    expect(asked.body).toContain(`<option value="${a.id}"`)
    expect(asked.body).toContain(`<option value="${b.id}"`)
    expect(asked.body).toContain(`value="${email}"`)
    // A wrong password asks nothing and names no tenant.
    const wrong = await signInForm(app)
    const refused = await app.inject({
      method: 'POST',
      url: '/console/sign-in',
      headers: { cookie: wrong.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _form: wrong.form, email, password: 'nope' }).toString(),
    })
    expect(refused.statusCode).toBe(401)
    expect(refused.body).not.toContain(a.id)
    const chosen = await signIn(app, { email, password: PASSWORD, tenant: b.id })
    const page = await app.inject({
      method: 'GET',
      url: '/console/verifications',
      headers: { cookie: chosen.cookie },
    })
    expect(page.body).toContain(b.verificationId)
    expect(page.body).not.toContain(a.verificationId)
  })
})
