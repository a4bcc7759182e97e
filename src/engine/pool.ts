// The engine's worker-thread pool (Piscina). Each document read runs on a worker thread with a
// time budget; the event loop keeps serving /health and /tokens/validate meanwhile.
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { EngineError, ImageCheck, InspectResult } from './types.ts'
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
  /** Decodes an image and judges its quality without reading it; within the budget too. */
  checkImage(bytes: Uint8Array, budgetMs: number): Promise<ImageCheck>
  /** Whether a thread can build what the readers need (templates); the message when not. */
  selfCheck(budgetMs: number): Promise<{ ok: true } | { ok: false; message: string }>
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
  /** Tasks waiting for a thread right now. */
  queueSize(): number
  close(): Promise<void>
}

/** Told of every task: its kind, how it ended, and how long it took (queueing included). */
export type TaskObserver = (
  kind: EngineTask['kind'],
  outcome: 'done' | 'timeout' | 'error',
  seconds: number,
) => void

/** A pool of `threads` workers (default: one per core), started on first use. */
export function createEnginePool(
  threads = os.availableParallelism(),
  observe: TaskObserver = () => undefined,
): EnginePool {
  let pool: EnginePool | null = null
  const startPool = () => startThreads(threads, observe)
  return {
    inspect: (task, budgetMs) => (pool ??= startPool()).inspect(task, budgetMs),
    checkImage: (bytes, budgetMs) => (pool ??= startPool()).checkImage(bytes, budgetMs),
    selfCheck: (budgetMs) => (pool ??= startPool()).selfCheck(budgetMs),
    compareFaces: (document, selfie, budgetMs) =>
      (pool ??= startPool()).compareFaces(document, selfie, budgetMs),
    detectSelfie: (selfie, budgetMs) => (pool ??= startPool()).detectSelfie(selfie, budgetMs),
    estimateAge: (selfie, options, budgetMs) =>
      (pool ??= startPool()).estimateAge(selfie, options, budgetMs),
    queueSize: () => pool?.queueSize() ?? 0,
    close: async () => {
      await pool?.close()
      pool = null
    },
  }
}

function startThreads(threads: number, observe: TaskObserver): EnginePool {
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
  /** Runs a task within its budget, telling the observer how it went. */
  async function run(task: EngineTask, budgetMs: number): Promise<unknown> {
    const started = performance.now()
    const seconds = () => (performance.now() - started) / 1000
    try {
      const result: unknown = await pool.run(task, { signal: AbortSignal.timeout(budgetMs) })
      observe(task.kind, 'done', seconds())
      return result
    } catch (err) {
      const timeout =
        err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')
      observe(task.kind, timeout ? 'timeout' : 'error', seconds())
      throw err
    }
  }
  async function face<T>(task: EngineTask, budgetMs: number): Promise<T | FaceTaskFailure> {
    try {
      return (await run(task, budgetMs)) as T
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
        return (await run(
          { kind: 'inspect', ...task } satisfies EngineTask,
          budgetMs,
        )) as InspectResult
      } catch (err) {
        return { ...engineFailure(err, budgetMs), timingsMs: { total: elapsed(started) } }
      }
    },
    async selfCheck(budgetMs) {
      try {
        await run({ kind: 'selfCheck' } satisfies EngineTask, budgetMs)
        return { ok: true }
      } catch (err) {
        return { ok: false, message: engineFailure(err, budgetMs).error.message }
      }
    },
    async checkImage(bytes, budgetMs) {
      try {
        return (await run(
          { kind: 'checkImage', bytes } satisfies EngineTask,
          budgetMs,
        )) as ImageCheck
      } catch (err) {
        return engineFailure(err, budgetMs)
      }
    },
    queueSize: () => pool.queueSize,
    close: () => pool.destroy(),
  }
}

const elapsed = (started: number): number => Math.round(performance.now() - started)

/**
 * A document task that ran out of time (its thread is terminated) or crashed. A crash is a bug
 * (the caller logs it); the person gets "try again", not a 500.
 */
function engineFailure(err: unknown, budgetMs: number): { ok: false; error: EngineError } {
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return {
      ok: false,
      error: {
        code: 'ENGINE_TIMEOUT',
        message: `Reading the image took longer than ${budgetMs} ms`,
      },
    }
  }
  return {
    ok: false,
    error: {
      code: 'ENGINE_ERROR',
      message: `The document reader failed: ${err instanceof Error ? err.message : 'unknown error'}`,
    },
  }
}
