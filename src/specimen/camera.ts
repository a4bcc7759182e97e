// Camera-like degradations for specimen images, shared by every specimen generator (MRZ
// documents, PDF417 licences). Each takes a raw image buffer and returns a new one; `decodeRaw`
// and `encodeRaw` convert from and to PNG/JPEG bytes.

import sharp, { type Sharp } from 'sharp'
import type { Rng } from './identity.ts'

/** Interleaved 8-bit pixels (1 = gray, 3 = RGB), row-major. */
export interface RawImage {
  data: Buffer
  width: number
  height: number
  channels: 1 | 3
}

/** Decode PNG/JPEG/WebP bytes to an RGB raw image. */
export async function decodeRaw(bytes: Buffer | Uint8Array): Promise<RawImage> {
  const { data, info } = await sharp(bytes)
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true })
  return { data, width: info.width, height: info.height, channels: 3 }
}

/** Encode a raw image as PNG or as JPEG at a given quality. */
export async function encodeRaw(
  img: RawImage,
  format: 'png' | 'jpeg' = 'png',
  quality = 90,
): Promise<Buffer> {
  const s = sharp(img.data, {
    raw: { width: img.width, height: img.height, channels: img.channels },
  })
  return format === 'png'
    ? s.png({ compressionLevel: 1 }).toBuffer()
    : s.jpeg({ quality }).toBuffer()
}

/**
 * Encode a raw image as a bottom-up 24-bit BMP (40-byte info header), as desk scanners on
 * Windows write it; sharp writes no BMP.
 */
export function encodeBmp(img: RawImage): Buffer {
  const stride = Math.ceil((img.width * 3) / 4) * 4
  const out = Buffer.alloc(54 + stride * img.height)
  out.write('BM', 0, 'latin1')
  out.writeUInt32LE(out.length, 2)
  out.writeUInt32LE(54, 10)
  out.writeUInt32LE(40, 14)
  out.writeInt32LE(img.width, 18)
  out.writeInt32LE(img.height, 22)
  out.writeUInt16LE(1, 26)
  out.writeUInt16LE(24, 28)
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const p = 54 + (img.height - 1 - y) * stride + x * 3
      const q = (y * img.width + x) * img.channels
      const r = img.data[q] ?? 0
      const g = img.channels === 3 ? (img.data[q + 1] ?? 0) : r
      const b = img.channels === 3 ? (img.data[q + 2] ?? 0) : r
      out[p] = b
      out[p + 1] = g
      out[p + 2] = r
    }
  }
  return out
}

const fromSharp = async (s: Sharp, channels: 1 | 3): Promise<RawImage> => {
  const { data, info } = await s.raw().toBuffer({ resolveWithObject: true })
  return {
    data,
    width: info.width,
    height: info.height,
    channels: info.channels === 1 ? 1 : channels,
  }
}

const open = (img: RawImage): Sharp =>
  sharp(img.data, { raw: { width: img.width, height: img.height, channels: img.channels } })

/** Rotate by any angle in degrees (clockwise), filling the corners with a colour. */
export async function rotate(
  img: RawImage,
  degrees: number,
  background = '#808080',
): Promise<RawImage> {
  return fromSharp(open(img).rotate(degrees, { background }), img.channels)
}

/** Gaussian blur (out of focus, motion-free). */
export async function blur(img: RawImage, sigma: number): Promise<RawImage> {
  if (sigma < 0.3) return img
  return fromSharp(open(img).blur(sigma), img.channels)
}

/** Re-encode as JPEG at a quality (50–90 in phone photos) and decode again. */
export async function jpegRoundTrip(img: RawImage, quality: number): Promise<RawImage> {
  const jpeg = await open(img).jpeg({ quality }).toBuffer()
  return fromSharp(sharp(jpeg), img.channels)
}

/** Scale to a new width (keeping the aspect ratio): low-resolution cameras and far shots. */
export async function scaleToWidth(img: RawImage, width: number): Promise<RawImage> {
  return fromSharp(open(img).resize({ width: Math.round(width), kernel: 'linear' }), img.channels)
}

/** Additive Gaussian sensor noise with a standard deviation in grey levels. */
export function noise(img: RawImage, sigma: number, rng: Rng): RawImage {
  const data = Buffer.alloc(img.data.length)
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.max(0, Math.min(255, Math.round(img.data[i]! + sigma * rng.normal())))
  }
  return { ...img, data }
}

/** Low light: darken (gain below 1) with a gamma curve, then add the noise of a high ISO. */
export function lowLight(img: RawImage, gain: number, rng: Rng): RawImage {
  const lut = new Uint8Array(256)
  for (let v = 0; v < 256; v++) lut[v] = Math.round(255 * gain * Math.pow(v / 255, 1.3))
  const data = Buffer.alloc(img.data.length)
  for (let i = 0; i < data.length; i++) data[i] = lut[img.data[i]!]!
  return noise({ ...img, data }, 4, rng)
}

/** A soft specular highlight: blend towards white inside an ellipse (centre and radii in px). */
export function glare(
  img: RawImage,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  strength = 0.9,
): RawImage {
  const data = Buffer.from(img.data)
  const c = img.channels
  const y0 = Math.max(0, Math.floor(cy - ry))
  const y1 = Math.min(img.height - 1, Math.ceil(cy + ry))
  const x0 = Math.max(0, Math.floor(cx - rx))
  const x1 = Math.min(img.width - 1, Math.ceil(cx + rx))
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const d = Math.hypot((x - cx) / rx, (y - cy) / ry)
      if (d >= 1) continue
      const a = strength * Math.min(1, 1.6 * (1 - d))
      for (let k = 0; k < c; k++) {
        const i = (y * img.width + x) * c + k
        data[i] = Math.round(data[i]! + (255 - data[i]!) * a)
      }
    }
  }
  return { ...img, data }
}

