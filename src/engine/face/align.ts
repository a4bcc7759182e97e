// Face alignment: five landmarks (eye centres, nose tip, mouth corners) mapped by a similarity
// transform onto the positions the recognition model was trained with, and the face resampled
// into a square chip.
//
// The descriptor model is dlib's ResNet face recognition model (dlib_face_recognition_resnet_model_v1,
// as converted in @vladmandic/face-api). dlib trained it on 150 × 150 chips cut by its
// `get_face_chip_details(shape, 150, 0.25)`: landmarks matched to dlib's mean face, with a
// quarter of the face's size as padding on each side. The template below is that mean face
// (dlib's `mean_face_shape_x/_y`, in 0–1 units of the face's landmark box), reduced to the five
// points Human's face mesh gives reliably.

import type { RgbImage } from './image.ts'

export type Point = [number, number]

/** dlib's mean face (0–1), at the five points: image-left eye, image-right eye, nose tip, mouth corners. */
const MEAN_FACE: Point[] = [
  // Eye centres: the mean of dlib's six points around each eye (68-point layout 36–41, 42–47).
  [0.2255085, 0.2159903],
  [0.7547613, 0.2159903],
  // Nose tip (point 30) and mouth corners (48, 54).
  [0.490127, 0.515625],
  [0.254149, 0.780233],
  [0.726104, 0.780233],
]

/** The five template points in a `size` chip with `padding` (fraction of the face box per side), as dlib places them. */
export function chipTemplate(size: number, padding: number): Point[] {
  return MEAN_FACE.map(([x, y]) => [
    ((padding + x) / (2 * padding + 1)) * size,
    ((padding + y) / (2 * padding + 1)) * size,
  ])
}

/**
 * Least-squares similarity transform (rotation, uniform scale, shift; no reflection) taking
 * `from` onto `to`: [a, b, tx, ty] with x' = a·x − b·y + tx, y' = b·x + a·y + ty.
 */
export function similarityTransform(from: Point[], to: Point[]): [number, number, number, number] {
  const n = from.length
  let fx = 0
  let fy = 0
  let tx = 0
  let ty = 0
  for (let i = 0; i < n; i++) {
    fx += from[i]![0] / n
    fy += from[i]![1] / n
    tx += to[i]![0] / n
    ty += to[i]![1] / n
  }
  let dot = 0
  let cross = 0
  let norm = 0
  for (let i = 0; i < n; i++) {
    const px = from[i]![0] - fx
    const py = from[i]![1] - fy
    const qx = to[i]![0] - tx
    const qy = to[i]![1] - ty
    dot += px * qx + py * qy
    cross += px * qy - py * qx
    norm += px * px + py * py
  }
  const a = norm > 0 ? dot / norm : 1
  const b = norm > 0 ? cross / norm : 0
  return [a, b, tx - (a * fx - b * fy), ty - (b * fx + a * fy)]
}

export interface ChipOptions {
  size: number
  /** Fraction of the face's landmark box added on each side (dlib: 0.25 for recognition). */
  padding: number
  /** Mirror the chip left–right. */
  mirror?: boolean
}

/**
 * The face warped onto `template` (the five points' places in a size × size chip): interleaved
 * RGB as floats 0–255, bilinear, edges clamped (a face at the image border repeats its edge
 * pixels, as dlib's chips do).
 */
export function warpToTemplate(
  image: RgbImage,
  points: readonly Point[],
  template: Point[],
  size: number,
  mirror = false,
): Float32Array {
  // Image → chip transform; each chip pixel is mapped back through its inverse.
  const [a, b, tx, ty] = similarityTransform([...points], template)
  const det = a * a + b * b
  const out = new Float32Array(size * size * 3)
  const { width, height, rgb } = image
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const du = u - tx
      const dv = v - ty
      const x = Math.min(width - 1, Math.max(0, (a * du + b * dv) / det))
      const y = Math.min(height - 1, Math.max(0, (-b * du + a * dv) / det))
      const x0 = Math.floor(x)
      const y0 = Math.floor(y)
      const x1 = Math.min(width - 1, x0 + 1)
      const y1 = Math.min(height - 1, y0 + 1)
      const fx = x - x0
      const fy = y - y0
      const at = (v * size + (mirror ? size - 1 - u : u)) * 3
      for (let c = 0; c < 3; c++) {
        const p00 = rgb[(y0 * width + x0) * 3 + c]!
        const p01 = rgb[(y0 * width + x1) * 3 + c]!
        const p10 = rgb[(y1 * width + x0) * 3 + c]!
        const p11 = rgb[(y1 * width + x1) * 3 + c]!
        const top = p00 + (p01 - p00) * fx
        const bottom = p10 + (p11 - p10) * fx
        out[at + c] = top + (bottom - top) * fy
      }
    }
  }
  return out
}

/** The face warped onto dlib's template with `padding`: see warpToTemplate. */
export function faceChip(image: RgbImage, points: Point[], opts: ChipOptions): Float32Array {
  const { size, padding, mirror = false } = opts
  return warpToTemplate(image, points, chipTemplate(size, padding), size, mirror)
}

// MediaPipe face mesh (468 points) indices for the five points.
const MESH_EYE_A = [33, 133, 159, 145, 160, 144, 158, 153]
const MESH_EYE_B = [263, 362, 386, 374, 387, 373, 385, 380]
const MESH_NOSE_TIP = 1
const MESH_MOUTH_A = 61
const MESH_MOUTH_B = 291

/**
 * Five points from a face mesh, ordered as the template: image-left eye centre, image-right eye
 * centre, nose tip, image-left and image-right mouth corner. Null when the mesh is incomplete.
 */
export function meshFivePoints(
  mesh: readonly (readonly (number | undefined)[])[],
  dx = 0,
  dy = 0,
): Point[] | null {
  if (mesh.length < 468) return null
  const mean = (idx: number[]): Point => {
    let x = 0
    let y = 0
    for (const i of idx) {
      x += mesh[i]![0]!
      y += mesh[i]![1]!
    }
    return [x / idx.length + dx, y / idx.length + dy]
  }
  const at = (i: number): Point => [mesh[i]![0]! + dx, mesh[i]![1]! + dy]
  let eyes = [mean(MESH_EYE_A), mean(MESH_EYE_B)]
  let mouth = [at(MESH_MOUTH_A), at(MESH_MOUTH_B)]
  // The template is in image terms (left of the picture first), whichever way the mesh labels sides.
  if (eyes[0]![0] > eyes[1]![0]) eyes = [eyes[1]!, eyes[0]!]
  if (mouth[0]![0] > mouth[1]![0]) mouth = [mouth[1]!, mouth[0]!]
  return [eyes[0]!, eyes[1]!, at(MESH_NOSE_TIP), mouth[0]!, mouth[1]!]
}
