// `npm run bench [-- name…]`: runs the named benches (all by default) and prints their tables.
import { benchTokens } from './tokens.ts'
import { benchLimiter } from './limiter.ts'
import { benchVerify } from './verify.ts'
import { benchWebhooks } from './webhooks.ts'
import { benchHostile } from './hostile.ts'
import { benchConsole } from './console.ts'
import { benchScale } from './scale.ts'

const BENCHES: Record<string, () => Promise<void>> = {
  tokens: () => benchTokens(Number(process.env.BENCH_SECONDS ?? 10)),
  limiter: () => benchLimiter(Number(process.env.BENCH_SECONDS ?? 10)),
  verify: () => benchVerify(Number(process.env.BENCH_DOCUMENTS ?? 30)),
  webhooks: () => benchWebhooks(),
  console: () => benchConsole(),
  scale: () =>
    benchScale(Number(process.env.BENCH_DOCUMENTS ?? 24), Number(process.env.BENCH_SECONDS ?? 10)),
  hostile: () =>
    benchHostile(Number(process.env.BENCH_CASES ?? 3000), Number(process.env.BENCH_SEED ?? 1)),
}

const wanted = process.argv.slice(2)
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  const bench = BENCHES[name]
  if (!bench) {
    console.error(`unknown bench "${name}"; known: ${Object.keys(BENCHES).join(', ')}`)
    process.exit(1)
  }
  await bench()
}
