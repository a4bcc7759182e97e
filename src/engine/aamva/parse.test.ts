// Damage real issuers and scanners do to AAMVA payloads, one repair at a time. Every payload here
// is written for this file from the layout of Annex D (D.12.3 header and directory, D.12.5 data
// elements); none is copied from a corpus or another project.
/* eslint-disable no-control-regex -- the AAMVA separators LF, CR and RS are control characters (D.12.3) */
import { describe, expect, it } from 'vitest'
import { assemblePayload } from '../../specimen/licence.ts'
import type { InspectResult, InspectSuccess } from '../types.ts'
import { inspectAamvaText } from './inspect-text.ts'
import { parseAamvaPayload } from './parse.ts'

const AS_OF = '2026-06-01'

// A Mississippi licence, version 09, and its jurisdiction subfile ZM.
const DL_ELEMENTS: [string, string][] = [
  ['DAQ', '801234567'],
  ['DCS', 'OKAFOR'],
  ['DDE', 'N'],
  ['DAC', 'AMARA'],
  ['DDF', 'N'],
  ['DAD', 'JOY'],
  ['DDG', 'N'],
  ['DCA', 'R'],
  ['DCB', 'NONE'],
  ['DCD', 'NONE'],
  ['DBD', '03152021'],
  ['DBB', '07041990'],
  ['DBA', '07042029'],
  ['DBC', '2'],
  ['DAU', '064 in'],
  ['DAY', 'BRO'],
  ['DAG', '12 PINE ST'],
  ['DAI', 'JACKSON'],
  ['DAJ', 'MS'],
  ['DAK', '392010000  '],
  ['DCF', 'MS2021XQ0042'],
  ['DCG', 'USA'],
  ['DDA', 'F'],
  ['DDB', '10302020'],
  ['DDK', '1'],
]

function licence(
  elements: [string, string][] = DL_ELEMENTS,
  options: { type?: string; iin?: string; version?: number; zSubfile?: boolean } = {},
): string {
  const z: { type: string; elements: [string, string][] } = {
    type: 'ZM',
    elements: [
      ['ZMA', 'Y'],
      ['ZMB', '0042'],
    ],
  }
  return assemblePayload({
    fileType: 'ANSI',
    iin: options.iin ?? '636051',
    version: options.version ?? 9,
    jurisdictionVersion: 1,
    subfiles: [
      { type: options.type ?? 'DL', elements },
      ...(options.zSubfile === false ? [] : [z]),
    ],
  })
}

const CLEAN = licence()
const DL_ONLY = licence(DL_ELEMENTS, { zSubfile: false })

