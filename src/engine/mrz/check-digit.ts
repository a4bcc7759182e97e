// ICAO 9303-3 §4.9: check digits. Each character is given a value ('0'–'9' → 0–9, 'A'–'Z' → 10–35,
// '<' → 0), multiplied by the repeating weights 7, 3, 1, summed, and taken modulo 10.

const WEIGHTS = [7, 3, 1] as const

/** Value of one MRZ character for check-digit computation, or -1 if it is not in the MRZ charset. */
export function mrzCharValue(ch: string): number {
  const c = ch.charCodeAt(0)
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 90) return c - 55
  if (ch === '<') return 0
  return -1
}

/**
 * Whether a check digit can tell two characters apart: not when their values are equal modulo 10
 * (the weights 7, 3, 1 are prime to 10), as 0, <, A, K, U are, or 1, B, L, V, and so on.
 */
export function checkDigitTellsApart(a: string, b: string): boolean {
  return mrzCharValue(a) % 10 !== mrzCharValue(b) % 10
}

/** ICAO 9303-3 §4.9 check digit of a field (weights 7,3,1; '<' = 0), or -1 on a foreign character. */
export function mrzCheckDigit(field: string): number {
  let sum = 0
  for (let i = 0; i < field.length; i++) {
    const v = mrzCharValue(field[i] ?? '')
    if (v < 0) return -1
    sum += v * (WEIGHTS[i % 3] ?? 1)
  }
  return sum % 10
}

/**
 * True when `digit` is the check digit of `field`. A filler stands for a check digit only over a
 * field of fillers (ICAO 9303-4 §4.2.2: an unused personal number's check digit is 0 or '<');
 * over data, a '<' where a digit is due is no check digit at all, however the field sums.
 */
export function checkDigitMatches(field: string, digit: string): boolean {
  const expected = mrzCheckDigit(field)
  if (expected < 0) return false
  if (digit === '<') return /^<*$/.test(field)
  return digit === String(expected)
}
