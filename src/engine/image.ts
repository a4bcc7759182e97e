// Small raster helpers for the document readers: 8-bit grayscale images, resampling, thresholds
// and connected components. Plain loops over typed arrays; no state between calls.

import sharp from 'sharp'
/** An 8-bit grayscale raster, row-major. */
export interface GrayImage {
  width: number
  height: number
  gray: Uint8Array
}

/** Summed-area table with one extra row and column of zeros. */
export function integral(img: GrayImage): Float64Array | Uint32Array {
  const { width: w, height: h, gray } = img
  // Sums of up to 16.8 megapixels of 8-bit values fit 32 bits, and Uint32 halves the memory.
  const s =
    w * h <= 16_000_000 ? new Uint32Array((w + 1) * (h + 1)) : new Float64Array((w + 1) * (h + 1))
  for (let y = 0; y < h; y++) {
    let row = 0
    for (let x = 0; x < w; x++) {
      row += gray[y * w + x]!
      s[(y + 1) * (w + 1) + x + 1] = s[y * (w + 1) + x + 1]! + row
    }
  }
  return s
}

/** Resize by area averaging when shrinking and bilinear interpolation when growing. */
export function resize(img: GrayImage, width: number, height: number): GrayImage {
  const out = new Uint8Array(width * height)
  const sx = img.width / width
  const sy = img.height / height
  if (sx >= 1 && sy >= 1) {
    // Separable box average: rows first into a narrow buffer, then columns.
    const { width: w, height: h, gray } = img
    const xr = Array.from({ length: width }, (_, x) => {
      const x0 = Math.floor(x * sx)
      return [x0, Math.max(x0 + 1, Math.min(w, Math.floor((x + 1) * sx)))] as const
    })
    const rows = new Float32Array(width * h)
    for (let y = 0; y < h; y++) {
      const off = y * w
      for (let x = 0; x < width; x++) {
        const [x0, x1] = xr[x]!
        let sum = 0
        for (let k = x0; k < x1; k++) sum += gray[off + k]!
        rows[y * width + x] = sum / (x1 - x0)
      }
    }
    for (let y = 0; y < height; y++) {
      const y0 = Math.floor(y * sy)
      const y1 = Math.max(y0 + 1, Math.min(h, Math.floor((y + 1) * sy)))
      for (let x = 0; x < width; x++) {
        let sum = 0
        for (let k = y0; k < y1; k++) sum += rows[k * width + x]!
        out[y * width + x] = Math.round(sum / (y1 - y0))
      }
    }
    return { width, height, gray: out }
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      out[y * width + x] = Math.round(bilinear(img, (x + 0.5) * sx - 0.5, (y + 0.5) * sy - 0.5))
    }
  }
  return { width, height, gray: out }
}

/** Bilinear sample at a real-valued position; outside the image the nearest edge pixel is used. */
export function bilinear(img: GrayImage, x: number, y: number): number {
  const { width: w, height: h, gray } = img
  const xc = x < 0 ? 0 : x > w - 1 ? w - 1 : x
  const yc = y < 0 ? 0 : y > h - 1 ? h - 1 : y
  const x0 = Math.floor(xc)
  const y0 = Math.floor(yc)
  const x1 = x0 + 1 < w ? x0 + 1 : x0
  const y1 = y0 + 1 < h ? y0 + 1 : y0
  const fx = xc - x0
  const fy = yc - y0
  const a = gray[y0 * w + x0]!
  const b = gray[y0 * w + x1]!
  const c = gray[y1 * w + x0]!
  const d = gray[y1 * w + x1]!
  return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy
}

/**
 * Sample an oriented rectangle: output pixel (i, j) comes from origin + i·u + j·v in the source
 * (u and v are source-pixel steps per output pixel).
 */
export function sampleRect(
  img: GrayImage,
  origin: [number, number],
  u: [number, number],
  v: [number, number],
  width: number,
  height: number,
): GrayImage {
  const out = new Uint8Array(width * height)
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const x = origin[0] + i * u[0] + j * v[0]
      const y = origin[1] + i * u[1] + j * v[1]
      out[j * width + i] = Math.round(bilinear(img, x, y))
    }
  }
  return { width, height, gray: out }
}

