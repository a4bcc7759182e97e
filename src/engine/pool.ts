// The engine's worker-thread pool (Piscina). Each document read runs on a worker thread with a
// time budget; the event loop keeps serving /health and /tokens/validate meanwhile.
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { EngineError, ImageCheck, InspectResult } from './types.ts'
import type { EngineMessage, EngineTask, InspectTask } from './worker.ts'
import type { LogoResult } from './logo.ts'
import {
  cancelTask,
  closePool,
  createPoolControl,
  createTaskControl,
  poolWorkerData,
  safeToTerminate,
  threadsOutOfRuntime,
} from './native.ts'
import type { PoolControl } from './native.ts'
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
  /**
   * The birth date among `candidates` (a century the MRZ left open) another image of the same
   * document prints, such as an ID card's front; null when it prints neither or both, when the
   * image does not decode, or past the budget.
   */
  birthDateOnImage(
    bytes: Uint8Array,
    candidates: [string, string],
    budgetMs: number,
  ): Promise<string | null>
  /** Decodes a tenant's logo and re-encodes it as a small PNG without metadata; within the budget. */
  reencodeLogo(bytes: Uint8Array, budgetMs: number): Promise<LogoResult>
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
    birthDateOnImage: (bytes, candidates, budgetMs) =>
      (pool ??= startPool()).birthDateOnImage(bytes, candidates, budgetMs),
    reencodeLogo: (bytes, budgetMs) => (pool ??= startPool()).reencodeLogo(bytes, budgetMs),
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
  const nativeCalls = createPoolControl()
  const pool = new Piscina({
    filename,
    workerData: poolWorkerData(nativeCalls),
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
      const result = await runWithinBudget(pool, task, budgetMs)
      observe(task.kind, 'done', seconds())
      return result
    } catch (err) {
      observe(task.kind, isTimeout(err) ? 'timeout' : 'error', seconds())
      throw err
    }
  }
  async function face<T>(task: EngineTask, budgetMs: number): Promise<T | FaceTaskFailure> {
    try {
      return (await run(task, budgetMs)) as T
    } catch (err) {
      return {
        failed: true,
        reason: isTimeout(err) ? 'timeout' : 'error',
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
    async birthDateOnImage(bytes, candidates, budgetMs) {
      try {
        const found = (await run(
          { kind: 'birthDateOnImage', bytes, candidates } satisfies EngineTask,
          budgetMs,
        )) as { dateOfBirth: string | null }
        return found.dateOfBirth
      } catch {
        // Only a help: without it the century stays open and a person reads the date.
        return null
      }
    },
    async reencodeLogo(bytes, budgetMs) {
      try {
        return (await run(
          { kind: 'reencodeLogo', bytes } satisfies EngineTask,
          budgetMs,
        )) as LogoResult
      } catch (err) {
        return engineFailure(err, budgetMs)
      }
    },
    queueSize: () => pool.queueSize,
    close: async () => {
      await untilOutOfRuntime(nativeCalls, pool)
      await pool.destroy()
    },
  }
}

const elapsed = (started: number): number => Math.round(performance.now() - started)

const isTimeout = (err: unknown): boolean =>
  err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')

/** The longest a closing pool waits for model runs to end before terminating its threads. */
const CLOSE_WAIT_MS = 10_000

/** Forbids new model runtime calls on every thread and waits until none is in flight. */
async function untilOutOfRuntime(control: PoolControl, pool: Piscina): Promise<void> {
  closePool(control)
  const deadline = Date.now() + CLOSE_WAIT_MS
  const live = () => pool.threads.map((thread) => thread.threadId)
  while (!threadsOutOfRuntime(control, live()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, TERMINATE_POLL_MS))
  }
}

/** How often a cancelled task's thread is looked at until it has left the model runtime. */
const TERMINATE_POLL_MS = 5

/**
 * Runs a task on a thread; past the budget the caller gets a TimeoutError at once and the thread
 * is terminated (Piscina starts a fresh one) as soon as it is not inside an ONNX Runtime call —
 * terminating it inside one would abort the process (see native.ts).
 */
function runWithinBudget(pool: Piscina, task: EngineTask, budgetMs: number): Promise<unknown> {
  const control = createTaskControl()
  const abort = new AbortController()
  const running = pool.run({ ...task, control } satisfies EngineMessage, { signal: abort.signal })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new DOMException(`The task took longer than ${budgetMs} ms`, 'TimeoutError'))
      if (cancelTask(control)) return abort.abort()
      const poll = setInterval(() => {
        if (safeToTerminate(control)) {
          clearInterval(poll)
          abort.abort()
        }
      }, TERMINATE_POLL_MS)
      // The task may also finish by itself first; then there is nothing left to terminate.
      running.then(
        () => clearInterval(poll),
        () => clearInterval(poll),
      )
    }, budgetMs)
    running.then(
      (result: unknown) => (clearTimeout(timer), resolve(result)),
      (err: unknown) => (
        clearTimeout(timer),
        reject(err instanceof Error ? err : new Error(String(err)))
      ),
    )
  })
}

/**
 * A document task that ran out of time (its thread is terminated) or crashed. A crash is a bug
 * (the caller logs it); the person gets "try again", not a 500.
 */
function engineFailure(err: unknown, budgetMs: number): { ok: false; error: EngineError } {
  if (isTimeout(err)) {
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
