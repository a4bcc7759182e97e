// The durable job queue (transactional outbox). A job is a row written in the same transaction as
// the change that causes it (see `enqueueJob`, called by `recordEvent`), so a crash can never
// leave a state change without its job. Workers claim jobs with a lease:
//
//   queued  --claim-->  running  --complete-->  done
//     ^                    |  --fail, attempts left-->  queued (run_at = now + backoff)
//     |                    |  --fail, last attempt-->   dead (admin can retry: back to queued)
//     +--- lease expired --+
//
// For a running job `run_at` holds the lease's expiry, so one index (state, run_at) finds both
// due queued jobs and running jobs whose worker died. Completion and failure are conditional on
// the claim token (`locked_by`), so a worker whose lease expired cannot overwrite the outcome of
// the worker that took the job over.
import { EventEmitter } from 'node:events'
import type { Kysely, Selectable, Transaction } from 'kysely'
import type { Store } from './db.ts'
import type { Database, JobTable } from './schema.ts'
import { newSortableId, randomBase62 } from '../domain/ids.ts'

type Db = Kysely<Database> | Transaction<Database>

export const JOB_STATES = ['queued', 'running', 'done', 'dead'] as const
export type JobState = (typeof JOB_STATES)[number]

export interface Job {
  id: string
  type: string
  tenantId: string | null
  payload: Record<string, unknown>
  state: JobState
  attempts: number
  maxAttempts: number
  runAt: string
  lockedBy: string | null
  lastError: string | null
  createdAt: string
  updatedAt: string
  finishedAt: string | null
}

function toJob(row: Selectable<JobTable>): Job {
  return {
    id: row.id,
    type: row.type,
    tenantId: row.tenantId,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    state: row.state as JobState,
    attempts: row.attempts,
    maxAttempts: row.maxAttempts,
    runAt: row.runAt,
    lockedBy: row.lockedBy,
    lastError: row.lastError,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
  }
}

// A process-wide hint that a job was just enqueued here, so this process's worker polls at once
// instead of waiting out its idle back-off. Only a hint (the table is the truth): other processes
// find the job by polling, and a hint that fires before the transaction commits merely resets
// the worker to its shortest poll interval. Process-wide on purpose: it must reach the worker
// from wherever an event is recorded, and an extra poll is harmless to any other app in the
// process.
const nudges = new EventEmitter()
nudges.setMaxListeners(100)

/** Calls `listener` whenever this process enqueues a job; returns the unsubscribe function. */
export function onJobEnqueued(listener: () => void): () => void {
  nudges.on('job', listener)
  return () => void nudges.off('job', listener)
}

export interface NewJob {
  type: string
  tenantId: string | null
  /** Ids, not objects: the handler reloads state when it runs. */
  payload: Record<string, unknown>
  runAt: string
  maxAttempts: number
  now: string
}

/** Adds a job; pass the transaction of the change that causes it. */
export async function enqueueJob(db: Db, job: NewJob): Promise<string> {
  const id = newSortableId('job')
  await db
    .insertInto('jobs')
    .values({
      id,
      type: job.type,
      tenantId: job.tenantId,
      payload: JSON.stringify(job.payload),
      state: 'queued',
      attempts: 0,
      maxAttempts: job.maxAttempts,
      runAt: job.runAt,
      lockedBy: null,
      lastError: null,
      createdAt: job.now,
      updatedAt: job.now,
      finishedAt: null,
    })
    .execute()
  nudges.emit('job')
  return id
}

/**
 * Claims up to `limit` due jobs for `leaseMs`: queued jobs whose time has come and running jobs
 * whose lease expired. Each claim gets a fresh token in `lockedBy`. On PostgreSQL the candidate
 * rows are locked with FOR UPDATE SKIP LOCKED, so concurrent workers take disjoint sets without
 * waiting on each other; SQLite serialises writers, so the conditional UPDATE … RETURNING alone
 * hands each row to one worker.
 */
export async function claimJobs(
  store: Store,
  options: {
    limit: number
    leaseMs: number
    now: Date
    types: readonly string[]
    /**
     * At most this many of one tenant's jobs (of these types) running at once: a tenant already
     * there is skipped, and one claim takes at most this many jobs, so no tenant can take every
     * slot of a worker. (Across workers the cap is approximate: two claims may overlap.)
     */
    perTenant?: number
  },
): Promise<Job[]> {
  if (options.limit <= 0 || options.types.length === 0) return []
  const now = options.now.toISOString()
  const token = `lease_${randomBase62(16)}`
  const leaseUntil = new Date(options.now.getTime() + options.leaseMs).toISOString()
  const { perTenant, types } = options
  const limit = perTenant === undefined ? options.limit : Math.min(options.limit, perTenant)
  const rows = await store.db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'running',
      lockedBy: token,
      runAt: leaseUntil,
      attempts: eb('attempts', '+', 1),
      updatedAt: now,
    }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', ['queued', 'running'])
        .where('runAt', '<=', now)
        .where('type', 'in', types)
        .$if(perTenant !== undefined, (qb) =>
          qb.where((w) =>
            w.or([
              w('tenantId', 'is', null),
              w(
                'tenantId',
                'not in',
                w
                  .selectFrom('jobs as busy')
                  .select('busy.tenantId')
                  .where('busy.state', '=', 'running')
                  .where('busy.runAt', '>', now)
                  .where('busy.type', 'in', types)
                  .where('busy.tenantId', 'is not', null)
                  .groupBy('busy.tenantId')
                  .having((h) => h.fn.countAll(), '>=', perTenant ?? 0),
              ),
            ]),
          ),
        )
        .orderBy('runAt')
        .limit(limit)
        .$if(store.dialect === 'postgres', (qb) => qb.forUpdate().skipLocked()),
    )
    // No second check of state and run_at out here: SQLite runs one writer at a time, and on
    // PostgreSQL a row that another claimer updated meanwhile is re-checked against the
    // subquery's conditions when FOR UPDATE locks it (and skipped if no longer due). Repeating
    // the conditions would also lead SQLite to scan every due job instead of the few ids.
    .returningAll()
    .execute()
  return rows.map(toJob)
}

