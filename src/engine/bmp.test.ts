import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { bmpHeader, decodeBmp, isBmp } from './bmp.ts'

// The fixtures are ImageMagick's (testdata/bmp/README.md), not ours: these tests read another
// encoder's files and compare them with the pixels their sources were made of.
const fixture = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`testdata/bmp/${name}`, import.meta.url)))

const W = 13
const H = 7
type Rgb = [number, number, number]
const colour16 = (i: number): Rgb => [17 * i, 255 - 17 * i, (68 * i) % 256]
const colour40 = (i: number): Rgb => [(37 * i) % 256, (91 * i) % 256, (255 - 5 * i) % 256]
const source16 = (x: number, y: number): Rgb => colour16((x + 3 * y) % 16)
const source40 = (x: number, y: number): Rgb => colour40((x + 5 * y) % 40)
const source2 = (x: number, y: number): Rgb => ((x * x + y) % 2 === 0 ? [0, 0, 0] : [255, 255, 255])

function decoded(bytes: Uint8Array): Uint8Array {
  const header = bmpHeader(bytes)
  if (!header) throw new Error('no header')
  const r = decodeBmp(bytes, header)
  if (!r.ok) throw new Error(r.reason)
  expect([r.width, r.height]).toEqual([W, H])
  return r.rgb
}

/** The largest difference of any channel of any pixel from the source. */
function worstError(rgb: Uint8Array, source: (x: number, y: number) => Rgb): number {
  let worst = 0
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const want = source(x, y)
      for (let c = 0; c < 3; c++) {
        worst = Math.max(worst, Math.abs((rgb[(y * W + x) * 3 + c] ?? -999) - want[c]!))
      }
    }
  }
  return worst
}

describe('BMP decoding', () => {
  it.each([
    ['rgb24.bmp', source16],
    ['rgbx32.bmp', source16],
    ['argb32.bmp', source16],
    ['os2.bmp', source16],
    ['pal.bmp', source16],
    ['pal8.bmp', source40],
    ['rle8.bmp', source40],
    ['bilevel.bmp', source2],
  ] as const)('reads %s exactly', (name, source) => {
    const bytes = fixture(name)
    expect(isBmp(bytes)).toBe(true)
    expect(worstError(decoded(bytes), source)).toBe(0)
  })

  it.each(['rgb565.bmp', 'rgb555.bmp'])('reads %s to within its 5-bit steps', (name) => {
    // 5 bits keep a channel to within one step, 255 / 31 ≈ 8.2, of its 8-bit value (encoders
    // truncate); a swapped or misplaced channel is off by 50 or more on these colours.
    expect(worstError(decoded(fixture(name)), source16)).toBeLessThanOrEqual(9)
  })

  it('reads rows top-down when the height is negative', () => {
    const bytes = fixture('rgb24.bmp')
    const header = bmpHeader(bytes)!
    const stride = Math.ceil((W * 24) / 32) * 4
    const flipped = new Uint8Array(bytes)
    const view = new DataView(flipped.buffer)
    view.setInt32(22, -H, true)
    for (let y = 0; y < H; y++) {
      const from = header.pixelOffset + (H - 1 - y) * stride
      flipped.set(bytes.subarray(from, from + stride), header.pixelOffset + y * stride)
    }
    expect(bmpHeader(flipped)?.topDown).toBe(true)
    expect(worstError(decoded(flipped), source16)).toBe(0)
  })

  it('refuses truncated pixels, compression it does not read and impossible headers', () => {
    const whole = fixture('rgb24.bmp')
    const cut = whole.subarray(0, whole.length - 10)
    expect(decodeBmp(cut, bmpHeader(cut)!)).toEqual({
      ok: false,
      kind: 'corrupt',
      reason: 'the BMP is truncated',
    })
    const rle = fixture('rle8.bmp')
    const rleCut = rle.subarray(0, bmpHeader(rle)!.pixelOffset + 20)
    expect(decodeBmp(rleCut, bmpHeader(rleCut)!)).toMatchObject({ ok: false, kind: 'corrupt' })

    const jpegInside = new Uint8Array(whole)
    new DataView(jpegInside.buffer).setUint32(30, 4, true) // BI_JPEG
    expect(decodeBmp(jpegInside, bmpHeader(jpegInside)!)).toMatchObject({
      ok: false,
      kind: 'unsupported',
      reason: expect.stringContaining('compressed BMPs are not read') as unknown,
    })
    const twoBit = new Uint8Array(whole)
    new DataView(twoBit.buffer).setUint16(28, 2, true)
    expect(decodeBmp(twoBit, bmpHeader(twoBit)!)).toMatchObject({ ok: false, kind: 'unsupported' })

    const noWidth = new Uint8Array(whole)
    new DataView(noWidth.buffer).setInt32(18, 0, true)
    expect(bmpHeader(noWidth)).toBeNull()
    expect(bmpHeader(whole.subarray(0, 30))).toBeNull()
    expect(isBmp(new TextEncoder().encode('BMx not a bitmap at all'))).toBe(false)
  })
})
