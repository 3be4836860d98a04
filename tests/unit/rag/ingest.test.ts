import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { ingest, type IngestOptions, type IngestProgress } from '../../../framework/rag/ingest'
import { MemoryCollection } from './ingest_memory_collection'

const paragraph = (topic: string, words = 40) => Array.from({ length: words }, (_, index) => `${topic}${index % 7}`).join(' ') + '.'

describe('ingest', () => {
  let root: string
  let collection: MemoryCollection
  const write = (path: string, content: string | Buffer) => {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), content)
  }
  const run = (paths: string[], options: Partial<IngestOptions> = {}) =>
    ingest(collection, paths.map((path) => join(root, path)), { chunkSize: 200, chunkOverlap: 20, root, ...options })

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'langvel-ingest-'))
    collection = new MemoryCollection()
  })
  afterEach(() => rmSync(root, { recursive: true, force: true }))

  it('indexes a folder with each chunk naming its source, position, content hash and file hash', async () => {
    write('docs/guide.md', `# Guide\n\n${paragraph('alpha')}\n\n## Next\n\n${paragraph('beta')}\n`)
    write('docs/notes.txt', 'short note about refunds\n')
    const summary = await run(['docs'])
    expect(summary).toEqual({ files: 2, skipped: [], chunks: { added: expect.any(Number), unchanged: 0, removed: 0 }, pruned: [], seconds: expect.any(Number) })
    expect(collection.sources()).toEqual(['docs/guide.md', 'docs/notes.txt'])
    const guide = collection.chunksOf('docs/guide.md')
    expect(guide.length).toBeGreaterThan(1)
    expect(summary.chunks.added).toBe(guide.length + 1)
    guide.forEach((chunk, position) => {
      expect(chunk.metadata).toEqual({
        title: 'Guide',
        // The section the chunk starts in.
        heading: /beta|## Next/.test(chunk.text) ? 'Guide > Next' : 'Guide',
        source: 'docs/guide.md',
        chunk: position,
        hash: expect.stringMatching(/^[0-9a-f]{16}$/),
        file_hash: guide[0].metadata.file_hash,
      })
      expect(chunk.text.length).toBeLessThanOrEqual(200)
    })
    expect(guide.map((chunk) => chunk.metadata.heading)).toContain('Guide > Next')
    expect(collection.chunksOf('docs/notes.txt')).toEqual([{ id: expect.any(String), text: 'short note about refunds', metadata: expect.objectContaining({ source: 'docs/notes.txt', chunk: 0 }) }])
  })

  it('ingesting unchanged files again writes nothing and counts every chunk unchanged', async () => {
    write('docs/a.md', `# A\n\n${paragraph('alpha', 80)}`)
    write('docs/b.txt', paragraph('beta', 80))
    const first = await run(['docs'])
    const upserts = collection.upserts
    const before = new Map(collection.records)
    const second = await run(['docs'])
    expect(second.chunks).toEqual({ added: 0, unchanged: first.chunks.added, removed: 0 })
    expect(second.files).toBe(2)
    expect(collection.upserts).toBe(upserts)
    expect(collection.records).toEqual(before)
  })

  it('a changed file replaces all its old chunks; other files are untouched', async () => {
    write('docs/a.md', `# A\n\n${paragraph('alpha', 80)}`)
    write('docs/b.md', `# B\n\n${paragraph('beta', 80)}`)
    await run(['docs'])
    const oldA = collection.chunksOf('docs/a.md')
    const b = collection.chunksOf('docs/b.md')
    write('docs/a.md', `# A\n\n${paragraph('gamma', 30)}`)
    const summary = await run(['docs'])
    const newA = collection.chunksOf('docs/a.md')
    expect(summary.chunks).toEqual({ added: newA.length, unchanged: b.length, removed: oldA.length })
    expect(newA.map((chunk) => chunk.text).join(' ')).toContain('gamma0')
    expect(newA.map((chunk) => chunk.text).join(' ')).not.toContain('alpha')
    expect(new Set(newA.map((chunk) => chunk.metadata.file_hash)).size).toBe(1)
    expect(collection.chunksOf('docs/b.md')).toEqual(b)
  })

  it('a write failing mid-file takes back the new chunks, keeps the old version whole, and the next run completes it', async () => {
    write('docs/a.md', paragraph('alpha', 200))
    await run(['docs'])
    const old = collection.chunksOf('docs/a.md')
    write('docs/a.md', paragraph('gamma', 200))
    collection.failUpsertAt = collection.upserts + 1
    await expect(run(['docs'])).rejects.toThrow('store died mid-request')
    expect(collection.chunksOf('docs/a.md')).toEqual(old)

    const retried = await run(['docs'])
    expect(retried.chunks.removed).toBe(old.length)
    expect(collection.chunksOf('docs/a.md').every((chunk) => chunk.text.includes('gamma'))).toBe(true)
  })

  it('prune removes the chunks of deleted files under the given paths, and only those', async () => {
    write('docs/keep.md', 'keep me')
    write('docs/old/gone.md', 'delete me')
    write('other/gone.md', 'outside the ingested path')
    await run(['docs', 'other'])
    unlinkSync(join(root, 'docs/old/gone.md'))
    unlinkSync(join(root, 'other/gone.md'))

    const without = await run(['docs'])
    expect(without.pruned).toEqual([])
    expect(collection.sources()).toEqual(['docs/keep.md', 'docs/old/gone.md', 'other/gone.md'])

    const pruned = await run(['docs'], { prune: true })
    expect(pruned).toMatchObject({ files: 1, pruned: ['docs/old/gone.md'], chunks: { added: 0, unchanged: 1, removed: 1 } })
    expect(collection.sources()).toEqual(['docs/keep.md', 'other/gone.md'])
  })

  it('prune of a file argument that no longer exists removes its chunks', async () => {
    write('notes.txt', 'to be removed')
    await run(['notes.txt'])
    unlinkSync(join(root, 'notes.txt'))
    const summary = await run(['notes.txt'], { prune: true })
    expect(summary).toMatchObject({ files: 0, skipped: [{ path: 'notes.txt', reason: 'not found' }], pruned: ['notes.txt'], chunks: { removed: 1 } })
    expect(await collection.count()).toBe(0)
  })

  it('skips binary, non-UTF-8, oversized, dangling and missing paths with a reason each, and indexes the rest', async () => {
    write('docs/ok.md', 'fine')
    write('docs/image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x00, 0x1a]))
    write('docs/latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9])) // "café" in Latin-1
    write('docs/big.txt', 'x'.repeat(3000))
    write('docs/broken.json', '{"text": ')
    symlinkSync(join(root, 'nowhere.md'), join(root, 'docs/dangling.md'))
    const summary = await run(['docs', 'missing'], { maxFileBytes: 2048 })
    expect(summary.files).toBe(1)
    expect(collection.sources()).toEqual(['docs/ok.md'])
    expect(summary.skipped).toEqual(
      expect.arrayContaining([
        { path: 'missing', reason: 'not found' },
        { path: 'docs/dangling.md', reason: 'broken symbolic link' },
        { path: 'docs/image.png', reason: 'binary file (contains NUL bytes)' },
        { path: 'docs/latin1.txt', reason: 'not UTF-8 text' },
        { path: 'docs/big.txt', reason: 'larger than the 2 KB limit (2.9 KB)' },
        { path: 'docs/broken.json', reason: expect.stringMatching(/^invalid JSON: /) },
      ]),
    )
    expect(summary.skipped).toHaveLength(6)
  })

  it('never takes dot-files or a link leading out of the folder walked (secrets must not become searchable)', async () => {
    write('docs/ok.md', 'fine')
    write('docs/.env', 'OPENAI_API_KEY=sk-secret')
    write('docs/inner.md', 'inside')
    write('outside/secret.txt', 'not for the index')
    symlinkSync(join(root, 'outside/secret.txt'), join(root, 'docs/leak.txt'))
    symlinkSync(join(root, 'docs/inner.md'), join(root, 'docs/alias.md'))
    const summary = await run(['docs'])
    expect(collection.sources()).toEqual(['docs/alias.md', 'docs/inner.md', 'docs/ok.md'])
    expect(summary.skipped).toEqual([{ path: 'docs/leak.txt', reason: 'link out of the folder (not followed)' }])
  })

  it('skips a named pipe without blocking on it', async () => {
    write('docs/ok.txt', 'fine')
    execFileSync('mkfifo', [join(root, 'docs/pipe')])
    const summary = await run(['docs', 'docs/pipe'])
    expect(summary.files).toBe(1)
    expect(summary.skipped).toEqual([{ path: 'docs/pipe', reason: 'not a regular file' }])
  })

  it('the size limit is reported in megabytes', async () => {
    write('big.txt', 'y'.repeat(3 * 1024 * 1024))
    const summary = await run(['big.txt'])
    expect(summary.skipped).toEqual([{ path: 'big.txt', reason: 'larger than the 2 MB limit (3 MB)' }])
  })

  it('--glob picks files under a folder argument; a file named on its own is always taken', async () => {
    write('docs/a.md', 'a')
    write('docs/deep/b.md', 'b')
    write('docs/c.txt', 'c')
    write('docs/.hidden/d.md', 'd')
    write('docs/node_modules/e.md', 'e')
    write('single.txt', 's')
    await run(['docs', 'single.txt'], { glob: '**/*.md' })
    expect(collection.sources()).toEqual(['docs/a.md', 'docs/deep/b.md', 'single.txt'])
  })

  it('a relative path argument is read from the working directory; its source stays relative to the root', async () => {
    write('docs/a.md', 'same text')
    await run(['docs'])
    const ids = [...collection.records.keys()]
    const cwd = process.cwd()
    process.chdir(join(root, 'docs'))
    try {
      const again = await ingest(collection, ['a.md'], { chunkSize: 200, chunkOverlap: 20, root })
      expect(again.chunks).toEqual({ added: 0, unchanged: 1, removed: 0 })
    } finally {
      process.chdir(cwd)
    }
    expect([...collection.records.keys()]).toEqual(ids)
  })

  it('a file outside the root is named by its absolute path', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'langvel-outside-'))
    try {
      writeFileSync(join(outside, 'far.txt'), 'far away')
      await ingest(collection, [join(outside, 'far.txt')], { chunkSize: 200, chunkOverlap: 20, root })
      expect(collection.sources()).toEqual([join(outside, 'far.txt')])
    } finally {
      rmSync(outside, { recursive: true, force: true })
    }
  })

  it('reports progress per file, skipped files included, then the prune', async () => {
    write('a.md', 'one')
    write('b.bin', Buffer.from([0]))
    const events: IngestProgress[] = []
    await run(['a.md', 'b.bin'], { prune: true, onProgress: (event) => events.push(event) })
    expect(events).toEqual([
      { type: 'start', total: 2 },
      { type: 'file', done: 1, total: 2, source: 'a.md', outcome: 'indexed', added: 1, removed: 0 },
      { type: 'file', done: 2, total: 2, source: 'b.bin', outcome: 'skipped', added: 0, removed: 0, reason: 'binary file (contains NUL bytes)' },
      { type: 'prune', sources: [], removed: 0 },
    ])
  })

  it('a stopped ingestion throws E_ABORTED before the next file', async () => {
    write('a.md', 'one')
    write('b.md', 'two')
    const controller = new AbortController()
    const run1 = run(['.'], {
      signal: controller.signal,
      onProgress: (event) => {
        if (event.type === 'file' && event.done === 1) controller.abort(new Error('stopped by the user'))
      },
    })
    await expect(run1).rejects.toMatchObject({ code: 'E_ABORTED' })
    expect(collection.sources()).toEqual(['a.md'])
  })

  it.each([
    [{ chunkSize: 0, chunkOverlap: 0 }],
    [{ chunkSize: 100, chunkOverlap: 100 }],
    [{ chunkSize: 100, chunkOverlap: -1 }],
    [{ chunkSize: 1.5, chunkOverlap: 0 }],
  ])('refuses chunk settings %j with E_INVALID_INPUT before reading anything', async (settings) => {
    write('a.md', 'one')
    await expect(run(['a.md'], settings)).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    expect(collection.upserts).toBe(0)
  })
})
