// The hosted page's on-device frame checks (src/web/static/camera.js), run here on frames made
// as a camera would see a document: a specimen passport on a table, sharp or blurred, near or far,
// with a glare patch, turned a little, or no document at all.
import sharp from 'sharp'
import type { OverlayOptions } from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { assessFrame, outlineRatio } from '../src/web/static/camera.js'
import { passport } from './specimens.ts'

interface Scene {
  /** Share of the frame's width the document spans. */
  share?: number
  blur?: number
  glare?: boolean
  empty?: boolean
  turn?: number
  table?: string
}

const WIDTH = 1280
const HEIGHT = 960
let document: Buffer

/** A 1280×960 camera frame of `scene`, sampled at 640 px wide as the page samples it. */
async function frame(scene: Scene) {
  const table = scene.table ?? '#2e3136'
  let doc = await sharp(document)
    .resize({ width: Math.round(WIDTH * (scene.share ?? 0.86)) })
    .png()
    .toBuffer()
  if (scene.turn) doc = await sharp(doc).rotate(scene.turn, { background: table }).png().toBuffer()
  const layers: OverlayOptions[] = scene.empty ? [] : [{ input: doc, gravity: 'centre' }]
  if (scene.glare) {
    const white = { width: 160, height: 120, channels: 3, background: '#ffffff' } as const
    layers.push({ input: await sharp({ create: white }).png().toBuffer(), left: 500, top: 400 })
  }
  const composed = await sharp({
    create: { width: WIDTH, height: HEIGHT, channels: 3, background: table },
  })
    .composite(layers)
    .png()
    .toBuffer()
  const camera = scene.blur ? sharp(composed).blur(scene.blur) : sharp(composed)
  const sampled = await sharp(await camera.png().toBuffer())
    .resize({ width: 640 })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { grey: sampled.data, width: sampled.info.width, height: sampled.info.height }
}

/** The passport outline as the page draws it: 86 % of the width, at most 90 % of the height. */
function outline(width: number, height: number) {
  const ratio = outlineRatio('passport')
  let w = 0.86 * width
  let h = w / ratio
  if (h > 0.9 * height) {
    h = 0.9 * height
    w = h * ratio
  }
  return { x0: (width - w) / 2, y0: (height - h) / 2, x1: (width + w) / 2, y1: (height + h) / 2 }
}

async function verdictOf(scene: Scene) {
  const { grey, width, height } = await frame(scene)
  return assessFrame(grey, width, height, outline(width, height))
}

describe('on-device frame checks', () => {
  beforeAll(async () => {
    document = (await passport({ adult: true })).image
  })

  it('a sharp passport filling the outline is good, its borders where they are', async () => {
    const result = await verdictOf({})
    expect(result.verdict).toBe('good')
    // The document spans 86 % of 640 px, centred: 45 to 595, and 388 px high.
    expect(result.borders?.left).toBeGreaterThanOrEqual(40)
    expect(result.borders?.left).toBeLessThanOrEqual(50)
    expect(result.borders?.right).toBeGreaterThanOrEqual(590)
    expect(result.borders?.right).toBeLessThanOrEqual(600)
  })

  it('slight blur still passes; blur that spreads the print is called blurry', async () => {
    expect((await verdictOf({ blur: 1 })).verdict).toBe('good')
    expect((await verdictOf({ blur: 5 })).verdict).toBe('blurry')
    expect((await verdictOf({ blur: 14 })).verdict).toBe('blurry')
  })

  it('a document far away is too far; one overflowing the outline is too close', async () => {
    expect((await verdictOf({ share: 0.6 })).verdict).toBe('too_far')
    expect((await verdictOf({ share: 0.75 })).verdict).toBe('good')
    expect((await verdictOf({ share: 0.99 })).verdict).toBe('too_close')
  })

  it('a saturated patch is glare; an empty table has no document edges', async () => {
    expect((await verdictOf({ glare: true })).verdict).toBe('glare')
    expect((await verdictOf({ empty: true })).verdict).toBe('edges')
  })

  it('a document turned a few degrees, or on a light table, is still found', async () => {
    expect((await verdictOf({ turn: 4 })).verdict).toBe('good')
    expect((await verdictOf({ table: '#d0d0d0' })).verdict).toBe('good')
  })

  it('a dark frame is too dark', async () => {
    const grey = new Uint8ClampedArray(640 * 480).fill(20)
    expect(assessFrame(grey, 640, 480, outline(640, 480)).verdict).toBe('dark')
  })

  it('each document has its own outline shape', () => {
    expect(outlineRatio('passport')).toBeCloseTo(1.42, 2)
    expect(outlineRatio('drivers_license')).toBeCloseTo(1.586, 3)
    expect(outlineRatio('visa')).toBe(1.5)
  })
})
