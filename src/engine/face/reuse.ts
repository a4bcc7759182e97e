// Is the selfie the document itself? A person without the document's holder at hand can send
// the document photo again as the selfie, a crop of its portrait, or a photo of the document.
// Each leaves a trace a still image can show: the same picture (perceptual hash), the same face
// pixels as the portrait (correlation of the aligned face crops, mirrored too), or a machine
// readable zone in the selfie. Any of them makes the selfie a presentation attack, never a match.
import type { RgbImage } from './image.ts'

export interface DocumentReuse {
  /** The two images are the same picture (perceptual hashes within SAME_IMAGE_BITS). */
  sameImage: boolean
  /** Bits of 64 in which the two images' difference hashes differ. */
  imageDistance: number
  /** The selfie's face is the portrait's pixels (crop correlation at least PORTRAIT_COPY). */
  portraitCopy: boolean
  /** Best correlation of the two face crops, plain or mirrored; null without both faces. */
  portraitCorrelation: number | null
  /** The selfie shows a machine readable zone: a photo of the document, not of a face. */
  selfieShowsMrz: boolean
}

/** Difference hashes this close are one picture, however resized or recompressed. */
const SAME_IMAGE_BITS = 6
/**
 * High-passed 32 px face crops of one photo — the selfie a crop of the printed portrait, or both
 * cut from one picture — correlated at 0.79–1.0 on the test material (test/faces-flow.test.ts);
 * crops of two photos, of one man or of two people, at 0.14–0.17. Half-way is far from both.
 */
export const PORTRAIT_COPY = 0.5
const CROP = 32
const SHIFT = 3

function luma(img: RgbImage, x: number, y: number): number {
  const xi = Math.min(img.width - 1, Math.max(0, Math.round(x)))
  const yi = Math.min(img.height - 1, Math.max(0, Math.round(y)))
  const i = (yi * img.width + xi) * 3
  return 0.299 * img.rgb[i]! + 0.587 * img.rgb[i + 1]! + 0.114 * img.rgb[i + 2]!
}

/** Area-averaged grey thumbnail of a region, `w` × `h`. */
function thumbnail(
  img: RgbImage,
  region: [number, number, number, number],
  w: number,
  h: number,
): Float64Array {
  const [rx, ry, rw, rh] = region
  const out = new Float64Array(w * h)
  const steps = 3
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0
      for (let sy = 0; sy < steps; sy++) {
        for (let sx = 0; sx < steps; sx++) {
          sum += luma(
            img,
            rx + ((x + (sx + 0.5) / steps) * rw) / w,
            ry + ((y + (sy + 0.5) / steps) * rh) / h,
          )
        }
      }
      out[y * w + x] = sum / (steps * steps)
    }
  }
  return out
}

/** dHash (difference hash): 64 bits of "is this pixel brighter than its right neighbour". */
export function differenceHash(img: RgbImage): bigint {
  const t = thumbnail(img, [0, 0, img.width, img.height], 9, 8)
  let hash = 0n
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      hash = (hash << 1n) | (t[y * 9 + x]! > t[y * 9 + x + 1]! ? 1n : 0n)
    }
  }
  return hash
}

function bitsDiffering(a: bigint, b: bigint): number {
  let x = a ^ b
  let n = 0
  while (x > 0n) {
    n += Number(x & 1n)
    x >>= 1n
  }
  return n
}

/** Pearson correlation of two equal-length vectors. */
function correlation(a: Float64Array, b: Float64Array): number {
  const n = a.length
  let ma = 0
  let mb = 0
  for (let i = 0; i < n; i++) {
    ma += a[i]!
    mb += b[i]!
  }
  ma /= n
  mb /= n
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma
    const y = b[i]! - mb
    dot += x * y
    na += x * x
    nb += y * y
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0
}

/** The crop's detail: each pixel minus the mean of its 5 × 5 neighbourhood (what every face shares — a bright middle, darker edges — is gone; what one picture has, stays). */
function highPass(t: Float64Array, side: number): Float64Array {
  const out = new Float64Array(t.length)
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let sum = 0
      let n = 0
      for (let dy = -2; dy <= 2; dy++) {
        for (let dx = -2; dx <= 2; dx++) {
          const yy = y + dy
          const xx = x + dx
          if (yy < 0 || xx < 0 || yy >= side || xx >= side) continue
          sum += t[yy * side + xx]!
          n++
        }
      }
      out[y * side + x] = t[y * side + x]! - sum / n
    }
  }
  return out
}

function mirror(t: Float64Array, side: number): Float64Array {
  const out = new Float64Array(t.length)
  for (let r = 0; r < side; r++) {
    for (let c = 0; c < side; c++) out[r * side + c] = t[r * side + (side - 1 - c)]!
  }
  return out
}

/** Scales and shifts of the selfie's face box tried against the portrait's. */
const SCALES = [0.82, 0.88, 0.94, 1, 1.06, 1.13, 1.2]

/**
 * Best correlation of the two faces' high-passed grey crops, over the scales and shifts by which
 * one face's boxes differ between two renderings, plain and mirrored.
 */
export function faceCropCorrelation(
  portrait: RgbImage,
  portraitBox: [number, number, number, number],
  selfie: RgbImage,
  selfieBox: [number, number, number, number],
): number {
  const a = highPass(thumbnail(portrait, portraitBox, CROP, CROP), CROP)
  const [x, y, w, h] = selfieBox
  let best = -1
  for (const scale of SCALES) {
    const sw = w * scale
    const sh = h * scale
    for (let dy = -SHIFT; dy <= SHIFT; dy++) {
      for (let dx = -SHIFT; dx <= SHIFT; dx++) {
        const region: [number, number, number, number] = [
          x + (w - sw) / 2 + (dx * sw) / CROP,
          y + (h - sh) / 2 + (dy * sh) / CROP,
          sw,
          sh,
        ]
        const b = highPass(thumbnail(selfie, region, CROP, CROP), CROP)
        best = Math.max(best, correlation(a, b), correlation(a, mirror(b, CROP)))
      }
    }
  }
  return best
}

/** The reuse signals of a document image and a selfie (faces: their largest, when found). */
export function documentReuse(
  document: RgbImage,
  selfie: RgbImage,
  faces: {
    portrait: [number, number, number, number] | null
    selfie: [number, number, number, number] | null
  },
  selfieShowsMrz: boolean,
): DocumentReuse {
  const imageDistance = bitsDiffering(differenceHash(document), differenceHash(selfie))
  const portraitCorrelation =
    faces.portrait && faces.selfie
      ? Number(faceCropCorrelation(document, faces.portrait, selfie, faces.selfie).toFixed(3))
      : null
  return {
    sameImage: imageDistance <= SAME_IMAGE_BITS,
    imageDistance,
    portraitCopy: portraitCorrelation !== null && portraitCorrelation >= PORTRAIT_COPY,
    portraitCorrelation,
    selfieShowsMrz,
  }
}
