import { describe, expect, it } from 'vitest'
import { checkDigitMatches, mrzCheckDigit } from './check-digit.ts'
import { parseMrz, splitMrzText, type ParsedMrz } from './parse.ts'
import { parseName, resolveBirthDate, resolveExpiryDate } from './fields.ts'

const asOf = '2026-11-21'

function parsed(lines: string[], alternatives?: string[][]): ParsedMrz {
  const r = parseMrz({ lines, alternatives }, { asOf })
  if (!r.ok) throw new Error(`expected a parse, got ${r.code}: ${r.message}`)
  return r.mrz
}

/** TD3 lower line with correct check digits computed from its parts. */
function td3Lower(number: string, nat: string, dob: string, sex: string, exp: string, opt: string) {
  const n = number.padEnd(9, '<')
  const o = opt.padEnd(14, '<')
  const body =
    n +
    mrzCheckDigit(n) +
    nat +
    dob +
    mrzCheckDigit(dob) +
    sex +
    exp +
    mrzCheckDigit(exp) +
    o +
    mrzCheckDigit(o)
  const composite = mrzCheckDigit(body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43))
  return body + composite
}

describe('check digits (ICAO 9303-3 §4.9)', () => {
  it('weights 7,3,1 with letters A=10…Z=35 and < = 0', () => {
    expect(mrzCheckDigit('L898902C3')).toBe(6)
    expect(mrzCheckDigit('740812')).toBe(2)
    expect(mrzCheckDigit('120415')).toBe(9)
    expect(mrzCheckDigit('520727')).toBe(3)
    expect(mrzCheckDigit('<<<<<<')).toBe(0)
    expect(mrzCheckDigit('A')).toBe(0) // 10*7 = 70
    expect(mrzCheckDigit('Z')).toBe(5) // 35*7 = 245
  })
  it('rejects foreign characters and wrong digits', () => {
    expect(mrzCheckDigit('AB-1')).toBe(-1)
    expect(checkDigitMatches('L898902C3', '6')).toBe(true)
    expect(checkDigitMatches('L898902C3', '7')).toBe(false)
    expect(checkDigitMatches('<<<<<<<<<<<<<<', '<')).toBe(true)
    expect(checkDigitMatches('ZE184226B', '<')).toBe(false)
  })
  it('takes a filler for a check digit only over a field of fillers', () => {
    // 'A' sums to 0, yet a '<' after data is a digit missing, not a 0 (ICAO 9303-4 §4.2.2).
    expect(checkDigitMatches('A', '0')).toBe(true)
    expect(checkDigitMatches('A', '<')).toBe(false)
    expect(checkDigitMatches('<<<<<<', '<')).toBe(true)
  })
  it('never takes a filler for a composite check digit', () => {
    // The Utopia passport's composite sums to 0: a '<' in its place (seen where a small,
    // compressed zone's fillers were read as letters) is no composite check digit.
    const r = parseMrz(
      {
        lines: [
          'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
          'L898902C36UTO7408122F1204159ZE184226B<<<<<1<',
        ],
      },
      { asOf },
    )
    expect(r.ok && r.mrz.valid).toBe(false)
  })
})

