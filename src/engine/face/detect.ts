// Face detection on one still image: decode (the shared intake: format sniffing, bomb limits,
// EXIF orientation), run Human (detector, mesh, anti-spoof, liveness), align the main face on its
// mesh and describe it with two recognizers (the ArcFace-style network of recognize.ts and
// face-api's dlib ResNet; and, when asked, estimate its age with face-api's age model), and
// measure what
// a single still supports about the capture itself: face size and position, pose, sharpness, a
// second face, and a screen's moiré.

import { decodeColorImage } from '../intake.ts'
import type { EngineError } from '../types.ts'
import { faceChip, meshFivePoints, type Point } from './align.ts'
import type { RgbImage } from './image.ts'
import { faceRuntime, type AgeGenderPrediction } from './models.ts'
import { cosineSimilarity, DESCRIPTOR_LENGTH, faceDescriptor } from './recognize.ts'

export type { RgbImage }

/** An image as encoded bytes (JPEG, PNG, WebP, PDF) or already decoded. */
export type FaceImageInput = Uint8Array | RgbImage

/** Where the face is expected: the portrait printed on a document, or a selfie. */
export type FaceRole = 'document' | 'selfie'

/** Why an image cannot be used for a face, in words a person can act on. */
export type FaceFeedback =
  | 'image_unreadable' // not an image we decode (see `error`)
  | 'no_face'
  | 'multiple_faces' // a selfie with more than one face of similar size
  | 'face_too_small'
  | 'face_cut_off' // the face runs over the image edge

export interface DetectedFace {
  /** [x, y, width, height] in pixels of the decoded image. */
  box: [number, number, number, number]
  /** Detector confidence, 0–1. */
  score: number
  /** Face width over the image's shorter side. */
  sizeRatio: number
  /** Human's anti-spoofing score: 0 looks like a photo of a photo or screen, 1 a real face. */
  antispoof: number | null
  /** Human's liveness score, 0–1. */
  liveness: number | null
  /**
   * Estimated age in years (face-api's age model): the median over four versions of the face
   * crop (as aligned, mirrored, 5 % tighter, 5 % looser). Null unless asked for (`age: true`).
   */
  age: number | null
  /** Largest minus smallest of those four estimates: how unstable the estimate is. */
  ageSpread: number | null
  gender: 'female' | 'male' | null
  /** Head pose in degrees; null without a mesh. */
  pose: { yaw: number; pitch: number; roll: number } | null
  /** Edge sharpness of the face region: Laplacian spread over contrast, ~0–2. */
  sharpness: number
  /** Periodicity of the fine texture (screen pixels, halftone): 0 none, 1 strongly periodic. */
  moire: number
  /**
   * Face descriptor for matching: the ArcFace-style recognizer's 512 values at unit length, then
   * dlib's ResNet's 128 (see embeddingSimilarity). Empty when the face could not be described.
   */
  embedding: number[]
}

export interface FaceDetection {
  /** Decoded size, or null when the image could not be read. */
  image: { width: number; height: number } | null
  /** Faces, largest first. */
  faces: DetectedFace[]
  /** The problem that makes this image unusable for its role; null when it is usable. */
  feedback: FaceFeedback | null
  /** Intake's error when `feedback` is 'image_unreadable'. */
  error?: EngineError
  timingsMs: { decode: number; detect: number; total: number }
}

export interface DetectOptions {
  /** 'selfie' asks for exactly one face; 'document' takes the largest (default 'selfie'). */
  role?: FaceRole
  /** Estimate age and gender too (default false: a comparison does not need them). */
  age?: boolean
}

/** Longest side the detector sees; larger photos are scaled down on decode. */
const WORKING_SIDE = 1280
/** Smallest accepted image side: below this there is no usable face. */
const MIN_IMAGE_SIDE = 96
/** Face width in pixels below which an embedding is not trustworthy. */
const MIN_FACE_PX = { document: 40, selfie: 64 } as const
/** A second face counts when it is at least this fraction of the largest face's width. */
const SECOND_FACE_RATIO = 0.35
/** Side of the square face crop the texture measures run on. */
const CROP = 128

const round = (x: number, digits = 3): number => Number(x.toFixed(digits))

function isRgbImage(input: FaceImageInput): input is RgbImage {
  return !(input instanceof Uint8Array)
}

type Decoded = { ok: true; rgb: RgbImage } | { ok: false; error: EngineError }

