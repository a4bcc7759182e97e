// Face recognition: an ArcFace-style network (models/face/fr_feature.onnx, 112 × 112 RGB in,
// 512 values out; its origin and terms are in models/face/README.md) run by onnxruntime-node on
// the CPU. The face is aligned by a five-point similarity transform onto the template ArcFace
// models are trained on (InsightFace's 112 × 112 reference points), and the descriptor is the
// network's output scaled to unit length. Averaging it with the output for the mirrored face
// doubled the cost and did not lower the false non-match rate on the tuning photos (README).
//
// One InferenceSession per thread (module state is per worker thread), loaded on first use, with
// one intra-op thread: the engine pool already runs one task per core.

import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'
import { nativeCall } from '../native.ts'
import { warpToTemplate, type Point } from './align.ts'
import type { RgbImage } from './image.ts'

/** Side of the network's input chip. */
export const ARCFACE_SIZE = 112

/**
 * InsightFace's reference points for a 112 × 112 ArcFace chip: image-left eye centre,
 * image-right eye centre, nose tip, image-left and image-right mouth corner.
 */
export const ARCFACE_TEMPLATE: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
]

/** Length of the descriptor. */
export const DESCRIPTOR_LENGTH = 512

// src/engine/face → repository root; the compiled dist/engine/face sits at the same depth.
const MODEL_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../models/face/fr_feature.onnx',
)

let session: Promise<ort.InferenceSession> | null = null

/** The recognition network, loaded once per thread; a failed load is retried on the next call. */
export function recognizerSession(): Promise<ort.InferenceSession> {
  if (session === null) {
    session = nativeCall(() =>
      ort.InferenceSession.create(MODEL_FILE, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      }),
    )
    session.catch(() => {
      session = null
    })
  }
  return session
}

export interface ArcfaceChipOptions {
  /** Mirror the chip left–right. */
  mirror?: boolean
  /**
   * Zoom about the chip's centre: above 1 the face fills more of the chip. 1 is the template as
   * trained.
   */
  scale?: number
}

/**
 * The face warped onto the ArcFace template and laid out as the network wants it: planar RGB
 * (NCHW), (v − 127) / 128 as the model's package prepares it, bilinear, edges clamped.
 */
export function arcfaceChip(
  image: RgbImage,
  points: readonly Point[],
  opts: ArcfaceChipOptions = {},
): Float32Array {
  const size = ARCFACE_SIZE
  const scale = opts.scale ?? 1
  const c = size / 2
  const template = ARCFACE_TEMPLATE.map(([x, y]): Point => [
    c + (x - c) * scale,
    c + (y - c) * scale,
  ])
  const interleaved = warpToTemplate(image, points, template, size, opts.mirror)
  const plane = size * size
  const out = new Float32Array(3 * plane)
  for (let i = 0; i < plane; i++) {
    for (let ch = 0; ch < 3; ch++) out[ch * plane + i] = (interleaved[i * 3 + ch]! - 127) / 128
  }
  return out
}

/** The network's raw 512 outputs for one prepared chip. */
export async function runRecognizer(chip: Float32Array): Promise<Float32Array> {
  const net = await recognizerSession()
  const input = new ort.Tensor('float32', chip, [1, 3, ARCFACE_SIZE, ARCFACE_SIZE])
  const out = await nativeCall(() => net.run({ [net.inputNames[0]!]: input }))
  const result = out[net.outputNames[0]!]
  if (!result || result.data.length !== DESCRIPTOR_LENGTH) {
    throw new Error(`face recognizer returned ${result?.data.length ?? 0} values, not 512`)
  }
  return result.data as Float32Array
}

/** `v` scaled to unit length (a zero vector stays zero). */
export function l2Normalised(v: ArrayLike<number>): number[] {
  let sum = 0
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!
  const n = Math.sqrt(sum)
  return Array.from(v, (x) => (n > 0 ? x / n : 0))
}

/**
 * Descriptor of the face at `points` (five points, ordered as ARCFACE_TEMPLATE): the network's
 * output for the aligned face, at unit length.
 */
export async function faceDescriptor(image: RgbImage, points: readonly Point[]): Promise<number[]> {
  return l2Normalised(await runRecognizer(arcfaceChip(image, points)))
}

/** Cosine similarity of two descriptors, −1–1 (1 − cosine distance); 0 when either is empty. */
export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length)
  let dot = 0
  let aa = 0
  let bb = 0
  for (let i = 0; i < n; i++) {
    dot += a[i]! * b[i]!
    aa += a[i]! * a[i]!
    bb += b[i]! * b[i]!
  }
  return aa > 0 && bb > 0 ? dot / Math.sqrt(aa * bb) : 0
}