describe('ICAO 9303 specimens', () => {
  it('TD3 passport (9303-4 Appendix A)', () => {
    const m = parsed([
      'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
      'L898902C36UTO7408122F1204159ZE184226B<<<<<10',
    ])
    expect(m).toMatchObject({
      format: 'TD3',
      documentType: 'passport',
      documentCode: 'P',
      issuer: 'UTO',
      documentNumber: 'L898902C3',
      nationality: 'UTO',
      dateOfBirth: '1974-08-12',
      sex: 'F',
      expiryDate: '2012-04-15',
      lastName: 'ERIKSSON',
      firstName: 'ANNA MARIA',
      optionalData: 'ZE184226B',
      valid: true,
      corrections: 0,
    })
    expect(m.checks).toEqual({
      documentNumber: true,
      birthDate: true,
      expiryDate: true,
      personalNumber: true,
      composite: true,
    })
  })

  it('TD1 card (9303-5 Appendix A)', () => {
    const m = parsed([
      'I<UTOD231458907<<<<<<<<<<<<<<<',
      '7408122F1204159UTO<<<<<<<<<<<6',
      'ERIKSSON<<ANNA<MARIA<<<<<<<<<<',
    ])
    expect(m).toMatchObject({
      format: 'TD1',
      documentType: 'id_card',
      documentNumber: 'D23145890',
      dateOfBirth: '1974-08-12',
      expiryDate: '2012-04-15',
      lastName: 'ERIKSSON',
      firstName: 'ANNA MARIA',
      optionalData: null,
      valid: true,
    })
  })

  it('TD1 with a long document number continued in the optional data (9303-5 note j)', () => {
    const m = parsed([
      'I<UTOD23145890<7349<<<<<<<<<<<',
      '3407127M9507122UTO<<<<<<<<<<<2',
      'STEVENSON<<PETER<JOHN<<<<<<<<<',
    ])
    expect(m.documentNumber).toBe('D23145890734')
    expect(m.checks.documentNumber).toBe(true)
    expect(m.checks.composite).toBe(true)
    expect(m.sex).toBe('M')
    expect(m.dateOfBirth).toBe('1934-07-12')
    expect(m.optionalData).toBeNull()
    // A wrong check digit on the continued number is caught.
    const bad = parseMrz(
      {
        lines: [
          'I<UTOD23145890<7348<<<<<<<<<<<',
          '3407127M9507122UTO<<<<<<<<<<<2',
          'STEVENSON<<PETER<JOHN<<<<<<<<<',
        ],
      },
      { asOf },
    )
    expect(bad.ok && bad.mrz.checks.documentNumber).toBe(false)
  })

  it('TD2 card (9303-6 Appendix A)', () => {
    const m = parsed([
      'I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<',
      'D231458907UTO7408122F1204159<<<<<<<6',
    ])
    expect(m).toMatchObject({ format: 'TD2', documentNumber: 'D23145890', valid: true })
    expect(m.checks.composite).toBe(true)
  })

  it('MRV-A and MRV-B visas (9303-7 Appendix A), no composite check', () => {
    const a = parsed([
      'V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
      'L8988901C4XXX4009078F96121096ZE184226B<<<<<<',
    ])
    expect(a).toMatchObject({
      format: 'MRVA',
      documentType: 'visa',
      documentNumber: 'L8988901C',
      nationality: 'XXX',
      dateOfBirth: '1940-09-07',
      expiryDate: '1996-12-10',
      valid: true,
    })
    expect(Object.keys(a.checks)).toEqual(['documentNumber', 'birthDate', 'expiryDate'])
    const b = parsed([
      'V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<',
      'L8988901C4XXX4009078F9612109<<<<<<<<',
    ])
    expect(b).toMatchObject({ format: 'MRVB', documentNumber: 'L8988901C', valid: true })
  })

  it('French national identity card (2×36)', () => {
    const m = parsed([
      'IDFRABERTHIER<<<<<<<<<<<<<<<<<931017',
      '8806931012347CORINNE<<<<<<<6503123F1',
    ])
    expect(m).toMatchObject({
      format: 'FRA_ID',
      documentType: 'id_card',
      issuer: 'FRA',
      nationality: 'FRA',
      documentNumber: '880693101234',
      lastName: 'BERTHIER',
      firstName: 'CORINNE',
      dateOfBirth: '1965-03-12',
      sex: 'F',
      expiryDate: null,
      valid: true,
    })
    // The final check digit covers the names too: a changed letter is caught.
    const r = parseMrz(
      { lines: ['IDFRABERTHIEF<<<<<<<<<<<<<<<<<931017', '8806931012347CORINNE<<<<<<<6503123F1'] },
      { asOf },
    )
    expect(r.ok && r.mrz.checks.composite).toBe(false)
  })
})

