// /tokens/validate against a bare node:http server in the same run (issue 3's goal: ≥ 60 %).
import { benchTenant, load, mintTokens, startBareServer, startLoom, table } from './lib.ts'

export async function benchTokens(seconds = 10): Promise<void> {
  const loom = await startLoom()
  const bare = await startBareServer()
  try {
    const tenant = await benchTenant(loom.url)
    // Each distinct token is validated once: every request pays the full signature check.
    const distinct = await mintTokens(loom.url, tenant.key, 3000)
    const headers = { 'x-tenant-api-key': tenant.key }
    const one = [JSON.stringify({ token: distinct.shift() })]
    // Warm both servers up (the warm-up uses its own token, so the distinct ones stay unseen).
    const warm = [JSON.stringify({ token: distinct.pop() })]
    const many = distinct.map((token) => JSON.stringify({ token }))
    await load(`${loom.url}/tokens/validate`, { headers, bodies: warm, seconds: 2 })
    await load(bare.url, { bodies: one, seconds: 2 })
    const baseline = await load(bare.url, { bodies: one, seconds })
    const repeated = await load(`${loom.url}/tokens/validate`, { headers, bodies: one, seconds })
    const allDistinct = await load(`${loom.url}/tokens/validate`, {
      headers,
      bodies: many,
      seconds,
      amount: many.length,
    })
    const rows = [
      { path: 'bare node:http (baseline)', ...fmt(baseline), ratio: '1.00' },
      {
        path: '/tokens/validate, one token',
        ...fmt(repeated),
        ratio: ratio(repeated.requestsPerSecond, baseline.requestsPerSecond),
      },
      {
        path: `/tokens/validate, ${many.length} never-seen tokens`,
        ...fmt(allDistinct),
        ratio: ratio(allDistinct.requestsPerSecond, baseline.requestsPerSecond),
      },
    ]
    console.log(
      `\n/tokens/validate vs bare node:http (${seconds} s each, 32 connections; goal: repeated ≥ 0.60)\n`,
    )
    console.log(table(rows))
    for (const r of [repeated, allDistinct]) {
      if (r.non2xx > 0 || r.errors > 0)
        console.log(`WARNING: ${r.non2xx} non-2xx, ${r.errors} errors`)
    }
  } finally {
    await loom.stop()
    await bare.stop()
  }
}

function fmt(r: { requestsPerSecond: number; p50: number; p99: number }) {
  return { 'req/s': Math.round(r.requestsPerSecond), 'p50 ms': r.p50, 'p99 ms': r.p99 }
}

export function ratio(a: number, b: number): string {
  return (a / b).toFixed(2)
}
