// Face engine behaviour on real photos that ship in installed packages (@vladmandic/face-api's
// demo group photos, MIT package; nothing is committed or downloaded). Models load once for
// this file. No timing assertions: eval/faces.ts measures speed.

import { createRequire } from 'node:module'
import path from 'node:path'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import sharp, { type Sharp } from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  AGE_BUFFER,
  AGE_SPREAD_LIMIT,
  compareFaces,
  decideAge,
  estimateAge,
  MATCH_THRESHOLD,
} from './compare.ts'
import { chipTemplate, faceChip, similarityTransform } from './align.ts'
import {
  detectFaces,
  DLIB_WEIGHT,
  embeddingSimilarity,
  mainFirst,
  moireOf,
  sharpnessOf,
  type DetectedFace,
} from './detect.ts'
import { ARCFACE_SIZE, ARCFACE_TEMPLATE, arcfaceChip, DESCRIPTOR_LENGTH } from './recognize.ts'
import { runEstimateAge, runFaceCompare } from './cli.ts'

const require = createRequire(import.meta.url)
const demo = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo')

let groupPhoto: Buffer
let boxes: [number, number, number, number][]

/** A crop around face k of the group photo: `scale` face widths across, as JPEG/PNG bytes. */
async function cropFace(k: number, scale: number, tweak?: (s: Sharp) => Sharp) {
  const [x, y, w, h] = boxes[k]!
  const meta = await sharp(groupPhoto).metadata()
  const side = Math.round(w * scale)
  const left = Math.max(0, Math.round(x + w / 2 - side / 2))
  const top = Math.max(0, Math.round(y + h / 2 - side / 2 + 0.15 * h))
  const img = sharp(groupPhoto).extract({
    left,
    top,
    width: Math.min(side, meta.width - left),
    height: Math.min(Math.round(side * 1.2), meta.height - top),
  })
  return (tweak ? tweak(img) : img).png().toBuffer()
}

/** A document-like card: grey background with the portrait pasted at the left. */
async function cardWith(portrait: Buffer): Promise<Buffer> {
  const p = await sharp(portrait).resize(240, 300, { fit: 'cover' }).grayscale().png().toBuffer()
  return sharp({ create: { width: 1000, height: 700, channels: 3, background: '#e9e4d6' } })
    .composite([{ input: p, left: 40, top: 100 }])
    .jpeg({ quality: 70 })
    .toBuffer()
}

beforeAll(async () => {
  // Work at 1280 px so the face boxes below are in the same pixels as the engine's.
  groupPhoto = await sharp(await readFile(path.join(demo, 'sample1.jpg')))
    .resize({ width: 1280 })
    .toBuffer()
  const found = await detectFaces(new Uint8Array(groupPhoto), { role: 'document' })
  boxes = found.faces.map((f) => f.box)
}, 120_000)

describe('face match', () => {
  it('matches the same person between a greyscale document portrait and a selfie', async () => {
    const selfie = await cropFace(0, 2.2, (s) => s.flop().modulate({ brightness: 1.1 }))
    const documentImage = await cardWith(await cropFace(0, 1.5))
    const result = await compareFaces(documentImage, selfie)
    expect(result.feedback).toEqual({ document: null, selfie: null })
    expect(result.similarity).toBeGreaterThanOrEqual(MATCH_THRESHOLD)
    expect(result.decision).toBe('match')
    expect(result.faceCounts).toEqual({ document: 1, selfie: 1 })
    expect(result.faces.selfie).not.toHaveProperty('embedding')
    expect(result.presentation?.checks.antispoof.value).toEqual(expect.any(Number))
  }, 60_000)

  it('does not match two different people', async () => {
    const documentImage = await cardWith(await cropFace(1, 1.5))
    const selfie = await cropFace(0, 2.2)
    const result = await compareFaces(documentImage, selfie)
    expect(result.similarity).not.toBeNull()
    expect(result.similarity!).toBeLessThan(MATCH_THRESHOLD)
    expect(result.decision).toBe('no_match')
    expect(result.match).toBe(false)
  }, 60_000)

  it('takes a burst of frames and checks they show one face', async () => {
    const a = await cropFace(0, 2.2)
    const b = await cropFace(0, 2.2, (s) => s.modulate({ brightness: 0.9 }))
    const result = await compareFaces(await cardWith(await cropFace(0, 1.5)), { frames: [a, b] })
    expect(result.frames).toBe(2)
    expect(result.presentation?.checks.sameFaceAcrossFrames.pass).toBe(true)
    expect(result.presentation?.checks.headTurn.value).toEqual(expect.any(Number))
  }, 60_000)
})

