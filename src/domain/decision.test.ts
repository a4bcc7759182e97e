import { describe, expect, it } from 'vitest'
import { decideFromAgeEstimate, decideFromEvidence, issuingCountry } from './decision.ts'
import type { DocumentRead, Workflow } from './decision.ts'
import type { InspectResult, InspectSuccess, MrzBlock, MrzUnresolved } from '../engine/types.ts'
import { inspectAamvaText } from '../engine/aamva/inspect-text.ts'
import { assemblePayload } from '../specimen/licence.ts'

// The readings below are ICAO's Utopia specimen: taken as real here, as test mode does.
const ageOnly: Workflow = {
  verificationType: 'age_only',
  minAge: 18,
  acceptedDocumentTypes: null,
  requireFaceMatch: false,
  acceptSpecimens: true,
}

function mrzRead(over: Partial<InspectSuccess> = {}): InspectSuccess {
  return {
    ok: true,
    source: 'mrz',
    documentType: 'passport',
    mrz: { format: 'TD3', lines: [], valid: true, checks: {} },
    person: {
      lastName: 'DOE',
      firstName: 'ANNA',
      sex: 'F',
      dateOfBirth: '1990-01-01',
      nationality: 'UTO',
    },
    document: { number: 'L898902C3', issuer: 'UTO', expiryDate: '2031-01-01', issueDate: null },
    ageYears: 36,
    expired: false,
    timingsMs: { total: 1 },
    ...over,
  }
}

/** An MRZ block whose two readers left `field` unresolved between `candidates`. */
const openMrz = (field: MrzUnresolved['field'], candidates: string[]): MrzBlock => ({
  format: 'TD3',
  lines: [],
  valid: true,
  checks: {},
  unresolved: [{ field, candidates }],
})

const front = (result: InspectResult): DocumentRead => ({ kind: 'document_front', result })
const back = (result: InspectResult): DocumentRead => ({ kind: 'document_back', result })
const fail = (code: 'MRZ_NOT_FOUND' | 'MRZ_UNREADABLE'): InspectResult => ({
  ok: false,
  error: { code, message: code },
})

