// Cost of the Redis rate limiter on the token-validate path (issue 4's goal: at most 15 %).
import { randomBytes } from 'node:crypto'
import { benchTenant, load, mintTokens, startLoom, table } from './lib.ts'

export async function benchLimiter(seconds = 10): Promise<void> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  const prefix = `loombench:${randomBytes(4).toString('hex')}:`
  const rows: Record<string, string | number>[] = []
  const results: Record<string, number> = { off: 0, on: 0 }
  // Interleaved ABBA rounds so drift in the machine's load, and start order, hit both alike.
  const rounds = ['off', 'on', 'on', 'off', 'off', 'on'] as const
  for (const limiter of rounds) {
    const loom = await startLoom({
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      LOOM_RATE_LIMITS: limiter === 'on' ? 'true' : 'false',
    })
    try {
      const tenant = await benchTenant(loom.url)
      const [token] = await mintTokens(loom.url, tenant.key, 1)
      const bodies = [JSON.stringify({ token })]
      const headers = { 'x-tenant-api-key': tenant.key }
      await load(`${loom.url}/tokens/validate`, { headers, bodies, seconds: 4 })
      const r = await load(`${loom.url}/tokens/validate`, { headers, bodies, seconds })
      results[limiter] = (results[limiter] ?? 0) + r.requestsPerSecond / (rounds.length / 2)
      rows.push({
        'Redis rate limiter': limiter,
        'req/s': Math.round(r.requestsPerSecond),
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        'non-2xx': r.non2xx,
      })
    } finally {
      await loom.stop()
    }
  }
  const cost = 1 - (results.on ?? 0) / (results.off ?? 1)
  console.log(
    `\n/tokens/validate with the Redis limiter on vs off (${seconds} s each; goal: cost ≤ 15 %)\n`,
  )
  console.log(table(rows))
  console.log(
    `limiter cost: ${(cost * 100).toFixed(1)} % (ratio on/off ${((results.on ?? 0) / (results.off ?? 1)).toFixed(2)})`,
  )
}
