// The background worker: periodic maintenance now; the job queue joins it (see jobs/queue.ts).
import type { Deps } from '../deps.ts'
import { pruneRequestLogs } from '../store/request-logs.ts'

export interface RunningWorker {
  stop(): Promise<void>
}

const MAINTENANCE_EVERY_MS = 60_000

/** Starts the worker loops; `stop()` waits for the current pass to finish. */
export function startWorker(deps: Deps): RunningWorker {
  let stopped = false
  let current: Promise<void> = Promise.resolve()
  const maintain = async (): Promise<void> => {
    const cutoff = new Date(deps.clock.now().getTime() - deps.config.requestLogDays * 86_400_000)
    const removed = await pruneRequestLogs(deps.store.db, cutoff.toISOString())
    if (removed > 0) deps.logger.info({ removed }, 'pruned request log')
  }
  const tick = (): void => {
    if (stopped) return
    current = maintain().catch((err: unknown) => deps.logger.error({ err }, 'maintenance failed'))
  }
  tick()
  const timer = setInterval(tick, MAINTENANCE_EVERY_MS)
  timer.unref()
  return {
    async stop() {
      stopped = true
      clearInterval(timer)
      await current
    },
  }
}
