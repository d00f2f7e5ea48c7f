/**
 * Orders ids as the store orders its keys: by their UTF-8 bytes. That is the order of
 * their code points, not of JavaScript's UTF-16 code units: a character above U+FFFF (a
 * surrogate pair, e.g. an emoji) sorts after every other character, including U+E000–U+FFFF.
 */
export function compareIds(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    const xPair = x >= 0xd800 && x <= 0xdfff
    const yPair = y >= 0xd800 && y <= 0xdfff
    if (xPair !== yPair) return xPair ? 1 : -1
    return x - y
  }
  return a.length - b.length
}
