// Runs in a worker thread of the engine pool: every image decode and all CPU-heavy document and
// face work stay off the event loop. Face models load once per thread, on the first face task.
import os from 'node:os'
import sharp from 'sharp'
import { birthDateOnImage, inspectImage } from './inspect.ts'
import { loadTemplates } from './mrz/glyphs.ts'
import { loadRecognizer } from './mrz/ppocr.ts'
import { assessQuality, decodeDocumentImage } from './intake.ts'
import { reencodeLogo } from './logo.ts'
import type { LogoResult } from './logo.ts'
import type { ImageCheck, InspectResult } from './types.ts'
import { compareFaces, detectFaces, estimateAge, faceRuntime } from './face/index.ts'
import { setCurrentTask } from './native.ts'
import type { TaskControl } from './native.ts'
import type { AgeEstimate, AgeOptions, FaceComparison, FaceDetection } from './face/index.ts'

// libvips keeps decoded images and operations in a cache and runs one decode on several threads;
// a worker reads one image at a time, so neither helps, and both multiply memory under load.
sharp.cache(false)
sharp.concurrency(1)

// Reading documents may take every core for seconds; the event loop that answers /health and
// /tokens/validate must not wait for it. On Linux a nice value belongs to a thread, so this lowers
// only this worker thread (elsewhere it may lower the process, or fail: it is only a preference).
try {
  os.setPriority(10)
} catch {
  // Not permitted here: the threads keep the default priority.
}

// Face models take seconds to load and warm up: start as the thread starts, so the first
// person's selfie does not wait for them (a failure here is retried on the first face task).
faceRuntime().catch(() => undefined)
// Likewise the MRZ text recognizer (a few seconds to load), so the first passport read stays
// within its time budget.
loadRecognizer().catch(() => undefined)

export interface InspectTask {
  bytes: Uint8Array
  asOf: string
  hint?: 'mrz' | 'aamva' | 'auto'
}

export type EngineTask =
  | ({ kind: 'inspect' } & InspectTask)
  | { kind: 'checkImage'; bytes: Uint8Array }
  | { kind: 'birthDateOnImage'; bytes: Uint8Array; candidates: [string, string] }
  | { kind: 'reencodeLogo'; bytes: Uint8Array }
  | { kind: 'selfCheck' }
  | { kind: 'compareFaces'; document: Uint8Array; selfie: Uint8Array }
  | { kind: 'detectSelfie'; selfie: Uint8Array }
  | { kind: 'estimateAge'; selfie: Uint8Array; options: AgeOptions }

export type EngineTaskResult =
  | InspectResult
  | ImageCheck
  | LogoResult
  | FaceComparison
  | FaceDetection
  | AgeEstimate
  | { ok: true }
  | { dateOfBirth: string | null }

/** What the pool sends: a task and the control block it shares with this thread for it. */
export type EngineMessage = EngineTask & { control?: TaskControl }

/** Piscina calls the default export with each task. */
export default async function run(message: EngineMessage): Promise<EngineTaskResult> {
  setCurrentTask(message.control ?? null)
  try {
    return await runTask(message)
  } finally {
    setCurrentTask(null)
  }
}

async function runTask(task: EngineTask): Promise<EngineTaskResult> {
  switch (task.kind) {
    case 'inspect':
      return inspectImage(task.bytes, { asOf: task.asOf, hint: task.hint ?? 'auto' })
    case 'checkImage':
      return checkImage(task.bytes)
    case 'birthDateOnImage':
      return { dateOfBirth: await birthDateOnImage(task.bytes, task.candidates) }
    case 'reencodeLogo':
      return reencodeLogo(task.bytes)
    case 'selfCheck':
      // The MRZ reader's templates, built from the shipped outlines: a thread that cannot build
      // them cannot read a passport; nor one whose text recognizer does not load.
      await Promise.all([loadTemplates(), loadRecognizer()])
      return { ok: true }
    case 'compareFaces':
      return compareFaces(task.document, task.selfie)
    case 'detectSelfie': {
      // Face descriptors are biometric data: they never leave the worker thread.
      const detection = await detectFaces(task.selfie, { role: 'selfie' })
      return { ...detection, faces: detection.faces.map((f) => ({ ...f, embedding: [] })) }
    }
    case 'estimateAge':
      return estimateAge(task.selfie, task.options)
  }
}

/** Decodes an image and judges its quality without reading it (test-mode intake). */
async function checkImage(bytes: Uint8Array): Promise<ImageCheck> {
  const decoded = await decodeDocumentImage(bytes)
  if (!decoded.ok) return decoded
  const { width, height } = decoded.image
  return { ok: true, width, height, quality: assessQuality(decoded.image).issues }
}
