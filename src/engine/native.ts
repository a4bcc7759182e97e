// ONNX Runtime's calls (loading a model, running it) are synchronous native code that calls back
// into the thread's JavaScript environment. If the pool terminates the worker thread during one
// (a task over its time budget, the pool closing), the runtime finds that environment gone and
// aborts the whole process. So a worker says, through memory it shares with the pool, how many
// runtime calls it has in flight, and the pool terminates a thread only when that count is zero
// after forbidding new calls. Image decoding and the pure-JavaScript stages stay interruptible.
import { threadId, workerData } from 'node:worker_threads'

/** Slot 0: runtime calls in flight on the thread running the task; slot 1: cancelled. */
export type TaskControl = Int32Array

const IN_FLIGHT = 0
const CANCELLED = 1

/** A control block the pool shares with the thread that runs one task. */
export function createTaskControl(): TaskControl {
  return new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT))
}

/** Pool side: no new runtime call may start; answers whether the thread can be terminated now. */
export function cancelTask(control: TaskControl): boolean {
  Atomics.store(control, CANCELLED, 1)
  return Atomics.load(control, IN_FLIGHT) === 0
}

/** Pool side: whether a cancelled task's thread has left every runtime call. */
export function safeToTerminate(control: TaskControl): boolean {
  return Atomics.load(control, IN_FLIGHT) === 0
}

/**
 * Shared by a pool and all its threads (as workerData): slot 0 is non-zero once the pool closes;
 * then one slot per thread (by thread id) counts that thread's runtime calls in flight, models
 * loading outside any task included. A thread terminated mid-count leaves a stale slot; the pool
 * reads only its live threads' slots, and a new thread taking the slot resets it.
 */
export type PoolControl = Int32Array

const CLOSING = 0
const THREAD_SLOTS = 1024
const slotOf = (id: number): number => 1 + (id % THREAD_SLOTS)

export function createPoolControl(): PoolControl {
  return new Int32Array(new SharedArrayBuffer((1 + THREAD_SLOTS) * Int32Array.BYTES_PER_ELEMENT))
}

/** Pool side: no new runtime call may start on any thread. */
export function closePool(control: PoolControl): void {
  Atomics.store(control, CLOSING, 1)
}

/** Pool side: whether none of these live threads is inside a runtime call. */
export function threadsOutOfRuntime(control: PoolControl, threadIds: readonly number[]): boolean {
  return threadIds.every((id) => Atomics.load(control, slotOf(id)) === 0)
}

/** What a pool passes to its threads as workerData so that nativeCall can count on them. */
export const poolWorkerData = (control: PoolControl) => ({ nativeCalls: control })

// Worker side. A thread runs one task at a time; calls started outside a task (models loading as
// the thread starts) are counted too and show in the control of whichever task comes next.
let inFlight = 0
let current: TaskControl | null = null
const pool: PoolControl | null = poolControlOf(workerData)
if (pool) Atomics.store(pool, slotOf(threadId), 0)

function poolControlOf(data: unknown): PoolControl | null {
  const control = (data as { nativeCalls?: unknown } | null)?.nativeCalls
  return control instanceof Int32Array ? control : null
}

/** Worker side: the task now running on this thread (null once it is done). */
export function setCurrentTask(control: TaskControl | null): void {
  current = control
  if (control) Atomics.store(control, IN_FLIGHT, inFlight)
}

/** The task was cancelled, or the pool is closing: the call's result is no longer wanted. */
export class TaskCancelledError extends Error {
  override name = 'TaskCancelledError'
}

function publish(): void {
  if (current) Atomics.store(current, IN_FLIGHT, inFlight)
  if (pool) Atomics.store(pool, slotOf(threadId), inFlight)
}

/**
 * Runs one ONNX Runtime call (a session's creation or a `run`) so that the thread is never
 * terminated while it is in flight, and refuses to start one for a cancelled task or a closing
 * pool. The runtime does its native work in a setImmediate of its own; the call is started from
 * one too, so the count covers about one event-loop turn before that work, not the time a busy
 * thread takes to get there (a long pure-JavaScript stage must stay interruptible). Counted first,
 * checked second: a pool that cancels after the check sees the call counted.
 */
export function nativeCall<T>(call: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    setImmediate(() => {
      inFlight++
      publish()
      const done = (): void => {
        inFlight--
        publish()
      }
      if (current && Atomics.load(current, CANCELLED) !== 0) {
        done()
        return reject(new TaskCancelledError('the task ran out of time'))
      }
      if (pool && Atomics.load(pool, CLOSING) !== 0) {
        done()
        return reject(new TaskCancelledError('the engine is shutting down'))
      }
      let running: Promise<T>
      try {
        running = call()
      } catch (err) {
        done()
        return reject(err instanceof Error ? err : new Error(String(err)))
      }
      running.then(
        (value) => (done(), resolve(value)),
        (err: unknown) => (done(), reject(err as Error)),
      )
    })
  })
}