/** Otsu's threshold over a histogram of the given pixels. */
export function otsu(values: Uint8Array): number {
  const hist = new Float64Array(256)
  for (const v of values) hist[v]!++
  const n = values.length
  let sumAll = 0
  for (let i = 0; i < 256; i++) sumAll += i * hist[i]!
  let sumB = 0
  let wB = 0
  let best = 0
  let threshold = 127
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!
    if (wB === 0) continue
    const wF = n - wB
    if (wF === 0) break
    sumB += t * hist[t]!
    const mB = sumB / wB
    const mF = (sumAll - sumB) / wF
    const between = wB * wF * (mB - mF) * (mB - mF)
    if (between > best) {
      best = between
      threshold = t
    }
  }
  return threshold
}

/** Dark-on-light ink mask by a local-mean threshold over a square window. */
export function adaptiveInk(
  img: GrayImage,
  radius: number,
  minContrast: number,
  relContrast = 0.15,
): Uint8Array {
  const { width: w, height: h, gray } = img
  const s = integral(img)
  const W = w + 1
  const mask = new Uint8Array(w * h)
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - radius)
    const y1 = Math.min(h, y + radius + 1)
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - radius)
      const x1 = Math.min(w, x + radius + 1)
      const mean =
        (s[y1 * W + x1]! - s[y0 * W + x1]! - s[y1 * W + x0]! + s[y0 * W + x0]!) /
        ((x1 - x0) * (y1 - y0))
      if (gray[y * w + x]! < mean - Math.max(minContrast, relContrast * mean)) mask[y * w + x] = 1
    }
  }
  return mask
}

export interface Component {
  x0: number
  y0: number
  x1: number // inclusive
  y1: number // inclusive
  area: number
  cx: number
  cy: number
}

/** 8-connected components of a 0/1 mask, with a label image (0 = background, k+1 = component k). */
export function components(
  mask: Uint8Array,
  width: number,
  height: number,
): { comps: Component[]; labels: Int32Array } {
  const labels = new Int32Array(width * height)
  const comps: Component[] = []
  const stack: number[] = []
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue
    const id = comps.length + 1
    const c: Component = { x0: width, y0: height, x1: 0, y1: 0, area: 0, cx: 0, cy: 0 }
    labels[start] = id
    stack.push(start)
    while (stack.length) {
      const p = stack.pop()!
      const x = p % width
      const y = (p - x) / width
      c.area++
      c.cx += x
      c.cy += y
      if (x < c.x0) c.x0 = x
      if (x > c.x1) c.x1 = x
      if (y < c.y0) c.y0 = y
      if (y > c.y1) c.y1 = y
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy
        if (yy < 0 || yy >= height) continue
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx
          if (xx < 0 || xx >= width) continue
          const q = yy * width + xx
          if (mask[q] && !labels[q]) {
            labels[q] = id
            stack.push(q)
          }
        }
      }
    }
    c.cx /= c.area
    c.cy /= c.area
    comps.push(c)
  }
  return { comps, labels }
}

/** Shrink with libvips (box pre-shrink, then a Lanczos reduce): many times faster than `resize` on large photos. */
export async function shrink(img: GrayImage, width: number, height: number): Promise<GrayImage> {
  if (width >= img.width && height >= img.height) return resize(img, width, height)
  // A Buffer view over the same bytes: sharp reads a typed array from its buffer's start.
  const bytes = Buffer.from(img.gray.buffer, img.gray.byteOffset, img.gray.length)
  const { data, info } = await sharp(bytes, {
    raw: { width: img.width, height: img.height, channels: 1 },
  })
    .resize(width, height, { fit: 'fill' })
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true })
  return {
    width: info.width,
    height: info.height,
    gray: new Uint8Array(data.buffer, data.byteOffset, data.length),
  }
}
