import { describe, expect, it } from 'vitest'
import {
  ALL_DAMAGES,
  assemblePayload,
  damagePayload,
  generateLicence,
} from '../../specimen/licence.ts'
import type { InspectResult, InspectSuccess } from '../types.ts'
import { inspectAamvaText } from './inspect-text.ts'
import { parseAamvaPayload } from './parse.ts'

const AS_OF = '2026-06-01'

function success(r: InspectResult): InspectSuccess {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`)
  return r
}

// Written by hand from the layout of each standard, not by the generator.
const V10_VA =
  '@\n\x1e\rANSI 636000100102DL00410278ZV03190008DLDAQT64235789\nDCSSAMPLE\nDDEN\nDACMICHAEL\nDDFN\nDADJOHN\nDDGN\nDCUJR\nDCAD\nDCBK\nDCDPH\nDBD06062019\nDBB06061986\nDBA12102024\nDBC1\nDAU068 in\nDAYBRO\nDAG2300 WEST BROAD STREET\nDAIRICHMOND\nDAJVA\nDAK232690000  \nDCF2424244747474786102204\nDCGUSA\nDCK123456789\nDDAF\nDDB06062018\nDDC06062020\nDDD1\rZVZVA01\r'

function v1(body: string, iin = '636015'): string {
  return assemblePayload({
    fileType: 'ANSI',
    iin,
    version: 1,
    jurisdictionVersion: null,
    subfiles: [{ type: 'DL', elements: body.split('\n').map((e) => [e.slice(0, 3), e.slice(3)]) }],
  })
}

describe('inspectAamvaText: versions', () => {
  it('reads a version 10 payload (DCS/DAC/DAD, MMDDCCYY, Z subfile)', () => {
    const r = success(inspectAamvaText(V10_VA, { asOf: '2024-01-01' }))
    expect(r.source).toBe('aamva')
    expect(r.documentType).toBe('drivers_license')
    expect(r.aamva).toMatchObject({
      version: 10,
      iin: '636000',
      jurisdiction: 'VA',
      fileType: 'ANSI',
      repairs: [],
    })
    expect(r.person).toEqual({
      lastName: 'SAMPLE',
      firstName: 'MICHAEL',
      sex: 'M',
      dateOfBirth: '1986-06-06',
      nationality: null,
    })
    expect(r.document).toEqual({
      number: 'T64235789',
      issuer: 'US-VA',
      expiryDate: '2024-12-10',
      issueDate: '2019-06-06',
    })
    expect(r.ageYears).toBe(37)
    expect(r.expired).toBe(false)
    expect(r.checks).toMatchObject({
      iinKnown: true,
      iinMatchesJurisdiction: true,
      notExpired: true,
    })
  })

  it('reads version 01: no jurisdiction version, DAA full name, CCYYMMDD', () => {
    const payload = v1(
      'DAAGARCIA,MARIA,ELENA\nDAQ12345678\nDBA20300315\nDBB19850704\nDBC2\nDBD20220315\nDAJTX\nDAU5-06',
    )
    expect(payload.slice(4, 21)).toBe('ANSI 6360150101DL')
    const r = success(inspectAamvaText(payload, { asOf: AS_OF }))
    expect(r.aamva).toMatchObject({
      version: 1,
      jurisdiction: 'TX',
      jurisdictionVersion: null,
      height: '5-06',
    })
    expect(r.person).toMatchObject({
      lastName: 'GARCIA',
      firstName: 'MARIA',
      sex: 'F',
      dateOfBirth: '1985-07-04',
    })
    expect(r.document.expiryDate).toBe('2030-03-15')
    expect(r.aamva?.repairs).toEqual([])
  })

  it('reads a version 01 payload from an issuer that wrote MMDDCCYY, and flags it', () => {
    const r = success(
      inspectAamvaText(v1('DAAGARCIA,MARIA\nDAQ1\nDBA03152030\nDBB07041985\nDBD03152022'), {
        asOf: AS_OF,
      }),
    )
    expect(r.person.dateOfBirth).toBe('1985-07-04')
    expect(r.aamva?.repairs).toContain('date_order_mmddccyy')
  })

  it('prefers DAB/DAC over the DAA full name in version 01', () => {
    const r = success(
      inspectAamvaText(v1('DAAX Y\nDABLEE\nDACANNA\nDAQ1\nDBB19900101'), { asOf: AS_OF }),
    )
    expect(r.person).toMatchObject({ lastName: 'LEE', firstName: 'ANNA' })
    expect(r.aamva).toMatchObject({ fullName: 'X Y' })
  })

  it('never splits a full name it cannot read', () => {
    const r = success(
      inspectAamvaText(v1('DAAMARIA ELENA GARCIA\nDAQ1\nDBB19900101'), { asOf: AS_OF }),
    )
    expect(r.person.lastName).toBeNull()
    expect(r.person.firstName).toBeNull()
  })

  it('reads a full name written given names first by an issuer known to do so', () => {
    // Pennsylvania (636025) writes DAA as printed, first name first, without commas.
    const pa = (name: string) =>
      success(inspectAamvaText(v1(`DAA${name}\nDAQ1\nDBB19900101`, '636025'), { asOf: AS_OF }))
    for (const [name, middle] of [
      ['JOHN CHESTER DOE', 'CHESTER'],
      ['JOHN CHESTER DOE JR', 'CHESTER'],
      ['JOHN CHESTER LAUD DOE', 'CHESTER LAUD'],
      ['JOHN DOE', null],
    ] as const) {
      const r = pa(name)
      expect(r.person).toMatchObject({ lastName: 'DOE', firstName: 'JOHN' })
      expect(r.aamva).toMatchObject({ middleName: middle, fullName: name })
      expect(r.aamva?.repairs).toContain('full_name_given_first')
    }
    // The same order elsewhere is not read: the standard writes the family name first.
    expect(
      success(inspectAamvaText(v1('DAAJOHN CHESTER DOE\nDAQ1\nDBB19900101'), { asOf: AS_OF }))
        .person,
    ).toMatchObject({ lastName: null, firstName: null })
  })

  it('reads "LAST, FIRST MIDDLE" as first and middle name, and says so', () => {
    const r = success(
      inspectAamvaText(v1('DAADOE, JOHN CHESTER\nDAQ1\nDBB19900101'), { asOf: AS_OF }),
    )
    expect(r.person).toMatchObject({ lastName: 'DOE', firstName: 'JOHN' })
    expect(r.aamva).toMatchObject({ middleName: 'CHESTER' })
    expect(r.aamva?.repairs).toContain('given_names_in_first_name')
    const plain = success(
      inspectAamvaText(v1('DAADOE,JOHN,CHESTER\nDAQ1\nDBB19900101'), { asOf: AS_OF }),
    )
    expect(plain.aamva).toMatchObject({ middleName: 'CHESTER' })
    expect(plain.aamva?.repairs).not.toContain('given_names_in_first_name')
  })

  it('reads versions 02/03 given names (DCT)', () => {
    const payload = assemblePayload({
      fileType: 'ANSI',
      iin: '636001',
      version: 3,
      jurisdictionVersion: 0,
      subfiles: [
        {
          type: 'DL',
          elements: [
            ['DCS', 'NGUYEN'],
            ['DCT', 'WEI,LEE'],
            ['DBB', '02292000'],
            ['DBA', '02282030'],
            ['DBC', '1'],
            ['DAJ', 'NY'],
            ['DAQ', 'A1'],
          ],
        },
      ],
    })
    const r = success(inspectAamvaText(payload, { asOf: AS_OF }))
    expect(r.person).toMatchObject({
      lastName: 'NGUYEN',
      firstName: 'WEI',
      dateOfBirth: '2000-02-29',
    })
    expect(r.aamva).toMatchObject({ version: 3, jurisdictionVersion: 0, middleName: 'LEE' })
  })

  it('reads a pre-standard AAMVA file type', () => {
    const payload = assemblePayload({
      fileType: 'AAMVA',
      iin: '636010',
      version: 0,
      jurisdictionVersion: null,
      subfiles: [
        {
          type: 'DL',
          elements: [
            ['DAA', 'DOE,JANE'],
            ['DBB', '05061970'],
            ['DBC', 'F'],
            ['DAQ', 'D1'],
          ],
        },
      ],
    })
    const r = success(inspectAamvaText(payload, { asOf: AS_OF }))
    expect(r.aamva).toMatchObject({ version: 0, fileType: 'AAMVA', jurisdiction: 'FL' })
    expect(r.person).toMatchObject({
      lastName: 'DOE',
      firstName: 'JANE',
      sex: 'F',
      dateOfBirth: '1970-05-06',
    })
  })

  it('reads a pre-standard payload without a subfile directory', () => {
    const payload =
      '@\n\x1e\rAAMVA6360100101DLDAADOE,JOHN\nDAQD123\nDBB07041976\nDBA07042030\rZFZFA1\r'
    const r = success(inspectAamvaText(payload, { asOf: AS_OF }))
    expect(r.aamva).toMatchObject({ version: 1, fileType: 'AAMVA', jurisdiction: 'FL' })
    expect(r.aamva?.repairs).toContain('missing_directory')
    expect(r.person).toMatchObject({
      lastName: 'DOE',
      firstName: 'JOHN',
      dateOfBirth: '1976-07-04',
    })
  })

  it('reads every version and jurisdiction the generator makes', () => {
    for (let version = 0; version <= 10; version++) {
      for (const jurisdiction of ['VA', 'CA', 'MS', 'ON', 'QC', 'AB']) {
        const { payload, truth } = generateLicence(version * 100 + jurisdiction.charCodeAt(0), {
          version,
          jurisdiction,
        })
        const r = success(inspectAamvaText(payload, { asOf: AS_OF }))
        const what = `v${version} ${jurisdiction}`
        expect(r.aamva?.version, what).toBe(version)
        expect(r.aamva?.jurisdiction, what).toBe(jurisdiction)
        expect(r.person.dateOfBirth, what).toBe(truth.dateOfBirth)
        expect(r.document.expiryDate, what).toBe(truth.expiryDate)
        expect(r.document.issueDate, what).toBe(truth.issueDate)
        expect(r.person.lastName, what).toBe(truth.lastName)
        expect(r.person.firstName, what).toBe(truth.firstName)
        expect(r.person.sex, what).toBe(truth.sex)
        expect(r.documentType, what).toBe(truth.documentType)
      }
    }
  })
})

describe('inspectAamvaText: Canada and sex codes', () => {
  it('reads a Canadian payload with CCYYMMDD dates and no repair flagged', () => {
    const { payload, truth } = generateLicence(7, { version: 8, jurisdiction: 'ON' })
    expect(payload).toContain(`DBB${truth.dateOfBirth.replaceAll('-', '')}`)
    const r = success(inspectAamvaText(payload, { asOf: AS_OF }))
    expect(r.person.dateOfBirth).toBe(truth.dateOfBirth)
    expect(r.document.issuer).toBe('CA-ON')
    expect(r.aamva?.repairs).toEqual([])
    expect(r.checks?.iinMatchesCountry).toBe(true)
  })

  it('maps DBC 9 (2020, not specified) to X', () => {
    const r = success(inspectAamvaText(V10_VA.replace('DBC1', 'DBC9'), { asOf: '2024-01-01' }))
    expect(r.person.sex).toBe('X')
  })

  it('reports name truncation indicators', () => {
    const r = success(inspectAamvaText(V10_VA.replace('DDEN', 'DDET'), { asOf: '2024-01-01' }))
    expect(r.aamva).toMatchObject({
      truncated: { lastName: true, firstName: false, middleName: false },
    })
  })
})

describe('inspectAamvaText: ages and consistency', () => {
  it('computes the age of minors on the as-of date (under 18, under 21)', () => {
    for (const age of [16, 17, 18, 19, 20, 21]) {
      const { payload, truth } = generateLicence(age, { age, version: 9, asOf: AS_OF })
      const r = success(inspectAamvaText(payload, { asOf: AS_OF }))
      expect(r.person.dateOfBirth).toBe(truth.dateOfBirth)
      expect(r.ageYears).toBe(age)
      if (age < 21) expect(r.checks?.under21UntilMatchesBirthDate).toBe(true)
    }
  })

  it('turns 18 on the birthday, not the day before', () => {
    const payload = V10_VA.replace('DBB06061986', 'DBB06012008')
    expect(success(inspectAamvaText(payload, { asOf: '2026-05-31' })).ageYears).toBe(17)
    expect(success(inspectAamvaText(payload, { asOf: '2026-06-01' })).ageYears).toBe(18)
  })

  it('flags an IIN that disagrees with the jurisdiction, and an expired card', () => {
    const r = success(inspectAamvaText(V10_VA.replace('636000', '636014'), { asOf: '2025-01-01' }))
    expect(r.aamva?.jurisdiction).toBe('CA')
    expect(r.checks?.iinMatchesJurisdiction).toBe(false)
    expect(r.expired).toBe(true)
    expect(r.checks?.notExpired).toBe(false)
  })

  it('flags an issue date in the future and an implausible birth date', () => {
    const r = success(
      inspectAamvaText(V10_VA.replace('DBB06061986', 'DBB06062020'), { asOf: '2019-01-01' }),
    )
    expect(r.checks?.issueDateNotFuture).toBe(false)
    expect(r.checks?.birthDatePlausible).toBe(false)
  })

  it('never lets a Z subfile override standard data', () => {
    const payload = V10_VA.replace('ZVZVA01\r', 'ZVDBB01011950\r')
    const r = success(inspectAamvaText(payload, { asOf: '2024-01-01' }))
    expect(r.person.dateOfBirth).toBe('1986-06-06')
  })
})

describe('inspectAamvaText: damaged payloads', () => {
  it.each(ALL_DAMAGES)('repairs %s and names the repair', (damage) => {
    const { payload, truth } = generateLicence(42, { version: 8, jurisdiction: 'MS' })
    const r = success(inspectAamvaText(damagePayload(payload, damage), { asOf: AS_OF }))
    expect(r.person.dateOfBirth).toBe(truth.dateOfBirth)
    expect(r.document.expiryDate).toBe(truth.expiryDate)
    expect(r.person.lastName).toBe(truth.lastName)
    expect(r.aamva?.repairs?.length).toBeGreaterThan(0)
  })

  it('reads the same data from bytes as from text', () => {
    const bytes = new TextEncoder().encode(`\ufeff${V10_VA}`)
    const r = success(inspectAamvaText(bytes, { asOf: '2024-01-01' }))
    expect(r.person.dateOfBirth).toBe('1986-06-06')
    expect(r.aamva?.repairs).toContain('bom')
  })

  it('reads a header whose separators are swapped (CR and LF)', () => {
    const r = success(
      inspectAamvaText(V10_VA.replace('@\n\x1e\r', '@\r\x1e\n'), { asOf: '2024-01-01' }),
    )
    expect(r.person.dateOfBirth).toBe('1986-06-06')
    expect(r.aamva?.repairs).toContain('header_separators')
  })

  it('reads a payload whose last segment terminator was stripped', () => {
    const r = success(inspectAamvaText(V10_VA.slice(0, -1), { asOf: '2024-01-01' }))
    expect(r.person.dateOfBirth).toBe('1986-06-06')
  })

  it('reads FS used between data elements', () => {
    const r = success(inspectAamvaText(V10_VA.replace('\nDBB', '\x1cDBB'), { asOf: '2024-01-01' }))
    expect(r.person.dateOfBirth).toBe('1986-06-06')
    expect(r.aamva?.repairs).toContain('element_separators')
  })

  it('reads a subfile whose directory offset is wrong', () => {
    const r = success(
      inspectAamvaText(V10_VA.replace('DL00410278', 'DL00370278'), { asOf: '2024-01-01' }),
    )
    expect(r.person.lastName).toBe('SAMPLE')
    expect(r.aamva?.repairs).toContain('directory_offsets')
  })
})

describe('inspectAamvaText: corrupt payloads fail cleanly', () => {
  const cases: [string, string][] = [
    ['empty', ''],
    ['junk', 'hello world, this is not a licence'],
    ['a QR URL', 'https://example.com/?id=636000100102'],
    ['wrong header', V10_VA.replace('ANSI ', 'XXXX ')],
    ['header only', V10_VA.slice(0, 41)],
    ['no DL subfile', V10_VA.replace(/DL/g, 'QQ')],
    ['no birth date', V10_VA.replace('DBB06061986\n', '')],
    ['an empty birth date', V10_VA.replace('DBB06061986', 'DBB')],
  ]
  it.each(cases)('%s', (_name, payload) => {
    const r = inspectAamvaText(payload, { asOf: AS_OF })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('AAMVA_INVALID')
  })

  it.each([
    ['impossible', 'DBB13451986'],
    ['day and month swapped', 'DBB19862106'],
    ['short', 'DBB060686'],
  ])(
    'reads the rest of a card whose birth date is %s, with no birth date and no age',
    (_n, dbb) => {
      const r = success(inspectAamvaText(V10_VA.replace('DBB06061986', dbb), { asOf: AS_OF }))
      expect(r.person).toMatchObject({
        lastName: 'SAMPLE',
        firstName: 'MICHAEL',
        dateOfBirth: null,
      })
      expect(r.ageYears).toBeNull()
      expect(r.document).toMatchObject({ number: 'T64235789', expiryDate: '2024-12-10' })
      expect(r.aamva?.repairs).toContain('birth_date_refused')
      expect(r.checks).not.toHaveProperty('birthDatePlausible')
    },
  )

  it('never gives a wrong date from a truncated payload', () => {
    const { payload, truth } = generateLicence(5, { version: 10, jurisdiction: 'VA' })
    for (let cut = 0; cut < payload.length; cut++) {
      const r = inspectAamvaText(payload.slice(0, cut), { asOf: AS_OF })
      if (!r.ok) continue
      expect(r.person.dateOfBirth, `cut at ${cut}`).toBe(truth.dateOfBirth)
      if (r.document.expiryDate !== null) expect(r.document.expiryDate).toBe(truth.expiryDate)
    }
    expect(inspectAamvaText(payload.slice(0, payload.indexOf('DBB') + 8), { asOf: AS_OF }).ok).toBe(
      false,
    )
  })
})

describe('parseAamvaPayload', () => {
  it('keeps the header and the jurisdiction subfile apart', () => {
    const p = parseAamvaPayload(V10_VA)
    if ('fail' in p) throw new Error(p.reason)
    expect(p).toMatchObject({
      fileType: 'ANSI',
      iin: '636000',
      version: 10,
      jurisdictionVersion: 1,
      entries: 2,
    })
    expect(p.standard.type).toBe('DL')
    expect(p.jurisdictionSubfiles.map((s) => [s.type, [...s.elements]])).toEqual([
      ['ZV', [['ZVA', '01']]],
    ])
  })

  it('reads an ID subfile', () => {
    const { payload } = generateLicence(3, { version: 6, documentType: 'id_card' })
    const p = parseAamvaPayload(payload)
    if ('fail' in p) throw new Error(p.reason)
    expect(p.standard.type).toBe('ID')
    expect(success(inspectAamvaText(payload, { asOf: AS_OF })).documentType).toBe('id_card')
  })
})
