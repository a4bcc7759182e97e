// Files made to hurt an image decoder: small on the wire, enormous to decode.
import sharp from 'sharp'

/**
 * A PDF of a few hundred bytes whose first page draws form X0 ten times, X0 draws X1 ten times,
 * and so on `levels` deep: 10^levels rectangles to render ("billion laughs" for PDF).
 */
export function nestedPdf(levels: number): Buffer {
  const objects: string[] = []
  const forms = Array.from({ length: levels }, (_, k) => 4 + k)
  const draw = (name: string): string =>
    Array.from({ length: 10 }, (_, i) => `q 1 0 0 1 ${i} ${i} cm /${name} Do Q`).join('\n')
  objects.push('<< /Type /Catalog /Pages 2 0 R >>')
  objects.push('<< /Type /Pages /Kids [3 0 R] /Count 1 >>')
  const pageContent = draw('X0')
  objects.push(
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /X0 ${forms[0]} 0 R >> >> /Contents ${4 + levels} 0 R >>`,
  )
  for (let k = 0; k < levels; k++) {
    const last = k === levels - 1
    const content = last ? '0 0 1 1 re f' : draw(`X${k + 1}`)
    const resources = last ? '' : `/Resources << /XObject << /X${k + 1} ${forms[k + 1]} 0 R >> >>`
    objects.push(
      `<< /Type /XObject /Subtype /Form /BBox [0 0 612 792] ${resources} /Length ${content.length} >>\nstream\n${content}\nendstream`,
    )
  }
  objects.push(`<< /Length ${pageContent.length} >>\nstream\n${pageContent}\nendstream`)
  let body = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((object, i) => {
    offsets.push(body.length)
    body += `${i + 1} 0 obj\n${object}\nendobj\n`
  })
  const xref = body.length
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`
  for (const offset of offsets) body += `${String(offset).padStart(10, '0')} 00000 n \n`
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return Buffer.from(body, 'latin1')
}

/** A progressive JPEG of 20000×3200 pixels of one colour: a few hundred KB, 64 megapixels. */
export async function hugeProgressiveJpeg(): Promise<Buffer> {
  return sharp({
    create: { width: 20_000, height: 3200, channels: 3, background: { r: 200, g: 180, b: 160 } },
    limitInputPixels: false,
  })
    .jpeg({ progressive: true, quality: 80 })
    .toBuffer()
}
