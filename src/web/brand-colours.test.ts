import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  NON_TEXT_CONTRAST,
  PAGE_BACKGROUNDS,
  TEXT_CONTRAST,
  brandPalette,
  contrastRatio,
  parseHex,
} from './brand-colours.ts'
import { brandCss } from './html.ts'

const pageCss = readFileSync(new URL('./static/page.css', import.meta.url), 'utf8')

/** Every #rgb colour: 16 levels a channel, 4096 colours. */
function everyShortColour(): string[] {
  const levels = [...'0123456789abcdef']
  return levels.flatMap((r) =>
    levels.flatMap((g) => levels.map((b) => `#${r}${r}${g}${g}${b}${b}`)),
  )
}

/** The custom properties brandCss sets, for the light scheme and for the dark one. */
function propertiesOf(css: string): {
  light: Record<string, string>
  dark: Record<string, string>
} {
  const read = (block: string) =>
    Object.fromEntries([...block.matchAll(/(--[\w-]+):(#[0-9a-f]{6})/g)].map((m) => [m[1], m[2]]))
  const at = css.indexOf('@media (prefers-color-scheme: dark)')
  const light = read(css.slice(0, at))
  return { light, dark: { ...light, ...read(css.slice(at)) } }
}

describe('brand colours', () => {
  it('keeps buttons readable and borders, focus rings and spinners visible for every colour', () => {
    const colours = everyShortColour()
    expect(colours).toHaveLength(4096)
    for (const colour of colours) {
      const { light, dark } = propertiesOf(brandCss(colour))
      for (const scheme of [light, dark]) {
        const brand = parseHex(scheme['--brand'] ?? '')
        const onBrand = parseHex(scheme['--on-brand'] ?? '')
        expect(contrastRatio(onBrand, brand), colour).toBeGreaterThanOrEqual(TEXT_CONTRAST)
      }
      for (const [scheme, grounds] of [
        [light, PAGE_BACKGROUNDS.light],
        [dark, PAGE_BACKGROUNDS.dark],
      ] as const) {
        const accent = parseHex(scheme['--brand-accent'] ?? '')
        for (const ground of grounds) {
          expect(
            contrastRatio(accent, parseHex(ground)),
            `${colour} on ${ground}`,
          ).toBeGreaterThanOrEqual(NON_TEXT_CONTRAST)
        }
      }
    }
  })

  it('leaves a colour that already stands out as it is', () => {
    expect(brandPalette('#3b4cca').accentLight).toBe('#3b4cca')
    expect(brandPalette('#ffff66').accentDark).toBe('#ffff66')
  })

  it('darkens a light colour for the light scheme and lightens a dark one for the dark scheme', () => {
    const yellow = brandPalette('#ffff66')
    expect(yellow.onBrand).toBe('#000000')
    expect(yellow.accentLight).not.toBe('#ffff66')
    const nearBlack = brandPalette('#111111')
    expect(nearBlack.onBrand).toBe('#ffffff')
    expect(nearBlack.accentDark).not.toBe('#111111')
  })

  it('measures against the backgrounds page.css draws, and its defaults follow the same rule', () => {
    const [lightRoot = '', darkRoot = ''] = pageCss.split('@media (prefers-color-scheme: dark)')
    const value = (block: string, name: string) =>
      new RegExp(`${name}:\\s*(#[0-9a-f]{6})`).exec(block)?.[1]
    expect([value(lightRoot, '--bg'), value(lightRoot, '--card')]).toEqual(PAGE_BACKGROUNDS.light)
    expect([value(darkRoot, '--bg'), value(darkRoot, '--card')]).toEqual(PAGE_BACKGROUNDS.dark)
    const defaults = brandPalette(value(lightRoot, '--brand') ?? '')
    expect(value(lightRoot, '--brand-accent')).toBe(defaults.accentLight)
    expect(value(darkRoot, '--brand-accent')).toBe(defaults.accentDark)
  })
})
