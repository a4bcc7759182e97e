// Reading one side of a document at upload, and what the person is told about the photo: the
// feedback they can act on, or a refusal of the file itself.
import type { Deps } from '../deps.ts'
import { DomainError } from '../domain/errors.ts'
import type { InspectResult } from '../engine/types.ts'
import { sniffFormat } from '../engine/intake.ts'

export const MAX_IMAGE_BYTES = 10 * 1024 * 1024

/** What a person is told about an image right after uploading it. */
export type Feedback =
  | 'ok'
  | 'blurry'
  | 'glare'
  | 'too_dark'
  | 'too_small'
  | 'no_document'
  | 'mrz_unreadable'
  | 'barcode_unreadable'
  | 'try_again'
  | 'no_face'
  | 'multiple_faces'
  | 'face_too_small'
  | 'face_cut_off'

const FEEDBACK_TEXT: Record<Feedback, string> = {
  ok: 'Image accepted.',
  blurry: 'The photo is blurry: hold the phone still and let the camera focus.',
  glare: 'Glare hides part of the document: tilt it away from the light.',
  too_dark: 'The photo is too dark: move to a brighter place.',
  too_small: 'The document is too small in the photo: move closer so it fills the frame.',
  no_document:
    'No document was found: show the page with the machine-readable lines or the barcode.',
  mrz_unreadable:
    'The machine-readable lines could not be read: make sure they are sharp and fully visible.',
  barcode_unreadable: 'The barcode could not be read: fill the frame with it and avoid glare.',
  try_again: 'The image could not be processed in time: please try again.',
  no_face: 'No face was found: look straight at the camera with your whole face in the frame.',
  multiple_faces: 'More than one face is in the photo: only you should be in the selfie.',
  face_too_small: 'Your face is too small in the photo: hold the phone closer.',
  face_cut_off: 'Your face is cut off at the edge: centre it in the frame.',
}

export function feedbackText(feedback: Feedback): string {
  return FEEDBACK_TEXT[feedback]
}

/** Maps an engine reading to the feedback a person can act on. */
export function feedbackFor(result: InspectResult): Feedback {
  if (result.ok) return 'ok'
  const { code, quality } = result.error
  switch (code) {
    case 'DOCUMENT_QUALITY_LOW':
      return quality?.[0] ?? 'blurry'
    // A zone was located but not read: the engine names the photo's fault when it sees one.
    case 'MRZ_UNREADABLE':
      return quality?.[0] ?? 'mrz_unreadable'
    case 'BARCODE_UNREADABLE':
    case 'AAMVA_INVALID':
      return quality?.[0] ?? 'barcode_unreadable'
    case 'ENGINE_TIMEOUT':
    case 'ENGINE_ERROR':
      return 'try_again'
    case 'MRZ_NOT_FOUND':
    case 'BARCODE_NOT_FOUND':
    case 'DOCUMENT_NOT_FOUND':
    case 'DOCUMENT_INVALID_FORMAT':
    case 'DOCUMENT_TOO_LARGE':
    case 'DOCUMENT_CORRUPT':
      return 'no_document'
  }
}

/** Intake errors refuse the upload itself (a 4xx), they are not feedback on a photo. */
export function refuseBadUpload(result: InspectResult): void {
  if (result.ok) return
  const { code, message } = result.error
  if (code === 'DOCUMENT_INVALID_FORMAT' || code === 'DOCUMENT_CORRUPT') {
    throw new DomainError('DOCUMENT_INVALID_FORMAT', message)
  }
  if (code === 'DOCUMENT_TOO_LARGE') throw new DomainError('DOCUMENT_TOO_LARGE', message)
}

/** The media type of an uploaded file, from its signature (what the engine accepts). */
export function mediaTypeOf(bytes: Uint8Array): string {
  switch (sniffFormat(bytes)) {
    case 'jpeg':
      return 'image/jpeg'
    case 'png':
      return 'image/png'
    case 'webp':
      return 'image/webp'
    case 'pdf':
      return 'application/pdf'
    case 'bmp':
      return 'image/bmp'
    case 'tiff':
      return 'image/tiff'
    case 'heic':
      return 'image/heic'
    case 'unknown':
      return 'application/octet-stream'
  }
}

/** Reads one side of a document on the engine pool (as-of today). */
export async function readDocument(
  deps: Deps,
  bytes: Buffer,
  hint: 'mrz' | 'auto' = 'auto',
): Promise<InspectResult> {
  const result = await deps.engine.inspect(
    { bytes: new Uint8Array(bytes), asOf: deps.clock.now().toISOString().slice(0, 10), hint },
    deps.config.engineBudgetMs,
  )
  if (!result.ok && result.error.code === 'ENGINE_ERROR') {
    deps.logger.error({ engineError: result.error.message }, 'document reader failed')
  }
  return result
}
