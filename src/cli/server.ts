// `loom serve`, `loom worker` and `loom migrate`: running the service and its database.
import { buildDeps, checkEngine, openConfiguredStore } from '../deps.ts'
import { buildApp } from '../api/app.ts'
import { migrateToLatest } from '../store/migrations.ts'
import { startWorker } from '../jobs/worker.ts'
import { out, parse } from './command.ts'
import type { Command } from './command.ts'

export const serve: Command = async (argv, config) => {
  const { values } = parse(argv, { 'no-worker': { type: 'boolean' } })
  if (values.help) {
    out(`Usage: loom serve [--no-worker]

Runs the API on HOST:PORT (default 0.0.0.0:8080) and, unless --no-worker or
LOOM_SERVE_WORKER=false, the background worker in the same process. Migrations run first.
On the first start without LOOM_ADMIN_KEY, an admin key is generated and printed once.`)
    return 0
  }
  const cfg = config()
  const { deps, generatedAdminKey } = await buildDeps(cfg)
  logUnhandledRejections(deps)
  const app = await buildApp(deps)
  const worker = cfg.serveRunsWorker && !values['no-worker'] ? startWorker(deps) : null
  const address = await app.listen({ port: cfg.port, host: cfg.host })
  deps.logger.info({ address, database: deps.store.dialect }, 'Loom is serving')
  void checkEngine(deps)
  if (cfg.acceptSpecimens) {
    deps.logger.warn(
      'LOOM_ACCEPT_SPECIMENS is on: live verifications take specimen documents as real (staging only)',
    )
  }
  if (generatedAdminKey !== null) {
    out(
      [
        '',
        '================================================================',
        ' Loom generated an admin key for this instance. It is shown ONCE:',
        `   ${generatedAdminKey}`,
        ' Send it as the x-admin-key header. Lost it? `loom admin-key reset`.',
        '================================================================',
        '',
      ].join('\n'),
    )
  }
  await untilStopSignal()
  return shutDown(deps, cfg.shutdownGraceMs, async () => {
    await app.close()
    await worker?.stop()
  })
}

/**
 * A promise rejected with no one to hear it is a bug, and logged as one; it does not end a
 * server that is otherwise serving (Node's default), so one missed path during a database
 * outage cannot take every request down with it.
 */
function logUnhandledRejections(deps: Awaited<ReturnType<typeof buildDeps>>['deps']): void {
  process.on('unhandledRejection', (err) => {
    deps.logger.error({ err }, 'unhandled promise rejection (a bug)')
  })
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve())
    process.once('SIGTERM', () => resolve())
  })
}

/**
 * Stops gracefully — in-flight requests answered, jobs in hand finished — but within the grace
 * whatever any request, job or engine thread is doing: past it (or on a second signal) the
 * process exits anyway. Jobs it held are taken over by another worker when their lease ends.
 */
async function shutDown(
  deps: Awaited<ReturnType<typeof buildDeps>>['deps'],
  graceMs: number,
  stop: () => Promise<void>,
): Promise<number> {
  deps.logger.info({ graceMs }, 'shutting down')
  const force = (why: string): void => {
    deps.logger.warn(why)
    process.exit(1)
  }
  const timer = setTimeout(
    () => force('shutdown grace passed with work still in hand; exiting now'),
    graceMs,
  )
  timer.unref()
  const again = (): void => force('second stop signal; exiting now')
  process.once('SIGINT', again)
  process.once('SIGTERM', again)
  await stop()
  await deps.close()
  clearTimeout(timer)
  return 0
}

export const worker: Command = async (argv, config) => {
  const { values } = parse(argv, {})
  if (values.help) {
    out(
      'Usage: loom worker\n\nRuns only the background worker (jobs, webhooks, expiry, retention).',
    )
    return 0
  }
  const cfg = config()
  const { deps } = await buildDeps(cfg)
  logUnhandledRejections(deps)
  const running = startWorker(deps)
  void checkEngine(deps)
  deps.logger.info('Loom worker running')
  await untilStopSignal()
  return shutDown(deps, cfg.shutdownGraceMs, () => running.stop())
}

export const migrate: Command = async (argv, config) => {
  const { values } = parse(argv, {})
  if (values.help) {
    out('Usage: loom migrate\n\nApplies every pending migration to the configured database.')
    return 0
  }
  const store = openConfiguredStore(config())
  try {
    const applied = await migrateToLatest(store.db, store.schema)
    out(applied.length === 0 ? 'Database is up to date.' : `Applied: ${applied.join(', ')}`)
    return 0
  } finally {
    await store.close()
  }
}
