// The move from a computer to a phone, server side: a short code a person can type on the phone,
// `/h/K7QX-M2PD`, standing for the session's page link until that link expires. Codes are 8
// characters from an alphabet without look-alikes (no 0/O, 1/I/L, U/V): about 39 bits, against
// guessing that the page's failed-authentication limit already slows to a few tries a minute.
import { randomInt } from 'node:crypto'
import type { Deps } from '../deps.ts'
import { signSessionToken } from '../domain/session-links.ts'
import { currentHandoffCode, findHandoffCode, insertHandoffCode } from '../store/handoff-codes.ts'
import type { PageSession } from './session.ts'

const ALPHABET = '23456789ABCDEFGHJKMNPQRSTWXYZ'
const LENGTH = 8

function drawCode(): string {
  let code = ''
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)]
  return code
}

/** A typed code as stored: capitals, without the hyphen or spaces; null when it cannot be one. */
export function normalizeHandoffCode(typed: string): string | null {
  const code = typed.toUpperCase().replace(/[\s-]/g, '')
  return code.length === LENGTH && [...code].every((c) => ALPHABET.includes(c)) ? code : null
}

/** A code as people read it: two groups of four. */
export function displayHandoffCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`
}

/** The short link as people read it: the public URL, `/h/`, and the code. */
export function handoffShortUrl(deps: Deps, code: string): string {
  return `${deps.config.publicUrl}/h/${displayHandoffCode(code)}`
}

/** The session's code: the one already given while its link lasts, or a new one. */
export async function handoffCodeFor(deps: Deps, session: PageSession): Promise<string> {
  const db = deps.store.db
  const now = deps.clock.now().toISOString()
  const current = await currentHandoffCode(db, session.verification.id, now)
  if (current !== null) return current.code
  // A clash is one in ~10^11 per code in use: a few draws always find a free one.
  for (let tries = 0; tries < 5; tries++) {
    const code = drawCode()
    const row = {
      code,
      verificationId: session.verification.id,
      createdAt: now,
      expiresAt: session.linkExpiresAt.toISOString(),
    }
    if (await insertHandoffCode(db, row)) return code
  }
  throw new Error('no free handoff code after five draws')
}

/**
 * Where a typed code leads: the page of its session, opened as the phone that took over (the
 * page itself then says whether the link still works); null for a code that is not one.
 */
export async function handoffTarget(deps: Deps, typed: string): Promise<string | null> {
  const code = normalizeHandoffCode(typed)
  if (code === null) return null
  const row = await findHandoffCode(deps.store.db, code)
  if (row === null) return null
  const token = signSessionToken(
    deps.sealer.deriveKey('session-links'),
    row.verificationId,
    new Date(row.expiresAt),
  )
  return `/s/${token}?handoff=1`
}
