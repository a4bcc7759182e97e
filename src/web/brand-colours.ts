// The colours the hosted page derives from a tenant's brand colour, so that any colour stays
// readable: text on the brand colour, and an accent (borders, focus ring, spinner) that stands
// out from the page in the light and in the dark colour scheme. Ratios are WCAG 2.x contrast.

/** An sRGB colour, 0–255 a channel. */
export type Rgb = readonly [number, number, number]

/** The page's backgrounds (page.css: --bg and --card in each scheme); a test keeps them equal. */
export const PAGE_BACKGROUNDS = {
  light: ['#f6f7f9', '#ffffff'],
  dark: ['#101217', '#1b1e26'],
} as const

/** WCAG 2.x SC 1.4.3: normal text needs 4.5:1 against its background. */
export const TEXT_CONTRAST = 4.5
/** WCAG 2.x SC 1.4.11: borders and focus indicators need 3:1 against what is next to them. */
export const NON_TEXT_CONTRAST = 3

/** Steps from the brand colour towards black (light scheme) or white (dark scheme). */
const STEPS = 20

export function parseHex(colour: string): Rgb {
  return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)) as unknown as Rgb
}

export function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`
}

/** WCAG 2.x relative luminance of an sRGB colour. */
export function relativeLuminance(rgb: Rgb): number {
  const [r = 0, g = 0, b = 0] = rgb.map((v) => {
    const c = v / 255
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** WCAG 2.x contrast ratio, 1 to 21. */
export function contrastRatio(a: Rgb, b: Rgb): number {
  const la = relativeLuminance(a)
  const lb = relativeLuminance(b)
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05)
}

function mix(from: Rgb, to: Rgb, share: number): Rgb {
  return from.map((c, i) => Math.round(c + ((to[i] ?? c) - c) * share)) as unknown as Rgb
}

/**
 * The brand colour moved towards `towards` in steps until it reaches `NON_TEXT_CONTRAST`
 * against every background; the last step is `towards` itself, which always does (black on
 * the light backgrounds, white on the dark ones).
 */
function accentAgainst(brand: Rgb, backgrounds: readonly string[], towards: Rgb): Rgb {
  const grounds = backgrounds.map(parseHex)
  for (let step = 0; step < STEPS; step++) {
    const candidate = mix(brand, towards, step / STEPS)
    if (grounds.every((bg) => contrastRatio(candidate, bg) >= NON_TEXT_CONTRAST)) return candidate
  }
  return towards
}

export interface BrandPalette {
  brand: string
  /** Text on the brand colour: black or white, whichever contrasts more (always ≥ 4.5:1). */
  onBrand: string
  /** Borders, focus ring and spinner in the light scheme. */
  accentLight: string
  /** The same in the dark scheme. */
  accentDark: string
}

/** The hosted page's colours for a `#rrggbb` brand colour. */
export function brandPalette(colour: string): BrandPalette {
  const brand = parseHex(colour)
  const black: Rgb = [0, 0, 0]
  const white: Rgb = [255, 255, 255]
  const onBrand = contrastRatio(brand, white) >= contrastRatio(brand, black) ? white : black
  return {
    brand: toHex(brand),
    onBrand: toHex(onBrand),
    accentLight: toHex(accentAgainst(brand, PAGE_BACKGROUNDS.light, black)),
    accentDark: toHex(accentAgainst(brand, PAGE_BACKGROUNDS.dark, white)),
  }
}
