/** Named entities common in real pages; any other `&name;` is left as written. */
const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  shy: '',
  copy: '©',
  reg: '®',
  trade: '™',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  sbquo: '‚',
  ldquo: '“',
  rdquo: '”',
  bdquo: '„',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  deg: '°',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶',
  times: '×',
  divide: '÷',
  plusmn: '±',
  frac12: '½',
  frac14: '¼',
  frac34: '¾',
  larr: '←',
  rarr: '→',
  uarr: '↑',
  darr: '↓',
}

/** Elements whose content is never body text a reader sees (the title is returned apart). */
const HIDDEN = ['script', 'style', 'noscript', 'template', 'svg', 'iframe', 'object', 'head', 'title']

/** Elements that start a new line, so words of two paragraphs or cells never run together. */
const BLOCK = /<\/?(?:p|div|br|hr|li|ul|ol|dl|dt|dd|h[1-6]|tr|td|th|table|thead|tbody|section|article|header|footer|nav|aside|main|pre|blockquote|figure|figcaption|form|fieldset|details|summary|address)\b[^>]*>/gi

/**
 * Decodes character references: named (`&amp;`), decimal (`&#233;`) and
 * hexadecimal (`&#xE9;`). Invalid code points become U+FFFD.
 *
 * @example
 * decodeEntities('Fish &amp; chips &#8212; &#x263A;') // 'Fish & chips — ☺'
 */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z][a-z0-9]*);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10)
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\uFFFD'
    }
    return NAMED_ENTITIES[name] ?? NAMED_ENTITIES[name.toLowerCase()] ?? whole
  })
}

/**
 * The text a reader of an HTML page sees, without a DOM parser: comments,
 * scripts, styles and the head go; block elements become line breaks; tags
 * are stripped and entities decoded. The `<title>` is returned apart, as
 * metadata rather than body text.
 *
 * @example
 * htmlToText('<title>Intro</title><p>Fish &amp; chips</p><script>x()</script>') // { title: 'Intro', text: 'Fish & chips' }
 */
export function htmlToText(html: string): { text: string; title?: string } {
  const titleMatch = /<title\b[^>]*>([\s\S]*?)<\/title\s*>/i.exec(html)
  const title = titleMatch ? collapse(decodeEntities(stripTags(titleMatch[1]))) : undefined
  let body = html.replace(/\r\n?/g, '\n').replace(/<!--[\s\S]*?(?:-->|$)/g, ' ').replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ' ')
  for (const tag of HIDDEN) body = body.replace(new RegExp(`<${tag}\\b[^>]*>[\\s\\S]*?(?:</${tag}\\s*>|$)`, 'gi'), ' ')
  body = body.replace(/<!doctype[^>]*>/gi, ' ').replace(BLOCK, '\n')
  const text = decodeEntities(stripTags(body))
    .split('\n')
    .map(collapse)
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
  return title ? { text, title } : { text }
}

/** Removes tags; a lone `<` (as in `a < b`) is text, not a tag. */
function stripTags(html: string): string {
  return html.replace(/<\/?[a-z][^>]*>/gi, ' ')
}

/** Runs of spaces and tabs (and the non-breaking spaces entities became) as one space. */
function collapse(line: string): string {
  return line.replace(/[ \t\f\v\u00a0]+/g, ' ').trim()
}
