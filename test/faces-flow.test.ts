// Full verification over HTTP: the selfie must match the portrait on the document. Faces come
// from photos shipped in installed packages (both MIT), pasted into the portrait area of a
// generated passport: a group photo from @vladmandic/face-api's demo, and one man in three
// different photos from @vladmandic/human's face-match screenshot (a genuine pair: not one
// picture twice, which is what an attacker holding only the document would send).
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport } from './specimens.ts'
import { detectFaces } from '../src/engine/face/index.ts'
import { processVerification } from '../src/services/decisions.ts'
import { getTenant } from '../src/store/tenants.ts'

const require = createRequire(import.meta.url)
const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo')

let group: Buffer
let boxes: [number, number, number, number][] = []

// The package's exports hide package.json: find its folder from the main entry instead.
const faceMatchShot = path.join(
  require.resolve('@vladmandic/human').replace(/\/dist\/.*$/, ''),
  'assets/screenshot-facematch.jpg',
)
/** One man in different photos: cell k of the first row of extracted faces, upscaled. */
function sameManPhoto(k: number): Promise<Buffer> {
  return sharp(faceMatchShot)
    .extract({ left: Math.round(k * 96.3), top: 286, width: 94, height: 94 })
    .resize(400, 400)
    .jpeg({ quality: 92 })
    .toBuffer()
}

/** A crop around face k of the group photo, `scale` face widths across, upscaled to `size` px. */
async function face(k: number, scale: number, size: number): Promise<Buffer> {
  const [x, y, w, h] = boxes[k]!
  const meta = await sharp(group).metadata()
  const side = Math.round(Math.max(w, h) * scale)
  const left = Math.max(0, Math.round(x + w / 2 - side / 2))
  const top = Math.max(0, Math.round(y + h / 2 - side / 2))
  return sharp(group)
    .extract({
      left,
      top,
      width: Math.min(side, meta.width - left),
      height: Math.min(side, meta.height - top),
    })
    .resize(size, size)
    .jpeg({ quality: 90 })
    .toBuffer()
}

/** An adult's passport with a face in its portrait area (TD3 at 10 px/mm: x 5 mm, y 13 mm). */
async function passportWithFace(k: number | Buffer): Promise<Buffer> {
  const doc = await passport({ adult: true })
  const portrait = await sharp(typeof k === 'number' ? await face(k, 1.5, 300) : k)
    .resize(296, 380, { fit: 'cover' })
    .png()
    .toBuffer()
  return sharp(doc.image)
    .composite([{ input: portrait, left: 50, top: 130 }])
    .png()
    .toBuffer()
}