/**
 * Hands a claimed job back to the queue untouched (its attempt not counted), due now: a worker
 * that claimed more of one tenant's jobs than it may run at once releases the rest.
 */
export async function releaseJob(db: Db, job: Job, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set((eb) => ({
      state: 'queued',
      lockedBy: null,
      attempts: eb('attempts', '-', 1),
      runAt: now.toISOString(),
      updatedAt: now.toISOString(),
    }))
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('lockedBy', '=', job.lockedBy)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Marks a claimed job done; false if the claim was lost (lease expired and taken over). */
export async function completeJob(db: Db, job: Job, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({
      state: 'done',
      lockedBy: null,
      lastError: null,
      updatedAt: now.toISOString(),
      finishedAt: now.toISOString(),
    })
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('lockedBy', '=', job.lockedBy)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** Records a failed run: back to queued at `retryAt`, or dead when `retryAt` is null. */
export async function failJob(
  db: Db,
  job: Job,
  options: { error: string; retryAt: Date | null; now: Date },
): Promise<boolean> {
  const now = options.now.toISOString()
  const result = await db
    .updateTable('jobs')
    .set({
      state: options.retryAt === null ? 'dead' : 'queued',
      lockedBy: null,
      lastError: options.error.slice(0, 1000),
      runAt: options.retryAt === null ? now : options.retryAt.toISOString(),
      updatedAt: now,
      finishedAt: options.retryAt === null ? now : null,
    })
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('lockedBy', '=', job.lockedBy)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** One job by id (admin), or null. */
export async function getJob(db: Db, id: string): Promise<Job | null> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst()
  return row ? toJob(row) : null
}

/** Jobs newest first, optionally of one state and type (admin). */
export async function listJobs(
  db: Db,
  filter: { state?: JobState | undefined; type?: string | undefined; limit: number },
): Promise<Job[]> {
  let query = db.selectFrom('jobs').selectAll()
  if (filter.state !== undefined) query = query.where('state', '=', filter.state)
  if (filter.type !== undefined) query = query.where('type', '=', filter.type)
  const rows = await query
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit)
    .execute()
  return rows.map(toJob)
}

/** How many jobs are in each state (admin overview). */
export async function countJobsByState(db: Db): Promise<Record<JobState, number>> {
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => ['state', eb.fn.countAll<number | string>().as('count')])
    .groupBy('state')
    .execute()
  const counts: Record<JobState, number> = { queued: 0, running: 0, done: 0, dead: 0 }
  for (const row of rows) counts[row.state as JobState] = Number(row.count)
  return counts
}

/**
 * Puts a dead job back in the queue with a fresh set of attempts; null if it is not dead (only
 * dead jobs can be retried: a queued or running one is already on its way).
 */
export async function retryDeadJob(db: Db, id: string, now: Date): Promise<Job | null> {
  const row = await db
    .updateTable('jobs')
    .set({
      state: 'queued',
      attempts: 0,
      runAt: now.toISOString(),
      updatedAt: now.toISOString(),
      finishedAt: null,
    })
    .where('id', '=', id)
    .where('state', '=', 'dead')
    .returningAll()
    .executeTakeFirst()
  if (row === undefined) return null
  nudges.emit('job')
  return toJob(row)
}

/** Deletes finished (done) jobs older than `before`; dead ones stay for the admin. */
export async function pruneDoneJobs(db: Db, before: string): Promise<number> {
  const result = await db
    .deleteFrom('jobs')
    .where('state', '=', 'done')
    .where('finishedAt', '<', before)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** The job that turns one verification event into webhook deliveries (jobs/webhooks.ts). */
export const EVENT_DISPATCH_JOB = 'webhook.dispatch'

/**
 * Enqueues the fan-out of a new event; `recordEvent` calls it inside the transaction that writes
 * the event, so every committed event has exactly one dispatch job and no event is lost.
 */
export async function enqueueEventDispatch(
  db: Db,
  input: { eventId: string; tenantId: string; at: string },
): Promise<void> {
  await enqueueJob(db, {
    type: EVENT_DISPATCH_JOB,
    tenantId: input.tenantId,
    payload: { eventId: input.eventId, tenantId: input.tenantId },
    runAt: input.at,
    maxAttempts: 10,
    now: input.at,
  })
}

/** Pushes a running job's lease to `until` (a long job's heartbeat); false if the claim was lost. */
export async function extendLease(db: Db, job: Job, until: Date, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ runAt: until.toISOString(), updatedAt: now.toISOString() })
    .where('id', '=', job.id)
    .where('state', '=', 'running')
    .where('lockedBy', '=', job.lockedBy)
    .executeTakeFirst()
  return Number(result.numUpdatedRows) === 1
}

/** For each job type, when its oldest due queued job became due (null: none due). */
export async function oldestDueByType(
  db: Db,
  now: Date,
): Promise<{ type: string; oldestDue: string }[]> {
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => ['type', eb.fn.min<string>('runAt').as('oldestDue')])
    .where('state', '=', 'queued')
    .where('runAt', '<=', now.toISOString())
    .groupBy('type')
    .execute()
  return rows.map((r) => ({ type: r.type, oldestDue: r.oldestDue }))
}