describe('unusable images are results, not exceptions', () => {
  it('says no_face for an image without a face', async () => {
    const blank = await sharp({
      create: { width: 640, height: 480, channels: 3, background: '#7a8fa3' },
    })
      .png()
      .toBuffer()
    const result = await compareFaces(blank, blank)
    expect(result.decision).toBe('retake')
    expect(result.feedback).toEqual({ document: 'no_face', selfie: 'no_face' })
    expect(result.similarity).toBeNull()
    expect(result.presentation).toBeNull()
  }, 60_000)

  it('says multiple_faces for a selfie with several people', async () => {
    const result = await detectFaces(new Uint8Array(groupPhoto), { role: 'selfie' })
    expect(result.faces.length).toBeGreaterThanOrEqual(2)
    expect(result.feedback).toBe('multiple_faces')
    // The same image as a document gives a portrait.
    const asDocument = await detectFaces(new Uint8Array(groupPhoto), { role: 'document' })
    expect(asDocument.feedback).toBeNull()
  }, 60_000)

  it('says face_too_small for a face a few dozen pixels wide', async () => {
    const face = await sharp(await cropFace(0, 1.6))
      .resize({ width: 56 })
      .toBuffer()
    const tiny = await sharp({
      create: { width: 720, height: 720, channels: 3, background: '#d0d0d0' },
    })
      .composite([{ input: face, left: 330, top: 320 }])
      .png()
      .toBuffer()
    const result = await detectFaces(new Uint8Array(tiny), { role: 'selfie' })
    expect(result.faces).toHaveLength(1)
    expect(result.feedback).toBe('face_too_small')
  }, 60_000)

  it('says image_unreadable for a truncated JPEG, with intake’s error code', async () => {
    const jpeg = await sharp(await cropFace(0, 2.2))
      .jpeg()
      .toBuffer()
    const cut = new Uint8Array(jpeg.subarray(0, Math.floor(jpeg.length / 2)))
    const result = await compareFaces(cut, cut)
    expect(result.decision).toBe('retake')
    expect(result.feedback.selfie).toBe('image_unreadable')
    const detection = await detectFaces(cut)
    expect(detection.error?.code).toBe('DOCUMENT_CORRUPT')
    const garbage = await detectFaces(new Uint8Array([1, 2, 3, 4, 5]))
    expect(garbage.error?.code).toBe('DOCUMENT_INVALID_FORMAT')
  }, 60_000)
})