/** Solve the 3×3 homography mapping four source corners onto four destination corners. */
function homography(src: [number, number][], dst: [number, number][]): number[] {
  // 8 unknowns h0..h7 (h8 = 1), two equations per point; Gaussian elimination.
  const A: number[][] = []
  for (let i = 0; i < 4; i++) {
    const [x, y] = src[i]!
    const [u, v] = dst[i]!
    A.push([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
    A.push([0, 0, 0, x, y, 1, -v * x, -v * y, v])
  }
  for (let col = 0; col < 8; col++) {
    let piv = col
    for (let r = col + 1; r < 8; r++) if (Math.abs(A[r]![col]!) > Math.abs(A[piv]![col]!)) piv = r
    ;[A[col], A[piv]] = [A[piv]!, A[col]!]
    for (let r = 0; r < 8; r++) {
      if (r === col) continue
      const f = A[r]![col]! / A[col]![col]!
      for (let k = col; k < 9; k++) A[r]![k]! -= f * A[col]![k]!
    }
  }
  return [...A.map((row, i) => row[8]! / row[i]!), 1]
}

/**
 * Perspective: move each corner inwards by up to `strength` × the size (0.05–0.15 is a hand-held
 * tilt) and warp with bilinear sampling. Uncovered pixels take the background grey.
 */
export function perspective(img: RawImage, strength: number, rng: Rng, background = 128): RawImage {
  const { width: w, height: h, channels: c } = img
  const j = (): number => rng.next() * strength
  const dst: [number, number][] = [
    [j() * w, j() * h],
    [w - 1 - j() * w, j() * h],
    [w - 1 - j() * w, h - 1 - j() * h],
    [j() * w, h - 1 - j() * h],
  ]
  const src: [number, number][] = [
    [0, 0],
    [w - 1, 0],
    [w - 1, h - 1],
    [0, h - 1],
  ]
  // Inverse map: destination pixel → source position.
  const H = homography(dst, src)
  const out = Buffer.alloc(img.data.length, background)
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = H[6]! * x + H[7]! * y + H[8]!
      const sx = (H[0]! * x + H[1]! * y + H[2]!) / d
      const sy = (H[3]! * x + H[4]! * y + H[5]!) / d
      if (sx < 0 || sy < 0 || sx > w - 1 || sy > h - 1) continue
      const x0 = Math.floor(sx)
      const y0 = Math.floor(sy)
      const x1 = Math.min(w - 1, x0 + 1)
      const y1 = Math.min(h - 1, y0 + 1)
      const fx = sx - x0
      const fy = sy - y0
      for (let k = 0; k < c; k++) {
        const a = img.data[(y0 * w + x0) * c + k]!
        const b = img.data[(y0 * w + x1) * c + k]!
        const cc = img.data[(y1 * w + x0) * c + k]!
        const dd = img.data[(y1 * w + x1) * c + k]!
        out[(y * w + x) * c + k] = Math.round(
          a + (b - a) * fx + (cc - a) * fy + (a - b - cc + dd) * fx * fy,
        )
      }
    }
  }
  return { ...img, data: out }
}

/**
 * Put the image on a cluttered background (a desk: wood-ish colour, random shapes and text
 * strokes), `margin` × its size on each side, at a random offset.
 */
export async function onBackground(img: RawImage, rng: Rng, margin = 0.25): Promise<RawImage> {
  const W = Math.round(img.width * (1 + 2 * margin))
  const H = Math.round(img.height * (1 + 2 * margin))
  const base = rng.pick(['#6b4f3a', '#3c3c3c', '#8a8f94', '#c9c2b2', '#2f4a5e', '#d8d3ca'])
  const shapes: string[] = []
  for (let i = 0; i < 14; i++) {
    const x = rng.int(0, W)
    const y = rng.int(0, H)
    const col = `rgb(${rng.int(0, 255)},${rng.int(0, 255)},${rng.int(0, 255)})`
    if (rng.chance(0.5)) {
      shapes.push(
        `<circle cx="${x}" cy="${y}" r="${rng.int(10, W / 8)}" fill="${col}" opacity="0.6"/>`,
      )
    } else {
      shapes.push(
        `<rect x="${x}" y="${y}" width="${rng.int(20, W / 4)}" height="${rng.int(5, H / 10)}" fill="${col}" opacity="0.6" transform="rotate(${rng.int(-40, 40)} ${x} ${y})"/>`,
      )
    }
  }
  for (let i = 0; i < 4; i++) {
    shapes.push(
      `<text x="${rng.int(0, W)}" y="${rng.int(0, H)}" font-family="DejaVu Sans" font-size="${rng.int(12, 40)}" fill="#222" opacity="0.7">RECEIPT 0${rng.int(1000, 9999)} TOTAL</text>`,
    )
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="100%" height="100%" fill="${base}"/>${shapes.join('')}</svg>`
  const left = rng.int(0, W - img.width)
  const top = rng.int(0, H - img.height)
  const doc = await encodeRaw(img)
  const s = sharp(Buffer.from(svg))
    .composite([{ input: doc, left, top }])
    .removeAlpha()
  return fromSharp(img.channels === 1 ? s.grayscale() : s, img.channels)
}
