// Generated documents with known truth for the HTTP tests.
import { generateMrzSpecimen } from '../src/specimen/index.ts'
import type { MrzSpecimen } from '../src/specimen/index.ts'
import { ageOn } from '../src/engine/types.ts'

export const today = (): string => new Date().toISOString().slice(0, 10)

/** A clean passport (TD3) whose holder's age and expiry satisfy `want`. */
export async function passport(
  want: { adult?: boolean; expired?: boolean } = {},
): Promise<MrzSpecimen> {
  const asOf = today()
  for (let seed = 1; seed < 500; seed++) {
    const s = await generateMrzSpecimen(seed * 7919, { format: 'TD3', asOf })
    const adult = ageOn(s.identity.dateOfBirth, asOf) >= 18
    const expired = s.identity.expiryDate < asOf
    if ((want.adult ?? true) === adult && (want.expired ?? false) === expired) return s
  }
  throw new Error(`no specimen with ${JSON.stringify(want)}`)
}