describe('check-digit failures and corrections', () => {
  const upper = 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'

  it('reports a failed check as invalid when no correction fits', () => {
    const m = parsed([upper, 'L898902C36UTO7408123F1204159ZE184226B<<<<<10'])
    expect(m.checks.birthDate).toBe(false)
    expect(m.valid).toBe(false)
  })

  it('coerces letters in digit-only fields and digits in alpha fields', () => {
    // O for 0 in the birth date, 5 for S in the name, 0 for O in the nationality.
    const m = parsed([
      'P<UT0ERIK5SON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
      'L898902C36UTO74O8122F12O4159ZE184226B<<<<<10',
    ])
    expect(m.dateOfBirth).toBe('1974-08-12')
    expect(m.issuer).toBe('UTO')
    expect(m.lastName).toBe('ERIKSSON')
    expect(m.valid).toBe(true)
    expect(m.corrections).toBe(4)
  })

  it('corrects an alphanumeric document number only when the check digit picks one answer', () => {
    const lower = td3Lower('AB1234O0S', 'UTO', '740812', 'F', '320415', '')
    // OCR read S as 5: only AB1234O0S satisfies the check digit among the usual confusions.
    const misread = lower.slice(0, 8) + '5' + lower.slice(9)
    const m = parsed([upper, misread])
    expect(m.documentNumber).toBe('AB1234O0S')
    expect(m.valid).toBe(true)
    expect(m.corrections).toBe(1)
  })

  it('refuses to guess when two corrections tie', () => {
    // AB1234O05 with check digit 6: both AB1234005 and AB1234OO5 would satisfy it.
    const lower = td3Lower('AB1234005', 'UTO', '740812', 'F', '320415', '')
    const ocr = 'AB1234O05' + lower.slice(9)
    const r = parseMrz({ lines: [upper, ocr] }, { asOf })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.code).toBe('MRZ_UNREADABLE')
  })

  it('uses reader alternatives, but only a unique one', () => {
    const lower = td3Lower('X1234567', 'UTO', '980228', 'M', '310101', '')
    // Birth date misread 980228 → 980223; the reader offered '8' at that position.
    const ocr = lower.slice(0, 18) + '3' + lower.slice(19)
    const alts = [[], Array.from({ length: 44 }, (_, i) => (i === 18 ? '8' : ''))]
    expect(parsed([upper, ocr], alts).dateOfBirth).toBe('1998-02-28')
    // Without the alternative the check fails and nothing is guessed.
    expect(parsed([upper, ocr]).checks.birthDate).toBe(false)
  })

  it('does not let the composite undo a field that passed its own check', () => {
    const lower = td3Lower('X1234567', 'UTO', '980228', 'M', '310101', '')
    const broken = lower.slice(0, 43) + String((Number(lower[43]) + 1) % 10)
    const m = parsed([upper, broken])
    expect(m.checks.documentNumber).toBe(true)
    expect(m.checks.composite).toBe(false)
    expect(m.dateOfBirth).toBe('1998-02-28')
  })

  it('rejects characters that fit no field type', () => {
    const r = parseMrz({ lines: [upper, 'L898902C36UTO7408122Q1204159ZE184226B<<<<<10'] }, { asOf })
    expect(r.ok).toBe(false)
  })

  it('rejects text that is no MRZ layout', () => {
    const r = parseMrz({ lines: ['HELLO', 'WORLD'] }, { asOf })
    expect(r).toMatchObject({ ok: false, code: 'MRZ_NOT_FOUND' })
  })
})

