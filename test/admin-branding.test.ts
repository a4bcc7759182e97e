// The hosted page's branding through the admin API: the privacy notice and data controller, and
// the logo (re-encoded by the engine pool, served by hash with a year-long cache).
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { admin, createTenant, dialects, errorCode, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { hugeProgressiveJpeg } from '../bench/hostile-files.ts'

/** A 900×300 logo with EXIF and a text chunk that must not survive re-encoding. */
async function logo(format: 'png' | 'jpeg' | 'webp'): Promise<Buffer> {
  const image = sharp({
    create: {
      width: 900,
      height: 300,
      channels: 4,
      background: { r: 200, g: 30, b: 90, alpha: 1 },
    },
  }).withMetadata({ exif: { IFD0: { Copyright: 'secret-exif-marker' } } })
  return format === 'png'
    ? image.png().toBuffer()
    : format === 'jpeg'
      ? image.jpeg().toBuffer()
      : image.webp().toBuffer()
}

/** PNG chunks that carry text, EXIF, a colour profile or a time (PNG 3rd edition §11.3). */
const METADATA_CHUNKS = ['tEXt', 'zTXt', 'iTXt', 'eXIf', 'iCCP', 'tIME']

/** Chunk types of a PNG, in order. */
function pngChunks(png: Buffer): string[] {
  const types: string[] = []
  for (let at = 8; at + 8 <= png.length;) {
    const length = png.readUInt32BE(at)
    types.push(png.toString('latin1', at + 4, at + 8))
    at += 12 + length
  }
  return types
}

describe.each(dialects())('tenant branding on %s', (dialect) => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp(dialect)
  })
  afterAll(async () => t.close())

  const patch = (id: string, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'PATCH', url: `/admin/tenants/${id}`, headers: admin, payload })
  const putLogo = (id: string, body: Buffer | string, type: string, headers = admin) =>
    t.app.inject({
      method: 'PUT',
      url: `/admin/tenants/${id}/logo`,
      headers: { ...headers, 'content-type': type },
      payload: body,
    })

  it('sets, returns and clears the privacy notice and the data controller', async () => {
    const { id } = await createTenant(t.app)
    const fields = {
      privacyNoticeUrl: 'https://shop.example/privacy',
      controllerName: 'Shop Example GmbH',
      controllerContactUrl: 'mailto:dpo@shop.example',
    }
    const set = await patch(id, fields)
    expect(set.statusCode).toBe(200)
    expect(set.json()).toMatchObject(fields)
    const got = await t.app.inject({ method: 'GET', url: `/admin/tenants/${id}`, headers: admin })
    expect(got.json()).toMatchObject({ ...fields, logoUrl: null })
    const web = await patch(id, { controllerContactUrl: 'https://shop.example/contact' })
    expect(web.json()).toMatchObject({ controllerContactUrl: 'https://shop.example/contact' })
    const cleared = await patch(id, {
      privacyNoticeUrl: null,
      controllerName: null,
      controllerContactUrl: null,
    })
    expect(cleared.json()).toMatchObject({
      privacyNoticeUrl: null,
      controllerName: null,
      controllerContactUrl: null,
    })
  })

  it('refuses links that are not https (or mailto: for the contact) and overlong values', async () => {
    const { id } = await createTenant(t.app)
    for (const payload of [
      { privacyNoticeUrl: 'http://shop.example/privacy' },
      { privacyNoticeUrl: 'javascript:alert(1)' },
      { privacyNoticeUrl: 'mailto:dpo@shop.example' },
      { privacyNoticeUrl: `https://shop.example/${'a'.repeat(2048)}` },
      { controllerContactUrl: 'tel:+441234' },
      { controllerContactUrl: 'https://' },
      { controllerName: 'x'.repeat(201) },
      { controllerName: '' },
    ]) {
      const res = await patch(id, payload)
      expect(res.statusCode, JSON.stringify(payload).slice(0, 80)).toBe(400)
      expect(errorCode(res)).toBe('INVALID_REQUEST_BODY')
    }
  })

  it.each(['png', 'jpeg', 'webp'] as const)(
    'takes a %s logo, re-encodes it as a small PNG without metadata and serves it for good',
    async (format) => {
      const { id } = await createTenant(t.app)
      const upload = await logo(format)
      expect(upload.includes('secret-exif-marker')).toBe(true)
      const res = await putLogo(id, upload, `image/${format}`)
      expect(res.statusCode, res.body).toBe(200)
      const logoUrl = res.json<{ logoUrl: string }>().logoUrl
      expect(logoUrl).toMatch(new RegExp(`^/brand/${id}/logo-[0-9a-f]{64}\\.png$`))
      const got = await t.app.inject({ method: 'GET', url: `/admin/tenants/${id}`, headers: admin })
      expect(got.json()).toMatchObject({ logoUrl })

      const served = await t.app.inject({ method: 'GET', url: logoUrl })
      expect(served.statusCode).toBe(200)
      expect(served.headers['content-type']).toBe('image/png')
      expect(served.headers['cache-control']).toBe('public, max-age=31536000, immutable')
      expect(served.headers['x-content-type-options']).toBe('nosniff')
      const meta = await sharp(served.rawPayload).metadata()
      expect(meta).toMatchObject({ format: 'png', width: 480, height: 160 })
      expect(pngChunks(served.rawPayload).filter((c) => METADATA_CHUNKS.includes(c))).toEqual([])
      expect(served.rawPayload.includes('secret-exif-marker')).toBe(false)
    },
  )

  it('replaces and removes a logo; an old or unknown logo URL is a 404', async () => {
    const { id } = await createTenant(t.app)
    const first = (await putLogo(id, await logo('png'), 'image/png')).json<{ logoUrl: string }>()
    const small = await sharp({
      create: { width: 40, height: 40, channels: 3, background: '#123456' },
    })
      .png()
      .toBuffer()
    const second = (await putLogo(id, small, 'image/png')).json<{ logoUrl: string }>()
    expect(second.logoUrl).not.toBe(first.logoUrl)
    // A small logo is not enlarged.
    const served = await t.app.inject({ method: 'GET', url: second.logoUrl })
    expect(await sharp(served.rawPayload).metadata()).toMatchObject({ width: 40, height: 40 })
    expect((await t.app.inject({ method: 'GET', url: first.logoUrl })).statusCode).toBe(404)

    const removed = await t.app.inject({
      method: 'DELETE',
      url: `/admin/tenants/${id}/logo`,
      headers: admin,
    })
    expect(removed.statusCode).toBe(200)
    expect(removed.json()).toMatchObject({ logoUrl: null })
    expect((await t.app.inject({ method: 'GET', url: second.logoUrl })).statusCode).toBe(404)
    // Removing again is fine.
    const again = await t.app.inject({
      method: 'DELETE',
      url: `/admin/tenants/${id}/logo`,
      headers: admin,
    })
    expect(again.statusCode).toBe(200)
    for (const url of [
      `/brand/${id}/logo-${'0'.repeat(64)}.png`,
      `/brand/${id}/logo.png`,
      `/brand/ten_nothing/logo-${'0'.repeat(64)}.png`,
    ]) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(404)
    }
  })

  it(
    'refuses SVG, other types, oversized files, bombs and damaged images with 4xx',
    { timeout: 120_000 },
    async () => {
      const { id } = await createTenant(t.app)
      const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
      const svgRes = await putLogo(id, svg, 'image/svg+xml')
      expect(svgRes.statusCode).toBe(415)
      expect(errorCode(svgRes)).toBe('UNSUPPORTED_MEDIA_TYPE')
      expect(svgRes.json()).toMatchObject({ requestId: expect.any(String) })
      for (const type of [
        'application/json',
        'text/plain',
        'application/octet-stream',
        'image/gif',
      ]) {
        const res = await putLogo(id, type === 'application/json' ? '{}' : 'x', type)
        expect(res.statusCode, type).toBe(415)
      }
      // SVG bytes sent as a PNG are not an image the engine reads.
      const disguised = await putLogo(id, svg, 'image/png')
      expect(disguised.statusCode).toBe(400)
      expect(errorCode(disguised)).toBe('INVALID_REQUEST_BODY')

      const big = Buffer.concat([await logo('png'), Buffer.alloc(512 * 1024)])
      const tooBig = await putLogo(id, big, 'image/png')
      expect(tooBig.statusCode).toBe(413)
      expect(errorCode(tooBig)).toBe('PAYLOAD_TOO_LARGE')

      // 25 megapixels of one colour: a few KB that would decode to 100 MB.
      const bomb = await sharp({
        create: { width: 5000, height: 5000, channels: 3, background: '#fff' },
      })
        .png({ compressionLevel: 9 })
        .toBuffer()
      expect(bomb.length).toBeLessThan(512 * 1024)
      const webpBomb = await sharp({
        create: { width: 16000, height: 1100, channels: 3, background: '#fff' },
      })
        .webp({ lossless: true })
        .toBuffer()
      const good = await logo('png')
      const cases: [string, Buffer, string, number][] = [
        ['png bomb', bomb, 'image/png', 413],
        ['webp bomb', webpBomb, 'image/webp', 413],
        ['jpeg bomb', await hugeProgressiveJpeg(), 'image/jpeg', 413],
        ['truncated png', good.subarray(0, Math.floor(good.length / 2)), 'image/png', 400],
        ['garbage', Buffer.from('not an image at all, just bytes'), 'image/jpeg', 400],
        ['empty', Buffer.alloc(0), 'image/png', 400],
      ]
      for (const [name, body, type, status] of cases) {
        const res = await putLogo(id, body, type)
        expect(res.statusCode, `${name}: ${res.body}`).toBe(status)
      }
      const after = await t.app.inject({
        method: 'GET',
        url: `/admin/tenants/${id}`,
        headers: admin,
      })
      expect(after.json()).toMatchObject({ logoUrl: null })
    },
  )

  it('documents the logo body as PNG, JPEG or WebP bytes, and the 413 and 415', async () => {
    const doc = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    const put = doc.json<{
      paths: Record<
        string,
        Record<string, { requestBody?: { content: object }; responses: object }>
      >
    }>().paths['/admin/tenants/{id}/logo']?.put
    expect(Object.keys(put?.requestBody?.content ?? {}).sort()).toEqual([
      'image/jpeg',
      'image/png',
      'image/webp',
    ])
    expect(Object.keys(put?.responses ?? {})).toEqual(expect.arrayContaining(['200', '413', '415']))
  })

  it('needs the admin key, and an unknown tenant is a 404', async () => {
    const { id, key } = await createTenant(t.app)
    const png = await logo('png')
    expect((await putLogo(id, png, 'image/png', {} as typeof admin)).statusCode).toBe(401)
    const tenantKey = { 'x-tenant-api-key': key } as unknown as typeof admin
    expect((await putLogo(id, png, 'image/png', tenantKey)).statusCode).toBe(401)
    expect(
      (await t.app.inject({ method: 'DELETE', url: `/admin/tenants/${id}/logo` })).statusCode,
    ).toBe(401)
    for (const other of ['ten_doesnotexist000000', 'not-an-id']) {
      const res = await putLogo(other, png, 'image/png')
      expect(res.statusCode).toBe(404)
      expect(errorCode(res)).toBe('TENANT_NOT_FOUND')
      const del = await t.app.inject({
        method: 'DELETE',
        url: `/admin/tenants/${other}/logo`,
        headers: admin,
      })
      expect(del.statusCode).toBe(404)
    }
  })
})
