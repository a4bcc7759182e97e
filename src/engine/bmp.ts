// Windows bitmaps (BMP), the format many desk scanners and Windows capture tools write. libvips,
// and so sharp, has no BMP loader: this reads the uncompressed kinds (1, 4, 8, 16, 24 and 32 bits
// per pixel, with or without bit-field masks, bottom-up or top-down, and 8-bit run-length
// encoded, which ImageMagick writes by default) into 8-bit RGB for sharp's raw input. 4-bit
// run-length and embedded JPEG/PNG compression are refused: scanners do not write them, and a PNG
// is the better answer for anyone who does.
//
// Layout after Microsoft's "Bitmap Storage" reference: a 14-byte file header ('BM', size, offset
// to the pixels), then an info header of 12 (OS/2 core), 40, 52, 56, 108 (v4) or 124 (v5) bytes,
// then for 40-byte headers with bit fields the three or four masks, then the colour table.

/** A BMP's size as its headers declare it, read before any pixel is decoded. */
export interface BmpHeader {
  width: number
  height: number
  /** Rows are stored top row first (negative height). */
  topDown: boolean
  bitsPerPixel: number
  /** BI_RGB (0), BI_RLE8 (1) or BI_BITFIELDS (3) / BI_ALPHABITFIELDS (6); others are refused. */
  compression: number
  pixelOffset: number
  infoSize: number
}

/** A failed decode: a kind of BMP we do not read, or a damaged file. */
export type BmpFailure = { ok: false; kind: 'unsupported' | 'corrupt'; reason: string }
export type BmpResult = { ok: true; width: number; height: number; rgb: Uint8Array } | BmpFailure

const unsupported = (reason: string): BmpFailure => ({ ok: false, kind: 'unsupported', reason })
const corrupt = (reason: string): BmpFailure => ({ ok: false, kind: 'corrupt', reason })

const BI_RGB = 0
const BI_RLE8 = 1
const BI_BITFIELDS = 3
const BI_ALPHABITFIELDS = 6
const INFO_SIZES = new Set([12, 40, 52, 56, 64, 108, 124])

/** Whether the bytes start like a BMP: 'BM' and an info header size we know. */
export function isBmp(b: Uint8Array): boolean {
  return b.length >= 18 && b[0] === 0x42 && b[1] === 0x4d && INFO_SIZES.has(u32(b, 14))
}

/** The declared size and pixel format, or null when the headers are cut off or impossible. */
export function bmpHeader(b: Uint8Array): BmpHeader | null {
  if (!isBmp(b)) return null
  const infoSize = u32(b, 14)
  if (b.length < 14 + infoSize) return null
  const pixelOffset = u32(b, 10)
  if (infoSize === 12) {
    // OS/2 BITMAPCOREHEADER: unsigned 16-bit width and height, always bottom-up.
    return {
      width: u16(b, 18),
      height: u16(b, 20),
      topDown: false,
      bitsPerPixel: u16(b, 24),
      compression: BI_RGB,
      pixelOffset,
      infoSize,
    }
  }
  const width = i32(b, 18)
  const height = i32(b, 22)
  if (width <= 0 || height === 0 || height === -2147483648) return null
  return {
    width,
    height: Math.abs(height),
    topDown: height < 0,
    bitsPerPixel: u16(b, 28),
    compression: u32(b, 30),
    pixelOffset,
    infoSize,
  }
}

/** Decodes an uncompressed BMP to interleaved 8-bit RGB; the header must be checked first. */
export function decodeBmp(b: Uint8Array, h: BmpHeader): BmpResult {
  const bpp = h.bitsPerPixel
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) {
    return unsupported(`a BMP of ${bpp} bits per pixel is not a format we read`)
  }
  // OS/2 2.x headers (64 bytes) number their compressions otherwise: 3 is Huffman there.
  const fields =
    h.infoSize !== 64 && (h.compression === BI_BITFIELDS || h.compression === BI_ALPHABITFIELDS)
  const rle8 = h.compression === BI_RLE8 && bpp === 8 && !h.topDown
  if (h.compression !== BI_RGB && !rle8 && !(fields && (bpp === 16 || bpp === 32))) {
    return unsupported('compressed BMPs are not read; save the scan as PNG or JPEG')
  }
  if (h.width <= 0 || h.height <= 0) return corrupt('the BMP has no pixels')
  if (rle8) return decodeRle8(b, h)
  // Rows are padded to 4 bytes.
  const stride = Math.ceil((h.width * bpp) / 32) * 4
  if (h.pixelOffset < 14 + h.infoSize || h.pixelOffset + stride * h.height > b.length) {
    return corrupt('the BMP is truncated')
  }
  const masks = bpp === 16 || bpp === 32 ? channelMasks(b, h, fields) : null
  if (masks === null && (bpp === 16 || bpp === 32)) {
    return corrupt('the BMP colour masks are damaged')
  }
  const palette = bpp <= 8 ? colourTable(b, h) : null
  if (palette === null && bpp <= 8) return corrupt('the BMP colour table is damaged')

  const rgb = new Uint8Array(h.width * h.height * 3)
  for (let y = 0; y < h.height; y++) {
    const row = h.pixelOffset + (h.topDown ? y : h.height - 1 - y) * stride
    for (let x = 0; x < h.width; x++) {
      const o = (y * h.width + x) * 3
      if (palette) {
        const index = paletteIndex(b, row, x, bpp)
        // An index past the table reads as black, as Windows draws it.
        rgb[o] = palette[index * 3] ?? 0
        rgb[o + 1] = palette[index * 3 + 1] ?? 0
        rgb[o + 2] = palette[index * 3 + 2] ?? 0
      } else if (bpp === 24) {
        const p = row + x * 3
        rgb[o] = b[p + 2] ?? 0
        rgb[o + 1] = b[p + 1] ?? 0
        rgb[o + 2] = b[p] ?? 0
      } else if (masks) {
        const value = bpp === 16 ? u16(b, row + x * 2) : u32(b, row + x * 4)
        rgb[o] = masks[0](value)
        rgb[o + 1] = masks[1](value)
        rgb[o + 2] = masks[2](value)
      }
    }
  }
  return { ok: true, width: h.width, height: h.height, rgb }
}

