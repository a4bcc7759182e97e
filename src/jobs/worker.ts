// The background worker: periodic maintenance now; the job queue joins it (see jobs/queue.ts).
import type { Deps } from '../deps.ts'
import { pruneRequestLogs } from '../store/request-logs.ts'
import { pruneRevocations } from '../store/revocations.ts'
import { expireDueVerifications } from '../services/verifications.ts'

export interface RunningWorker {
  stop(): Promise<void>
}

const MAINTENANCE_EVERY_MS = 15_000

/** Starts the worker loops; `stop()` waits for the current pass to finish. */
export function startWorker(deps: Deps): RunningWorker {
  let stopped = false
  let current: Promise<void> = Promise.resolve()
  const maintain = async (): Promise<void> => {
    const now = deps.clock.now()
    const expired = await expireDueVerifications(deps)
    if (expired > 0) deps.logger.info({ expired }, 'expired verifications past their time to live')
    const cutoff = new Date(now.getTime() - deps.config.requestLogDays * 86_400_000)
    const removed = await pruneRequestLogs(deps.store.db, cutoff.toISOString())
    if (removed > 0) deps.logger.info({ removed }, 'pruned request log')
    await pruneRevocations(deps.store.db, now.toISOString())
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
