// Selfie-to-document face match, still-image presentation-attack signals, and facial age
// estimation. Every outcome is data: a missing face is a 'retake' decision with feedback, not
// an exception. A selfie may be one image or a short burst of frames (`{ frames }`), so active
// liveness (turn your head) can be judged from the same call later.

import {
  decodeFaceImage,
  detectFaces,
  embeddingSimilarity,
  type DetectedFace,
  type FaceDetection,
  type FaceFeedback,
  type FaceImageInput,
} from './detect.ts'
import type { EngineError } from '../types.ts'
import type { RgbImage } from './image.ts'
import { documentReuse } from './reuse.ts'
import type { DocumentReuse } from './reuse.ts'
import { readMrz } from '../mrz/read.ts'

/** One selfie image, or a short burst of frames from the same capture. */
export type SelfieInput = FaceImageInput | { frames: FaceImageInput[] }

/**
 * Similarity (embeddingSimilarity) at and above which two faces are one person. Chosen by `npm run
 * eval -- faces-real` on the tuning half of real photos (LFW without the photos its errata says
 * are of someone else: the lowest threshold whose FMR is at most 0.1 % with 95 % confidence was
 * 0.3928, FMR 0.076 %, FNMR 3.4 %; rounded up); the held-out half's figures are in the README.
 */
export const MATCH_THRESHOLD = 0.393
/**
 * Half-width of the band around the threshold that goes to a person for review: 0.313–0.473. On
 * the same tuning photos FMR 1 % is reached at 0.308 and FMR 0.01 % at 0.429.
 */
export const REVIEW_BAND = 0.08

export type MatchDecision = 'match' | 'no_match' | 'review' | 'retake'

/** A detected face without its descriptor (the descriptor is biometric data; it stays inside). */
export type FaceSummary = Omit<DetectedFace, 'embedding'>

/** One presentation-attack check: the measured value, its limit, and whether it passed. */
export interface PresentationCheck {
  value: number | null
  /** 'min': value must be at least limit; 'max': at most limit. */
  limit: number
  kind: 'min' | 'max'
  /** null when the input cannot show it (e.g. head turn on a single still). */
  pass: boolean | null
}

export type PresentationCheckName =
  | 'antispoof'
  | 'liveness'
  | 'faceSize'
  | 'pose'
  | 'sharpness'
  | 'moire'
  | 'otherFaces'
  | 'sameFaceAcrossFrames'
  | 'headTurn'

export interface PresentationResult {
  /** 'suspect' when any check failed: route to review or ask for a document. */
  verdict: 'pass' | 'suspect'
  failed: PresentationCheckName[]
  checks: Record<PresentationCheckName, PresentationCheck>
}

export interface CompareOptions {
  /** Similarity at and above which the faces match (default MATCH_THRESHOLD). */
  threshold?: number
  /** Half-width of the review band around the threshold (default REVIEW_BAND). */
  reviewBand?: number
}

export interface FaceComparison {
  decision: MatchDecision
  /** Cosine similarity of the two descriptors; null when a face is missing. */
  similarity: number | null
  match: boolean | null
  threshold: number
  /** Similarities in [low, high) are 'review'. */
  reviewBand: [number, number]
  faces: { document: FaceSummary | null; selfie: FaceSummary | null }
  /** Faces found per image (selfie: in the first frame). */
  faceCounts: { document: number; selfie: number }
  feedback: { document: FaceFeedback | null; selfie: FaceFeedback | null }
  /** Still-image presentation-attack signals on the selfie; null when there is no selfie face. */
  presentation: PresentationResult | null
  /** Whether the selfie is the document again: the same picture, its portrait, or a photo of it. */
  reuse: DocumentReuse | null
  frames: number
  timingsMs: { document: number; selfie: number; total: number }
}

// Limits for the presentation signals. Human's anti-spoof and liveness models score genuine
// photos anywhere from about 0.4 to 1 (eval/faces.ts prints the spread), so their limits are set
// low: they catch the obvious, and anything subtler needs active liveness or a person.
const LIMITS = {
  antispoof: 0.3,
  liveness: 0.3,
  faceSize: 0.12, // face width over the shorter image side: a selfie at arm's length is ~0.3–0.6
  pose: 35, // degrees of yaw or pitch beyond which the descriptor degrades
  sharpness: 0.08,
  moire: 0.6,
  otherFaces: 0,
  sameFaceAcrossFrames: MATCH_THRESHOLD,
  headTurn: 15, // degrees of yaw range across a burst
} as const