describe('age', () => {
  it('approves only when the estimate clears minAge + buffer', () => {
    expect(decideAge(30)).toEqual({
      decision: 'approve',
      requiredAge: 18 + AGE_BUFFER,
      reasons: [],
    })
    expect(decideAge(25, { buffer: 7 })).toEqual({
      decision: 'approve',
      requiredAge: 25,
      reasons: [],
    })
    expect(decideAge(24.9, { buffer: 7 }).decision).toBe('needs_document')
    expect(decideAge(24.9, { buffer: 7 }).reasons).toEqual(['below_required_age'])
    expect(decideAge(30, { minAge: 21, buffer: 7 }).decision).toBe('approve')
    expect(decideAge(27, { minAge: 21, buffer: 7 })).toMatchObject({
      decision: 'needs_document',
      requiredAge: 28,
    })
    expect(decideAge(19, { buffer: 0 }).decision).toBe('approve')
    expect(decideAge(null)).toMatchObject({ decision: 'retake', reasons: ['no_usable_face'] })
    expect(decideAge(40, { presentationSuspect: true })).toMatchObject({
      decision: 'needs_document',
      reasons: ['presentation_suspect'],
    })
    // An estimate that moves too much across crops or frames is never approved.
    expect(decideAge(40, { ageSpread: AGE_SPREAD_LIMIT + 1 })).toMatchObject({
      decision: 'review',
      reasons: ['unstable_estimate'],
    })
    expect(decideAge(40, { ageSpread: AGE_SPREAD_LIMIT }).decision).toBe('approve')
    expect(decideAge(20, { ageSpread: AGE_SPREAD_LIMIT + 1 }).decision).toBe('review')
  })

  it('estimates an age from a selfie and applies the decision', async () => {
    const result = await estimateAge(await cropFace(0, 2.2), { minAge: 18, buffer: 7 })
    expect(result.age).toEqual(expect.any(Number))
    expect(result.age!).toBeGreaterThan(5)
    expect(result.age!).toBeLessThan(80)
    expect(result.requiredAge).toBe(25)
    expect(result.ageSpread).toEqual(expect.any(Number))
    expect(result.decision).toBe(
      decideAge(result.age, {
        minAge: 18,
        buffer: 7,
        presentationSuspect: result.presentation?.verdict === 'suspect',
        ageSpread: result.ageSpread,
      }).decision,
    )
    const low = await estimateAge(await cropFace(0, 2.2), { minAge: 100, buffer: 0 })
    expect(['needs_document', 'review']).toContain(low.decision)
    expect(low.reasons).toContain('below_required_age')
  }, 60_000)
})

