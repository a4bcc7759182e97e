// Prometheus metrics of one process (prom-client), on a registry of its own: two apps in one
// process (the tests) never mix their figures. Labels are bounded sets — route templates, job
// types, outcome words — never ids, tenants or anything a person typed.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** What /metrics needs to read at scrape time from the rest of the process. */
export interface MetricSources {
  /** Engine tasks waiting for a thread. */
  engineQueue(): number
  /** PostgreSQL pool: connections in all, idle, and requests waiting for one; null on SQLite. */
  databasePool(): { total: number; idle: number; waiting: number } | null
  /** Seconds the oldest due job has waited, per lane; read from the store. */
  jobLag(): Promise<{ lane: string; seconds: number }[]>
}

export class Metrics {
  readonly registry = new Registry()
  readonly httpRequests = new Counter({
    name: 'loom_http_requests_total',
    help: 'Requests answered, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  })
  readonly httpDuration = new Histogram({
    name: 'loom_http_request_duration_seconds',
    help: 'Time to answer a request, by method and route template',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  })
  readonly engineTasks = new Histogram({
    name: 'loom_engine_task_duration_seconds',
    help: 'Time of one engine task (document read, face comparison…), queueing included, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30],
    registers: [this.registry],
  })
  readonly jobs = new Counter({
    name: 'loom_jobs_total',
    help: 'Jobs run, by type and outcome (done, retry, dead)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly webhookAttempts = new Counter({
    name: 'loom_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome (delivered, failed, gone)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  })
  readonly tokenValidations = new Counter({
    name: 'loom_token_validations_total',
    help: 'Age tokens validated, by result (valid, or the reason it was not)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  })

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'loom_' })
    new Gauge({
      name: 'loom_engine_queue_depth',
      help: 'Engine tasks waiting for a worker thread',
      registers: [this.registry],
      collect() {
        this.set(sources.engineQueue())
      },
    })
    new Gauge({
      name: 'loom_db_pool_connections',
      help: 'PostgreSQL pool connections, by state (total, idle, waiting requests)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const pool = sources.databasePool()
        if (pool === null) return
        this.set({ state: 'total' }, pool.total)
        this.set({ state: 'idle' }, pool.idle)
        this.set({ state: 'waiting' }, pool.waiting)
      },
    })
    new Gauge({
      name: 'loom_job_lag_seconds',
      help: 'How long the oldest due job has waited to be claimed, by lane',
      labelNames: ['lane'] as const,
      registers: [this.registry],
      async collect() {
        this.reset()
        for (const { lane, seconds } of await sources.jobLag().catch(() => [])) {
          this.set({ lane }, seconds)
        }
      },
    })
  }

  /** The exposition text for a scrape. */
  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() }
  }
}