/**
 * Decode bytes (or check a raster) to RGB for face work. A selfie is a photo: a PDF is refused
 * (only a document's portrait may come from a scan's first page).
 */
export async function decodeFaceImage(
  input: FaceImageInput,
  role: FaceRole = 'document',
): Promise<Decoded> {
  if (isRgbImage(input)) {
    if (
      input.width <= 0 ||
      input.height <= 0 ||
      input.rgb.length !== input.width * input.height * 3
    ) {
      return {
        ok: false,
        error: { code: 'DOCUMENT_CORRUPT', message: 'The raster size does not match its pixels.' },
      }
    }
    return { ok: true, rgb: input }
  }
  const decoded = await decodeColorImage(input, {
    minSide: MIN_IMAGE_SIDE,
    minLongSide: MIN_IMAGE_SIDE,
    maxWorkingSide: WORKING_SIDE,
    acceptPdf: role === 'document',
  })
  if (!decoded.ok) return decoded
  const { width, height, rgb } = decoded.image
  return { ok: true, rgb: { width, height, rgb } }
}

/**
 * Face region in grey (ITU-R BT.601 luma), resampled to CROP × CROP (bilinear). Only the crop is
 * converted: the texture measures need nothing else in grey.
 */
function cropFace(img: RgbImage, box: [number, number, number, number]): Float32Array {
  const { width, height, rgb } = img
  const luma = (x: number, y: number): number => {
    const i = (y * width + x) * 3
    return 0.299 * rgb[i]! + 0.587 * rgb[i + 1]! + 0.114 * rgb[i + 2]!
  }
  const [bx, by, bw, bh] = box
  const out = new Float32Array(CROP * CROP)
  for (let y = 0; y < CROP; y++) {
    const sy = Math.min(height - 1, Math.max(0, by + ((y + 0.5) * bh) / CROP - 0.5))
    const y0 = Math.floor(sy)
    const y1 = Math.min(height - 1, y0 + 1)
    const fy = sy - y0
    for (let x = 0; x < CROP; x++) {
      const sx = Math.min(width - 1, Math.max(0, bx + ((x + 0.5) * bw) / CROP - 0.5))
      const x0 = Math.floor(sx)
      const x1 = Math.min(width - 1, x0 + 1)
      const fx = sx - x0
      const top = luma(x0, y0) * (1 - fx) + luma(x1, y0) * fx
      const bottom = luma(x0, y1) * (1 - fx) + luma(x1, y1) * fx
      out[y * CROP + x] = top * (1 - fy) + bottom * fy
    }
  }
  return out
}

/** Standard deviation of the 4-neighbour Laplacian over the crop's own contrast. */
export function sharpnessOf(crop: Float32Array, side = CROP): number {
  let sum = 0
  let sum2 = 0
  for (const v of crop) {
    sum += v
    sum2 += v * v
  }
  const n = crop.length
  const contrast = Math.sqrt(Math.max(1, sum2 / n - (sum / n) ** 2))
  let l1 = 0
  let l2 = 0
  let m = 0
  for (let y = 1; y < side - 1; y++) {
    for (let x = 1; x < side - 1; x++) {
      const i = y * side + x
      const lap = 4 * crop[i]! - crop[i - 1]! - crop[i + 1]! - crop[i - side]! - crop[i + side]!
      l1 += lap
      l2 += lap * lap
      m++
    }
  }
  return Math.sqrt(Math.max(0, l2 / m - (l1 / m) ** 2)) / contrast
}

/**
 * Periodicity of the fine texture. A screen photographed by a camera, or a halftone print,
 * leaves a regular pattern a few pixels apart; skin, hair and camera noise do not. The
 * high-pass residual's autocorrelation along rows and columns at lags 3–10 peaks for such a
 * pattern (lags 1–2 are skipped: the high-pass filter itself correlates them).
 */
export function moireOf(crop: Float32Array, side = CROP): number {
  const residual = new Float32Array(crop.length)
  for (let y = 1; y < side - 1; y++) {
    for (let x = 1; x < side - 1; x++) {
      const i = y * side + x
      let s = 0
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) s += crop[i + dy * side + dx]!
      residual[i] = crop[i]! - s / 9
    }
  }
  let energy = 0
  for (const r of residual) energy += r * r
  if (energy < 1e-6) return 0
  let best = 0
  for (let lag = 3; lag <= 10; lag++) {
    let rows = 0
    let cols = 0
    for (let y = 1; y < side - 1; y++) {
      for (let x = 1; x < side - 1 - lag; x++) {
        rows += residual[y * side + x]! * residual[y * side + x + lag]!
        cols += residual[x * side + y]! * residual[(x + lag) * side + y]!
      }
    }
    best = Math.max(best, rows / energy, cols / energy)
  }
  return Math.max(0, Math.min(1, best))
}