describe('texture measures', () => {
  it('sharpness falls with blur and moiré rises with a periodic pattern', () => {
    const side = 128
    const noise = new Float32Array(side * side)
    let s = 12345
    for (let i = 0; i < noise.length; i++) {
      s = (s * 1103515245 + 12345) >>> 0
      noise[i] = 128 + ((s >>> 16) % 64) - 32
    }
    const blurred = new Float32Array(noise.length)
    for (let y = 2; y < side - 2; y++)
      for (let x = 2; x < side - 2; x++) {
        let acc = 0
        for (let d = -2; d <= 2; d++) acc += noise[(y + d) * side + x + d]!
        blurred[y * side + x] = acc / 5
      }
    expect(sharpnessOf(blurred)).toBeLessThan(sharpnessOf(noise))
    const stripes = noise.map((v, i) => 0.3 * v + (i % 4 < 2 ? 180 : 60))
    expect(moireOf(stripes)).toBeGreaterThan(0.5)
    expect(moireOf(noise)).toBeLessThan(0.3)
  })

  it('similarity is the weighted mean of the ArcFace-style cosine and dlib’s score', () => {
    /** A descriptor: ArcFace-style values on the first two of 512 axes, then dlib's 128. */
    const descriptor = (arc: [number, number], dlib: number[]): number[] => {
      const d = new Array<number>(DESCRIPTOR_LENGTH + 128).fill(0)
      d[0] = arc[0]
      d[1] = arc[1]
      dlib.forEach((v, i) => (d[DESCRIPTOR_LENGTH + i] = v))
      return d
    }
    const a = descriptor([0.6, 0.8], [0.1, 0.2])
    expect(embeddingSimilarity(a, a)).toBeCloseTo(1)
    // Orthogonal ArcFace-style parts (cosine 0), the same dlib part (score 1): 0.5 / 1.5.
    expect(embeddingSimilarity(a, descriptor([0.8, -0.6], [0.1, 0.2]))).toBeCloseTo(1 / 3)
    // Opposite (−1), and dlib descriptors 1 apart (score 0): −1 / 1.5.
    expect(embeddingSimilarity(a, descriptor([-0.6, -0.8], [0.1, 1.2]))).toBeCloseTo(-2 / 3)
    expect(DLIB_WEIGHT).toBe(0.5)
    expect(embeddingSimilarity([], a)).toBe(0)
    expect(embeddingSimilarity(a, [])).toBe(0)
  })

  it('takes a confident face as the main one before a larger doubtful box', () => {
    const face = (box: DetectedFace['box'], score: number): DetectedFace => ({
      box,
      score,
      sizeRatio: 0,
      antispoof: null,
      liveness: null,
      age: null,
      ageSpread: null,
      gender: null,
      pose: null,
      sharpness: 0,
      moire: 0,
      embedding: [],
    })
    // A helmet beside a face, as a real press photo gave it: the loose box is the larger.
    const helmet = face([81, 0, 68, 98], 0.32)
    const person = face([38, 39, 79, 79], 1)
    const ghost = face([300, 40, 30, 30], 0.9)
    expect([helmet, ghost, person].sort(mainFirst)).toEqual([person, ghost, helmet])
    // Among confident faces (and among doubtful ones) the larger comes first.
    expect([ghost, person].sort(mainFirst)[0]).toBe(person)
    expect([face([0, 0, 10, 10], 0.3), helmet].sort(mainFirst)[0]).toBe(helmet)
  })

  it('describes a face with both networks, the same for the same face', async () => {
    const found = await detectFaces(new Uint8Array(await cropFace(0, 2.2)), { role: 'selfie' })
    const again = await detectFaces(new Uint8Array(await cropFace(0, 2.2)), { role: 'selfie' })
    const other = await detectFaces(new Uint8Array(await cropFace(1, 2.2)), { role: 'selfie' })
    const e = found.faces[0]!.embedding
    expect(e).toHaveLength(DESCRIPTOR_LENGTH + 128)
    expect(Math.hypot(...e.slice(0, DESCRIPTOR_LENGTH))).toBeCloseTo(1, 5)
    expect(embeddingSimilarity(e, again.faces[0]!.embedding)).toBeCloseTo(1, 5)
    expect(embeddingSimilarity(e, other.faces[0]!.embedding)).toBeLessThan(MATCH_THRESHOLD)
  }, 60_000)
})

