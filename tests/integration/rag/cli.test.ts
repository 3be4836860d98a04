import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { LocalChroma } from '../../../framework/rag'
import { cli, scratch } from '../../unit/console/cli_harness'

const PRODUCTION = { APP_ENV: 'production', JWT_SECRET_KEY: 'k'.repeat(48) }

/** The rag:* commands in-process against a real Chroma, on the fake embeddings. */
describe('rag:* commands', () => {
  const storage = scratch('langvel-cli-chroma-')
  const chroma = new LocalChroma({ path: join(storage.dir, 'data') })
  let url: string
  let project: ReturnType<typeof scratch>
  let name: string
  let counter = 0
  const env = () => ({ CHROMA_URL: url, EMBEDDINGS_PROVIDER: 'fake' })
  const run = (args: string[], extra: Record<string, string> = {}) => cli(project.dir, args, { ...env(), ...extra })
  const write = (path: string, content: string | Buffer) => {
    mkdirSync(dirname(join(project.dir, path)), { recursive: true })
    writeFileSync(join(project.dir, path), content)
  }
  const docs = () => join(project.dir, 'docs')

  beforeAll(async () => {
    url = await chroma.start()
  })
  afterAll(async () => {
    await chroma.stop()
    storage.cleanup()
  })

  beforeEach(() => {
    project = scratch('langvel-rag-cli-')
    name = `cli-${++counter}`
    write('docs/refunds.md', '# Refunds\n\nRefunds are paid back to the original card within five business days.')
    write('docs/shipping.html', '<html><head><title>Shipping</title></head><body><p>Parcels ship from the Lisbon warehouse &amp; arrive in two days.</p></body></html>')
    write('docs/faq.jsonl', '{"content":"Reset a forgotten password from the sign-in page","topic":"accounts"}\n')
  })
  afterEach(() => project.cleanup())

  it('rag:ingest --json prints the summary as the only thing on stdout; a second run adds nothing', async () => {
    const first = await run(['rag:ingest', docs(), '--collection', name, '--json'])
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toEqual({ collection: name, files: 3, skipped: [], chunks: { added: 3, unchanged: 0, removed: 0 }, pruned: [], seconds: expect.any(Number) })
    for (const source of ['docs/faq.jsonl', 'docs/refunds.md', 'docs/shipping.html']) expect(first.stderr).toContain(source)

    const second = await run(['rag:ingest', docs(), '--collection', name, '--json'])
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout)).toMatchObject({ files: 3, chunks: { added: 0, unchanged: 3, removed: 0 } })
  })

  it('rag:ingest prints a summary: files, chunks, skipped paths with their reasons, pruned files', async () => {
    write('docs/logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00]))
    const first = await run(['rag:ingest', docs(), '-c', name])
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(new RegExp(`^done {2}Ingested 3 files into "${name}" in \\d+\\.\\ds\\n`))
    expect(first.stdout).toContain('Chunks: 3 added, 0 unchanged, 0 removed\n')
    expect(first.stdout).toContain('Skipped 1 path:\n  docs/logo.png: binary file (contains NUL bytes)\n')

    unlinkSync(join(project.dir, 'docs/refunds.md'))
    const pruned = await run(['rag:ingest', docs(), '-c', name, '--prune', '--glob', '**/*.{md,html,jsonl}'])
    expect(pruned.code).toBe(0)
    expect(pruned.stdout).toContain('Chunks: 0 added, 2 unchanged, 1 removed\nPruned: docs/refunds.md\n')
    expect(pruned.stdout).not.toContain('Skipped')
    const collections = JSON.parse((await run(['rag:collections', '--json'])).stdout) as Array<{ name: string; count: number }>
    expect(collections.find((collection) => collection.name === name)?.count).toBe(2)
  })

  it('rag:query --json ranks the matching chunk first with its score, source and chunk', async () => {
    await run(['rag:ingest', docs(), '--collection', name])
    const result = await run(['rag:query', 'when will refunds reach my card', '--collection', name, '--k', '2', '--json'])
    expect(result.code).toBe(0)
    expect(result.stderr).toBe('')
    const parsed = JSON.parse(result.stdout)
    expect(parsed).toMatchObject({ collection: name, query: 'when will refunds reach my card' })
    expect(parsed.results).toHaveLength(2)
    expect(parsed.results[0]).toEqual({
      rank: 1,
      score: expect.any(Number),
      id: expect.any(String),
      source: 'docs/refunds.md',
      chunk: 0,
      text: expect.stringContaining('five business days'),
      metadata: expect.objectContaining({ source: 'docs/refunds.md', chunk: 0, title: 'Refunds' }),
    })
    expect(parsed.results[0].score).toBeGreaterThan(parsed.results[1].score)
    expect(parsed.results[1].rank).toBe(2)
  })

  it('rag:query prints a table of rank, score, source#chunk and a snippet', async () => {
    await run(['rag:ingest', docs(), '--collection', name])
    const result = await run(['rag:query', 'forgotten password', '-c', name, '-k', '1'])
    expect(result.code).toBe(0)
    const lines = result.stdout.trimEnd().split('\n').map((line) => line.split(/\s{2,}/))
    expect(lines).toEqual([
      ['#', 'Score', 'Source', 'Text'],
      [expect.stringMatching(/^-+$/), expect.stringMatching(/^-+$/), expect.stringMatching(/^-+$/), expect.stringMatching(/^-+$/)],
      ['1', expect.stringMatching(/^[01]\.\d{3}$/), 'docs/faq.jsonl#0', 'Reset a forgotten password from the sign-in page'],
    ])
  })

  it('rag:query on a collection that does not exist is E_COLLECTION_NOT_FOUND, with nothing on stdout', async () => {
    const result = await run(['rag:query', 'anything', '--collection', 'never-made', '--json'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^error \[E_COLLECTION_NOT_FOUND\] Collection "never-made" does not exist\n/)
  })

  it('rag:collections lists each collection with its count and the embeddings it was built with', async () => {
    await run(['rag:ingest', docs(), '--collection', name])
    const json = await run(['rag:collections', '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual(expect.arrayContaining([{ name, count: 3, embedding_provider: 'fake', embedding_model: 'fake-hash-64', dimensions: 64 }]))
    const table = await run(['rag:collections'])
    expect(table.stdout.split('\n')[0].split(/\s{2,}/)).toEqual(['Collection', 'Chunks', 'Provider', 'Model', 'Dimensions'])
    expect(table.stdout.split('\n').map((line) => line.split(/\s{2,}/))).toContainEqual([name, '3', 'fake', 'fake-hash-64', '64'])
  })

  it('rag:drop is refused in production without --force; with it the collection is gone', async () => {
    await run(['rag:ingest', docs(), '--collection', name])
    const refused = await run(['rag:drop', name, '--json'], PRODUCTION)
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `error [E_PRODUCTION_GUARD] Refusing to drop the collection "${name}" in production\nerror Pass --force if you really mean it.\n` })
    expect(JSON.parse((await run(['rag:collections', '--json'])).stdout).map((info: { name: string }) => info.name)).toContain(name)

    const dropped = await run(['rag:drop', name, '--force', '--json'], PRODUCTION)
    expect(dropped.code).toBe(0)
    expect(JSON.parse(dropped.stdout)).toEqual({ collection: name, dropped: true })
    expect(dropped.stderr).toBe(`done  Dropped collection "${name}"\n`)
    expect(JSON.parse((await run(['rag:collections', '--json'])).stdout).map((info: { name: string }) => info.name)).not.toContain(name)

    const again = await run(['rag:drop', name])
    expect(again).toEqual({ code: 0, stdout: `info  Collection "${name}" does not exist; nothing to drop\n`, stderr: '' })
  })

  it('in production without CHROMA_URL, rag:ingest fails at once with the configuration error and starts no Chroma', async () => {
    const result = await cli(project.dir, ['rag:ingest', docs(), '--collection', name], { ...PRODUCTION, EMBEDDINGS_PROVIDER: 'fake' })
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(/^error \[E_INVALID_CONFIG\] Invalid configuration \(1 problem\):\n {2}- CHROMA_URL: is required/)
    expect(result.stderr).not.toMatch(/to read|refunds\.md/)
    expect(existsSync(join(project.dir, 'storage', 'chroma'))).toBe(false)
  })

  it.each([
    [['rag:ingest', 'docs'], 'E_INVALID_INPUT', '--collection <name> is required'],
    [['rag:ingest', 'docs', '-c', 'x1x', '--chunk-size', 'big'], 'E_INVALID_INPUT', '--chunk-size must be a whole number, got "big"'],
    [['rag:ingest', 'docs', '-c', 'x1x', '--chunk-size', '100', '--chunk-overlap', '100'], 'E_INVALID_INPUT', 'chunk overlap (100) must be smaller than the chunk size (100)'],
    [['rag:ingest', 'docs', '-c', 'x1x', '--max-file-size', '0'], 'E_INVALID_INPUT', '--max-file-size must be a number of megabytes above 0, got "0"'],
    [['rag:ingest', 'docs', '-c', 'a b'], 'E_INVALID_COLLECTION', 'Invalid collection name "a b"'],
    [['rag:query', 'hi', '-c', 'x1x', '-k', '-3'], 'E_INVALID_INPUT', '--k must be a whole number, got "-3"'],
    [['rag:query', 'hi'], 'E_INVALID_INPUT', '--collection <name> is required'],
  ])('%j fails with %s', async (args, code, message) => {
    const result = await run([...args, '--json'])
    expect(result.code).toBe(1)
    expect(result.stdout).toBe('')
    const expected = `error [${code}] ${message}`
    expect(result.stderr.slice(0, expected.length)).toBe(expected)
  })

  it('with the local model, rag:query finds the document by meaning, not shared words', async () => {
    write('docs/cooking.md', '# Pasta\n\nBoil the spaghetti in salted water for nine minutes, then drain it.')
    write('docs/travel.md', '# Trains\n\nThe night train from Paris to Vienna leaves at eight in the evening.')
    write('docs/pets.md', '# Cats\n\nA kitten needs several small meals a day and a warm place to sleep.')
    const local = { EMBEDDINGS_PROVIDER: 'local' }
    expect((await run(['rag:ingest', docs(), '-c', name, '--glob', '{cooking,travel,pets}.md', '--json'], local)).code).toBe(0)
    const best = async (query: string) => JSON.parse((await run(['rag:query', query, '-c', name, '--json'], local)).stdout).results[0].source
    expect(await best('how do I make noodles for dinner')).toBe('docs/cooking.md')
    expect(await best('railway journey across Europe')).toBe('docs/travel.md')
    expect(await best('feeding a young cat')).toBe('docs/pets.md')
  })
})
