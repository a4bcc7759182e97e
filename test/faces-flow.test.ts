// Full verification over HTTP: the selfie must match the portrait on the document. Faces come
// from a photo shipped in an installed package (@vladmandic/face-api's demo, MIT), pasted into
// the portrait area of a generated passport.
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import path from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTenant, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport } from './specimens.ts'
import { detectFaces } from '../src/engine/face/index.ts'

const require = createRequire(import.meta.url)
const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo')

let group: Buffer
let boxes: [number, number, number, number][] = []

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

/** An adult's passport with face k in its portrait area (TD3 at 10 px/mm: x 5 mm, y 13 mm). */
async function passportWithFace(k: number): Promise<Buffer> {
  const doc = await passport({ adult: true })
  const portrait = await sharp(await face(k, 1.5, 300))
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

  async function run(documentFace: number, selfieFace: number | null, selfie?: Buffer) {
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

  it('approves when the selfie matches the portrait', { timeout: 120_000 }, async () => {
    expect(boxes.length).toBeGreaterThanOrEqual(2)
    const { upload, done, result } = await run(0, 0)
    expect(upload.feedback).toBe('ok')
    expect(done.status).not.toBe('rejected')
    expect(result.checks.find((c: { name: string }) => c.name === 'face_match').outcome).not.toBe(
      'fail',
    )
  })

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