const summary = (face: DetectedFace | undefined): FaceSummary | null => {
  if (!face) return null
  const { embedding: _embedding, ...rest } = face
  return rest
}

const check = (value: number | null, limit: number, kind: 'min' | 'max'): PresentationCheck => ({
  value,
  limit,
  kind,
  pass: value === null ? null : kind === 'min' ? value >= limit : value <= limit,
})

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

/** Presentation-attack signals a still (or a burst of stills) can support. */
export function presentationChecks(frames: FaceDetection[]): PresentationResult | null {
  const mains = frames.map((f) => f.faces[0])
  const first = mains[0]
  if (!first || mains.some((f) => f === undefined)) return null
  const faces = mains as DetectedFace[]
  const worst = (pick: (f: DetectedFace) => number | null, kind: 'min' | 'max'): number | null => {
    const values = faces.map(pick).filter((v): v is number => v !== null)
    if (values.length === 0) return null
    return kind === 'min' ? Math.min(...values) : Math.max(...values)
  }
  const frontal = (f: DetectedFace): number | null =>
    f.pose ? Math.max(Math.abs(f.pose.yaw), Math.abs(f.pose.pitch)) : null
  const otherFaces = Math.max(...frames.map((f) => f.faces.length - 1))
  let sameFace: number | null = null
  let headTurn: number | null = null
  if (faces.length > 1) {
    sameFace = 1
    for (let i = 1; i < faces.length; i++) {
      sameFace = Math.min(sameFace, embeddingSimilarity(first.embedding, faces[i]!.embedding))
    }
    const yaws = faces.map((f) => f.pose?.yaw).filter((v): v is number => v !== undefined)
    headTurn = yaws.length > 1 ? Math.max(...yaws) - Math.min(...yaws) : null
  }
  const checks: Record<PresentationCheckName, PresentationCheck> = {
    antispoof: check(
      worst((f) => f.antispoof, 'min'),
      LIMITS.antispoof,
      'min',
    ),
    liveness: check(
      worst((f) => f.liveness, 'min'),
      LIMITS.liveness,
      'min',
    ),
    faceSize: check(
      worst((f) => f.sizeRatio, 'min'),
      LIMITS.faceSize,
      'min',
    ),
    pose: check(worst(frontal, 'max'), LIMITS.pose, 'max'),
    sharpness: check(
      worst((f) => f.sharpness, 'min'),
      LIMITS.sharpness,
      'min',
    ),
    moire: check(
      worst((f) => f.moire, 'max'),
      LIMITS.moire,
      'max',
    ),
    otherFaces: check(otherFaces, LIMITS.otherFaces, 'max'),
    sameFaceAcrossFrames: check(
      sameFace === null ? null : Number(sameFace.toFixed(3)),
      LIMITS.sameFaceAcrossFrames,
      'min',
    ),
    // Head turn is reported, not required: the capture flow decides whether it asked for one.
    headTurn: { value: headTurn, limit: LIMITS.headTurn, kind: 'min', pass: null },
  }
  const failed = (Object.keys(checks) as PresentationCheckName[]).filter(
    (k) => checks[k].pass === false,
  )
  return { verdict: failed.length > 0 ? 'suspect' : 'pass', failed, checks }
}

const framesOf = (selfie: SelfieInput): FaceImageInput[] =>
  selfie instanceof Uint8Array || !('frames' in selfie) ? [selfie] : selfie.frames

/** Detect a selfie (one image or a burst); feedback is the first frame's problem, if any. */
async function detectSelfie(
  selfie: SelfieInput,
  withAge = false,
): Promise<{ frames: FaceDetection[]; feedback: FaceFeedback | null }> {
  const inputs = framesOf(selfie)
  if (inputs.length === 0) return { frames: [], feedback: 'no_face' }
  const frames: FaceDetection[] = []
  // One frame at a time: the models run on one thread and the detections share its memory.
  for (const input of inputs) {
    frames.push(await detectFaces(input, { role: 'selfie', age: withAge }))
  }
  const feedback = frames.find((f) => f.feedback !== null)?.feedback ?? null
  return { frames, feedback }
}