function success(r: InspectResult): InspectSuccess {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`)
  return r
}

/** Reads a payload and checks every key field against the licence above. */
function readsRight(payload: string | Uint8Array): string[] {
  const r = success(inspectAamvaText(payload, { asOf: AS_OF }))
  expect(r.person).toMatchObject({
    lastName: 'OKAFOR',
    firstName: 'AMARA',
    dateOfBirth: '1990-07-04',
    sex: 'F',
  })
  expect(r.document).toMatchObject({ number: '801234567', expiryDate: '2029-07-04' })
  expect(r.aamva).toMatchObject({ version: 9, iin: '636051', jurisdiction: 'MS' })
  return r.aamva?.repairs ?? []
}

function refused(payload: string): string {
  const r = inspectAamvaText(payload, { asOf: AS_OF })
  if (r.ok) throw new Error('expected AAMVA_INVALID, got a reading')
  expect(r.error.code).toBe('AAMVA_INVALID')
  return r.error.message
}

/** Replaces the directory (every designator) with other offsets and lengths. */
function withDirectory(payload: string, numbers: string[]): string {
  let i = 0
  return payload.replace(
    /(DL|ID|Z[A-Z])(\d{8})(?=(?:DL|ID|Z[A-Z])\d{8}|DL|ID)/g,
    (_m, t: string) => {
      const n = numbers[i++]
      if (n === undefined) throw new Error('not enough directory numbers')
      return `${t}${n}`
    },
  )
}

/** Every key field a reading gives is right (a field left out is not wrong). */
function neverWrong(payload: string): void {
  const r = inspectAamvaText(payload, { asOf: AS_OF })
  if (!r.ok) return
  const what = JSON.stringify(payload.slice(-24))
  expect(r.person.dateOfBirth, what).toBe('1990-07-04')
  for (const [got, want] of [
    [r.document.expiryDate, '2029-07-04'],
    [r.person.lastName, 'OKAFOR'],
    [r.person.firstName, 'AMARA'],
    [r.document.number, '801234567'],
    [r.document.issueDate, '2021-03-15'],
  ] as const) {
    if (got !== null) expect(got, what).toBe(want)
  }
}

describe('the clean licence', () => {
  it('reads with no repair', () => {
    expect(readsRight(CLEAN)).toEqual([])
    expect(readsRight(DL_ONLY)).toEqual([])
  })
})

describe('a header whose offsets or lengths disagree with the data', () => {
  it('finds the subfiles by their designators when the directory was copied from another payload', () => {
    const copied = withDirectory(CLEAN, ['00520310', '03620030'])
    const repairs = readsRight(copied)
    expect(repairs).toEqual(expect.arrayContaining(['directory_offsets', 'directory_lengths']))
    const p = parseAamvaPayload(copied)
    if ('fail' in p) throw new Error(p.reason)
    expect(p.jurisdictionSubfiles.map((s) => s.type)).toEqual(['ZM'])
  })

  it('reads a payload whose declared length runs past its end', () => {
    const [, , length] = /DL(\d{4})(\d{4})/.exec(DL_ONLY) ?? []
    const longer = String(Number(length) + 60).padStart(4, '0')
    const payload = DL_ONLY.replace(/DL(\d{4})\d{4}/, `DL$1${longer}`)
    expect(readsRight(payload)).toContain('shorter_than_declared')
    // …and without its final CR: the last element (DDK, one digit) is whole.
    const unterminated = readsRight(payload.slice(0, -1))
    expect(unterminated).toEqual(
      expect.arrayContaining(['shorter_than_declared', 'missing_segment_terminator']),
    )
  })

  it('names a subfile the directory lists but the data lacks', () => {
    const payload = CLEAN.replace(/\rZM[\s\S]*$/, '\r')
    expect(readsRight(payload)).toContain('subfile_not_found')
  })

  it('accepts an offset one character off, as many issuers write it', () => {
    const [, offset, length] = /ZM(\d{4})(\d{4})/.exec(CLEAN) ?? []
    const off = String(Number(offset) + 1).padStart(4, '0')
    const repairs = readsRight(CLEAN.replace(`ZM${offset}${length}`, `ZM${off}${length}`))
    expect(repairs).toContain('directory_offsets')
  })
})

describe('a payload cut short', () => {
  it('is refused when it ends before the fields that matter', () => {
    for (const id of ['DCS', 'DAC', 'DBB', 'DBA']) {
      const cut = DL_ONLY.slice(0, DL_ONLY.indexOf(`\n${id}`) + 1)
      const message = refused(cut)
      if (id !== 'DBB') expect(message, id).toMatch(/truncated/)
    }
    expect(refused(CLEAN.slice(0, CLEAN.indexOf('DLDAQ')))).toMatch(/truncated before its DL/)
  })

  it('reads what it has when it ends after them, and says it is short', () => {
    const cut = DL_ONLY.slice(0, DL_ONLY.indexOf('\nDAG') + 1)
    expect(readsRight(cut)).toContain('shorter_than_declared')
  })

  it('drops a last element that may have been cut, never keeping a prefix of a name', () => {
    // The directory lies (copied) and the final CR is gone: nothing vouches for the family name.
    const elements = DL_ELEMENTS.filter(([id]) => id !== 'DCS').concat([['DCS', 'OKAFOR']])
    const payload = withDirectory(licence(elements, { zSubfile: false }), ['00410400']).slice(0, -1)
    const r = success(inspectAamvaText(payload.slice(0, -3), { asOf: AS_OF }))
    expect(r.person.lastName).toBeNull()
    expect(r.aamva?.repairs).toContain('unterminated_last_element')
    // A date (fixed form, eight digits) at the end is whole when it reads as one.
    const dated = DL_ELEMENTS.filter(([id]) => id !== 'DBA').concat([['DBA', '07042029']])
    expect(
      readsRight(withDirectory(licence(dated, { zSubfile: false }), ['00410400']).slice(0, -1)),
    ).not.toContain('unterminated_last_element')
  })

  it('never gives a wrong field, wherever it is cut, whatever its separators', () => {
    // Names and number last, where a cut can shorten them.
    const late = ['DAQ', 'DCS', 'DAC']
    const namesLast = licence(
      DL_ELEMENTS.filter(([id]) => !late.includes(id)).concat(
        DL_ELEMENTS.filter(([id]) => late.includes(id)),
      ),
      { zSubfile: false },
    )
    const variants = [
      CLEAN,
      DL_ONLY,
      namesLast,
      namesLast.replace(/\n/g, '\r\n'),
      withDirectory(namesLast, ['00410900']),
      namesLast.replace(/\n/g, '\n  '),
      CLEAN.slice(0, 4) + CLEAN.slice(4).replace(/\n/g, '\r\n'),
      withDirectory(DL_ONLY, ['00410400']),
      CLEAN.replace(/\n/g, '\n    '),
      CLEAN.replace(/[\n\r\x1e]/g, '|'),
    ]
    for (const payload of variants) {
      for (let cut = 0; cut <= payload.length; cut++) neverWrong(payload.slice(0, cut))
    }
  })
})

describe('separators', () => {
  it("reads '|' written for every separator", () => {
    expect(readsRight(CLEAN.replace(/[\n\r\x1e]/g, '|'))).toContain('pipe_separators')
    expect(readsRight(CLEAN.replace(/\n/g, '|'))).toContain('pipe_separators')
  })

  it("keeps a '|' inside a value of a proper payload", () => {
    const elements = DL_ELEMENTS.map(([id, v]): [string, string] =>
      id === 'DAG' ? [id, '12 PINE ST|REAR'] : [id, v],
    )
    const p = parseAamvaPayload(licence(elements))
    if ('fail' in p) throw new Error(p.reason)
    expect(p.standard.elements.get('DAG')).toBe('12 PINE ST|REAR')
    expect(p.repairs).toEqual([])
  })

  it('reads CR LF line ends (a payload saved as a text file)', () => {
    const payload = CLEAN.slice(0, 4) + CLEAN.slice(4).replace(/\n/g, '\r\n')
    expect(readsRight(payload)).toContain('crlf_segments')
    const everywhere = CLEAN.slice(0, 4) + CLEAN.slice(4).replace(/\r|\n/g, '\r\n')
    expect(readsRight(everywhere)).toContain('crlf_segments')
  })

  it('reads CR between elements', () => {
    expect(readsRight(CLEAN.slice(0, 4) + CLEAN.slice(4).replace(/\n/g, '\r'))).toContain(
      'cr_separators',
    )
  })

  it('reads LF ending the subfiles', () => {
    expect(readsRight(CLEAN.slice(0, 4) + CLEAN.slice(4).replace(/\r/g, '\n'))).toContain(
      'lf_terminators',
    )
  })

  it('reads a payload without its final CR', () => {
    expect(readsRight(CLEAN.slice(0, -1))).toContain('missing_segment_terminator')
  })

  it('finds the jurisdiction subfile when the CR before it was lost', () => {
    const payload = CLEAN.replace('\rZMZMA', 'ZMZMA')
    const repairs = readsRight(payload)
    expect(repairs).toContain('missing_segment_terminator')
    const p = parseAamvaPayload(payload)
    if ('fail' in p) throw new Error(p.reason)
    expect(p.standard.elements.get('DDK')).toBe('1')
    expect(p.jurisdictionSubfiles[0]?.elements.get('ZMA')).toBe('Y')
  })

  it('reads a payload copied out of a source file with its lines indented', () => {
    const payload = CLEAN.replace(/\n/g, '\n    ').replace('\rZM', '\n    ZM')
    const repairs = readsRight(payload)
    expect(repairs).not.toContain('foreign_element')
    const p = parseAamvaPayload(payload)
    if ('fail' in p) throw new Error(p.reason)
    expect(p.jurisdictionSubfiles.map((s) => s.type)).toEqual(['ZM'])
  })
})

describe('scanner artefacts', () => {
  it('removes a byte-order mark, as a character and as bytes', () => {
    expect(readsRight(`\ufeff${CLEAN}`)).toContain('bom')
    expect(readsRight(new TextEncoder().encode(`\ufeff${CLEAN}`))).toContain('bom')
    // Latin-1 bytes (É in the city) are not UTF-8: the BOM's bytes arrive as three characters.
    const latin1 = Uint8Array.from(
      [0xef, 0xbb, 0xbf, ...CLEAN.replace('JACKSON', 'JACKSON\u00c9')].map((c) =>
        typeof c === 'number' ? c : c.charCodeAt(0),
      ),
    )
    expect(readsRight(latin1)).toContain('bom')
  })

  it('removes a symbology identifier, framing and NULs', () => {
    const payload = `\x02]L2${CLEAN.replace('\nDBB', '\n\x00DBB')}\x00\x00\x04`
    expect(readsRight(payload)).toEqual(
      expect.arrayContaining(['symbology_identifier', 'control_characters']),
    )
  })

  it('skips junk and whitespace before the compliance indicator, and trailing spaces', () => {
    expect(readsRight(`scan: ${CLEAN}`)).toContain('leading_junk')
    expect(readsRight(`\r\n  ${CLEAN}      `)).toContain('leading_whitespace')
  })
})

describe('subfile types and issuer numbers', () => {
  it('reads a subfile whose type is missing where the directory points', () => {
    const payload = CLEAN.replace(/(\d{8})DLDAQ/, '$1DAQ')
    expect(readsRight(payload)).toContain('missing_subfile_type')
    const id = licence(DL_ELEMENTS, { type: 'ID' }).replace(/(\d{8})IDDAQ/, '$1DAQ')
    const r = success(inspectAamvaText(id, { asOf: AS_OF }))
    expect(r.documentType).toBe('id_card')
  })

  it('refuses elements whose subfile type nothing names', () => {
    const payload = '@\n\x1e\rANSI 6360510901DAQ1\nDCSOKAFOR\nDACAMARA\nDBB07041990\r'
    expect(refused(payload)).toMatch(/no DL or ID subfile/)
  })

  it('reads an IIN outside the AAMVA register, the issuer then from DAJ', () => {
    const r = success(inspectAamvaText(licence(DL_ELEMENTS, { iin: '123456' }), { asOf: AS_OF }))
    expect(r.aamva).toMatchObject({ iin: '123456', jurisdiction: 'MS' })
    expect(r.aamva?.repairs).toEqual(
      expect.arrayContaining(['iin_not_iso', 'jurisdiction_from_address']),
    )
    expect(r.document.issuer).toBe('US-MS')
    expect(r.checks?.iinKnown).toBe(false)
    expect(r.person.dateOfBirth).toBe('1990-07-04')
  })
})

describe('dates', () => {
  const withDate = (id: string, value: string): string =>
    licence(DL_ELEMENTS.map(([e, v]): [string, string] => (e === id ? [e, value] : [e, v])))

  it('refuses 31 September as an expiry date instead of rolling it over', () => {
    const r = success(inspectAamvaText(withDate('DBA', '09312029'), { asOf: AS_OF }))
    expect(r.document.expiryDate).toBeNull()
    expect(r.expired).toBeNull()
    expect(r.aamva?.repairs).toContain('expiry_date_refused')
    expect(r.checks?.notExpired).toBeUndefined()
  })

  it('refuses 31 September and 29 February 1990 as birth dates: no birth date, no age', () => {
    for (const value of ['09311990', '02291990']) {
      const r = success(inspectAamvaText(withDate('DBB', value), { asOf: AS_OF }))
      expect(r.person.dateOfBirth).toBeNull()
      expect(r.ageYears).toBeNull()
      expect(r.aamva?.repairs).toContain('birth_date_refused')
    }
  })

  it('leaves out an impossible issue date', () => {
    const r = success(inspectAamvaText(withDate('DBD', '02302021'), { asOf: AS_OF }))
    expect(r.document.issueDate).toBeNull()
    expect(r.aamva?.repairs).toContain('issue_date_refused')
  })

  it('flags a US date written CCYYMMDD, and reads it', () => {
    const r = success(inspectAamvaText(withDate('DBB', '19900704'), { asOf: AS_OF }))
    expect(r.person.dateOfBirth).toBe('1990-07-04')
    expect(r.aamva?.repairs).toContain('date_order_ccyymmdd')
  })

  it('expects CCYYMMDD in Canada and flags MMDDCCYY there', () => {
    const canadian = (dob: string): string =>
      licence(
        DL_ELEMENTS.filter(
          ([id]) => !['DBB', 'DBD', 'DBA', 'DDB', 'DAJ', 'DCG'].includes(id),
        ).concat([
          ['DBB', dob],
          ['DCG', 'CAN'],
        ]),
        { iin: '636012' },
      )
    const ymd = success(inspectAamvaText(canadian('19900704'), { asOf: AS_OF }))
    expect(ymd.person.dateOfBirth).toBe('1990-07-04')
    expect(ymd.aamva?.repairs).toEqual([])
    const mdy = success(inspectAamvaText(canadian('07041990'), { asOf: AS_OF }))
    expect(mdy.person.dateOfBirth).toBe('1990-07-04')
    expect(mdy.aamva?.repairs).toContain('date_order_mmddccyy')
  })

  it('says the order was inferred when nothing prescribes it', () => {
    const noCountry = DL_ELEMENTS.filter(([id]) => id !== 'DCG')
    const unknown = success(
      inspectAamvaText(licence(noCountry, { iin: '123456' }), { asOf: AS_OF }),
    )
    expect(unknown.person.dateOfBirth).toBe('1990-07-04')
    expect(unknown.aamva?.repairs).toContain('date_order_inferred')
    // With the country in DCG, the order is the country's.
    const known = success(
      inspectAamvaText(licence(DL_ELEMENTS, { iin: '123456' }), { asOf: AS_OF }),
    )
    expect(known.aamva?.repairs).not.toContain('date_order_inferred')
  })
})

describe('elements', () => {
  const withExtra = (id: string, value: string): string =>
    licence(DL_ELEMENTS.concat([[id, value]]))

  it('refuses a birth date given twice with different values', () => {
    expect(refused(withExtra('DBB', '07041991'))).toMatch(/twice/)
    expect(readsRight(withExtra('DBB', '07041990'))).toEqual([])
  })

  it('reads no name when a name is given twice with different values', () => {
    const r = success(inspectAamvaText(withExtra('DCS', 'OKAFORR'), { asOf: AS_OF }))
    expect(r.person.lastName).toBeNull()
    expect(r.person.firstName).toBeNull()
    expect(r.aamva?.repairs).toContain('name_conflict')
  })

  it('reads first and middle names given together in DAC', () => {
    const elements = DL_ELEMENTS.filter(([id]) => id !== 'DAD').map(([id, v]): [string, string] =>
      id === 'DAC' ? [id, 'AMARA,JOY'] : [id, v],
    )
    const r = success(inspectAamvaText(licence(elements), { asOf: AS_OF }))
    expect(r.person.firstName).toBe('AMARA')
    expect(r.aamva).toMatchObject({ middleName: 'JOY' })
    expect(r.aamva?.repairs).toContain('given_names_in_first_name')
  })

  it('reads first and middle names given with a space in DAC when DAD is empty, not otherwise', () => {
    const withNames = (first: string, middle: string | null): string =>
      licence(
        DL_ELEMENTS.flatMap(([id, v]): [string, string][] =>
          id === 'DAC'
            ? [[id, first]]
            : id !== 'DAD'
              ? [[id, v]]
              : middle === null
                ? []
                : [[id, middle]],
        ),
      )
    for (const middle of [null, '']) {
      const r = success(inspectAamvaText(withNames('AMARA JOY', middle), { asOf: AS_OF }))
      expect(r.person.firstName).toBe('AMARA')
      expect(r.aamva).toMatchObject({ middleName: 'JOY' })
      expect(r.aamva?.repairs).toContain('given_names_in_first_name')
    }
    const given = success(inspectAamvaText(withNames('MARY ANN', 'JOY'), { asOf: AS_OF }))
    expect(given.person.firstName).toBe('MARY ANN')
    expect(given.aamva).toMatchObject({ middleName: 'JOY' })
    expect(given.aamva?.repairs).not.toContain('given_names_in_first_name')
  })

  it('drops the comma some issuers leave after a family name', () => {
    const elements = DL_ELEMENTS.map(([id, v]): [string, string] =>
      id === 'DCS' ? [id, 'OKAFOR,'] : [id, v],
    )
    expect(readsRight(licence(elements))).toContain('name_trailing_comma')
  })
})

describe('payloads that are not AAMVA', () => {
  it.each([
    ['prose', 'The ANSI committee met in 1990 to discuss DBB07041990 and more.'],
    ['a header and nothing else', '@\n\x1e\rANSI 636051090102'],
    ['pipes and letters', '|||||DAQ|DCS|DBB|'],
    ['elements without a header', 'DAQ801234567\nDCSOKAFOR\nDBB07041990\n'],
  ])('%s', (_name, payload) => {
    expect(refused(payload).length).toBeGreaterThan(10)
  })
})

describe('copies of payloads', () => {
  it('reads separators kept as escapes (a payload copied out of a log or JSON)', () => {
    const escaped = CLEAN.replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\x1e/g, '\\u001e')
    expect(readsRight(escaped)).toContain('escaped_separators')
  })

  it('keeps a backslash inside a value of a proper payload', () => {
    const elements = DL_ELEMENTS.map(([id, v]): [string, string] =>
      id === 'DAG' ? [id, '12 PINE ST\\nREAR'] : [id, v],
    )
    const p = parseAamvaPayload(licence(elements))
    if ('fail' in p) throw new Error(p.reason)
    expect(p.standard.elements.get('DAG')).toBe('12 PINE ST\\nREAR')
  })

  it('reads ANSI followed by more than one space', () => {
    expect(readsRight(CLEAN.replace('ANSI ', 'ANSI  '))).toContain('file_type_space')
  })

  it('reads the file type AAMVA followed by a space', () => {
    expect(readsRight(CLEAN.replace('ANSI ', 'AAMVA '))).toContain('file_type_space')
  })
})

describe('elements run together', () => {
  /** The licence as a keyboard-wedge scanner types it: no LF between elements, no CR. */
  function wedged(elements: [string, string][] = DL_ELEMENTS): string {
    return licence(elements, { zSubfile: false }).replace(/[\n\r]/g, '')
  }

  it('cuts the elements apart by their identifiers when no separator is left', () => {
    expect(readsRight(wedged())).toContain('elements_run_together')
  })

  it('cuts a capture padded to fixed widths', () => {
    const padded = DL_ELEMENTS.map(([id, v]): [string, string] => [id, v.padEnd(12, ' ')])
    expect(readsRight(wedged(padded))).toContain('elements_run_together')
  })

  it('leaves a name that holds an identifier unread rather than cut it', () => {
    const madden = DL_ELEMENTS.map(([id, v]): [string, string] => [id, id === 'DCS' ? 'MADDEN' : v])
    // MADDEN holds DDE: cut there, the family name would be MAD.
    expect(refused(wedged(madden))).toMatch(/run together/)
  })

  it('refuses a family name that starts with an identifier rather than cut it', () => {
    const dacosta = DL_ELEMENTS.map(([id, v]): [string, string] => [
      id,
      id === 'DCS' ? 'DACOSTA' : v,
    ])
    expect(refused(wedged(dacosta))).toMatch(/run together/)
  })

  it('leaves payloads with separators as they are', () => {
    expect(readsRight(CLEAN)).not.toContain('elements_run_together')
  })
})

describe('elements run together, hostile', () => {
  it('refuses a payload built to make the cutting search explode', () => {
    // Every mandatory identifier many times over, with nothing else: no split is safe.
    const ids = 'DCADCBDCDDBADCSDACDADDBDDBBDBCDAYDAUDAGDAIDAJDAKDAQDCFDCGDDEDDFDDG'
    const body = ids.repeat(20)
    const payload = `@\n\x1e\rANSI 636051090001DL00310${String(body.length + 2).padStart(3, '0')}DL${body}`
    expect(inspectAamvaText(payload, { asOf: AS_OF }).ok).toBe(false)
  })
})

describe('enhanced licences', () => {
  it('reads a DL subfile typed EN, as enhanced licences give it', () => {
    const r = success(inspectAamvaText(licence(DL_ELEMENTS, { type: 'EN' }), { asOf: AS_OF }))
    expect(r.documentType).toBe('drivers_license')
    expect(r.person).toMatchObject({
      lastName: 'OKAFOR',
      firstName: 'AMARA',
      dateOfBirth: '1990-07-04',
    })
  })
})
