// The console shows a verification's images as a browser can draw them: a scanner's TIFF is
// shown as a PNG; every other stored type as it is.
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../src/domain/ids.ts'
import { decodeRaw, encodeBmp } from '../src/specimen/camera.ts'
import { insertImage } from '../src/store/images.ts'
import { PASSWORD, seedTenants, signIn } from './console-session.ts'
import { startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'

describe('console image view', () => {
  let t: TestApp
  let a: Awaited<ReturnType<typeof seedTenants>>['a']

  beforeAll(async () => {
    t = await startTestApp('sqlite')
    ;({ a } = await seedTenants(t))
  }, 60_000)
  afterAll(async () => t?.close())

  async function stored(bytes: Buffer, contentType: string): Promise<string> {
    const imageId = newId('img')
    await t.deps.blobs.put(`image-${imageId}`, bytes)
    await insertImage(t.deps.store.db, {
      id: imageId,
      tenantId: a.id,
      verificationId: a.verificationId,
      kind: 'document_front',
      contentType,
      byteSize: bytes.length,
      width: 64,
      height: 40,
      blobKey: `image-${imageId}`,
      feedback: '',
      readOk: 0,
      readDocumentType: null,
      readSealed: null,
      createdAt: new Date().toISOString(),
      purgedAt: null,
    })
    return imageId
  }

  it('shows a TIFF scan as a PNG of the same pixels and a BMP as it is', async () => {
    const png = await sharp({
      create: { width: 64, height: 40, channels: 3, background: { r: 200, g: 30, b: 90 } },
    })
      .png()
      .toBuffer()
    const tiff = await sharp(png).tiff({ compression: 'lzw' }).toBuffer()
    const bmp = encodeBmp(await decodeRaw(png))
    const owner = await signIn(t.app, { email: a.owner, password: PASSWORD })
    const view = (imageId: string) =>
      t.app.inject({
        method: 'GET',
        url: `/console/verifications/${a.verificationId}/images/${imageId}`,
        headers: { cookie: owner.cookie },
      })

    const shownTiff = await view(await stored(tiff, 'image/tiff'))
    expect(shownTiff.statusCode).toBe(200)
    expect(shownTiff.headers['content-type']).toBe('image/png')
    const shownPixels = await sharp(shownTiff.rawPayload).raw().toBuffer()
    expect(shownPixels.equals(await sharp(png).raw().toBuffer())).toBe(true)

    const shownBmp = await view(await stored(bmp, 'image/bmp'))
    expect(shownBmp.headers['content-type']).toBe('image/bmp')
    expect(shownBmp.rawPayload.equals(bmp)).toBe(true)
  })
})