type HumanFace = Awaited<
  ReturnType<Awaited<ReturnType<typeof faceRuntime>>['human']['detect']>
>['face'][number]

/**
 * Side and padding of the age model's crop. face-api cuts it as the box around the 68 landmarks
 * (eyebrows to chin, ear to ear) grown by 10 % a side, which is dlib's mean face box with
 * padding 0.1; the variants move the crop 5 % in and out, and mirror it.
 */
const AGE_CHIPS = [
  { size: 112, padding: 0.1 },
  { size: 112, padding: 0.1, mirror: true },
  { size: 112, padding: 0.05 },
  { size: 112, padding: 0.15 },
]

/** dlib's ResNet takes a 150 px chip of the face with a quarter of padding (face-api's layout). */
const DLIB_CHIP = { size: 150, padding: 0.25 }

/** dlib's ResNet descriptor (128 values) of an aligned face, through face-api. */
async function dlibDescriptor(img: RgbImage, points: Point[]): Promise<number[]> {
  const { nets, tf } = await faceRuntime()
  const { size } = DLIB_CHIP
  const chip = tf.tensor3d(faceChip(img, points, DLIB_CHIP), [size, size, 3], 'float32')
  try {
    return Array.from(await nets.faceRecognitionNet.computeFaceDescriptor(chip))
  } finally {
    chip.dispose()
  }
}

/**
 * Loom's descriptor of the face at five landmarks: the ArcFace-style network's 512 values, then
 * dlib's 128 (see embeddingSimilarity). Exported for the evals, which describe other faces and
 * other alignments the same way.
 */
export async function faceEmbedding(img: RgbImage, points: Point[]): Promise<number[]> {
  return [...(await faceDescriptor(img, points)), ...(await dlibDescriptor(img, points))]
}

/** The descriptor of an aligned face, and (when asked) its age estimates. */
async function describeFace(
  img: RgbImage,
  points: Point[],
  withAge: boolean,
): Promise<{ embedding: number[]; ages: number[]; gender: DetectedFace['gender'] }> {
  const embedding = await faceEmbedding(img, points)
  if (!withAge) return { embedding, ages: [], gender: null }
  const { nets, tf } = await faceRuntime()
  const crops = AGE_CHIPS.map((c) =>
    tf.tensor3d(faceChip(img, points, c), [c.size, c.size, 3], 'float32'),
  )
  let predictions: AgeGenderPrediction[]
  try {
    const out = await nets.ageGenderNet.predictAgeAndGender(crops)
    predictions = Array.isArray(out) ? out : [out]
  } finally {
    for (const t of crops) t.dispose()
  }
  const female = predictions.filter((p) => p.gender === 'female').length
  return {
    embedding,
    ages: predictions.map((p) => p.age),
    gender: female * 2 > predictions.length ? 'female' : 'male',
  }
}

/** Where each found face's five landmarks are, until it is described (only the main face is). */
const landmarks = new WeakMap<DetectedFace, { img: RgbImage; points: Point[] | null }>()

/**
 * The image and five landmarks (image-left eye, image-right eye, nose tip, mouth corners) a
 * detected face was aligned on; null for a face this module did not detect or without a mesh.
 * For evaluation tools that run other recognizers on the same alignment.
 */
export function faceLandmarks(face: DetectedFace): { img: RgbImage; points: Point[] } | null {
  const found = landmarks.get(face)
  return found?.points ? { img: found.img, points: found.points } : null
}

function measure(face: HumanFace, img: RgbImage, dx: number, dy: number): DetectedFace {
  const [x, y, w, h] = [face.box[0] + dx, face.box[1] + dy, face.box[2], face.box[3]]
  const box: [number, number, number, number] = [
    Math.round(x),
    Math.round(y),
    Math.round(w),
    Math.round(h),
  ]
  const crop = cropFace(img, box)
  const angle = face.rotation?.angle
  const deg = (rad: number): number => round((rad * 180) / Math.PI, 1)
  const detected: DetectedFace = {
    box,
    score: round(face.score),
    sizeRatio: round(w / Math.min(img.width, img.height)),
    antispoof: face.real === undefined ? null : round(face.real),
    liveness: face.live === undefined ? null : round(face.live),
    age: null,
    ageSpread: null,
    gender: null,
    pose: angle ? { yaw: deg(angle.yaw), pitch: deg(angle.pitch), roll: deg(angle.roll) } : null,
    sharpness: round(sharpnessOf(crop)),
    moire: round(moireOf(crop)),
    embedding: [],
  }
  landmarks.set(detected, { img, points: meshFivePoints(face.mesh, dx, dy) })
  return detected
}

