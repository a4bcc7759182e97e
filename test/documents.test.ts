// Documents through the native surface: upload, feedback, decision, result, deletion, purge.
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestClock, createTenant, dialects, errorCode, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { birthCenturyCertain, idCardBack, passport, today } from './specimens.ts'
import { generateMrzSpecimen, type MrzSpecimen } from '../src/specimen/index.ts'
import { generateLicenceImage } from '../src/specimen/licence-image.ts'
import { ageOn } from '../src/engine/types.ts'
import { purgeExpiredData } from '../src/services/retention.ts'

describe.each(dialects())('documents on the native surface on %s', (dialect) => {
  let t: TestApp
  let tenant: { id: string; key: string }
  let other: { id: string; key: string }
  const clock = new TestClock()
  beforeAll(async () => {
    t = await startTestApp(dialect, { clock })
    tenant = await createTenant(t.app)
    other = await createTenant(t.app)
  })
  afterAll(async () => t.close())

  const headers = () => ({ 'x-tenant-api-key': tenant.key })
  async function start(body: Record<string, unknown> = {}) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: headers(),
      payload: body,
    })
    return res.json().verificationId as string
  }
  async function upload(verificationId: string, type: string, bytes: Buffer, key = tenant.key) {
    return t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers: { 'x-tenant-api-key': key },
      payload: { verificationId, type, image: bytes.toString('base64') },
    })
  }
  async function complete(verificationId: string) {
    return t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers: headers(),
      payload: { verificationId },
    })
  }

  it('approves an adult’s passport and hands out a token', async () => {
    const doc = await passport({ adult: true })
    const id = await start()
    const up = await upload(id, 'document_front', doc.image)
    expect(up.statusCode).toBe(200)
    expect(up.json()).toMatchObject({
      feedback: 'ok',
      missingImages: [],
      complete: true,
      status: 'processing',
    })
    const done = await complete(id)
    expect(done.statusCode).toBe(200)
    expect(done.json().status).toBe('approved')
    expect(done.json().result.verifiedAge).toBe(
      ageOn(doc.identity.dateOfBirth, new Date().toISOString().slice(0, 10)),
    )
    expect(done.json().token).toEqual(expect.any(String))
    const status = await t.app.inject({
      method: 'GET',
      url: `/verify/status?verificationId=${id}`,
      headers: headers(),
    })
    expect(status.json().token).toBe(done.json().token)
    const result = await t.app.inject({
      method: 'GET',
      url: `/verify/result?verificationId=${id}`,
      headers: headers(),
    })
    expect(result.json()).toMatchObject({
      status: 'approved',
      source: 'mrz',
      person: { lastName: doc.identity.lastName, dateOfBirth: doc.identity.dateOfBirth },
      document: { number: doc.identity.documentNumber, expiryDate: doc.identity.expiryDate },
    })
    expect(
      result.json().checks.find((c: { name: string }) => c.name === 'minimum_age').outcome,
    ).toBe('pass')
    // Personal data is encrypted at rest: the name is nowhere in the row or the image files.
    const row = await t.deps.store.db
      .selectFrom('verifications')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow()
    expect(JSON.stringify(row)).not.toContain(doc.identity.documentNumber)
  })

  it('rejects a minor and an expired document, never approving', async () => {
    const minor = await passport({ adult: false })
    const a = await start()
    await upload(a, 'document_front', minor.image)
    const rejected = await complete(a)
    expect(rejected.json()).toMatchObject({
      status: 'rejected',
      result: { verified: false, reason: 'underage' },
    })
    expect(rejected.json().token).toBeUndefined()

    const old = await passport({ adult: true, expired: true })
    const b = await start()
    await upload(b, 'document_front', old.image)
    expect((await complete(b)).json()).toMatchObject({
      status: 'rejected',
      result: { reason: 'document_expired' },
    })
  })

  it('gives feedback on an image with no document and asks for the back', async () => {
    const blank = await sharpBlank()
    const id = await start()
    const front = await upload(id, 'document_front', blank)
    expect(front.statusCode).toBe(200)
    expect(front.json()).toMatchObject({
      missingImages: ['document_back'],
      complete: false,
      status: 'in_progress',
    })
    const back = await upload(id, 'document_back', blank)
    expect(back.json().complete).toBe(true)
    expect(back.json().feedback).not.toBe('ok')
    expect(back.json().message).toEqual(expect.any(String))
    const done = await complete(id)
    expect(done.json()).toMatchObject({
      status: 'rejected',
      result: { reason: 'document_unreadable' },
    })
  })

  it('reads a driver’s licence by its barcode on the back', async () => {
    const licence = await generateLicenceImage(11, {
      version: 9,
      jurisdiction: 'NY',
      age: 34,
      asOf: today(),
    })
    const id = await start()
    const front = await upload(id, 'document_front', await sharpBlank())
    expect(front.json().missingImages).toEqual(['document_back'])
    const back = await upload(id, 'document_back', licence.image)
    expect(back.json()).toMatchObject({ feedback: 'ok', complete: true })
    const done = await complete(id)
    expect(done.json()).toMatchObject({ status: 'approved', result: { verifiedAge: 34 } })
    const result = await t.app.inject({
      method: 'GET',
      url: `/verify/result?verificationId=${id}`,
      headers: headers(),
    })
    expect(result.json()).toMatchObject({
      source: 'aamva',
      documentType: 'drivers_license',
      person: { dateOfBirth: licence.truth.dateOfBirth },
      document: { number: licence.truth.number },
    })
  })

  it('rejects a licence holder under the minimum age (21)', async () => {
    const licence = await generateLicenceImage(12, {
      version: 10,
      jurisdiction: 'CA',
      age: 19,
      asOf: today(),
    })
    const id = await start({ minAge: 21 })
    const front = await upload(id, 'document_front', licence.image)
    expect(front.json().missingImages).toEqual(['document_back'])
    await upload(id, 'document_back', await sharpBlank())
    expect((await complete(id)).json()).toMatchObject({
      status: 'rejected',
      result: { reason: 'underage' },
    })
  })

  it('settles an ID card holder’s birth century from the card’s front', async () => {
    // A child's ID card: the back's MRZ gives the birth year in two digits, which fit a holder
    // a century older too; the front prints the date in full.
    const asOf = today()
    let back: MrzSpecimen | null = null
    let seed = 1
    for (; seed < 2000; seed++) {
      const s = await generateMrzSpecimen(seed * 7, { format: 'TD1', asOf })
      const child = ageOn(s.identity.dateOfBirth, asOf) < 16
      if (child && s.identity.expiryDate >= asOf && !birthCenturyCertain(s, asOf)) {
        back = s
        break
      }
    }
    if (back === null) throw new Error('no child’s ID card')
    const front = await generateMrzSpecimen(seed * 7, { format: 'TD1', side: 'front', asOf })
    const id = await start()
    const first = await upload(id, 'document_front', front.image)
    expect(first.json().missingImages).toEqual(['document_back'])
    await upload(id, 'document_back', back.image)
    expect((await complete(id)).json()).toMatchObject({
      status: 'rejected',
      result: { reason: 'underage' },
    })
    const result = await t.app.inject({
      method: 'GET',
      url: `/verify/result?verificationId=${id}`,
      headers: headers(),
    })
    expect(result.json().person.dateOfBirth).toBe(back.identity.dateOfBirth)
    // Without a front that prints it, the century stays open: a person reads the date.
    const open = await start()
    await upload(open, 'document_front', await sharpBlank())
    await upload(open, 'document_back', back.image)
    const undecided = (await complete(open)).json()
    expect(undecided.status).toBe('review')
    const checks = (
      await t.app.inject({
        method: 'GET',
        url: `/verify/result?verificationId=${open}`,
        headers: headers(),
      })
    ).json().checks as { name: string; outcome: string }[]
    expect(checks).toContainEqual(
      expect.objectContaining({ name: 'birth_century', outcome: 'review' }),
    )
  }, 120_000)

  it('rejects the two sides of an ID card when they belong to different people', async () => {
    const a = await idCardBack(1)
    let b = await idCardBack(2)
    for (let seed = 3; b.identity.dateOfBirth === a.identity.dateOfBirth; seed++)
      b = await idCardBack(seed)
    const id = await start()
    const first = await upload(id, 'document_front', a.image)
    expect(first.json()).toMatchObject({
      feedback: 'ok',
      missingImages: ['document_back'],
      complete: false,
    })
    const second = await upload(id, 'document_back', b.image)
    expect(second.json()).toMatchObject({ feedback: 'ok', complete: true })
    const done = await complete(id)
    expect(done.json()).toMatchObject({
      status: 'rejected',
      result: { reason: 'data_inconsistent' },
    })
    // The same card's two readings agree.
    const id2 = await start()
    await upload(id2, 'document_front', a.image)
    await upload(id2, 'document_back', a.image)
    expect((await complete(id2)).json().status).not.toBe('rejected')
  })

  it('refuses uploads that are not images, too large, or hostile, with 4xx', async () => {
    const id = await start()
    const notImage = await upload(id, 'document_front', Buffer.from('%!PS-Adobe-3.0 hello'))
    expect(notImage.statusCode).toBe(400)
    expect(errorCode(notImage)).toBe('DOCUMENT_INVALID_FORMAT')
    const truncated = await upload(id, 'document_front', (await passport()).image.subarray(0, 400))
    expect(truncated.statusCode).toBeGreaterThanOrEqual(400)
    expect(truncated.statusCode).toBeLessThan(500)
    const badBase64 = await t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers: headers(),
      payload: { verificationId: id, type: 'document_front', image: '***not base64***' },
    })
    expect(errorCode(badBase64)).toBe('INVALID_REQUEST_BODY')
    const huge = await upload(id, 'document_front', Buffer.alloc(11 * 1024 * 1024, 0xff))
    expect([413]).toContain(huge.statusCode)
    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers: headers(),
      payload: { verificationId: id, type: 'passport_photo', image: 'AAAA' },
    })
    expect(wrongType.statusCode).toBe(400)
  })

  it('keeps images and results from other tenants (404)', async () => {
    const doc = await passport()
    const id = await start()
    const up = await upload(id, 'document_front', doc.image)
    const imageId = up.json().imageId
    const foreign = { 'x-tenant-api-key': other.key }
    for (const url of [
      `/verify/images?verificationId=${id}`,
      `/verify/images/${imageId}?verificationId=${id}`,
      `/verify/result?verificationId=${id}`,
    ]) {
      const res = await t.app.inject({ method: 'GET', url, headers: foreign })
      expect(res.statusCode, url).toBe(404)
    }
    expect((await upload(id, 'document_back', doc.image, other.key)).statusCode).toBe(404)
    const del = await t.app.inject({ method: 'DELETE', url: `/verify/${id}`, headers: foreign })
    expect(del.statusCode).toBe(404)
    const own = await t.app.inject({
      method: 'GET',
      url: `/verify/images/${imageId}?verificationId=${id}`,
      headers: headers(),
    })
    expect(own.statusCode).toBe(200)
    expect(own.headers['content-type']).toBe('image/png')
    expect(Buffer.compare(own.rawPayload, doc.image)).toBe(0)
  })

  it('deletes personal data on DELETE and keeps the decision; the bytes are gone', async () => {
    const doc = await passport()
    const id = await start()
    const up = await upload(id, 'document_front', doc.image)
    const { token } = (await complete(id)).json()
    const del = await t.app.inject({ method: 'DELETE', url: `/verify/${id}`, headers: headers() })
    expect(del.statusCode).toBe(200)
    const result = (
      await t.app.inject({
        method: 'GET',
        url: `/verify/result?verificationId=${id}`,
        headers: headers(),
      })
    ).json()
    expect(result).toMatchObject({ status: 'approved', person: null, document: null, purged: true })
    expect(result.result.verified).toBe(true)
    const image = await t.app.inject({
      method: 'GET',
      url: `/verify/images/${up.json().imageId}?verificationId=${id}`,
      headers: headers(),
    })
    expect(image.statusCode).toBe(404)
    await expectBytesGone(t, up.json().imageId as string, doc.identity.documentNumber)
    const validate = await t.app.inject({
      method: 'POST',
      url: '/tokens/validate',
      headers: headers(),
      payload: { token },
    })
    expect(validate.json()).toMatchObject({ valid: false, reason: 'TOKEN_NOT_FOUND' })
    const events = await t.app.inject({
      method: 'GET',
      url: `/verify/events?verificationId=${id}`,
      headers: headers(),
    })
    expect(events.json().events.map((e: { type: string }) => e.type)).toContain(
      'verification.deleted',
    )
  })

  it('purges personal data when the time to live passes', async () => {
    const doc = await passport()
    const id = await start({ time_to_live: '1h' })
    const up = await upload(id, 'document_front', doc.image)
    await complete(id)
    clock.advance(2 * 3600_000)
    expect(await purgeExpiredData(t.deps)).toBeGreaterThanOrEqual(1)
    const result = (
      await t.app.inject({
        method: 'GET',
        url: `/verify/result?verificationId=${id}`,
        headers: headers(),
      })
    ).json()
    expect(result).toMatchObject({ status: 'approved', person: null, purged: true })
    await expectBytesGone(t, up.json().imageId as string, doc.identity.documentNumber)
  })
})

async function sharpBlank(): Promise<Buffer> {
  const { default: sharp } = await import('sharp')
  return sharp({
    create: { width: 900, height: 600, channels: 3, background: { r: 200, g: 190, b: 180 } },
  })
    .png()
    .toBuffer()
}

async function expectBytesGone(t: TestApp, imageId: string, secret: string): Promise<void> {
  const row = await t.deps.store.db
    .selectFrom('verificationImages')
    .selectAll()
    .where('id', '=', imageId)
    .executeTakeFirstOrThrow()
  expect(row.blobKey).toBeNull()
  expect(row.readSealed).toBeNull()
  const blobs = await t.deps.store.db.selectFrom('blobs').selectAll().execute()
  expect(blobs.filter((b) => b.key.includes(imageId))).toEqual([])
  const dir = path.join(t.config.dataDir, 'blobs')
  const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String) : []
  expect(files.filter((f) => f.includes(imageId))).toEqual([])
  const dump = JSON.stringify(
    await t.deps.store.db.selectFrom('verifications').selectAll().execute(),
  )
  expect(dump).not.toContain(secret)
}
