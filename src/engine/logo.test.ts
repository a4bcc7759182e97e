import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { LOGO_BOX, reencodeLogo } from './logo.ts'

describe('reencodeLogo', () => {
  it('keeps a transparent logo transparent and fits it in the box', async () => {
    const square = await sharp({
      create: {
        width: 1000,
        height: 1000,
        channels: 4,
        background: { r: 0, g: 0, b: 0, alpha: 0 },
      },
    })
      .png()
      .toBuffer()
    const result = await reencodeLogo(square)
    if (!result.ok) throw new Error(result.error.message)
    expect([result.width, result.height]).toEqual([LOGO_BOX.height, LOGO_BOX.height])
    const meta = await sharp(result.png).metadata()
    expect(meta).toMatchObject({ format: 'png', hasAlpha: true })
  })

  it('turns a photo the way its EXIF orientation says, then drops the EXIF', async () => {
    // 300×100 stored, orientation 6: shown 100×300 (turned a quarter clockwise).
    const turned = await sharp({
      create: { width: 300, height: 100, channels: 3, background: '#abc' },
    })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer()
    const result = await reencodeLogo(turned)
    if (!result.ok) throw new Error(result.error.message)
    expect([result.width, result.height]).toEqual([53, 160])
    expect((await sharp(result.png).metadata()).orientation).toBeUndefined()
  })

  it('refuses other formats by their bytes', async () => {
    const gif = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1')
    expect(await reencodeLogo(gif)).toMatchObject({
      ok: false,
      error: { code: 'DOCUMENT_INVALID_FORMAT' },
    })
  })
})