describe('full verification with a selfie', () => {
  let t: TestApp
  let key: string
  beforeAll(async () => {
    group = await sharp(await readFile(path.join(demo, 'sample1.jpg')))
      .resize({ width: 1280 })
      .jpeg()
      .toBuffer()
    const found = await detectFaces(group, { role: 'document' })
    boxes = found.faces.filter((f) => f.box[2] >= 60).map((f) => f.box)
    t = await startTestApp('sqlite')
    key = (await createTenant(t.app)).key
  }, 120_000)
  afterAll(async () => t.close())

  async function run(documentFace: number | Buffer, selfieFace: number | null, selfie?: Buffer) {
    const headers = { 'x-tenant-api-key': key }
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers,
      payload: { verification_type: 'full_verification' },
    })
    const id = started.json().verificationId
    const front = await t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers,
      payload: {
        verificationId: id,
        type: 'document_front',
        image: (await passportWithFace(documentFace)).toString('base64'),
      },
    })
    expect(front.json().missingImages).toEqual(['selfie'])
    const bytes = selfie ?? (await face(selfieFace!, 2.2, 640))
    const up = await t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers,
      payload: { verificationId: id, type: 'selfie', image: bytes.toString('base64') },
    })
    const done = await t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers,
      payload: { verificationId: id },
    })
    const result = await t.app.inject({
      method: 'GET',
      url: `/verify/result?verificationId=${id}`,
      headers,
    })
    return { upload: up.json(), done: done.json(), result: result.json() }
  }

  const checkOf = (
    result: { checks: { name: string; outcome: string; detail?: string }[] },
    name: string,
  ) => result.checks.find((c) => c.name === name)

  it('approves a selfie of the same person in another photo', { timeout: 120_000 }, async () => {
    const { upload, done, result } = await run(await sameManPhoto(0), null, await sameManPhoto(1))
    expect(upload.feedback).toBe('ok')
    expect(done).toMatchObject({ status: 'approved', result: { method: 'document+face' } })
    expect(checkOf(result, 'face_match')?.outcome).toBe('pass')
    expect(checkOf(result, 'presentation_attack')?.outcome).toBe('pass')
  })

  it(
    'never approves a selfie cut from the document’s own photo',
    { timeout: 120_000 },
    async () => {
      // The same face twice, as an attacker with only the document would send it: a crop of the
      // picture the portrait was printed from, and the document photo itself.
      for (const selfie of [await face(0, 2.2, 640), await passportWithFace(0)]) {
        const { done, result } = await run(0, null, selfie)
        expect(done.status).toBe('review')
        expect(done.result.reasons).toContain('presentation_attack')
        expect(checkOf(result, 'presentation_attack')).toMatchObject({ outcome: 'review' })
      }
    },
  )

  it('rejects when the selfie is someone else', { timeout: 120_000 }, async () => {
    const { done, result } = await run(0, 1)
    expect(done).toMatchObject({ status: 'rejected', result: { reason: 'face_mismatch' } })
    expect(result.checks.find((c: { name: string }) => c.name === 'face_match').outcome).toBe(
      'fail',
    )
  })

  it('tells the person when the selfie has no face', { timeout: 120_000 }, async () => {
    const blank = await sharp({
      create: { width: 640, height: 640, channels: 3, background: '#888' },
    })
      .jpeg()
      .toBuffer()
    const { upload, done } = await run(0, null, blank)
    expect(upload.feedback).toBe('no_face')
    expect(done.status).not.toBe('approved')
  })
})

describe('age estimation (selfie only, document as fallback)', () => {
  let t: TestApp
  let key: string
  beforeAll(async () => {
    group ??= await sharp(await readFile(path.join(demo, 'sample1.jpg')))
      .resize({ width: 1280 })
      .jpeg()
      .toBuffer()
    if (boxes.length === 0) {
      const found = await detectFaces(group, { role: 'document' })
      boxes = found.faces.filter((f) => f.box[2] >= 60).map((f) => f.box)
    }
    t = await startTestApp('sqlite')
    key = (await createTenant(t.app)).key
  }, 120_000)
  afterAll(async () => t.close())

  const headers = () => ({ 'x-tenant-api-key': key })
  async function workflow(minAge: number, buffer: number): Promise<string> {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/workflows',
      headers: { 'x-api-key': key },
      payload: {
        name: `estimate ${minAge}+${buffer}`,
        verification_type: 'age_estimation',
        min_age: minAge,
        age_buffer: buffer,
      },
    })
    expect(res.statusCode).toBe(201)
    return res.json<{ id: string }>().id
  }
  async function start(workflowId: string) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers: headers(),
      payload: { workflow_id: workflowId },
    })
    expect(res.statusCode).toBe(200)
    const body = res.json<{
      verificationId: string
      config: { verificationType: string; requiredImages: string[] }
    }>()
    expect(body.config).toMatchObject({
      verificationType: 'age_estimation',
      requiredImages: ['selfie'],
    })
    return body.verificationId
  }
  const upload = (id: string, type: string, image: Buffer) =>
    t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers: headers(),
      payload: { verificationId: id, type, image: image.toString('base64') },
    })
  const complete = (id: string) =>
    t.app.inject({
      method: 'POST',
      url: '/verify/complete',
      headers: headers(),
      payload: { verificationId: id },
    })

  it(
    'approves on the selfie alone when the estimate clears minimum age + buffer',
    { timeout: 120_000 },
    async () => {
      // The demo faces are estimated at about 28–31: clear of 18 + 7 = 25.
      const id = await start(await workflow(18, 7))
      const up = await upload(id, 'selfie', await face(0, 2.2, 640))
      expect(up.json()).toMatchObject({ feedback: 'ok', missingImages: [] })
      const done = await complete(id)
      expect(done.json()).toMatchObject({ status: 'approved' })
      const token = done.json<{ token: string }>().token
      const claims = JSON.parse(
        Buffer.from(token.split('.')[1]!, 'base64url').toString(),
      ) as Record<string, unknown>
      expect(claims.over18).toBe(true)
      // 25+ is not claimed: the estimate minus the buffer does not support it.
      expect(claims.age_over_25).toBeUndefined()
      const result = await t.app.inject({
        method: 'GET',
        url: `/verify/result?verificationId=${id}`,
        headers: headers(),
      })
      const checks = result.json<{ checks: { name: string; outcome: string }[] }>().checks
      expect(checks.find((c) => c.name === 'age_estimation')?.outcome).toBe('pass')
    },
  )

  it(
    'asks for a document when the estimate does not clear the buffer, and the document decides',
    { timeout: 120_000 },
    async () => {
      // 18 + 15 = 33: the same faces do not clear it.
      const id = await start(await workflow(18, 15))
      const up = await upload(id, 'selfie', await face(0, 2.2, 640))
      expect(up.json()).toMatchObject({ feedback: 'ok', missingImages: ['document_front'] })
      expect((await complete(id)).statusCode).toBe(409)
      const doc = await upload(id, 'document_front', (await passport({ adult: true })).image)
      expect(doc.json().missingImages).toEqual([])
      const done = await complete(id)
      expect(done.json()).toMatchObject({ status: 'approved' })
      const result = await t.app.inject({
        method: 'GET',
        url: `/verify/result?verificationId=${id}`,
        headers: headers(),
      })
      const checks = result.json<{ checks: { name: string; outcome: string }[] }>().checks
      expect(checks.find((c) => c.name === 'minimum_age')?.outcome).toBe('pass')
    },
  )
})