describe('decideFromEvidence', () => {
  it('approves an adult with a valid, unexpired document', () => {
    const d = decideFromEvidence(ageOnly, [front(mrzRead())], null)
    expect(d).toMatchObject({ status: 'approved', reasons: [], verifiedAge: 36 })
    expect(d.confidence).toBeGreaterThan(0.9)
    expect(d.checks.map((c) => [c.name, c.outcome])).toContainEqual(['minimum_age', 'pass'])
  })

  it('rejects a minor, even by one day', () => {
    const d = decideFromEvidence(ageOnly, [front(mrzRead({ ageYears: 17 }))], null)
    expect(d).toMatchObject({ status: 'rejected', reasons: ['underage'], verifiedAge: 17 })
  })

  it('uses the workflow’s minimum age', () => {
    const d = decideFromEvidence(
      { ...ageOnly, minAge: 21 },
      [front(mrzRead({ ageYears: 20 }))],
      null,
    )
    expect(d.status).toBe('rejected')
  })

  it('rejects an expired document', () => {
    const d = decideFromEvidence(ageOnly, [front(mrzRead({ expired: true }))], null)
    expect(d).toMatchObject({ status: 'rejected', reasons: ['document_expired'] })
  })

  it('never approves without a birth date or expiry: review', () => {
    expect(decideFromEvidence(ageOnly, [front(mrzRead({ ageYears: null }))], null).status).toBe(
      'review',
    )
    expect(decideFromEvidence(ageOnly, [front(mrzRead({ expired: null }))], null).status).toBe(
      'review',
    )
  })

  it('sends a licence whose barcode birth date is no date to a person', () => {
    const payload = assemblePayload({
      fileType: 'ANSI',
      iin: '636005',
      version: 8,
      jurisdictionVersion: 0,
      subfiles: [
        {
          type: 'DL',
          elements: [
            ['DCS', 'SAMPLE'],
            ['DAC', 'DRIVER'],
            ['DBB', '19502110'],
            ['DBA', '09282031'],
            ['DAJ', 'SC'],
            ['DAQ', '102245737'],
          ],
        },
      ],
    })
    const read = inspectAamvaText(payload, { asOf: '2026-06-01' })
    const d = decideFromEvidence(ageOnly, [front(read)], null)
    expect(d).toMatchObject({ status: 'review', reasons: ['low_confidence'], verifiedAge: null })
    expect(d.checks.map((c) => [c.name, c.outcome])).toContainEqual(['minimum_age', 'review'])
  })

  it('neither approves nor rejects on age when the birth century is undecided: review', () => {
    const undecided = mrzRead({
      person: {
        lastName: 'DOE',
        firstName: 'ANNA',
        sex: 'F',
        dateOfBirth: null,
        dateOfBirthCandidates: ['1912-12-12', '2012-12-12'],
        nationality: 'UTO',
      },
      ageYears: null,
    })
    for (const minAge of [18, 13, 21]) {
      const d = decideFromEvidence({ ...ageOnly, minAge }, [front(undecided)], null)
      expect(d).toMatchObject({ status: 'review', reasons: ['low_confidence'], verifiedAge: null })
      expect(d.checks.map((c) => [c.name, c.outcome])).toContainEqual(['birth_century', 'review'])
      expect(d.checks.map((c) => [c.name, c.outcome])).toContainEqual(['minimum_age', 'review'])
    }
    // The age of one of the two readings is not taken either, whichever it is.
    for (const ageYears of [13, 113]) {
      const d = decideFromEvidence(ageOnly, [front({ ...undecided, ageYears })], null)
      expect(d).toMatchObject({ status: 'review', verifiedAge: null })
    }
    // A certain birth date adds no such check.
    const sure = decideFromEvidence(ageOnly, [front(mrzRead())], null)
    expect(sure.checks.map((c) => c.name)).not.toContain('birth_century')
  })

  it('an age check goes on when the readers leave a name unresolved; a full verification goes to review', () => {
    const split = mrzRead({
      mrz: openMrz('lastName', ['DOE', 'D0E']),
      person: { ...mrzRead().person, lastName: null },
    })
    const age = decideFromEvidence(ageOnly, [front(split)], null)
    expect(age.status).toBe('approved')
    expect(age.checks.map((c) => [c.name, c.outcome])).toContainEqual([
      'name_read',
      'not_applicable',
    ])
    const full: Workflow = {
      ...ageOnly,
      verificationType: 'full_verification',
      requireFaceMatch: true,
    }
    const match = { decision: 'match' as const, similarity: 0.8, attackSuspected: false }
    const d = decideFromEvidence(full, [front(split)], match)
    expect(d).toMatchObject({ status: 'review', reasons: ['low_confidence'] })
    expect(d.checks.map((c) => [c.name, c.outcome])).toContainEqual(['name_read', 'review'])
    // Unresolved optional data is no name: nothing to review, no check added.
    const optional = mrzRead({ mrz: openMrz('optionalData', ['4OR6', '40R6']) })
    const d2 = decideFromEvidence(full, [front(optional)], match)
    expect(d2.status).toBe('approved')
    expect(d2.checks.map((c) => c.name)).not.toContain('name_read')
  })

  it('rejects unreadable documents and failed check digits', () => {
    expect(decideFromEvidence(ageOnly, [front(fail('MRZ_NOT_FOUND'))], null)).toMatchObject({
      status: 'rejected',
      reasons: ['document_unreadable'],
      confidence: 0,
    })
    expect(decideFromEvidence(ageOnly, [front(fail('MRZ_UNREADABLE'))], null).reasons).toContain(
      'checksum_failed',
    )
    const invalid = mrzRead({
      mrz: { format: 'TD3', lines: [], valid: false, checks: { birthDate: false } },
    })
    expect(decideFromEvidence(ageOnly, [front(invalid)], null).reasons).toEqual(['checksum_failed'])
    expect(decideFromEvidence(ageOnly, [], null).status).toBe('rejected')
  })

  it('rejects when front and back disagree, and trusts more when they agree', () => {
    const other = mrzRead({ person: { ...mrzRead().person, dateOfBirth: '1991-01-01' } })
    expect(decideFromEvidence(ageOnly, [front(mrzRead()), back(other)], null)).toMatchObject({
      status: 'rejected',
      reasons: ['data_inconsistent'],
    })
    const one = decideFromEvidence(ageOnly, [front(mrzRead())], null).confidence
    const two = decideFromEvidence(
      ageOnly,
      [front(mrzRead()), back(mrzRead({ source: 'aamva', mrz: undefined }))],
      null,
    )
    expect(two.status).toBe('approved')
    expect(two.confidence).toBeGreaterThan(one)
  })

  it('rejects a document with a failed consistency check', () => {
    const d = decideFromEvidence(
      ageOnly,
      [front(mrzRead({ checks: { iinMatchesJurisdiction: false } }))],
      null,
    )
    expect(d).toMatchObject({ status: 'rejected', reasons: ['data_inconsistent'] })
  })

  it('honours accepted document types', () => {
    const d = decideFromEvidence(
      { ...ageOnly, acceptedDocumentTypes: ['drivers_license'] },
      [front(mrzRead())],
      null,
    )
    expect(d).toMatchObject({ status: 'rejected', reasons: ['document_type_not_accepted'] })
  })

  it('needs a face match for full verification', () => {
    const full: Workflow = {
      ...ageOnly,
      verificationType: 'full_verification',
      requireFaceMatch: true,
    }
    expect(decideFromEvidence(full, [front(mrzRead())], null).status).toBe('review')
    const match = { decision: 'match' as const, similarity: 0.8, attackSuspected: false }
    expect(decideFromEvidence(full, [front(mrzRead())], match).status).toBe('approved')
    expect(
      decideFromEvidence(full, [front(mrzRead())], { ...match, decision: 'no_match' }),
    ).toMatchObject({
      status: 'rejected',
      reasons: ['face_mismatch'],
    })
    expect(
      decideFromEvidence(full, [front(mrzRead())], { ...match, attackSuspected: true }).reasons,
    ).toEqual(['presentation_attack'])
    // A minor with a matching face is still rejected.
    expect(decideFromEvidence(full, [front(mrzRead({ ageYears: 16 }))], match).status).toBe(
      'rejected',
    )
  })
})

