import { chunkId, Chunker, contentHash, decodeEntities, htmlToText, kindOf, loadRecords } from '../../../framework/rag/ingest'
import { globToRegExp } from '../../../framework/rag/ingest/glob'
import { decodeUtf8 } from '../../../framework/rag/ingest/loaders'
import { inScope, readFailure, sourceOf } from '../../../framework/rag/ingest/files'
import { markdownHeadings } from '../../../framework/rag/ingest/markdown_headings'

describe('htmlToText', () => {
  it('keeps the visible text: scripts, styles, comments and the head go, blocks become lines', () => {
    const page = `<!DOCTYPE html>
<html><head><title>Refunds &amp; returns</title><style>p { color: red }</style><meta name="x" content="hidden"></head>
<body>
  <!-- a comment that says secret -->
  <script type="text/javascript">var secret = "<p>not text</p>";</script>
  <h1>Refunds</h1><p>Refunds   take <b>five</b>&nbsp;days.</p><ul><li>One</li><li>Two</li></ul>
  <noscript>enable scripts</noscript><p>a &lt; b &amp;&amp; c &gt; d</p>
</body></html>`
    const { text, title } = htmlToText(page)
    expect(title).toBe('Refunds & returns')
    expect(text).toBe('Refunds\n\nRefunds take five days.\n\nOne\n\nTwo\n\na < b && c > d')
    expect(text).not.toMatch(/secret|color|hidden|enable scripts|not text/)
  })

  it('decodes named, decimal and hexadecimal entities; unknown names are left as written', () => {
    expect(decodeEntities('Fish &amp; chips &#8212; &#x263A; &eacute;x &mdash; &#0; &#xD800;')).toBe('Fish & chips — ☺ &eacute;x — \uFFFD \uFFFD')
  })

  it('an unclosed script hides the rest of the page rather than leaking code', () => {
    expect(htmlToText('<p>before</p><script>let a = 1').text).toBe('before')
  })
})

describe('loadRecords', () => {
  it('JSONL: one record per line, text from text/content/body, other scalar fields as metadata', () => {
    const jsonl = [
      '{"id": 7, "text": "Refunds take five days", "lang": "en", "tags": ["a"], "extra": null, "ok": true}',
      '',
      '{"content": "Shipping is free", "title": "Shipping"}',
      '{"body": "Returns within 30 days", "text": ""}',
      '{"question": "no text field", "answer": 42}',
      '"a plain string"',
    ].join('\r\n')
    expect(loadRecords(jsonl, 'jsonl')).toEqual([
      { text: 'Refunds take five days', metadata: { id: 7, lang: 'en', ok: true, record: 0 } },
      { text: 'Shipping is free', metadata: { title: 'Shipping', record: 1 } },
      { text: 'Returns within 30 days', metadata: { text: '', record: 2 } },
      { text: '{\n  "question": "no text field",\n  "answer": 42\n}', metadata: { question: 'no text field', answer: 42, record: 3 } },
      { text: 'a plain string', metadata: { record: 4 } },
    ])
  })

  it('JSON: an array gives a record per element, an object one record', () => {
    expect(loadRecords('[{"text":"a"},{"text":"b","n":1}]', 'json')).toEqual([
      { text: 'a', metadata: { record: 0 } },
      { text: 'b', metadata: { n: 1, record: 1 } },
    ])
    expect(loadRecords('{"body":"only one"}', 'json')).toEqual([{ text: 'only one', metadata: { record: 0 } }])
  })

  it('invalid JSON names the line, for the whole file', () => {
    expect(() => loadRecords('{"text":"ok"}\n{"text": broken}\n', 'jsonl')).toThrow(/^invalid JSON on line 2: /)
    expect(() => loadRecords('[1, 2', 'json')).toThrow(/^invalid JSON: /)
  })

  it('Markdown takes its first heading as the title; HTML its <title>; plain text is itself', () => {
    expect(loadRecords('intro\n\n# Getting started #\n\ntext', 'markdown')).toEqual([{ text: 'intro\n\n# Getting started #\n\ntext', metadata: { title: 'Getting started' } }])
    expect(loadRecords('<title>T</title><p>x</p>', 'html')).toEqual([{ text: 'x', metadata: { title: 'T' } }])
    expect(loadRecords('just text', 'text')).toEqual([{ text: 'just text', metadata: {} }])
  })

  it('kindOf reads the extension; any other file is text', () => {
    expect(['a.md', 'b.MARKDOWN', 'c.htm', 'd.html', 'e.json', 'f.jsonl', 'g.ndjson', 'h.ts', 'README'].map(kindOf)).toEqual([
      'markdown', 'markdown', 'html', 'html', 'json', 'jsonl', 'jsonl', 'text', 'text',
    ])
  })

  it('decodeUtf8 refuses NUL bytes and invalid UTF-8, and drops a byte order mark', () => {
    expect(() => decodeUtf8(Buffer.from('abc\0def'))).toThrow('binary file (contains NUL bytes)')
    expect(() => decodeUtf8(Buffer.from([0xff, 0xfe, 0x41]))).toThrow('not UTF-8 text')
    expect(decodeUtf8(Buffer.from('\uFEFFcafé'))).toBe('café')
  })
})

