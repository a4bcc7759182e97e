// More damage from the field, beside parse.test.ts: issuer numbers outside the register, header
// numbers read out of step, Tabs for separators, a payload without its directory. Payloads are
// written here from the layout of Annex D; none is copied from a corpus or another project.
/* eslint-disable no-control-regex -- the AAMVA separators LF, CR and RS are control characters (D.12.3) */
import { describe, expect, it } from 'vitest'
import { assemblePayload } from '../../specimen/licence.ts'
import type { InspectResult, InspectSuccess } from '../types.ts'
import { inspectAamvaText } from './inspect-text.ts'
import { parseAamvaPayload } from './parse.ts'

const AS_OF = '2026-06-01'

// An Oregon licence, version 10, with its jurisdiction subfile ZO.
const DL: [string, string][] = [
  ['DAQ', 'B4471920'],
  ['DCS', 'LINDQVIST'],
  ['DAC', 'TOMAS'],
  ['DAD', 'ERIK'],
  ['DBD', '11022022'],
  ['DBB', '02141987'],
  ['DBA', '02142030'],
  ['DBC', '1'],
  ['DAG', '400 ALDER AVE'],
  ['DAI', 'SALEM'],
  ['DAJ', 'OR'],
  ['DAK', '973010000  '],
  ['DCF', 'OR22TL1187'],
  ['DCG', 'USA'],
]
const ZO: [string, string][] = [
  ['ZOA', 'N'],
  ['ZOB', '7'],
]

function payload(
  options: { iin?: string; version?: number; dl?: [string, string][]; z?: string | null } = {},
): string {
  const z = options.z === undefined ? 'ZO' : options.z
  return assemblePayload({
    fileType: 'ANSI',
    iin: options.iin ?? '636029',
    version: options.version ?? 10,
    jurisdictionVersion: 0,
    subfiles: [
      { type: 'DL', elements: options.dl ?? DL },
      ...(z === null
        ? []
        : [{ type: z, elements: ZO.map(([id, v]): [string, string] => [z + id[2], v]) }]),
    ],
  })
}

function success(r: InspectResult): InspectSuccess {
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`)
  expect(r.person).toMatchObject({ lastName: 'LINDQVIST', firstName: 'TOMAS' })
  expect(r.person.dateOfBirth).toBe('1987-02-14')
  expect(r.document).toMatchObject({ number: 'B4471920', expiryDate: '2030-02-14' })
  return r
}

const read = (text: string): InspectSuccess => success(inspectAamvaText(text, { asOf: AS_OF }))
const withDl = (id: string, value: string | null): [string, string][] =>
  DL.flatMap(([e, v]): [string, string][] =>
    e !== id ? [[e, v]] : value === null ? [] : [[e, value]],
  )

describe('an IIN outside the register', () => {
  it('takes the issuer from DAJ when the country and the jurisdiction subfile agree', () => {
    for (const iin of ['990029', '636099']) {
      const r = read(payload({ iin }))
      expect(r.aamva).toMatchObject({ iin, jurisdiction: 'OR' })
      expect(r.document.issuer).toBe('US-OR')
      expect(r.aamva?.repairs).toContain('jurisdiction_from_address')
      expect(r.checks?.iinKnown).toBe(false)
    }
    expect(read(payload({ iin: '990029', z: null })).aamva?.jurisdiction).toBe('OR')
  })

  it('takes the issuer from the residence jurisdiction (DAO) when DAJ is not given', () => {
    const r = read(payload({ iin: '990029', dl: [...withDl('DAJ', null), ['DAO', 'OR']] }))
    expect(r.aamva?.jurisdiction).toBe('OR')
    expect(r.aamva?.repairs).toContain('jurisdiction_from_address')
  })

  it('leaves the issuer unknown when anything disagrees with DAJ, or DAJ is no jurisdiction', () => {
    const unknown = [
      payload({ iin: '990029', z: 'ZW' }),
      payload({ iin: '990029', dl: withDl('DCG', 'CAN') }),
      payload({ iin: '990029', dl: withDl('DAJ', null) }),
      payload({ iin: '990029', dl: withDl('DAJ', 'XQ') }),
      payload({ iin: '990029', dl: [...DL, ['DAJ', 'WA']] }),
    ]
    for (const text of unknown) {
      const r = read(text)
      expect(r.aamva?.jurisdiction).toBeNull()
      expect(r.document.issuer).toBeNull()
      expect(r.aamva?.repairs).not.toContain('jurisdiction_from_address')
    }
  })

  it('keeps the jurisdiction of a registered IIN, and flags a DAJ that differs', () => {
    const r = read(payload({ iin: '636045', z: 'ZW' }))
    expect(r.aamva?.jurisdiction).toBe('WA')
    expect(r.checks?.iinMatchesJurisdiction).toBe(false)
    expect(r.aamva?.repairs).not.toContain('jurisdiction_from_address')
  })
})

describe('header numbers', () => {
  it('refuses a header read out of step (an IIN missing a digit) instead of misreading it', () => {
    // Version 10 then 00: the shifted digits read as version 00; version 09 then 01: as 90.
    for (const [version, reason] of [
      [10, /do not line up with its directory/],
      [9, /version number 90 is not an AAMVA version/],
    ] as const) {
      const text = payload({ version }).replace('ANSI 636029', 'ANSI 63629')
      const r = inspectAamvaText(text, { asOf: AS_OF })
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.message).toMatch(reason)
    }
  })

  it('reads a version after 10, and says it is not one it knows', () => {
    const r = read(payload({ version: 11 }))
    expect(r.aamva?.version).toBe(11)
    expect(r.aamva?.repairs).toContain('version_unknown')
    expect(read(payload()).aamva?.repairs).not.toContain('version_unknown')
  })
})

describe('Tabs for separators', () => {
  it('reads a Tab written for every separator, as keyboard-mode scanners may', () => {
    const r = read(payload().replace(/[\n\r\x1e]/g, '\t'))
    expect(r.aamva?.repairs).toContain('tab_separators')
    expect(r.aamva).toMatchObject({ iin: '636029', jurisdiction: 'OR', version: 10 })
  })

  it('takes Tabs that indent lines for indentation, not separators', () => {
    const r = read(payload().replace(/\n/g, '\n\t\t'))
    expect(r.aamva?.repairs).not.toContain('tab_separators')
  })
})

describe('a payload without its directory', () => {
  const bare = payload().replace(/DL\d{8}ZO\d{8}/, '')

  it('finds the jurisdiction subfile by its type after the standard one', () => {
    const p = parseAamvaPayload(bare)
    if ('fail' in p) throw new Error(p.reason)
    expect(p.repairs).toContain('missing_directory')
    expect(p.repairs).not.toContain('foreign_element')
    expect(p.standard.elements.get('DCG')).toBe('USA')
    expect(p.jurisdictionSubfiles.map((s) => [s.type, s.elements.get('ZOA')])).toEqual([
      ['ZO', 'N'],
    ])
    read(bare)
  })

  it('does not split a subfile at a "Z" pair inside a value', () => {
    const p = parseAamvaPayload(bare.replace('400 ALDER AVE', '400 ZOZO AVE'))
    if ('fail' in p) throw new Error(p.reason)
    expect(p.standard.elements.get('DAG')).toBe('400 ZOZO AVE')
    expect(p.jurisdictionSubfiles.map((s) => s.type)).toEqual(['ZO'])
  })
})