/** Compare the portrait on a document image with a selfie: similarity, decision and attack signals. */
export async function compareFaces(
  documentImage: FaceImageInput,
  selfie: SelfieInput,
  opts: CompareOptions = {},
): Promise<FaceComparison> {
  const threshold = opts.threshold ?? MATCH_THRESHOLD
  const band = opts.reviewBand ?? REVIEW_BAND
  const started = performance.now()
  // Decoded once here: the detections and the reuse checks work on the same rasters.
  const docImage = await decodeFaceImage(documentImage, 'document')
  const doc = await detectFaces(docImage.ok ? docImage.rgb : documentImage, { role: 'document' })
  const docMs = performance.now() - started
  const inputs = framesOf(selfie)
  const firstSelfie = inputs[0] === undefined ? null : await decodeFaceImage(inputs[0], 'selfie')
  const self = await detectSelfie(
    firstSelfie?.ok ? { frames: [firstSelfie.rgb, ...inputs.slice(1)] } : selfie,
  )
  const selfieMs = performance.now() - started - docMs
  const docFace = doc.faces[0]
  const selfieFaces = self.frames.map((f) => f.faces[0])
  const usable = doc.feedback === null && self.feedback === null && docFace !== undefined
  let similarity: number | null = null
  if (usable) {
    const perFrame = selfieFaces.map((f) => embeddingSimilarity(docFace.embedding, f!.embedding))
    similarity = Number(median(perFrame).toFixed(4))
  }
  const low = threshold - band
  const high = threshold + band
  const decision: MatchDecision =
    similarity === null
      ? 'retake'
      : similarity >= high
        ? 'match'
        : similarity < low
          ? 'no_match'
          : 'review'
  return {
    decision,
    similarity,
    match: similarity === null ? null : similarity >= threshold,
    threshold,
    reviewBand: [Number(low.toFixed(4)), Number(high.toFixed(4))],
    faces: { document: summary(docFace), selfie: summary(selfieFaces[0]) },
    faceCounts: { document: doc.faces.length, selfie: self.frames[0]?.faces.length ?? 0 },
    feedback: { document: doc.feedback, selfie: self.feedback },
    presentation: self.feedback === null ? presentationChecks(self.frames) : null,
    reuse:
      docImage.ok && firstSelfie?.ok
        ? documentReuse(
            docImage.rgb,
            firstSelfie.rgb,
            { portrait: docFace?.box ?? null, selfie: selfieFaces[0]?.box ?? null },
            await showsMrz(firstSelfie.rgb, selfieFaces[0]?.pose ?? null),
          )
        : null,
    frames: self.frames.length,
    timingsMs: {
      document: Math.round(docMs),
      selfie: Math.round(selfieMs),
      total: Math.round(performance.now() - started),
    },
  }
}

export interface AgeOptions {
  /** The age the person must be (default 18). */
  minAge?: number
  /** Years the estimate must clear minAge by (default AGE_BUFFER). */
  buffer?: number
}

/**
 * Default years the estimate must clear minAge by. Chosen on the tuning half of UTKFace (README,
 * "Age estimation"): the smallest buffer at which at most 1 % of under-18 faces were approved.
 */
export const AGE_BUFFER = 12
/** An estimate that moves by more than this many years across crops or frames is not trusted. */
export const AGE_SPREAD_LIMIT = 10

/**
 * 'review': the estimate is unstable (it moves by more than AGE_SPREAD_LIMIT years across crops
 * of the face or across frames), so it is not trusted either way: never an approval.
 */
export type AgeDecision = 'approve' | 'needs_document' | 'review' | 'retake'

export interface AgeEstimate {
  decision: AgeDecision
  /** Estimated age in years (median over frames); null without a usable face. */
  age: number | null
  /** minAge + buffer: the estimate must reach this to approve. */
  requiredAge: number
  minAge: number
  buffer: number
  /** Largest minus smallest estimate over the face's crops and the frames; null without a face. */
  ageSpread: number | null
  /** Why the decision is not 'approve'. */
  reasons: (
    'no_usable_face' | 'below_required_age' | 'presentation_suspect' | 'unstable_estimate'
  )[]
  feedback: FaceFeedback | null
  /** The first frame's decoded size; null when it could not be read (see `error`). */
  image: { width: number; height: number } | null
  /** Intake's error when `feedback` is 'image_unreadable'. */
  error?: EngineError
  face: FaceSummary | null
  faceCount: number
  presentation: PresentationResult | null
  frames: number
  timingsMs: { total: number }
}

