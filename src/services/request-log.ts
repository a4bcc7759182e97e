// Buffers the admin's request log (one entry per answered request, filled by the API) and
// writes it in batches, off the request path.
import type { Logger } from 'pino'
import type { Kysely } from 'kysely'
import type { Database } from '../store/schema.ts'
import { insertRequestLogs } from '../store/request-logs.ts'
import type { RequestLogEntry } from '../store/request-logs.ts'

const FLUSH_EVERY_MS = 1000
const MAX_BUFFERED = 10_000

export class RequestLogWriter {
  private buffer: RequestLogEntry[] = []
  private timer: NodeJS.Timeout | null = null
  private flushing: Promise<void> = Promise.resolve()

  constructor(
    private readonly db: Kysely<Database>,
    private readonly logger: Logger,
  ) {}

  /** Queues one entry; dropped (and counted in the app log) if the buffer is full. */
  push(entry: RequestLogEntry): void {
    if (this.buffer.length >= MAX_BUFFERED) {
      this.logger.warn('request log buffer full; dropping an entry')
      return
    }
    this.buffer.push(entry)
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_EVERY_MS)
  }

  /** Writes everything queued so far. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    const batch = this.buffer
    this.buffer = []
    this.flushing = this.flushing.then(async () => {
      if (batch.length === 0) return
      try {
        await insertRequestLogs(this.db, batch)
      } catch (err) {
        this.logger.error({ err, entries: batch.length }, 'could not write request log')
      }
    })
    await this.flushing
  }
}
