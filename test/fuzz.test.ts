// A bounded, seeded fuzz run over every route (bench/fuzz.ts) against `loom serve` in a process
// of its own, on SQLite and PostgreSQL: hostile bodies, parameters and files, as the owning
// tenant, another tenant and the operator. No answer may be a 5xx. /health latency and memory
// are printed; the goals (p99 ≤ 100 ms, RSS ≤ 1 GiB) are measured by `npm run bench -- hostile`
// on an idle machine, and what a freeze or a leak would break is asserted here.
import { afterAll, describe, expect, it } from 'vitest'
import { startLoom } from '../bench/lib.ts'
import type { RunningProcess } from '../bench/lib.ts'
import { createFixtures, runFuzz } from '../bench/fuzz.ts'
import { createTestDatabase, dialects } from './helpers.ts'
import type { TestDatabase } from './helpers.ts'
import { hugeProgressiveJpeg, nestedPdf } from '../bench/hostile-files.ts'
import { passport } from './specimens.ts'

const SEED = 20261204
const CASES = 500

describe.each(dialects())('fuzzing every route on %s', (dialect) => {
  let loom: RunningProcess | null = null
  let db: TestDatabase | null = null
  afterAll(async () => {
    await loom?.stop()
    await db?.drop()
  })

  it(`answers ${CASES} hostile requests without a 5xx`, { timeout: 600_000 }, async () => {
    db = await createTestDatabase(dialect)
    loom = await startLoom({
      ...db.env,
      LOOM_ENGINE_BUDGET_MS: '1500',
      LOOM_AUTH_MAX_FAILURES: '100000',
      LOOM_ALLOW_PRIVATE_WEBHOOKS: 'false',
    })
    const running = loom
    // A server that dies takes its reason with it: put what it printed into the failure.
    const withOutput = async <T>(step: Promise<T>): Promise<T> =>
      step.catch((error: unknown) => {
        throw new Error(`${String(error)}\nserver output:\n${running.output()}`, { cause: error })
      })
    const fixtures = await withOutput(
      createFixtures(loom.url, (await passport({ adult: true })).image),
    )
    const report = await withOutput(
      runFuzz({
        url: loom.url,
        pid: loom.process.pid!,
        fixtures,
        files: { nestedPdf: nestedPdf(9), hugeJpeg: await hugeProgressiveJpeg() },
        seed: SEED,
        cases: CASES,
      }),
    )
    const { health } = report
    console.log(
      `${dialect}: ${report.requests} requests in ${report.seconds.toFixed(0)} s ${JSON.stringify(report.byStatus)}; /health ${health.polls} polls, median ${health.medianMs.toFixed(1)} ms, p99 ${health.p99Ms.toFixed(1)} ms, max ${health.maxMs.toFixed(0)} ms; max RSS ${(report.maxRssBytes / 2 ** 20).toFixed(0)} MiB`,
    )
    expect(report.failures).toEqual([])
    expect(report.requests).toBe(CASES)
    expect(health.maxMs).toBeLessThan(2000)
    expect(report.maxRssBytes).toBeLessThan(1.5 * 1024 ** 3)
  })
})
