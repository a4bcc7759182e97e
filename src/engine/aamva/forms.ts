// The forms of the AAMVA data elements whose values have a fixed form (D.12.5.1, "F" lengths),
// and the elements that hold a date.

/** Elements of fixed form: a value that fits is complete. */
export const FIXED_FORMS: Record<string, RegExp> = {
  DBC: /^[0-9MFX]$/,
  DAY: /^[A-Z]{3}$/,
  DAU: /^\d{3} ?(in|cm|IN|CM)$/,
  DAJ: /^[A-Z]{2}$/,
  DCG: /^[A-Z]{3}$/,
  DDE: /^[TNU]$/,
  DDF: /^[TNU]$/,
  DDG: /^[TNU]$/,
  DDA: /^[A-Z]$/,
  DDD: /^\d$/,
  DDK: /^\d$/,
  DDL: /^\d$/,
  DAW: /^\d{3}$/,
  DAX: /^\d{3}$/,
  DCE: /^\d$/,
}

/** Elements that hold a date (MMDDCCYY or CCYYMMDD). */
export const DATE_ELEMENTS = new Set(['DBA', 'DBB', 'DBD', 'DDB', 'DDC', 'DDH', 'DDI', 'DDJ'])