describe('faces offered without being required', () => {
  it('compares a selfie sent on an age-only verification, and rejects someone else', () => {
    const other = { decision: 'no_match' as const, similarity: 0.1, attackSuspected: false }
    const d = decideFromEvidence(ageOnly, [front(mrzRead())], other)
    expect(d).toMatchObject({ status: 'rejected', reasons: ['face_mismatch'] })
    expect(d.checks).toContainEqual(
      expect.objectContaining({ name: 'face_match', outcome: 'fail' }),
    )
  })

  it('leaves the face check not applicable when no selfie was sent', () => {
    const d = decideFromEvidence(ageOnly, [front(mrzRead())], null)
    expect(d.checks).toContainEqual({ name: 'face_match', outcome: 'not_applicable' })
  })
})

describe('accepted issuing countries', () => {
  const gbOnly: Workflow = { ...ageOnly, acceptedCountries: ['GBR', 'USA'] }

  it('rejects a document from another issuer', () => {
    const d = decideFromEvidence(gbOnly, [front(mrzRead())], null)
    expect(d).toMatchObject({ status: 'rejected', reasons: ['country_not_accepted'] })
  })

  it('accepts a listed issuer, AAMVA jurisdictions as their country', () => {
    const uk = mrzRead({ document: { ...mrzRead().document, issuer: 'GBR' } })
    expect(decideFromEvidence(gbOnly, [front(uk)], null).status).toBe('approved')
    expect(issuingCountry('US-VA')).toBe('USA')
    expect(issuingCountry('CA-ON')).toBe('CAN')
    expect(issuingCountry('D<<')).toBe('D')
  })
})

