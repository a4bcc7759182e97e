// From what a scanner or a copy hands over to the payload's text: bytes decoded, and the
// artefacts scanners, logs and source files add removed (a byte-order mark, control characters,
// separators written as escapes or as '|'). Each removal is named in `repairs`.
/* eslint-disable no-control-regex -- the AAMVA separators LF, CR, RS and FS are control characters (D.12.3) */

export const LF = '\n'
export const RS = '\x1e'
export const CR = '\r'
export const FS = '\x1c'

/** Decodes payload bytes: UTF-8 when valid, else ISO 8859-1 (one character per byte). */
export function payloadText(raw: string | Uint8Array): string {
  if (typeof raw === 'string') return raw
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw)
  } catch (err) {
    if (!(err instanceof TypeError)) throw err
    return new TextDecoder('latin1').decode(raw)
  }
}

// Control characters that are neither AAMVA separators nor anything a payload may hold.
// Scanners in keyboard mode and some decoders emit them (NUL padding, STX/ETX/EOT framing, GS,
// ESC, DEL).
const JUNK_CONTROLS = /[\x00-\x09\x0b\x0c\x0e-\x1b\x1d\x1f\x7f]/g
// A byte-order mark, as a character or as its UTF-8 bytes read one per character.
const BOM = /\ufeff|\u00ef\u00bb\u00bf/g

const TAB_SEPARATOR = /(?<![\s\x1e\x1c])\t+(?=D[A-D][A-Z]|Z[A-Z0-9]Z)/g
const ESCAPED_SEPARATOR =
  /\\(?:n|r|u001[ceCE]|x1[ceCE])(?=D[A-D][A-Z]|Z[A-Z0-9]Z|ANSI|AAMVA|\\|\s*$)/g

/** Removes what scanners and copies add: a BOM, control characters, Tab or '|' for separators. */
export function withoutArtefacts(input: string, repairs: string[]): string {
  let text = input
  const withoutBom = text.replace(BOM, '')
  if (withoutBom.length !== text.length) {
    text = withoutBom
    repairs.push('bom')
  }
  // Keyboard-mode scanners can be set to type a Tab for each separator. A Tab is taken as one
  // only where it follows data and stands before an element identifier or a jurisdiction
  // subfile (AAMVA values are printable characters; D.12.5), never in a line's indentation.
  const tabs = text.match(TAB_SEPARATOR)?.length ?? 0
  if (tabs >= 2) {
    text = text.replace(/(?<![\s\x1e\x1c])\t+/g, LF)
    repairs.push('tab_separators')
  }
  const withoutJunk = text.replace(JUNK_CONTROLS, '')
  if (withoutJunk.length !== text.length) {
    text = withoutJunk
    repairs.push('control_characters')
  }
  // A payload copied out of a log, JSON or source code may keep its separators as escapes
  // ("\n", "\u001e"); they are taken as separators only where they stand before element
  // identifiers, the header, another escape or the end.
  const escapes = text.match(ESCAPED_SEPARATOR)?.length ?? 0
  if (escapes >= 2) {
    text = text.replace(/\\(?:n|r|u001[eE]|x1[eE]|u001[cC]|x1[cC])/g, (e) =>
      e === '\\n' ? LF : e === '\\r' ? CR : /[eE]$/.test(e) ? RS : FS,
    )
    repairs.push('escaped_separators')
  }
  // Scanners in keyboard mode and logs that cannot show control characters write '|' for the
  // separators. It is taken as one only where it stands before element identifiers (or the
  // header, a jurisdiction subfile, the end), so a '|' inside a value of a proper payload stays.
  const pipes = text.match(/\|(?=D[A-D][A-Z]|Z[A-Z0-9]Z|ANSI|AAMVA|\s*$)/g)?.length ?? 0
  if (pipes >= 2 || /^[^@]{0,8}@\|/.test(text)) {
    text = text.replaceAll('|', LF)
    repairs.push('pipe_separators')
  }
  return text
}
