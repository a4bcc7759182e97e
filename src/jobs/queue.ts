// The generic job runner. Job types register by name with a handler; payloads carry ids, and
// handlers reload state and are safe to run twice (a worker can die after the work but before
// marking the job done; the lease then hands the job to another worker, which runs it again).
//
// Leases: a claimed job is the worker's until its lease ends; while the handler runs, the runner
// renews the lease every third of its length, so only a dead (or hung-up) worker loses its jobs.
//
// Polling: while jobs keep coming the runner claims again at once; when idle it backs off from
// 5 ms to `pollMs`, and a job enqueued in this process (or a finished job freeing a slot) wakes
// it at once.
import type { Deps } from '../deps.ts'
import {
  claimJobs,
  completeJob,
  extendLease,
  failJob,
  onJobEnqueued,
  releaseJob,
} from '../store/jobs.ts'
import type { Job } from '../store/jobs.ts'

export interface JobContext {
  deps: Deps
  job: Job
}

export interface JobHandler {
  type: string
  /** Delay before attempt `attempt + 1` after attempt `attempt` failed (default: exponential). */
  backoffMs?(attempt: number): number
  run(payload: Record<string, unknown>, ctx: JobContext): Promise<void>
  /** Called once a job is dead-lettered (last attempt failed), e.g. to mark what it served. */
  onDead?(payload: Record<string, unknown>, ctx: JobContext): Promise<void>
}

/** Thrown by a handler to be retried at a time of its choosing. */
export class RetryAt extends Error {
  constructor(
    readonly at: Date,
    message: string,
  ) {
    super(message)
    this.name = 'RetryAt'
  }
}

/** Thrown by a handler when retrying cannot help: the job is dead-lettered at once. */
export class PermanentJobError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PermanentJobError'
  }
}

/** Exponential back-off with jitter: 1 s, 2 s, 4 s … capped at 1 h, each ×0.5–1.5. */
export function exponentialBackoffMs(attempt: number): number {
  const base = Math.min(3_600_000, 1000 * 2 ** Math.max(0, attempt - 1))
  return Math.round(base * (0.5 + Math.random()))
}

const MIN_POLL_MS = 5

export interface JobRunnerOptions {
  concurrency: number
  leaseMs: number
  pollMs: number
  /** At most this many of one tenant's jobs at once (fairness between tenants); default no cap. */
  perTenant?: number
}

export class JobRunner {
  private readonly handlers = new Map<string, JobHandler>()
  private readonly running = new Set<Promise<void>>()
  private readonly runningByTenant = new Map<string, number>()
  private stopped = true
  private loop: Promise<void> = Promise.resolve()
  private wake: (() => void) | null = null
  private nudged = false
  private unsubscribe: (() => void) | null = null

  constructor(
    private readonly deps: Deps,
    private readonly options: JobRunnerOptions,
  ) {}

