// The hosted page's consent to the face check over HTTP: the page state says which sessions ask
// for it, a selfie from the page is refused until it is recorded and taken after, the record is
// one `consent.biometric` event without personal data, and the consent endpoint answers bad
// links and bodies as the page's other endpoints do. On SQLite and PostgreSQL.
import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  TestClock,
  createTenant,
  dialects,
  errorCode,
  randomAddress,
  startSession,
  startTestApp,
} from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport } from './specimens.ts'
import { EVENT_DISPATCH_JOB } from '../src/store/jobs.ts'

describe.each(dialects())('hosted page: consent to the face check (%s)', (dialect) => {
  let t: TestApp
  const clock = new TestClock()
  let tenant: { id: string; key: string }
  let documentPhoto: Buffer

  beforeAll(async () => {
    t = await startTestApp(dialect, { clock })
    tenant = await createTenant(t.app, { name: 'Acme' })
    documentPhoto = (await passport({ adult: true })).image
  }, 120_000)
  afterAll(async () => t?.close())

  async function start(body: Record<string, unknown> = {}) {
    const { id, path } = await startSession(t.app, tenant.key, body)
    return { id, path, token: path.slice('/s/'.length) }
  }
  const state = (path: string) =>
    t.app.inject({ method: 'GET', url: `${path}/state`, remoteAddress: randomAddress() })
  const consent = (path: string, payload: unknown = { biometric: true }) =>
    t.app.inject({
      method: 'POST',
      url: `${path}/consent`,
      headers: { 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      remoteAddress: randomAddress(),
    })
  const upload = (path: string, kind: string, bytes: Buffer) =>
    t.app.inject({
      method: 'POST',
      url: `${path}/images/${kind}`,
      headers: { 'content-type': 'image/jpeg' },
      payload: bytes,
      remoteAddress: randomAddress(),
    })
  const events = async (id: string) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/verify/events?verificationId=${id}`,
      headers: { 'x-tenant-api-key': tenant.key },
    })
    expect(res.statusCode).toBe(200)
    return res.json<{ events: { id: string; type: string; data: Record<string, unknown> }[] }>()
      .events
  }
  /** Whether a webhook fan-out was queued for the event. */
  const announced = async (eventId: string) => {
    const jobs = await t.deps.store.db
      .selectFrom('jobs')
      .select('payload')
      .where('type', '=', EVENT_DISPATCH_JOB)
      .execute()
    return jobs.some((job) => job.payload.includes(eventId))
  }

  it('tells the page which sessions ask for the face check, and what it is for', async () => {
    const ageOnly = await start()
    expect((await state(ageOnly.path)).json()).toMatchObject({
      faceCheck: null,
      biometricConsent: false,
    })
    const full = await start({ verification_type: 'full_verification' })
    expect((await state(full.path)).json()).toMatchObject({
      faceCheck: 'face_match',
      biometricConsent: false,
    })
    const estimate = await start({ verification_type: 'age_estimation' })
    expect((await state(estimate.path)).json().faceCheck).toBe('age_estimation')
    // An age check whose workflow wants the document's holder too.
    const workflow = await t.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { 'x-api-key': tenant.key },
      payload: { name: 'Age with selfie', verification_type: 'age_only', require_selfie: true },
    })
    expect(workflow.statusCode).toBe(201)
    const withSelfie = await start({ workflow_id: workflow.json().id })
    expect((await state(withSelfie.path)).json().faceCheck).toBe('face_match')
  })

  it('refuses a selfie before the consent, takes it after, and records the consent once', async () => {
    const { id, path } = await start({ verification_type: 'full_verification' })
    const early = await upload(path, 'selfie', documentPhoto)
    expect(early.statusCode).toBe(409)
    expect(errorCode(early)).toBe('BIOMETRIC_CONSENT_REQUIRED')
    expect(early.json().error.message).toMatch(/agreed to the face check/)
    // The document needs no such consent.
    expect((await upload(path, 'document_front', documentPhoto)).statusCode).toBe(200)
    const given = await consent(path)
    expect(given.statusCode).toBe(200)
    expect(given.json()).toMatchObject({ faceCheck: 'face_match', biometricConsent: true })
    expect(given.headers['cache-control']).toBe('no-store')
    const again = await consent(path)
    expect(again.statusCode).toBe(200)
    const selfie = await upload(path, 'selfie', documentPhoto)
    expect(selfie.statusCode).toBe(200)
    expect(selfie.json().doneImages).toContain('selfie')
    // One event, saying what was agreed to and nothing about the person.
    const all = await events(id)
    const consents = all.filter((e) => e.type === 'consent.biometric')
    expect(consents.map((e) => e.data)).toEqual([{ purpose: 'face_match' }])
    // A record on the verification, not a webhook (verification.started is one).
    expect(await announced(consents[0]?.id ?? 'none')).toBe(false)
    const started = all.find((e) => e.type === 'verification.started')
    expect(await announced(started?.id ?? 'none')).toBe(true)
  })

  it('asks for the consent before any selfie from the page, also one a session did not ask for', async () => {
    const { id, path } = await start()
    const refused = await upload(path, 'selfie', documentPhoto)
    expect(refused.statusCode).toBe(409)
    expect(errorCode(refused)).toBe('BIOMETRIC_CONSENT_REQUIRED')
    expect((await consent(path)).json()).toMatchObject({ faceCheck: null, biometricConsent: true })
    expect((await upload(path, 'selfie', documentPhoto)).statusCode).toBe(200)
    // A selfie sent anyway is compared with the document: that is what was agreed to.
    const [recorded] = (await events(id)).filter((e) => e.type === 'consent.biometric')
    expect(recorded?.data.purpose).toBe('face_match')
    const estimate = await start({ verification_type: 'age_estimation' })
    await consent(estimate.path)
    const [estimated] = (await events(estimate.id)).filter((e) => e.type === 'consent.biometric')
    expect(estimated?.data.purpose).toBe('age_estimation')
  })

  it('refuses a selfie without the consent before reading its body', async () => {
    const { path } = await start({ verification_type: 'full_verification' })
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = new URL(address)
    try {
      // Headers announcing 9 MB, and no body at all: only an answer before the body can come.
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => {
          socket.write(
            `POST ${path}/images/selfie HTTP/1.1\r\nhost: x\r\n` +
              'content-type: image/jpeg\r\ncontent-length: 9000000\r\n\r\n',
          )
        })
        let text = ''
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1')
          if (text.includes('BIOMETRIC_CONSENT_REQUIRED')) {
            socket.destroy()
            resolve(text)
          }
        })
        socket.on('error', reject)
        setTimeout(() => (socket.destroy(), reject(new Error('no answer before the body'))), 5000)
      })
      expect(answer).toMatch(/^HTTP\/1\.1 409 /)
    } finally {
      await new Promise((resolve) => t.app.server.close(resolve))
    }
  })

  it('answers a bad or expired link, a malformed body and an ended session as the page does', async () => {
    const { path, token } = await start({ verification_type: 'full_verification' })
    for (const bad of ['/s/nonsense', `/s/${token.slice(0, -3)}xyz`]) {
      const res = await consent(bad)
      expect(res.statusCode, bad).toBe(404)
      expect(errorCode(res)).toBe('NOT_FOUND')
    }
    clock.advance(25 * 3600_000)
    try {
      const expired = await consent(path)
      expect(expired.statusCode).toBe(410)
      expect(errorCode(expired)).toBe('VERIFICATION_EXPIRED')
    } finally {
      clock.advance(-25 * 3600_000)
    }
    for (const body of [
      {},
      { biometric: false },
      { biometric: 'yes' },
      { biometric: true, name: 'Jane' },
      [true],
      'not json',
    ]) {
      const res = await consent(path, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
      expect(errorCode(res)).toBe('INVALID_REQUEST_BODY')
    }
    const bare = await t.app.inject({
      method: 'POST',
      url: `${path}/consent`,
      remoteAddress: randomAddress(),
    })
    expect(bare.statusCode).toBe(400)
    expect((await state(path)).json().biometricConsent).toBe(false)
    // Cancelled: nothing more to agree to.
    await t.app.inject({ method: 'POST', url: `${path}/cancel`, remoteAddress: randomAddress() })
    const late = await consent(path)
    expect(late.statusCode).toBe(400)
    expect(errorCode(late)).toBe('VERIFICATION_ALREADY_COMPLETED')
  })
})
