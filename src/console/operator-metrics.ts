// The figures of /metrics that an operator looks at first, read from this process's Prometheus
// registry for the operator's page: requests by status class and their p95, engine tasks by
// outcome and their p95, the engine queue, job lag, webhook attempts, token validations, memory
// and uptime. With several processes each shows its own; Prometheus adds them up.
import type { Metrics } from '../metrics.ts'

interface Sample {
  labels: Record<string, string | number>
  value: number
  metricName?: string
}

export interface MetricFigures {
  requests: Record<'2xx' | '3xx' | '4xx' | '5xx', number>
  /** Upper bound of the histogram bucket holding the 95th percentile; null with no requests. */
  requestP95Seconds: number | null
  engineTasks: Record<string, number>
  engineP95Seconds: number | null
  engineQueue: number
  jobLagSeconds: Record<string, number>
  webhookAttempts: Record<string, number>
  tokenValidations: { valid: number; refused: number }
  residentBytes: number | null
  uptimeSeconds: number | null
}

/** The p95 of histogram buckets summed over every label set: the bucket's upper bound. */
export function p95OfBuckets(samples: Sample[]): number | null {
  const byBound = new Map<number, number>()
  for (const s of samples) {
    if (!s.metricName?.endsWith('_bucket')) continue
    const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le)
    byBound.set(le, (byBound.get(le) ?? 0) + s.value)
  }
  const bounds = [...byBound.keys()].sort((x, y) => x - y)
  const total = byBound.get(Infinity) ?? 0
  if (total === 0) return null
  const bound = bounds.find((le) => byBound.get(le)! >= 0.95 * total)
  return bound ?? null
}

function sumBy(samples: Sample[], label: string, only?: (s: Sample) => boolean) {
  const out: Record<string, number> = {}
  for (const s of samples) {
    if (only && !only(s)) continue
    const key = String(s.labels[label] ?? '')
    out[key] = (out[key] ?? 0) + s.value
  }
  return out
}

export async function metricFigures(metrics: Metrics): Promise<MetricFigures> {
  const all = await metrics.registry.getMetricsAsJSON()
  const samples = (name: string): Sample[] =>
    (all.find((m) => m.name === name)?.values ?? []) as Sample[]
  const requests = { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }
  for (const s of samples('loom_http_requests_total')) {
    const cls = `${String(s.labels.status).charAt(0)}xx`
    if (cls in requests) requests[cls as keyof typeof requests] += s.value
  }
  const engine = samples('loom_engine_task_duration_seconds')
  const validations = sumBy(samples('loom_token_validations_total'), 'result')
  const valid = validations.valid ?? 0
  const refused = Object.values(validations).reduce((a, b) => a + b, 0) - valid
  const rss = samples('loom_process_resident_memory_bytes')[0]?.value ?? null
  const started = samples('loom_process_start_time_seconds')[0]?.value ?? null
  return {
    requests,
    requestP95Seconds: p95OfBuckets(samples('loom_http_request_duration_seconds')),
    engineTasks: sumBy(engine, 'outcome', (s) => s.metricName?.endsWith('_count') ?? false),
    engineP95Seconds: p95OfBuckets(engine),
    engineQueue: samples('loom_engine_queue_depth')[0]?.value ?? 0,
    jobLagSeconds: sumBy(samples('loom_job_lag_seconds'), 'lane'),
    webhookAttempts: sumBy(samples('loom_webhook_attempts_total'), 'outcome'),
    tokenValidations: { valid, refused },
    residentBytes: rss,
    uptimeSeconds: started === null ? null : Math.max(0, Date.now() / 1000 - started),
  }
}