/**
 * Gives a face its descriptor (and age, when asked). Without a full mesh there is nothing to
 * align on: the face keeps an empty descriptor (no_face).
 */
async function describe(face: DetectedFace, withAge: boolean): Promise<void> {
  const found = landmarks.get(face)
  if (!found?.points || face.embedding.length > 0) return
  const described = await describeFace(found.img, found.points, withAge)
  const ages = described.ages
  face.embedding = described.embedding
  face.gender = described.gender
  if (ages.length > 0) {
    face.age = round(median(ages), 1)
    face.ageSpread = round(Math.max(...ages) - Math.min(...ages), 1)
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** What makes a detection unusable for its role, or null. */
function feedbackFor(
  faces: DetectedFace[],
  img: { width: number; height: number },
  role: FaceRole,
): FaceFeedback | null {
  const main = faces[0]
  if (!main || main.embedding.length === 0) return 'no_face'
  if (role === 'selfie') {
    const others = faces.slice(1).filter((f) => f.box[2] >= SECOND_FACE_RATIO * main.box[2])
    if (others.length > 0) return 'multiple_faces'
  }
  if (main.box[2] < MIN_FACE_PX[role]) return 'face_too_small'
  const [x, y, w, h] = main.box
  // Human enlarges the box around the landmarks; allow it a little past the edge.
  const slack = 0.12 * w
  if (x < -slack || y < -slack || x + w > img.width + slack || y + h > img.height + slack) {
    return 'face_cut_off'
  }
  return null
}

/** Square windows of the shorter side, half overlapping, across the longer side. */
function squareWindows(width: number, height: number): Region[] {
  const side = Math.min(width, height)
  const long = Math.max(width, height)
  if (long - side < side / 4) return []
  const starts: number[] = []
  for (let at = 0; at + side < long; at += side / 2) starts.push(Math.round(at))
  starts.push(long - side)
  return starts.map((at) =>
    width >= height ? { x: at, y: 0, w: side, h: side } : { x: 0, y: at, w: side, h: side },
  )
}

const overlap = (a: DetectedFace['box'], b: DetectedFace['box']): number => {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0])
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1])
  if (w <= 0 || h <= 0) return 0
  return (w * h) / (a[2] * a[3] + b[2] * b[3] - w * h)
}

/**
 * Detector confidence from which a face can be the main one whatever its size. Below it are
 * mostly false detections (a shoulder, a helmet) whose loose boxes can be the largest in the
 * picture; on real photos such a box beside a face found at full confidence was taken as the
 * face and the person was not recognised.
 */
const CONFIDENT_FACE = 0.5

/** The order faces are reported in: confident ones first, then the largest first. */
export function mainFirst(a: DetectedFace, b: DetectedFace): number {
  const sure = Number(b.score >= CONFIDENT_FACE) - Number(a.score >= CONFIDENT_FACE)
  return sure !== 0 ? sure : b.box[2] * b.box[3] - a.box[2] * a.box[3]
}

/** One face per place: of overlapping detections (from overlapping windows) keep the surer. */
function withoutDuplicates(faces: DetectedFace[]): DetectedFace[] {
  const kept: DetectedFace[] = []
  for (const f of [...faces].sort((a, b) => b.score - a.score)) {
    if (kept.every((k) => overlap(k.box, f.box) < 0.3)) kept.push(f)
  }
  return kept.sort(mainFirst)
}

interface Region {
  x: number
  y: number
  w: number
  h: number
}