describe('the document verification sessions API: a selfie sent with the document is compared and shows in the checks', () => {
  let t: TestApp
  let key: string
  beforeAll(async () => {
    group ??= await sharp(await readFile(path.join(demo, 'sample1.jpg')))
      .resize({ width: 1280 })
      .jpeg()
      .toBuffer()
    if (boxes.length === 0) {
      const found = await detectFaces(group, { role: 'document' })
      boxes = found.faces.filter((f) => f.box[2] >= 60).map((f) => f.box)
    }
    t = await startTestApp('sqlite')
    key = (await createTenant(t.app)).key
  }, 120_000)
  afterAll(async () => t.close())

  async function session(documentFace: number, selfieFace: number) {
    const headers = { authorization: `Bearer ${key}` }
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/verification',
      headers,
      payload: {},
    })
    const sid = created.json<{ session_id: string }>().session_id
    const add = async (type: string, bytes: Buffer) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/verification/${sid}/images`,
        headers,
        payload: { image: { type, data: bytes.toString('base64') } },
      })
    expect((await add('selfie', await face(selfieFace, 2.2, 640))).json()).toMatchObject({
      feedback: 'ok',
      complete: false,
    })
    expect(
      (await add('document_front', await passportWithFace(documentFace))).json(),
    ).toMatchObject({ complete: true })
    const tenant = await getTenant(
      t.deps.store.db,
      (
        await t.deps.store.db
          .selectFrom('verifications')
          .select('tenantId')
          .where('id', '=', sid)
          .executeTakeFirstOrThrow()
      ).tenantId,
    )
    await processVerification(t.deps, tenant!, sid)
    const result = await t.app.inject({
      method: 'GET',
      url: `/api/v1/verification/${sid}/result`,
      headers,
    })
    return result.json<{ recommendation: string; checks: Record<string, string> }>()
  }

  it('denies when the selfie is someone else (face_match fail)', { timeout: 120_000 }, async () => {
    const result = await session(0, 1)
    expect(result.recommendation).toBe('DENY')
    expect(result.checks.face_match).toBe('fail')
  })

  it('allows a matching selfie (face_match pass)', { timeout: 120_000 }, async () => {
    const result = await session(0, 0)
    expect(result.checks.face_match).not.toBe('fail')
    expect(result.checks.presentation_attack).toBeDefined()
  })
})
