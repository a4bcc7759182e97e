// Issuer Identification Numbers (IIN) of the AAMVA jurisdictions. AAMVA DL/ID Card Design
// Standard (2020) Annex D, D.12.3 "Header": the IIN is the six-digit number assigned to the
// issuing jurisdiction under ISO/IEC 7812-1 and listed by AAMVA on its IIN register.

export type Country = 'USA' | 'CAN'

export interface Jurisdiction {
  /** Two-letter postal code, the one used in DAJ and in the designator of the Z subfile. */
  code: string
  name: string
  country: Country
}

function us(code: string, name: string): Jurisdiction {
  return { code, name, country: 'USA' }
}

function ca(code: string, name: string): Jurisdiction {
  return { code, name, country: 'CAN' }
}

/** IIN → issuing jurisdiction, for the US states, DC, the US territories and Canada. */
export const IIN_JURISDICTIONS: ReadonlyMap<string, Jurisdiction> = new Map([
  ['636000', us('VA', 'Virginia')],
  ['636001', us('NY', 'New York')],
  ['636002', us('MA', 'Massachusetts')],
  ['636003', us('MD', 'Maryland')],
  ['636004', us('NC', 'North Carolina')],
  ['636005', us('SC', 'South Carolina')],
  ['636006', us('CT', 'Connecticut')],
  ['636007', us('LA', 'Louisiana')],
  ['636008', us('MT', 'Montana')],
  ['636009', us('NM', 'New Mexico')],
  ['636010', us('FL', 'Florida')],
  ['636011', us('DE', 'Delaware')],
  ['636012', ca('ON', 'Ontario')],
  ['636013', ca('NS', 'Nova Scotia')],
  ['636014', us('CA', 'California')],
  ['636015', us('TX', 'Texas')],
  ['636016', ca('NL', 'Newfoundland and Labrador')],
  ['636017', ca('NB', 'New Brunswick')],
  ['636018', us('IA', 'Iowa')],
  ['636019', us('GU', 'Guam')],
  ['636020', us('CO', 'Colorado')],
  ['636021', us('AR', 'Arkansas')],
  ['636022', us('KS', 'Kansas')],
  ['636023', us('OH', 'Ohio')],
  ['636024', us('VT', 'Vermont')],
  ['636025', us('PA', 'Pennsylvania')],
  ['636026', us('AZ', 'Arizona')],
  ['636028', ca('BC', 'British Columbia')],
  ['636029', us('OR', 'Oregon')],
  ['636030', us('MO', 'Missouri')],
  ['636031', us('WI', 'Wisconsin')],
  ['636032', us('MI', 'Michigan')],
  ['636033', us('AL', 'Alabama')],
  ['636034', us('ND', 'North Dakota')],
  ['636035', us('IL', 'Illinois')],
  ['636036', us('NJ', 'New Jersey')],
  ['636037', us('IN', 'Indiana')],
  ['636038', us('MN', 'Minnesota')],
  ['636039', us('NH', 'New Hampshire')],
  ['636040', us('UT', 'Utah')],
  ['636041', us('ME', 'Maine')],
  ['636042', us('SD', 'South Dakota')],
  ['636043', us('DC', 'District of Columbia')],
  ['636044', ca('SK', 'Saskatchewan')],
  ['636045', us('WA', 'Washington')],
  ['636046', us('KY', 'Kentucky')],
  ['636047', us('HI', 'Hawaii')],
  ['636048', ca('MB', 'Manitoba')],
  ['636049', us('NV', 'Nevada')],
  ['636050', us('ID', 'Idaho')],
  ['636051', us('MS', 'Mississippi')],
  ['636052', us('RI', 'Rhode Island')],
  ['636053', us('TN', 'Tennessee')],
  ['636054', us('NE', 'Nebraska')],
  ['636055', us('GA', 'Georgia')],
  ['636058', us('OK', 'Oklahoma')],
  ['636059', us('AK', 'Alaska')],
  ['636060', us('WY', 'Wyoming')],
  ['636061', us('WV', 'West Virginia')],
  ['636062', us('VI', 'US Virgin Islands')],
  ['604426', ca('PE', 'Prince Edward Island')],
  ['604427', us('AS', 'American Samoa')],
  ['604428', ca('QC', 'Quebec')],
  ['604429', ca('YT', 'Yukon')],
  ['604430', us('MP', 'Northern Mariana Islands')],
  ['604431', us('PR', 'Puerto Rico')],
  ['604432', ca('AB', 'Alberta')],
  ['604433', ca('NU', 'Nunavut')],
  ['604434', ca('NT', 'Northwest Territories')],
])

/** The jurisdiction an IIN was issued to, or null when the IIN is not an AAMVA member's. */
export function jurisdictionOfIin(iin: string): Jurisdiction | null {
  return IIN_JURISDICTIONS.get(iin) ?? null
}

/** The IIN of a jurisdiction given by its two-letter code, or null. */
export function iinOfJurisdiction(code: string): string | null {
  for (const [iin, j] of IIN_JURISDICTIONS) if (j.code === code) return iin
  return null
}

/** The jurisdiction with a two-letter code (as in DAJ), or null when no member has that code. */
export function jurisdictionOfCode(code: string): Jurisdiction | null {
  for (const j of IIN_JURISDICTIONS.values()) if (j.code === code) return j
  return null
}
