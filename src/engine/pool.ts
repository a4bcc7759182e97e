// The engine's worker-thread pool (Piscina). Each document read runs on a worker thread with a
// time budget; the event loop keeps serving /health and /tokens/validate meanwhile.
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { InspectResult } from './types.ts'
import type { EngineTask, InspectTask } from './worker.ts'
import type { AgeEstimate, AgeOptions, FaceComparison, FaceDetection } from './face/index.ts'

/** A face task that failed or ran out of time: the caller treats it as "no usable face". */
export interface FaceTaskFailure {
  failed: true
  reason: 'timeout' | 'error'
  message: string
}

export interface EnginePool {
  /** Reads one document side; a read that exceeds the budget is a failure result, not a hang. */
  inspect(task: InspectTask, budgetMs: number): Promise<InspectResult>
  /** Document portrait vs selfie (models load on the thread's first face task). */
  compareFaces(
    document: Uint8Array,
    selfie: Uint8Array,
    budgetMs: number,
  ): Promise<FaceComparison | FaceTaskFailure>
  /** The faces on a selfie, for instant feedback. */
  detectSelfie(selfie: Uint8Array, budgetMs: number): Promise<FaceDetection | FaceTaskFailure>
  /** Facial age estimation on a selfie, decided against minAge + buffer. */
  estimateAge(
    selfie: Uint8Array,
    options: AgeOptions,
    budgetMs: number,
  ): Promise<AgeEstimate | FaceTaskFailure>
  close(): Promise<void>
}

/** A pool of `threads` workers (default: one per core), started on first use. */
export function createEnginePool(threads = os.availableParallelism()): EnginePool {
  let pool: EnginePool | null = null
  return {
    inspect: (task, budgetMs) => (pool ??= startPool(threads)).inspect(task, budgetMs),
    compareFaces: (document, selfie, budgetMs) =>
      (pool ??= startPool(threads)).compareFaces(document, selfie, budgetMs),
    detectSelfie: (selfie, budgetMs) =>
      (pool ??= startPool(threads)).detectSelfie(selfie, budgetMs),
    estimateAge: (selfie, options, budgetMs) =>
      (pool ??= startPool(threads)).estimateAge(selfie, options, budgetMs),
    close: async () => {
      await pool?.close()
      pool = null
    },
  }
}

function startPool(threads: number): EnginePool {
  // From dist/ the worker is compiled JavaScript; from the TypeScript sources (tests, `tsx`) the
  // worker thread needs tsx's loader too.
  const here = import.meta.url
  const compiled = here.endsWith('.js')
  const filename = fileURLToPath(new URL(compiled ? './worker.js' : './worker.ts', here))
  const pool = new Piscina({
    filename,
    minThreads: 1,
    maxThreads: Math.max(1, threads),
    idleTimeout: 60_000,
    maxQueue: 1000,
    ...(compiled ? {} : { execArgv: ['--import', 'tsx'] }),
  })
  async function face<T>(task: EngineTask, budgetMs: number): Promise<T | FaceTaskFailure> {
    try {
      return (await pool.run(task, { signal: AbortSignal.timeout(budgetMs) })) as T
    } catch (err) {
      const timeout =
        err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')
      return {
        failed: true,
        reason: timeout ? 'timeout' : 'error',
        message: err instanceof Error ? err.message : 'unknown error',
      }
    }
  }
  return {
    compareFaces: (document, selfie, budgetMs) =>
      face<FaceComparison>({ kind: 'compareFaces', document, selfie }, budgetMs),
    detectSelfie: (selfie, budgetMs) =>
      face<FaceDetection>({ kind: 'detectSelfie', selfie }, budgetMs),
    estimateAge: (selfie, options, budgetMs) =>
      face<AgeEstimate>({ kind: 'estimateAge', selfie, options }, budgetMs),
    async inspect(task, budgetMs) {
      const started = performance.now()
      try {
        return (await pool.run({ kind: 'inspect', ...task } satisfies EngineTask, {
          signal: AbortSignal.timeout(budgetMs),
          transferList: [],
        })) as InspectResult
      } catch (err) {
        const total = Math.round(performance.now() - started)
        if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
          return {
            ok: false,
            error: {
              code: 'ENGINE_TIMEOUT',
              message: `Reading the document took longer than ${budgetMs} ms`,
            },
            timingsMs: { total },
          }
        }
        // A crashed reader is a bug (the caller logs it); the person gets "try again", not a 500.
        return {
          ok: false,
          error: {
            code: 'ENGINE_ERROR',
            message: `The document reader failed: ${err instanceof Error ? err.message : 'unknown error'}`,
          },
          timingsMs: { total },
        }
      }
    },
    close: () => pool.destroy(),
  }
}