describe('fields', () => {
  it('names: fillers, < inside names, no given name, truncated', () => {
    expect(parseName('ERIKSSON<<ANNA<MARIA<<<<')).toEqual({
      lastName: 'ERIKSSON',
      firstName: 'ANNA MARIA',
    })
    expect(parseName('VAN<DER<BERG<<JAN<<<')).toEqual({
      lastName: 'VAN DER BERG',
      firstName: 'JAN',
    })
    expect(parseName('MADONNA<<<<<<<<')).toEqual({ lastName: 'MADONNA', firstName: null })
    expect(parseName('<<JOHN<<<')).toEqual({ lastName: null, firstName: 'JOHN' })
    expect(parseName('HENNINGSEN<<ALEXANDRAMARIAELISABETHCHRIS')).toEqual({
      lastName: 'HENNINGSEN',
      firstName: 'ALEXANDRAMARIAELISABETHCHRIS',
    })
  })

  it('nationality D<< and sex < → null', () => {
    const lower = td3Lower('C01X00T47', 'D<<', '640812', '<', '320415', '')
    const m = parsed(['P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<', lower])
    expect(m.nationality).toBe('D')
    expect(m.issuer).toBe('D')
    expect(m.sex).toBeNull()
    expect(m.firstName).toBe('ERIKA')
  })

  it('sex X is kept', () => {
    const lower = td3Lower('C01X00T47', 'UTO', '640812', 'X', '320415', '')
    expect(parsed(['P<UTOX<<Y<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<', lower]).sex).toBe('X')
  })

  it('birth dates are never in the future', () => {
    const date = (yymmdd: string, day = asOf): string | null => resolveBirthDate(yymmdd, day).date
    expect(date('261122')).toBe('1926-11-22')
    expect(date('740812')).toBe('1974-08-12')
    expect(date('991231')).toBe('1999-12-31')
    expect(date('991231', '2030-01-01')).toBe('1999-12-31')
    expect(date('741312')).toBeNull()
    expect(date('74<<<<')).toBeNull()
    // 29 February 1900 did not exist: 2000 is the only century.
    expect(date('000229')).toBe('2000-02-29')
  })

  it('a two-digit birth year that fits two plausible centuries is not guessed', () => {
    // Born 1912 (aged 113) or 2012 (aged 14): the MRZ alone cannot tell.
    expect(resolveBirthDate('121212', asOf)).toEqual({
      date: null,
      candidates: ['1912-12-12', '2012-12-12'],
    })
    expect(resolveBirthDate('261121', asOf).candidates).toEqual(['1926-11-21', '2026-11-21'])
    // Born 1910-11-22, a holder is 115 today, the oldest age taken as plausible; a day older, 116.
    expect(resolveBirthDate('101122', asOf).candidates).toEqual(['1910-11-22', '2010-11-22'])
    expect(resolveBirthDate('101121', asOf)).toEqual({ date: '2010-11-21', candidates: null })
    expect(resolveBirthDate('050101', asOf)).toEqual({ date: '2005-01-01', candidates: null })
  })

  it('a date the holder was certainly born by settles the century', () => {
    // A document that expired in 2015 was not issued to someone born in 2020.
    expect(resolveBirthDate('200101', asOf, { bornBy: '2015-06-30' })).toEqual({
      date: '1920-01-01',
      candidates: null,
    })
    // Both centuries are before the expiry: still undecided.
    expect(resolveBirthDate('200101', asOf, { bornBy: '2031-06-30' }).candidates).toEqual([
      '1920-01-01',
      '2020-01-01',
    ])
    // Evidence never makes a certain century doubtful, nor pushes a birth past a plausible age.
    expect(resolveBirthDate('740812', asOf, { bornBy: '1960-01-01' }).date).toBe('1974-08-12')
    expect(resolveBirthDate('200101', asOf, { bornBy: '1915-01-01' }).candidates).toEqual([
      '1920-01-01',
      '2020-01-01',
    ])
  })

  it('a passport of a holder born in 1912 or 2012 reports both dates and no birth date', () => {
    const lower = td3Lower('L898902C3', 'UTO', '121212', 'F', '310310', 'ZE184226B')
    const m = parsed(['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', lower])
    expect(m.valid).toBe(true)
    expect(m.dateOfBirth).toBeNull()
    expect(m.dateOfBirthCandidates).toEqual(['1912-12-12', '2012-12-12'])
  })

  it('a passport that expired before the later century began is read in the earlier one', () => {
    const lower = td3Lower('L898902C3', 'UTO', '200315', 'M', '180101', '')
    const m = parsed(['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', lower])
    expect(m).toMatchObject({ dateOfBirth: '1920-03-15', dateOfBirthCandidates: null })
  })

  it('expiry dates resolve within a plausible window', () => {
    expect(resolveExpiryDate('360101', asOf)).toBe('2036-01-01')
    expect(resolveExpiryDate('461231', asOf)).toBe('2046-12-31')
    expect(resolveExpiryDate('470101', asOf)).toBe('1947-01-01')
    expect(resolveExpiryDate('120415', asOf)).toBe('2012-04-15')
    expect(resolveExpiryDate('120432', asOf)).toBeNull()
  })

  it('residence permits and travel documents are told apart by the document code', () => {
    const lower = 'D231458907UTO7408122F1204159<<<<<<<6'
    expect(parsed(['IRUTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<', lower]).documentType).toBe(
      'residence_permit',
    )
  })

  it('splits pasted text into lines', () => {
    expect(splitMrzText(' p<uto \r\n\n L898 902\n')).toEqual(['P<UTO', 'L898902'])
  })
})

