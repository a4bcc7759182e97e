// Runs in a worker thread of the engine pool: CPU-heavy document reading and face work stay off
// the event loop. Face models load once per thread, on the first face task.
import { inspectImage } from './inspect.ts'
import type { InspectResult } from './types.ts'
import { compareFaces, detectFaces, estimateAge } from './face/index.ts'
import type { AgeEstimate, AgeOptions, FaceComparison, FaceDetection } from './face/index.ts'

export interface InspectTask {
  bytes: Uint8Array
  asOf: string
  hint?: 'mrz' | 'aamva' | 'auto'
}

export type EngineTask =
  | ({ kind: 'inspect' } & InspectTask)
  | { kind: 'compareFaces'; document: Uint8Array; selfie: Uint8Array }
  | { kind: 'detectSelfie'; selfie: Uint8Array }
  | { kind: 'estimateAge'; selfie: Uint8Array; options: AgeOptions }

export type EngineTaskResult = InspectResult | FaceComparison | FaceDetection | AgeEstimate

/** Piscina calls the default export with each task. */
export default async function run(task: EngineTask): Promise<EngineTaskResult> {
  switch (task.kind) {
    case 'inspect':
      return inspectImage(task.bytes, { asOf: task.asOf, hint: task.hint ?? 'auto' })
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
