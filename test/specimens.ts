// Generated documents with known truth for the HTTP tests.
import sharp from 'sharp'
import { generateMrzSpecimen } from '../src/specimen/index.ts'
import type { MrzSpecimen } from '../src/specimen/index.ts'
import { ageOn } from '../src/engine/types.ts'
import { resolveBirthDate } from '../src/engine/mrz/fields.ts'

export const today = (): string => new Date().toISOString().slice(0, 10)

/**
 * Whether the MRZ alone settles the holder's birth century: a child born in 2012 could also be
 * a holder born in 1912, and such a reading goes to review instead of being decided on age.
 */
export function birthCenturyCertain(s: MrzSpecimen, asOf: string): boolean {
  const yymmdd = s.identity.dateOfBirth.slice(2).replace(/-/g, '')
  return resolveBirthDate(yymmdd, asOf, { bornBy: s.identity.expiryDate }).date !== null
}

/** A clean passport (TD3) whose holder's age and expiry satisfy `want`, birth century certain. */
export async function passport(
  want: { adult?: boolean; expired?: boolean } = {},
): Promise<MrzSpecimen> {
  const asOf = today()
  for (let seed = 1; seed < 500; seed++) {
    const s = await generateMrzSpecimen(seed * 7919, { format: 'TD3', asOf })
    const adult = ageOn(s.identity.dateOfBirth, asOf) >= 18
    const expired = s.identity.expiryDate < asOf
    if ((want.adult ?? true) !== adult || (want.expired ?? false) !== expired) continue
    if (birthCenturyCertain(s, asOf)) return s
  }
  throw new Error(`no specimen with ${JSON.stringify(want)}`)
}

/** The MRZ side of a TD1 ID card of an adult with a valid card. */
export async function idCardBack(start: number): Promise<MrzSpecimen> {
  const asOf = today()
  for (let seed = start; seed < start + 500; seed++) {
    const s = await generateMrzSpecimen(seed * 104_729, { format: 'TD1', asOf })
    if (ageOn(s.identity.dateOfBirth, asOf) >= 18 && s.identity.expiryDate >= asOf) return s
  }
  throw new Error('no adult TD1 specimen')
}

/** A driving licence's front: a photo box and lines of print, no barcode or MRZ (on the back). */
export async function licenceFront(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="856" height="540">
  <rect width="856" height="540" rx="30" fill="#dfe9f5"/>
  <rect x="0" y="0" width="856" height="90" fill="#24508f"/>
  <text x="40" y="60" font-size="42" font-family="sans-serif" fill="#fff">DRIVER LICENSE</text>
  <rect x="40" y="130" width="230" height="290" fill="#9aa7b8"/>
  <text x="310" y="180" font-size="30" font-family="sans-serif">SPECIMEN</text>
  <text x="310" y="230" font-size="26" font-family="sans-serif">NOT A REAL DOCUMENT</text>
</svg>`
  return sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer()
}
