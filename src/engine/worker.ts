// Runs in a worker thread of the engine pool: CPU-heavy document reading stays off the event loop.
import { inspectImage } from './inspect.ts'
import type { InspectResult } from './types.ts'

export interface InspectTask {
  bytes: Uint8Array
  asOf: string
  hint?: 'mrz' | 'aamva' | 'auto'
}

/** Piscina calls the default export with each task. */
export default async function run(task: InspectTask): Promise<InspectResult> {
  return inspectImage(task.bytes, { asOf: task.asOf, hint: task.hint ?? 'auto' })
}
