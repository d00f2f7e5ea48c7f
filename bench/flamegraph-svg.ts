/** Draws a folded profile (bench/flamegraph-fold.ts) as a flame graph SVG, root at the bottom. */
import type { Folded, Frame, FrameKind } from './flamegraph-fold.js'

const WIDTH = 1200
const ROW = 16
const TOP = 46
const FONT_PX = 11
const CHAR_PX = 6.2
/** Frames narrower than this are not drawn (their time still counts in their parents). */
const MIN_PX = 0.3
const COLOURS: Record<FrameKind, [number, number]> = {
  ours: [28, 90], // hue, saturation: orange
  dependency: [205, 60], // blue (express, pino, lmdb…)
  node: [130, 45], // green (Node's own JavaScript)
  v8: [0, 0], // grey (native, GC, program)
}
const KIND_NAMES: Record<FrameKind, string> = {
  ours: 'fdb-live',
  dependency: 'npm dependencies',
  node: 'Node.js internals',
  v8: 'V8 / native / GC',
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function depth(frame: Frame): number {
  let deepest = 0
  for (const child of frame.children.values()) deepest = Math.max(deepest, depth(child))
  return deepest + 1
}

export function renderFlameGraph(folded: Folded, title: string): string {
  const rows = depth(folded.root)
  const height = TOP + rows * ROW + 10
  const scale = WIDTH / (folded.root.total || 1)
  const parts: string[] = []
  const draw = (frame: Frame, x: number, level: number): void => {
    const w = frame.total * scale
    if (w < MIN_PX) return
    const y = height - 10 - (level + 1) * ROW
    const [hue, sat] = COLOURS[frame.kind]
    // A stable shade per name, so neighbours can be told apart.
    let hash = 0
    for (let i = 0; i < frame.name.length; i++) hash = (hash * 31 + frame.name.charCodeAt(i)) | 0
    const light = 58 + (Math.abs(hash) % 20)
    const ms = (frame.total / 1000).toFixed(1)
    const pct = ((frame.total / (folded.root.total || 1)) * 100).toFixed(1)
    const chars = Math.floor((w - 4) / CHAR_PX)
    const text =
      chars < 3
        ? ''
        : frame.name.length <= chars
          ? frame.name
          : `${frame.name.slice(0, chars - 2)}..`
    parts.push(
      `<g><title>${escape(frame.name)} (${ms} ms, ${pct} %)</title>` +
        `<rect x="${x.toFixed(2)}" y="${y}" width="${Math.max(w - 0.5, 0.1).toFixed(2)}" height="${ROW - 1}" fill="hsl(${hue},${sat}%,${light}%)"/>` +
        (text === ''
          ? ''
          : `<text x="${(x + 2).toFixed(2)}" y="${y + ROW - 4}">${escape(text)}</text>`) +
        '</g>',
    )
    let cx = x
    for (const child of [...frame.children.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      draw(child, cx, level + 1)
      cx += child.total * scale
    }
  }
  draw(folded.root, 0, 0)
  const busy = `${(folded.busyUs / 1000).toFixed(0)} ms of CPU in ${(folded.wallUs / 1000).toFixed(0)} ms (idle left out)`
  const legend = (Object.keys(COLOURS) as FrameKind[])
    .map((kind, i) => {
      const [hue, sat] = COLOURS[kind]
      return (
        `<rect x="${10 + i * 170}" y="26" width="12" height="12" fill="hsl(${hue},${sat}%,65%)"/>` +
        `<text x="${26 + i * 170}" y="36">${KIND_NAMES[kind]}</text>`
      )
    })
    .join('')
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="monospace" font-size="${FONT_PX}">` +
    `<rect width="100%" height="100%" fill="white"/>` +
    `<text x="10" y="16" font-size="13">${escape(title)}: ${busy}. Width = CPU time; hover for ms.</text>` +
    legend +
    parts.join('\n') +
    '</svg>\n'
  )
}