describe('namesWellFormed (ICAO 9303-3 §4.6)', () => {
  it('accepts names, fillers and truncation; refuses stray characters after the fillers', async () => {
    const { namesWellFormed } = await import('./positions.ts')
    const lower = 'L898902C36UTO7408122F1204159ZE184226B<<<<<10'
    expect(namesWellFormed('TD3', ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<', lower])).toBe(
      true,
    )
    expect(namesWellFormed('TD3', ['P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<K', lower])).toBe(
      false,
    )
    expect(namesWellFormed('TD3', ['P<UTOERIKSSON<<ANNA<<MARIA<<<<<<<<<<<<<<<<<<', lower])).toBe(
      false,
    )
    expect(namesWellFormed('TD3', ['P<UTOHENNINGSEN<<ALEXANDRAMARIAELISABETHCHRI', lower])).toBe(
      true,
    )
    expect(
      namesWellFormed('FRA_ID', [
        'IDFRABERTHIER<<<<<<<<<<<<<<<<<931017',
        '8806931012347CORINNE<<ANNA<6503123F1',
      ]),
    ).toBe(true)
  })
})

describe('checkedPositions and positionFilters', () => {
  it('mark what the check digits cover and what each position may hold', async () => {
    const { checkedPositions, positionFilters } = await import('./positions.ts')
    const lines = [
      'V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<',
      'L8988901C4XXX4009078F96121096ZE184226B<<<<<<',
    ]
    const covered = checkedPositions(lines)!
    expect(covered[0]!.some(Boolean)).toBe(false) // names: no check digit
    expect(covered[1]!.slice(0, 10).every(Boolean)).toBe(true) // number and its check digit
    expect(covered[1]![20]).toBe(false) // sex
    expect(covered[1]![30]).toBe(false) // MRV-A optional data: no composite
    const filters = positionFilters(lines)!
    expect(filters[1]![13]!('O')).toBe(false) // birth date: digits only
    expect(filters[0]![6]!('5')).toBe(false) // name: letters and fillers only
    expect(checkedPositions(['TOO', 'SHORT'])).toBeNull()
  })
})

describe('secondReading', () => {
  const upper = 'P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<'
  const lower = td3Lower('OO1234567', 'UTO', '740812', 'F', '320415', '')

  it('finds the pair of substitutions the check digits cannot see (OO for 00 at weights 7, 3)', async () => {
    const { secondReading } = await import('./positions.ts')
    const calls = [
      { line: 1, pos: 0, chars: 'O0' },
      { line: 1, pos: 1, chars: 'O0' },
    ]
    expect(parsed([upper, lower]).valid).toBe(true)
    expect(secondReading([upper, lower], calls, { asOf })).toEqual([upper, '00' + lower.slice(2)])
  })

  it('finds none where the check digits tell the readings apart', async () => {
    const { secondReading } = await import('./positions.ts')
    // O for 0 at weight 3 and I for 1 at weight 1 change the sum by 3 × 24 − 17: not a multiple of 10.
    const calls = [
      { line: 1, pos: 1, chars: 'O0' },
      { line: 1, pos: 2, chars: '1I' },
    ]
    expect(secondReading([upper, lower], calls, { asOf })).toBeNull()
    expect(secondReading([upper, lower], calls.slice(0, 1), { asOf })).toBeNull()
  })
})
