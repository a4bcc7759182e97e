// The background worker: the job queue in two lanes (decisions and the rest; webhook deliveries)
// and periodic maintenance (expiry, retention, pruning). Any number of workers share the queue.
import { invitationHandler } from './invitations.ts'
import type { Deps } from '../deps.ts'
import { pruneRequestLogs } from '../store/request-logs.ts'
import { pruneRevocations } from '../store/revocations.ts'
import { pruneHandoffCodes } from '../store/handoff-codes.ts'
import { pruneDoneJobs } from '../store/jobs.ts'
import { pruneDeliveries } from '../store/webhooks.ts'
import { expireDueVerifications } from '../services/verifications.ts'
import { JobRunner } from './queue.ts'
import type { JobHandler } from './queue.ts'
import { WebhookSender } from './webhook-http.ts'
import { deliverHandler, dispatchHandler } from './webhooks.ts'
import { processHandler } from './documents.ts'
import { purgeExpiredData } from '../services/retention.ts'

export interface RunningWorker {
  /** Decisions, event fan-out, invitations and the rest. */
  runner: JobRunner
  /** Webhook deliveries: their own lane, capped per tenant. */
  deliveries: JobRunner
  stop(): Promise<void>
}

export interface WorkerOptions {
  /** Extra job types (tests register theirs here). */
  handlers?: JobHandler[]
  /** Skip the periodic maintenance (tests that only want the queue). */
  maintenance?: boolean
}

const MAINTENANCE_EVERY_MS = 15_000

/** Starts the worker loops; `stop()` waits for the jobs in hand and the current pass. */
export function startWorker(deps: Deps, options: WorkerOptions = {}): RunningWorker {
  const { config } = deps
  const sender = new WebhookSender({
    timeoutMs: config.webhookTimeoutMs,
    connectTimeoutMs: config.webhookConnectTimeoutMs,
    firstByteTimeoutMs: config.webhookFirstByteTimeoutMs,
    allowPrivate: config.allowPrivateWebhooks,
  })
  // Two lanes, so that deliveries can never delay a decision: an endpoint that accepts
  // connections and never answers holds a delivery slot for the whole attempt, and one tenant
  // may have many such endpoints. Deliveries also take at most a few slots per tenant, so one
  // tenant's slow endpoints cannot hold up another tenant's webhooks.
  const runner = new JobRunner(deps, {
    concurrency: config.workerConcurrency,
    leaseMs: config.jobLeaseMs,
    pollMs: config.workerPollMs,
  })
  runner.register(dispatchHandler).register(processHandler).register(invitationHandler)
  for (const handler of options.handlers ?? []) runner.register(handler)
  const deliveries = new JobRunner(deps, {
    concurrency: config.webhookConcurrency,
    perTenant: config.webhookTenantConcurrency,
    leaseMs: config.jobLeaseMs,
    pollMs: config.workerPollMs,
  })
  deliveries.register(deliverHandler(sender))
  runner.start()
  deliveries.start()

  let stopped = false
  let current: Promise<void> = Promise.resolve()
  const maintain = async (): Promise<void> => {
    const now = deps.clock.now()
    const expired = await expireDueVerifications(deps)
    if (expired > 0) deps.logger.info({ expired }, 'expired verifications past their time to live')
    const purged = await purgeExpiredData(deps)
    if (purged > 0) deps.logger.info({ purged }, 'purged personal data past its time to live')
    const cutoff = new Date(now.getTime() - config.requestLogDays * 86_400_000)
    const removed = await pruneRequestLogs(deps.store.db, cutoff.toISOString())
    if (removed > 0) deps.logger.info({ removed }, 'pruned request log')
    await pruneRevocations(deps.store.db, now.toISOString())
    await pruneHandoffCodes(deps.store.db, now.toISOString())
    const jobCutoff = new Date(now.getTime() - config.jobRetentionDays * 86_400_000).toISOString()
    const jobs = await pruneDoneJobs(deps.store.db, jobCutoff)
    const deliveries = await pruneDeliveries(deps.store.db, jobCutoff)
    if (jobs + deliveries > 0)
      deps.logger.info({ jobs, deliveries }, 'pruned finished jobs and deliveries')
  }
  const tick = (): void => {
    if (stopped) return
    current = maintain().catch((err: unknown) => deps.logger.error({ err }, 'maintenance failed'))
  }
  let timer: NodeJS.Timeout | null = null
  if (options.maintenance !== false) {
    tick()
    timer = setInterval(tick, MAINTENANCE_EVERY_MS)
    timer.unref()
  }
  return {
    runner,
    deliveries,
    async stop() {
      stopped = true
      if (timer) clearInterval(timer)
      await Promise.all([runner.stop(), deliveries.stop()])
      await current
      sender.close()
    },
  }
}