/** Run Human on the image (or a region of it); faces come back in whole-image pixels, largest first. */
async function detectIn(rgb: RgbImage, live: boolean, region?: Region): Promise<DetectedFace[]> {
  const { human, tf } = await faceRuntime()
  const whole = tf.tensor3d(rgb.rgb, [rgb.height, rgb.width, 3], 'int32')
  const input = region ? tf.slice(whole, [region.y, region.x, 0], [region.h, region.w, 3]) : whole
  let humanFaces: HumanFace[]
  try {
    // Anti-spoof and liveness judge a live capture; a printed portrait needs neither. Human
    // merges this into its configuration, so both roles set them every call.
    const result = await human.detect(input, {
      face: { antispoof: { enabled: live }, liveness: { enabled: live } },
    })
    if (result.error) throw new Error(`face detector failed: ${result.error}`)
    humanFaces = result.face
  } finally {
    if (input !== whole) input.dispose()
    whole.dispose()
  }
  return humanFaces.map((f) => measure(f, rgb, region?.x ?? 0, region?.y ?? 0)).sort(mainFirst)
}

/**
 * A face at least this tall against the side of the window it was found in is a document's main
 * portrait (on an ID-1 card or a passport page filling the frame, 0.25–0.4), not its ghost image
 * (printed at about half the size): the search stops at the first window that shows one.
 */
const PORTRAIT_SHARE = 0.2

/**
 * The faces on a document photo. The portrait is a small part of it and the detector sees the
 * whole frame at 256 px, so square windows across the long side, where the face is larger, are
 * searched first, in reading order (ICAO's and AAMVA's layouts put the main portrait on the
 * left), up to the first that shows a portrait-sized face with a mesh; without one, the whole
 * frame too.
 */
async function findPortrait(rgb: RgbImage): Promise<DetectedFace[]> {
  const faces: DetectedFace[] = []
  for (const window of squareWindows(rgb.width, rgb.height)) {
    const found = await detectIn(rgb, false, window)
    faces.push(...found)
    const portrait = found.some(
      (f) => f.box[3] >= PORTRAIT_SHARE * window.h && faceLandmarks(f) !== null,
    )
    if (portrait) return withoutDuplicates(faces)
  }
  faces.push(...(await detectIn(rgb, false)))
  return withoutDuplicates(faces)
}

/** Find faces in one still image and say whether it is usable as a document portrait or selfie. */
export async function detectFaces(
  input: FaceImageInput,
  opts: DetectOptions = {},
): Promise<FaceDetection> {
  const role = opts.role ?? 'selfie'
  const started = performance.now()
  const decoded = await decodeFaceImage(input, role)
  const decodeMs = performance.now() - started
  if (!decoded.ok) {
    const total = Math.round(performance.now() - started)
    return {
      image: null,
      faces: [],
      feedback: 'image_unreadable',
      error: decoded.error,
      timingsMs: { decode: Math.round(decodeMs), detect: 0, total },
    }
  }
  const { rgb } = decoded
  const detectStart = performance.now()
  const live = role === 'selfie'
  const withAge = opts.age ?? false
  const image = { width: rgb.width, height: rgb.height }
  const faces = role === 'document' ? await findPortrait(rgb) : await detectIn(rgb, live)
  // Only the main face (mainFirst) is compared or aged; the others are counted and measured.
  if (faces[0]) await describe(faces[0], withAge)
  const detectMs = performance.now() - detectStart
  return {
    image,
    faces,
    feedback: feedbackFor(faces, image, role),
    timingsMs: {
      decode: Math.round(decodeMs),
      detect: Math.round(detectMs),
      total: Math.round(performance.now() - started),
    },
  }
}

/**
 * Weight of dlib's score beside the ArcFace-style cosine. Chosen on the tuning half of the real
 * photos (README): of 0.1–0.8, 0.5 gave the lowest false non-match rate at FMR 0.1 %.
 */
export const DLIB_WEIGHT = 0.5

/**
 * Similarity of two face descriptors, at most 1: the weighted mean of the two networks' scores,
 * the ArcFace-style cosine (−1–1) and dlib's 1 − Euclidean distance (its own threshold is at
 * 0.4). Photos of one person mostly score 0.4–0.8, two people −0.1–0.2; Loom's threshold is
 * chosen on real photos (see README). 0 when either descriptor is missing.
 */
export function embeddingSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || b.length === 0) return 0
  const arcface = cosineSimilarity(a.slice(0, DESCRIPTOR_LENGTH), b.slice(0, DESCRIPTOR_LENGTH))
  let squares = 0
  for (let i = DESCRIPTOR_LENGTH; i < Math.min(a.length, b.length); i++) {
    squares += (a[i]! - b[i]!) ** 2
  }
  return (arcface + DLIB_WEIGHT * (1 - Math.sqrt(squares))) / (1 + DLIB_WEIGHT)
}
