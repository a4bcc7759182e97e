// `loom inspect`, `loom face-compare`, `loom estimate-age` and `loom specimen`: reading documents
// and selfies without a server, and writing sample documents to try test mode with.
import path from 'node:path'
import { UsageError, err, out, parse } from './command.ts'
import type { Command } from './command.ts'

export const inspect: Command = async (argv) => {
  const { runInspect } = await import('../engine/inspect-cli.ts')
  return runInspect(argv, out)
}

export const faceCompare: Command = async (argv) => {
  const { runFaceCompare } = await import('../engine/face/cli.ts')
  return runFaceCompare(argv, out)
}

export const estimateAge: Command = async (argv) => {
  const { runEstimateAge } = await import('../engine/face/cli.ts')
  return runEstimateAge(argv, out)
}

function isIsoDay(day: string): boolean {
  const parsed = new Date(`${day}T00:00:00Z`)
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === day
}

export const specimen: Command = async (argv) => {
  const { SAMPLE_KINDS, writeSamples } = await import('../specimen/samples.ts')
  const { values } = parse(argv, {
    out: { type: 'string' },
    kind: { type: 'string', multiple: true },
    'as-of': { type: 'string' },
  })
  if (values.help) {
    out(`Usage: loom specimen [--out DIR] [--kind KIND]… [--as-of YYYY-MM-DD]

Writes sample documents into DIR (default ./specimens) with manifest.json saying what each
should get. Kinds: ${SAMPLE_KINDS.join(', ')} (all by default).
  passport    a passport data page (MRZ), adult, valid: approved
  id-card     an ID card, front and back (MRZ on the back): approved
  licence     a US driver's licence, front and back (PDF417 on the back): approved
  minor       a passport of someone under 18: rejected (underage)
  expired     an expired passport: rejected (document_expired)
  unreadable  a blurred, small photo of a passport: nothing to read
Use them with a test key (live mode refuses documents it knows for specimens unless
LOOM_ACCEPT_SPECIMENS=true, for staging).`)
    return 0
  }
  const asOf = values['as-of'] ?? new Date().toISOString().slice(0, 10)
  // Round-trip through Date: Date.parse takes 2026-02-30 as 2 March.
  if (!/^\d{4}-\d{2}-\d{2}$/.test(asOf) || !isIsoDay(asOf)) {
    throw new UsageError('--as-of must be a date YYYY-MM-DD')
  }
  const asked = values.kind?.flatMap((k) => k.split(',')).map((k) => k.trim())
  for (const k of asked ?? []) {
    if (!(SAMPLE_KINDS as readonly string[]).includes(k)) {
      throw new UsageError(`--kind ${k}: not one of ${SAMPLE_KINDS.join(', ')}`)
    }
  }
  const kinds = (asked ?? SAMPLE_KINDS) as (typeof SAMPLE_KINDS)[number][]
  const dir = values.out ?? 'specimens'
  const written = await writeSamples(dir, kinds, asOf, (kind, e) => {
    if (asked !== undefined) throw new UsageError(`${kind}: ${e.message}`)
    err(`skipped ${kind}: ${e.message}`)
  }).catch((e: unknown) => {
    // A folder that cannot be written (a file there, no permission) is the caller's to fix.
    if (e instanceof Error && 'syscall' in e && 'code' in e) {
      throw new UsageError(`--out ${dir}: cannot write there (${String(e.code)})`)
    }
    throw e
  })
  for (const doc of written) {
    const who = doc.holder
      ? `${doc.holder.firstName} ${doc.holder.lastName}, born ${doc.holder.dateOfBirth}`
      : ''
    out(
      `${path.join(dir, doc.file).padEnd(34)} ${doc.documentType} ${doc.side}: ${doc.expect}${who ? `  (${who})` : ''}`,
    )
  }
  out(`${path.join(dir, 'manifest.json')}: what each document is and should get`)
  return 0
}
