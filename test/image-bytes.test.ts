// The routes that answer with an image's bytes say in the OpenAPI document which types those
// are, and serve each image as the type its bytes are.
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKey, createTenant, startTestApp } from './helpers.ts'
import type { TestApp } from './helpers.ts'
import { passport } from './specimens.ts'
import { decodeRaw, encodeBmp } from '../src/specimen/camera.ts'

interface OpenApiOperation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>
}

describe('image bytes in the OpenAPI document and on the wire', () => {
  let t: TestApp
  let testKey: string

  beforeAll(async () => {
    t = await startTestApp('sqlite')
    const tenant = await createTenant(t.app)
    testKey = (await createKey(t.app, tenant.id, 'test')).key
  })
  afterAll(async () => t.close())

  it('documents the image routes’ 200 as JPEG, PNG, WebP, BMP, TIFF or PDF bytes, never octet-stream', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' })
    expect(res.statusCode).toBe(200)
    expect(res.body).not.toContain('application/octet-stream')
    const paths = res.json<{ paths: Record<string, Record<string, OpenApiOperation>> }>().paths
    for (const path of ['/verify/images/{imageId}', '/api/v1/verification/{sid}/images/{id}']) {
      const ok = paths[path]?.get?.responses?.['200']
      expect(Object.keys(ok?.content ?? {}).sort(), path).toEqual([
        'application/pdf',
        'image/bmp',
        'image/jpeg',
        'image/png',
        'image/tiff',
        'image/webp',
      ])
      for (const media of Object.values(ok?.content ?? {})) {
        expect(media.schema).toEqual({ type: 'string', format: 'binary' })
      }
      // The errors are still the surface's JSON.
      expect(Object.keys(paths[path]?.get?.responses?.['404']?.content ?? {})).toContain(
        'application/json',
      )
    }
  })

  it.each([
    ['JPEG', 'image/jpeg', (png: Buffer) => sharp(png).jpeg({ quality: 90 }).toBuffer()],
    ['BMP scan', 'image/bmp', async (png: Buffer) => encodeBmp(await decodeRaw(png))],
    ['TIFF scan', 'image/tiff', (png: Buffer) => sharp(png).tiff().toBuffer()],
  ] as const)('serves an uploaded %s as %s, byte for byte', async (_, type, encode) => {
    const bytes = await encode((await passport()).image)
    const headers = { 'x-tenant-api-key': testKey }
    const started = await t.app.inject({
      method: 'POST',
      url: '/verify/start',
      headers,
      payload: {},
    })
    const id = started.json<{ verificationId: string }>().verificationId
    const up = await t.app.inject({
      method: 'POST',
      url: '/verify/images',
      headers,
      payload: { verificationId: id, type: 'document_front', image: bytes.toString('base64') },
    })
    expect(up.statusCode, up.body).toBe(200)
    // The document is read from a scan as from a photo.
    expect(up.json<{ feedback: string }>().feedback).toBe('ok')
    const imageId = up.json<{ imageId: string }>().imageId
    const listed = await t.app.inject({
      method: 'GET',
      url: `/verify/images?verificationId=${id}`,
      headers,
    })
    expect(listed.json<{ images: { contentType: string }[] }>().images[0]?.contentType).toBe(type)
    const served = await t.app.inject({
      method: 'GET',
      url: `/verify/images/${imageId}?verificationId=${id}`,
      headers,
    })
    expect(served.statusCode).toBe(200)
    expect(served.headers['content-type']).toBe(type)
    expect(served.rawPayload.equals(bytes)).toBe(true)
  })
})