  register(handler: JobHandler): this {
    if (this.handlers.has(handler.type))
      throw new Error(`job type ${handler.type} registered twice`)
    this.handlers.set(handler.type, handler)
    return this
  }

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.unsubscribe = onJobEnqueued(() => this.nudge())
    this.loop = this.run()
  }

  /** Stops claiming and waits for the jobs in hand to finish. */
  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    this.nudge()
    await this.loop
    await Promise.all(this.running)
  }

  /** Wakes the loop now (a job was enqueued here, or a slot freed). */
  nudge(): void {
    this.nudged = true
    const wake = this.wake
    this.wake = null
    wake?.()
  }

  /** Claims and runs one batch of due jobs, waiting for them; returns how many ran (tests, CLI). */
  async runDue(): Promise<number> {
    const jobs = await this.claim(this.options.concurrency)
    await Promise.all(jobs.map((job) => this.execute(job)))
    return jobs.length
  }

  /** Claims due jobs; with a per-tenant cap, those over it in this process go back at once. */
  private async claim(limit: number): Promise<Job[]> {
    const { perTenant } = this.options
    const claimed = await claimJobs(this.deps.store, {
      limit,
      leaseMs: this.options.leaseMs,
      now: this.deps.clock.now(),
      types: [...this.handlers.keys()],
      ...(perTenant !== undefined && { perTenant }),
    })
    if (perTenant === undefined) return claimed
    const kept: Job[] = []
    for (const job of claimed) {
      const tenant = job.tenantId
      const busy = tenant === null ? 0 : (this.runningByTenant.get(tenant) ?? 0)
      if (tenant !== null && busy >= perTenant) {
        await releaseJob(this.deps.store.db, job, this.deps.clock.now())
        continue
      }
      if (tenant !== null) this.runningByTenant.set(tenant, busy + 1)
      kept.push(job)
    }
    return kept
  }

  private async run(): Promise<void> {
    let idleMs = MIN_POLL_MS
    while (!this.stopped) {
      this.nudged = false
      const free = this.options.concurrency - this.running.size
      let claimed = 0
      if (free > 0) {
        try {
          const jobs = await this.claim(free)
          claimed = jobs.length
          for (const job of jobs) this.track(this.execute(job))
        } catch (err) {
          this.deps.logger.error({ err }, 'claiming jobs failed')
          idleMs = this.options.pollMs
        }
      }
      if (this.stopped) break
      if (claimed > 0) {
        idleMs = MIN_POLL_MS
        continue
      }
      if (this.nudged) {
        idleMs = MIN_POLL_MS
        continue
      }
      await this.sleep(free > 0 ? idleMs : this.options.pollMs)
      idleMs = this.nudged ? MIN_POLL_MS : Math.min(idleMs * 2, this.options.pollMs)
    }
  }

  private track(work: Promise<void>): void {
    this.running.add(work)
    void work.finally(() => {
      this.running.delete(work)
      this.nudge()
    })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null
        resolve()
      }, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }

  /** Runs one claimed job and records its outcome; never throws. */
  private async execute(job: Job): Promise<void> {
    const { deps } = this
    const handler = this.handlers.get(job.type)
    const ctx: JobContext = { deps, job }
    const heartbeat = setInterval(() => {
      const now = deps.clock.now()
      extendLease(deps.store.db, job, new Date(now.getTime() + this.options.leaseMs), now).catch(
        (err: unknown) => deps.logger.warn({ err, jobId: job.id }, 'could not renew a job lease'),
      )
    }, this.options.leaseMs / 3)
    heartbeat.unref()
    try {
      if (handler === undefined) throw new PermanentJobError(`no handler for job type ${job.type}`)
      // A job whose worker died mid-run more often than it may be attempted is not run again.
      if (job.attempts > job.maxAttempts) {
        throw new PermanentJobError('lease expired on the last attempt (did the worker die?)')
      }
      await handler.run(job.payload, ctx)
      deps.metrics.jobs.inc({ type: job.type, outcome: 'done' })
      const kept = await completeJob(deps.store.db, job, deps.clock.now())
      if (!kept)
        deps.logger.warn(
          { jobId: job.id, type: job.type },
          'job finished after its lease was taken over',
        )
    } catch (err) {
      await this.recordFailure(job, handler, ctx, err)
    } finally {
      clearInterval(heartbeat)
      this.settleTenant(job)
    }
  }

  private settleTenant(job: Job): void {
    if (this.options.perTenant === undefined || job.tenantId === null) return
    const left = (this.runningByTenant.get(job.tenantId) ?? 1) - 1
    if (left > 0) this.runningByTenant.set(job.tenantId, left)
    else this.runningByTenant.delete(job.tenantId)
  }

  private async recordFailure(
    job: Job,
    handler: JobHandler | undefined,
    ctx: JobContext,
    err: unknown,
  ): Promise<void> {
    const { deps } = this
    const now = deps.clock.now()
    const message = err instanceof Error ? err.message : String(err)
    const last = err instanceof PermanentJobError || job.attempts >= job.maxAttempts
    deps.metrics.jobs.inc({ type: job.type, outcome: last ? 'dead' : 'retry' })
    const retryAt = last
      ? null
      : err instanceof RetryAt
        ? err.at
        : new Date(now.getTime() + (handler?.backoffMs ?? exponentialBackoffMs)(job.attempts))
    try {
      const kept = await failJob(deps.store.db, job, { error: message, retryAt, now })
      if (retryAt === null && kept) {
        deps.logger.warn(
          { jobId: job.id, type: job.type, attempts: job.attempts },
          'job dead-lettered',
        )
        await handler?.onDead?.(job.payload, ctx)
      } else if (!(err instanceof RetryAt)) {
        deps.logger.warn(
          { jobId: job.id, type: job.type, attempt: job.attempts, error: message },
          'job failed; will retry',
        )
      }
    } catch (recordErr) {
      // The lease will expire and another claim will retry the job: nothing is lost, but say so.
      deps.logger.error({ err: recordErr, jobId: job.id }, 'could not record a job failure')
    }
  }
}
