// A selfie that is a photo of the document, not of the holder: the face comparison must see the
// machine readable zone in it whichever way the document was held. The upright case is looked
// for without the quarter turns (the face beside the zone is upright); the sideways one needs
// them. The face is the one man of @vladmandic/human's face-match screenshot (MIT package).

import { createRequire } from 'node:module'
import path from 'node:path'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { passport } from './specimens.ts'
import { compareFaces } from '../src/engine/face/index.ts'

const require = createRequire(import.meta.url)
const faceMatchShot = path.join(
  require.resolve('@vladmandic/human').replace(/\/dist\/.*$/, ''),
  'assets/screenshot-facematch.jpg',
)

let documentImage: Buffer

/** The document photographed on a dark desk: smaller, shifted, recompressed, maybe turned. */
async function photoOfDocument(turn: 0 | 90 | 180): Promise<Buffer> {
  const turned = await sharp(documentImage).resize({ width: 820 }).rotate(turn).png().toBuffer()
  return sharp({ create: { width: 1100, height: 1100, channels: 3, background: '#4a3b2e' } })
    .composite([{ input: turned, left: 120, top: 90 }])
    .jpeg({ quality: 80 })
    .toBuffer()
}

beforeAll(async () => {
  const doc = await passport({ adult: true })
  const portrait = await sharp(faceMatchShot)
    .extract({ left: 0, top: 286, width: 94, height: 94 })
    .resize(296, 380, { fit: 'cover' })
    .png()
    .toBuffer()
  documentImage = await sharp(doc.image)
    .composite([{ input: portrait, left: 50, top: 130 }])
    .png()
    .toBuffer()
}, 60_000)

describe('a photo of the document sent as the selfie', () => {
  it.each([0, 90, 180] as const)(
    'shows a machine readable zone when the document is turned %i°',
    async (turn) => {
      const result = await compareFaces(documentImage, await photoOfDocument(turn))
      expect(result.reuse).toMatchObject({ sameImage: false, selfieShowsMrz: true })
    },
    60_000,
  )

  it('does not see a zone in a plain selfie', async () => {
    const selfie = await sharp(faceMatchShot)
      .extract({ left: 96, top: 286, width: 94, height: 94 })
      .resize(480, 480)
      .jpeg({ quality: 90 })
      .toBuffer()
    const result = await compareFaces(documentImage, selfie)
    expect(result.faces.selfie).not.toBeNull()
    expect(result.reuse?.selfieShowsMrz).toBe(false)
  }, 60_000)
})
