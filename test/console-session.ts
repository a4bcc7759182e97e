// Shared by the console's HTTP test files: users, sign-in with the form token, forms with the
// session's CSRF token, and two tenants seeded with users, keys and a verification in review.
import { expect } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { admin, createKey, createTenant } from './helpers.ts'
import type { TestApp } from './helpers.ts'

export const PASSWORD = 'correct horse battery staple'

export interface Session {
  cookie: string
  csrf: string
}

export async function createUser(
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
export async function signInForm(app: FastifyInstance): Promise<{ form: string; cookie: string }> {
  const page = await app.inject({ method: 'GET', url: '/console/sign-in' })
  expect(page.statusCode).toBe(200)
  const form = /name="_form" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  const cookie = String(page.headers['set-cookie']).split(';')[0] ?? ''
  return { form, cookie }
}

export async function signIn(
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

export function post(
  app: FastifyInstance,
  s: Session,
  url: string,
  fields: Record<string, string>,
) {
  return app.inject({
    method: 'POST',
    url,
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
  })
}

/** A test-mode verification decided `review` by its mock behaviour. */
export async function reviewVerification(app: FastifyInstance, testKey: string): Promise<string> {
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

/** Tenant A (owner, developer, reviewer, viewer; its verification has sealed fields) and B. */
export async function seedTenants(t: TestApp) {
  const app = t.app
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
  return { a, b }
}