describe('globToRegExp', () => {
  it.each([
    ['**/*.md', 'a.md', true],
    ['**/*.md', 'x/y/a.md', true],
    ['**/*.md', 'a.txt', false],
    ['*.md', 'x/a.md', false],
    ['guides/**', 'guides/a/b.txt', true],
    ['**/*.{md,txt}', 'x/a.txt', true],
    ['a?.md', 'ab.md', true],
    ['a?.md', 'a/.md', false],
    ['file(1).md', 'file(1).md', true],
  ])('%s on %s is %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected)
  })
})

describe('Chunker', () => {
  const text = Array.from({ length: 60 }, (_, index) => `word${index}`).join(' ')

  it('gives the same ids for the same file, and all new ids when the file changes', async () => {
    const chunker = new Chunker({ chunkSize: 100, chunkOverlap: 10 })
    const file = { source: 'a.txt', fileHash: contentHash(text), kind: 'text' as const, records: [{ text, metadata: {} }] }
    const first = await chunker.chunk(file)
    expect(first.length).toBeGreaterThan(2)
    expect(await chunker.chunk(file)).toEqual(first)
    const changed = await chunker.chunk({ ...file, fileHash: contentHash(`${text}!`) })
    expect(changed.filter((chunk) => first.some((old) => old.id === chunk.id))).toEqual([])
    expect(first[1]).toEqual({ id: chunkId('a.txt', file.fileHash, 1, contentHash(first[1].text)), text: first[1].text, metadata: { source: 'a.txt', chunk: 1, hash: contentHash(first[1].text), file_hash: file.fileHash } })
  })

  it('overlaps consecutive chunks', async () => {
    const chunks = await new Chunker({ chunkSize: 100, chunkOverlap: 30 }).chunk({ source: 'a', fileHash: 'f', kind: 'text', records: [{ text, metadata: {} }] })
    const lastWord = chunks[0].text.split(' ').at(-1)!
    expect(chunks[1].text.startsWith(lastWord) || chunks[1].text.includes(` ${lastWord}`)).toBe(true)
  })

  it('splits each record on its own and numbers chunks across the file; a record field cannot override source or chunk', async () => {
    const chunks = await new Chunker({ chunkSize: 100, chunkOverlap: 0 }).chunk({
      source: 'faq.jsonl',
      fileHash: 'f',
      kind: 'jsonl',
      records: [
        { text: 'first record', metadata: { record: 0, source: 'spoofed', chunk: 99 } },
        { text: '   ', metadata: { record: 1 } },
        { text: 'second record', metadata: { record: 2 } },
      ],
    })
    expect(chunks.map((chunk) => [chunk.text, chunk.metadata.record, chunk.metadata.chunk, chunk.metadata.source])).toEqual([
      ['first record', 0, 0, 'faq.jsonl'],
      ['second record', 2, 1, 'faq.jsonl'],
    ])
  })
})

describe('markdownHeadings', () => {
  const text = [
    'intro before any heading', // 1
    '# Guide', // 2
    '## Install ##', // 3
    '```bash', // 4
    '# not a heading: a comment in code', // 5
    '```', // 6
    '### From source', // 7
    '~~~~', // 8
    '## still code', // 9
    '~~~~', // 10
    '## Usage', // 11
    '#hashtag is not a heading', // 12
    '    # indented four spaces is code', // 13
    '# Appendix', // 14
  ].join('\n')
  const headings = markdownHeadings(text)

  it.each([
    [1, undefined],
    [2, 'Guide'],
    [3, 'Guide > Install'],
    [5, 'Guide > Install'],
    [7, 'Guide > Install > From source'],
    [9, 'Guide > Install > From source'],
    [11, 'Guide > Usage'],
    [13, 'Guide > Usage'],
    [14, 'Appendix'],
  ])('line %i is under %s', (line, trail) => {
    expect(headings.trailAt(line)).toBe(trail)
  })
})

describe('paths and sources', () => {
  it('readFailure turns file system errors into reasons a person reads', () => {
    const failure = (code: string) => Object.assign(new Error(code), { code })
    expect(['ENOENT', 'EACCES', 'EPERM', 'ELOOP', 'EISDIR', 'EIO'].map((code) => readFailure(failure(code)))).toEqual([
      'not found',
      'permission denied',
      'permission denied',
      'broken symbolic link (loop)',
      'is a folder',
      'cannot read: EIO',
    ])
  })

  it('sourceOf is relative to the root with forward slashes; outside the root, absolute', () => {
    expect(sourceOf('/app', '/app/docs/guide.md')).toBe('docs/guide.md')
    expect(sourceOf('/app', '/app')).toBe('')
    expect(sourceOf('/app', '/elsewhere/notes.txt')).toBe('/elsewhere/notes.txt')
    expect(sourceOf('/app', '/app-other/x.md')).toBe('/app-other/x.md')
  })

  it('inScope: a folder covers what is under it (not a sibling sharing its prefix), a file only itself', () => {
    const folder = { source: 'docs', directory: true }
    expect(['docs/a.md', 'docs/deep/b.md', 'docs', 'docs-old/a.md', 'other/a.md'].map((source) => inScope(folder, source))).toEqual([true, true, true, false, false])
    expect(['notes.txt', 'notes.txt.bak'].map((source) => inScope({ source: 'notes.txt', directory: false }, source))).toEqual([true, false])
    expect(['a.md', 'deep/b.md', '/abs/c.md'].map((source) => inScope({ source: '', directory: true }, source))).toEqual([true, true, false])
  })
})