describe('decideFromAgeEstimate', () => {
  it('approves only when the estimate clears minimum age + buffer', () => {
    expect(decideFromAgeEstimate(18, 7, { age: 24.9, cleared: false })).toBeNull()
    expect(decideFromAgeEstimate(18, 7, { age: null, cleared: false })).toBeNull()
    const ok = decideFromAgeEstimate(18, 7, { age: 31.4, cleared: true })
    expect(ok).toMatchObject({ status: 'approved', verifiedAge: 24, primary: null })
  })

  it('never claims less than the minimum age it approves', () => {
    // A cleared flag with an age under the bar (inconsistent input) is not an approval.
    expect(decideFromAgeEstimate(21, 7, { age: 27, cleared: true })).toBeNull()
  })
})

describe('specimen documents', () => {
  const live: Workflow = { ...ageOnly, acceptSpecimens: false }
  const real = {
    person: {
      lastName: 'NOWAK',
      firstName: 'ANNA',
      sex: 'F' as const,
      dateOfBirth: '1990-01-01',
      nationality: 'POL',
    },
    document: { number: 'EA1234567', issuer: 'POL', expiryDate: '2031-01-01', issueDate: null },
  }
  const read = (over: Partial<InspectSuccess>): DocumentRead => ({
    kind: 'document_front',
    result: mrzRead({ ...real, ...over }),
  })

  it('are refused in live mode, whatever gives them away', () => {
    const cases: Partial<InspectSuccess>[] = [
      {}, // Utopia, ICAO's example number (mrzRead's defaults)
      { person: { ...real.person, nationality: 'UTO' } },
      { person: { ...real.person, firstName: 'SPECIMEN ANNA' } },
      { person: { ...real.person, lastName: 'MUSTERMANN', firstName: 'ERIKA' } },
      { document: { ...real.document, number: 'C01X00T47' } },
      {
        mrz: {
          format: 'TD3',
          lines: [
            'P<POLNOWAK<<ANNA<<<<<<<<<<<<<<<<<<<<<<<<<<<',
            'EA12345670POL9001012F3101018SPECIMEN<<<<<<2',
          ],
          valid: true,
          checks: {},
        },
      },
    ]
    for (const [i, over] of cases.entries()) {
      const r = i === 0 ? { kind: 'document_front' as const, result: mrzRead() } : read(over)
      const policy = decideFromEvidence(live, [r], null)
      expect(policy.status, JSON.stringify(over)).toBe('rejected')
      expect(policy.reasons).toEqual(['specimen_document'])
      expect(policy.checks.find((c) => c.name === 'not_a_specimen')?.outcome).toBe('fail')
      // Test mode takes the same document as read.
      expect(decideFromEvidence(ageOnly, [r], null).status, JSON.stringify(over)).toBe('approved')
    }
  })

  it('are refused when any reading of an unresolved name is a specimen’s', () => {
    const split = (
      field: 'lastName' | 'firstName',
      candidates: string[],
      person: Partial<InspectSuccess['person']> = {},
    ): DocumentRead =>
      read({
        mrz: openMrz(field, candidates),
        person: { ...real.person, ...person, [field]: null },
      })
    for (const r of [
      split('firstName', ['SPECIMEN ANNA', 'SPECIMEN ANNE']),
      split('firstName', ['SPECIMEN ANNA', 'SPECLMEN ANNA']),
      split('lastName', ['MUSTERMANN', 'MUSTERMANM'], { firstName: 'ERIKA' }),
    ]) {
      expect(decideFromEvidence(live, [r], null).reasons).toEqual(['specimen_document'])
    }
    expect(decideFromEvidence(live, [split('lastName', ['NOWAK', 'N0WAK'])], null).status).toBe(
      'approved',
    )
  })

  it('leave real documents alone, names that merely contain the words included', () => {
    for (const over of [
      {},
      { person: { ...real.person, lastName: 'SAMPLES', firstName: 'MUSTERA' } },
      { person: { ...real.person, lastName: 'ERIKSSON', firstName: 'ANNA' } },
    ]) {
      const policy = decideFromEvidence(live, [read(over)], null)
      expect(policy.status, JSON.stringify(over)).toBe('approved')
      expect(policy.checks.find((c) => c.name === 'not_a_specimen')?.outcome).toBe('pass')
    }
  })
})