/**
 * The age decision alone: approve only when a stable estimate clears minAge + buffer and nothing
 * looked like a presented photo; an unstable estimate goes to review; otherwise a document.
 */
export function decideAge(
  age: number | null,
  opts: AgeOptions & { presentationSuspect?: boolean; ageSpread?: number | null } = {},
): { decision: AgeDecision; requiredAge: number; reasons: AgeEstimate['reasons'] } {
  const requiredAge = (opts.minAge ?? 18) + (opts.buffer ?? AGE_BUFFER)
  if (age === null) return { decision: 'retake', requiredAge, reasons: ['no_usable_face'] }
  const reasons: AgeEstimate['reasons'] = []
  if (age < requiredAge) reasons.push('below_required_age')
  // A photo of an adult held up to the camera must not pass an age check.
  if (opts.presentationSuspect) reasons.push('presentation_suspect')
  const unstable = (opts.ageSpread ?? 0) > AGE_SPREAD_LIMIT
  if (unstable) reasons.push('unstable_estimate')
  const decision: AgeDecision =
    reasons.length === 0 ? 'approve' : unstable ? 'review' : 'needs_document'
  return { decision, requiredAge, reasons }
}

/** Estimate a person's age from a selfie and decide: approve, or ask for a document. */
export async function estimateAge(
  selfie: SelfieInput,
  opts: AgeOptions = {},
): Promise<AgeEstimate> {
  const started = performance.now()
  const minAge = opts.minAge ?? 18
  const buffer = opts.buffer ?? AGE_BUFFER
  const self = await detectSelfie(selfie, true)
  const faces = self.frames.map((f) => f.faces[0])
  const ages = faces.map((f) => f?.age).filter((a): a is number => typeof a === 'number')
  const age = self.feedback === null && ages.length > 0 ? Number(median(ages).toFixed(1)) : null
  // Spread within each frame (its four crops) and across the frames' estimates.
  const within = faces.map((f) => f?.ageSpread ?? 0)
  const ageSpread =
    age === null
      ? null
      : Number(Math.max(...within, Math.max(...ages) - Math.min(...ages)).toFixed(1))
  const presentation = self.feedback === null ? presentationChecks(self.frames) : null
  const { decision, requiredAge, reasons } = decideAge(age, {
    minAge,
    buffer,
    presentationSuspect: presentation?.verdict === 'suspect',
    ageSpread,
  })
  return {
    decision,
    age,
    ageSpread,
    requiredAge,
    minAge,
    buffer,
    reasons,
    feedback: self.feedback,
    image: self.frames[0]?.image ?? null,
    ...(self.frames[0]?.error && { error: self.frames[0].error }),
    face: summary(faces[0]),
    faceCount: self.frames[0]?.faces.length ?? 0,
    presentation,
    frames: self.frames.length,
    timingsMs: { total: Math.round(performance.now() - started) },
  }
}

/**
 * A face rolled less than this many degrees is upright; so is a document it is printed on, whose
 * zone can then only be upright or upside down (the detector finds faces up to about 30° of roll).
 */
const UPRIGHT_ROLL = 45

/**
 * Whether an image shows a machine readable zone, read or not (a document, not a face). Only the
 * templates look: a zone they cannot read counts as much as one they can. With an upright face
 * in the picture, a document in it is upright too and sideways zones are not looked for.
 */
async function showsMrz(img: RgbImage, pose: DetectedFace['pose']): Promise<boolean> {
  const gray = new Uint8Array(img.width * img.height)
  for (let i = 0; i < gray.length; i++) {
    gray[i] = Math.round(
      0.299 * img.rgb[3 * i]! + 0.587 * img.rgb[3 * i + 1]! + 0.114 * img.rgb[3 * i + 2]!,
    )
  }
  const read = await readMrz(
    { width: img.width, height: img.height, gray },
    {
      asOf: new Date().toISOString().slice(0, 10),
      reader: 'templates',
      sideways: pose === null || Math.abs(pose.roll) >= UPRIGHT_ROLL,
    },
  )
  return read.ok || read.code === 'MRZ_UNREADABLE'
}
