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

/** The MRZ side of a TD1 ID card of an adult with a valid card. */
export async function idCardBack(start: number): Promise<MrzSpecimen> {
  const asOf = today()
  for (let seed = start; seed < start + 500; seed++) {
    const s = await generateMrzSpecimen(seed * 104_729, { format: 'TD1', asOf })
    if (ageOn(s.identity.dateOfBirth, asOf) >= 18 && s.identity.expiryDate >= asOf) return s
  }
  throw new Error('no adult TD1 specimen')
}