describe('alignment', () => {
  it('maps five points onto the template and undoes a rotation', () => {
    const template = chipTemplate(150, 0.25)
    // The template rotated by 30° and doubled in size, shifted: the transform recovers it.
    const c = Math.cos(Math.PI / 6)
    const sn = Math.sin(Math.PI / 6)
    const moved = template.map(([x, y]): [number, number] => [
      2 * (c * x - sn * y) + 40,
      2 * (sn * x + c * y) + 7,
    ])
    const [a, b, tx, ty] = similarityTransform(moved, template)
    for (let i = 0; i < 5; i++) {
      const [x, y] = moved[i]!
      expect(a * x - b * y + tx).toBeCloseTo(template[i]![0], 6)
      expect(b * x + a * y + ty).toBeCloseTo(template[i]![1], 6)
    }
    // Eyes level, mouth below: dlib's mean face with a quarter padding.
    expect(template[0]![1]).toBeCloseTo(template[1]![1])
    expect(template[3]![1]).toBeGreaterThan(template[2]![1])
  })

  it('cuts the ArcFace chip planar, normalised and on the template', () => {
    const width = 200
    const height = 200
    const rgb = new Uint8Array(width * height * 3)
    // Left half dark red, right half bright blue.
    for (let i = 0; i < width * height; i++) {
      const left = i % width < 100
      rgb.set(left ? [127 + 64, 0, 127] : [127, 0, 255], i * 3)
    }
    // The template itself, shifted by (44, 44): the transform is a plain shift.
    const points = ARCFACE_TEMPLATE.map(([x, y]): [number, number] => [x + 44, y + 44])
    const chip = arcfaceChip({ width, height, rgb }, points)
    const plane = ARCFACE_SIZE * ARCFACE_SIZE
    expect(chip).toHaveLength(3 * plane)
    // Chip column 10 is image column 54 (left half); column 100 is image column 144 (right).
    expect(chip[50 * ARCFACE_SIZE + 10]!).toBeCloseTo(0.5) // R: (191 − 127) / 128
    expect(chip[plane + 50 * ARCFACE_SIZE + 10]!).toBeCloseTo(-127 / 128) // G
    expect(chip[2 * plane + 50 * ARCFACE_SIZE + 100]!).toBeCloseTo(1) // B: (255 − 127) / 128
    const mirrored = arcfaceChip({ width, height, rgb }, points, { mirror: true })
    expect(mirrored[2 * plane + 50 * ARCFACE_SIZE + 10]!).toBeCloseTo(1)
  })

  it('cuts a chip whose pixels come from around the landmarks', () => {
    const width = 300
    const height = 300
    const rgb = new Uint8Array(width * height * 3)
    // Left half dark, right half bright.
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        rgb.fill(x < 150 ? 20 : 230, (y * width + x) * 3, (y * width + x) * 3 + 3)
    const points = chipTemplate(100, 0).map(([x, y]): [number, number] => [x + 100, y + 100])
    const chip = faceChip({ width, height, rgb }, points, { size: 50, padding: 0 })
    expect(chip[(25 * 50 + 5) * 3]!).toBeCloseTo(20)
    expect(chip[(25 * 50 + 45) * 3]!).toBeCloseTo(230)
    const mirrored = faceChip({ width, height, rgb }, points, {
      size: 50,
      padding: 0,
      mirror: true,
    })
    expect(mirrored[(25 * 50 + 5) * 3]!).toBeCloseTo(230)
  })
})

describe('CLI', () => {
  it('face-compare and estimate-age print one JSON object each with the decision', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'loom-face-'))
    try {
      const documentFile = path.join(dir, 'document.jpg')
      const selfieFile = path.join(dir, 'selfie.png')
      await writeFile(documentFile, await cardWith(await cropFace(0, 1.5)))
      await writeFile(selfieFile, await cropFace(0, 2.2))
      const lines: string[] = []
      expect(await runFaceCompare([documentFile, selfieFile], (l) => lines.push(l))).toBe(0)
      expect(lines).toHaveLength(1)
      const compared = JSON.parse(lines[0]!) as Record<string, unknown>
      expect(compared).toMatchObject({
        ok: true,
        decision: 'match',
        match: true,
        threshold: MATCH_THRESHOLD,
        faceCounts: { document: 1, selfie: 1 },
        files: [documentFile, selfieFile],
      })
      expect(JSON.stringify(compared)).not.toContain('embedding')
      expect(
        await runEstimateAge([selfieFile, '--min-age', '18', '--buffer', '7'], (l) =>
          lines.push(l),
        ),
      ).toBe(0)
      const age = JSON.parse(lines[1]!) as Record<string, unknown>
      expect(age).toMatchObject({ ok: true, requiredAge: 25, minAge: 18, buffer: 7 })
      expect(['approve', 'needs_document', 'review']).toContain(age.decision)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 60_000)

  it('prints usage errors as JSON with status 1', async () => {
    const lines: string[] = []
    expect(await runFaceCompare(['only-one.jpg'], (l) => lines.push(l))).toBe(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ ok: false, error: { code: 'USAGE' } })
    expect(await runEstimateAge(['x.jpg', '--min-age', 'old'], (l) => lines.push(l))).toBe(1)
    expect(await runEstimateAge(['/nonexistent/selfie.jpg'], (l) => lines.push(l))).toBe(1)
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ error: { code: 'FILE_UNREADABLE' } })
    expect(await runFaceCompare(['--help'], (l) => lines.push(l))).toBe(0)
  })
})
