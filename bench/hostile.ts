// Hostile load against the goals: the seeded fuzzer over every route (bench/fuzz.ts) on one
// `loom serve`, with /health polled throughout. Goals: no 5xx, /health p99 ≤ 100 ms, the server's
// resident memory ≤ 1 GiB. BENCH_CASES (default 3000) and BENCH_SEED (default 1) set the run.
import { generateMrzSpecimen } from '../src/specimen/index.ts'
import { createFixtures, runFuzz } from './fuzz.ts'
import { hugeProgressiveJpeg, nestedPdf } from './hostile-files.ts'
import { startLoom, table } from './lib.ts'

export async function benchHostile(cases: number, seed: number): Promise<void> {
  const loom = await startLoom({ LOOM_AUTH_MAX_FAILURES: '100000' })
  try {
    const asOf = new Date().toISOString().slice(0, 10)
    const passport = await generateMrzSpecimen(7919, { format: 'TD3', asOf })
    const fixtures = await createFixtures(loom.url, passport.image)
    const report = await runFuzz({
      url: loom.url,
      pid: loom.process.pid!,
      fixtures,
      files: { nestedPdf: nestedPdf(9), hugeJpeg: await hugeProgressiveJpeg() },
      seed,
      cases,
      log: (line) => console.log(`  5xx: ${line}`),
    })
    const { health } = report
    console.log(`\nHostile requests on every route (seed ${seed}, ${cases} cases, 4 at a time)\n`)
    console.log(
      table([
        { figure: 'requests', value: report.requests, goal: '' },
        { figure: 'answers', value: JSON.stringify(report.byStatus), goal: '' },
        { figure: '5xx', value: report.failures.length, goal: '0' },
        { figure: '/health median', value: `${health.medianMs.toFixed(1)} ms`, goal: '' },
        { figure: '/health p99', value: `${health.p99Ms.toFixed(1)} ms`, goal: '≤ 100 ms' },
        { figure: '/health max', value: `${health.maxMs.toFixed(0)} ms`, goal: '' },
        {
          figure: 'server RSS, max',
          value: `${(report.maxRssBytes / 2 ** 20).toFixed(0)} MiB`,
          goal: '≤ 1024 MiB',
        },
        { figure: 'duration', value: `${report.seconds.toFixed(0)} s`, goal: '' },
      ]),
    )
    for (const failure of report.failures.slice(0, 10)) console.log(failure)
  } finally {
    await loom.stop()
  }
}