/**
 * BI_RLE8: runs of (count, index); after a 0 byte, 0 ends a row, 1 ends the image, 2 moves by
 * (dx, dy), and n ≥ 3 starts n literal indices padded to an even length. Rows run bottom-up;
 * pixels no code reaches keep index 0.
 */
function decodeRle8(b: Uint8Array, h: BmpHeader): BmpResult {
  const palette = colourTable(b, h)
  if (palette === null) return corrupt('the BMP colour table is damaged')
  const index = new Uint8Array(h.width * h.height)
  let x = 0
  let y = 0
  let p = h.pixelOffset
  const put = (value: number): void => {
    if (x < h.width && y < h.height) index[(h.height - 1 - y) * h.width + x] = value
    x++
  }
  while (y < h.height) {
    if (p + 1 >= b.length) return corrupt('the BMP is truncated')
    const count = b[p] ?? 0
    const value = b[p + 1] ?? 0
    p += 2
    if (count > 0) {
      for (let i = 0; i < count; i++) put(value)
    } else if (value === 0) {
      x = 0
      y++
    } else if (value === 1) {
      break
    } else if (value === 2) {
      if (p + 1 >= b.length) return corrupt('the BMP is truncated')
      x += b[p] ?? 0
      y += b[p + 1] ?? 0
      p += 2
    } else {
      if (p + value > b.length) return corrupt('the BMP is truncated')
      for (let i = 0; i < value; i++) put(b[p + i] ?? 0)
      p += value + (value % 2)
    }
  }
  const rgb = new Uint8Array(h.width * h.height * 3)
  for (let i = 0; i < index.length; i++) {
    const c = index[i] ?? 0
    rgb[i * 3] = palette[c * 3] ?? 0
    rgb[i * 3 + 1] = palette[c * 3 + 1] ?? 0
    rgb[i * 3 + 2] = palette[c * 3 + 2] ?? 0
  }
  return { ok: true, width: h.width, height: h.height, rgb }
}

function paletteIndex(b: Uint8Array, row: number, x: number, bpp: number): number {
  if (bpp === 8) return b[row + x] ?? 0
  const perByte = 8 / bpp
  const byte = b[row + Math.floor(x / perByte)] ?? 0
  const shift = 8 - bpp * ((x % perByte) + 1)
  return (byte >> shift) & ((1 << bpp) - 1)
}

/** The colour table as RGB triples; core headers store 3 bytes an entry, the others 4. */
function colourTable(b: Uint8Array, h: BmpHeader): Uint8Array | null {
  const entrySize = h.infoSize === 12 ? 3 : 4
  const declared = h.infoSize >= 40 ? u32(b, 46) : 0
  const count = declared > 0 ? Math.min(declared, 1 << h.bitsPerPixel) : 1 << h.bitsPerPixel
  // Palettes go with 1, 4 and 8 bits, which never carry masks: the table follows the header.
  const start = 14 + h.infoSize
  // A table cut short by the pixel offset keeps the entries that fit.
  const fit = Math.min(count, Math.floor((h.pixelOffset - start) / entrySize))
  if (fit < 1) return null
  const table = new Uint8Array(fit * 3)
  for (let i = 0; i < fit; i++) {
    const p = start + i * entrySize
    table[i * 3] = b[p + 2] ?? 0
    table[i * 3 + 1] = b[p + 1] ?? 0
    table[i * 3 + 2] = b[p] ?? 0
  }
  return table
}

type Channel = (value: number) => number
type Channels = [red: Channel, green: Channel, blue: Channel]

/** Red, green and blue extractors scaled to 8 bits, from the masks or the defaults. */
function channelMasks(b: Uint8Array, h: BmpHeader, fields: boolean): Channels | null {
  let masks: [number, number, number]
  if (!fields) {
    // Without masks, 16-bit pixels are 5-5-5 and 32-bit pixels are 8-8-8 with an unused byte.
    masks = h.bitsPerPixel === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff]
  } else {
    // The masks sit in the info header from the 52-byte kind on, and after a 40-byte one.
    const at = 14 + 40
    if (b.length < at + 12) return null
    masks = [u32(b, at), u32(b, at + 4), u32(b, at + 8)]
  }
  if (masks.some((m) => m === 0)) return null
  return [channel(masks[0]), channel(masks[1]), channel(masks[2])]
}

function channel(mask: number): Channel {
  let shift = 0
  while (((mask >>> shift) & 1) === 0) shift++
  let bits = 0
  while (((mask >>> (shift + bits)) & 1) === 1 && bits < 32) bits++
  const max = 2 ** Math.min(bits, 31) - 1
  return (value) => {
    const v = Math.floor(((value & mask) >>> 0) / 2 ** shift) % 2 ** bits
    return Math.round((Math.min(v, max) * 255) / max)
  }
}

const u16 = (b: Uint8Array, i: number): number => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8)
const u32 = (b: Uint8Array, i: number): number => u16(b, i) + u16(b, i + 2) * 65536
const i32 = (b: Uint8Array, i: number): number => u32(b, i) | 0
