import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createLogger } from '../../../framework/logger'
import { FakeEmbeddings, LocalChroma, RagManager } from '../../../framework/rag'
import { ingest, ingestTarget, type IngestOptions } from '../../../framework/rag/ingest'
import type { Embeddings } from '../../../framework/rag/types'
import { getMetrics } from '../../../framework/observability/metrics'
import { metricValue } from './support/rag'

/** Fake embeddings that fail on the n-th embedDocuments call (1-based): a provider dying mid-file. */
class FailingEmbeddings extends FakeEmbeddings implements Embeddings {
  calls = 0
  failAt?: number

  override async embedDocuments(texts: string[]): Promise<number[][]> {
    this.calls++
    if (this.calls === this.failAt) throw new Error('embedding provider went away')
    return super.embedDocuments(texts)
  }
}

const words = (topic: string, count: number) => Array.from({ length: count }, (_, index) => `${topic}${index % 9}`).join(' ')

/**
 * Ingestion against a real Chroma server (the `chroma` binary chromadb
 * installs) with deterministic fake embeddings.
 */
describe('ingest into Chroma', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-ingest-chroma-'))
  const chroma = new LocalChroma({ path: join(base, 'chroma') })
  let app: Application
  let rag: RagManager
  let embeddings: FailingEmbeddings
  let name: string
  let counter = 0

  const write = (path: string, content: string | Buffer) => {
    mkdirSync(dirname(join(base, path)), { recursive: true })
    writeFileSync(join(base, path), content)
  }
  const run = (paths: string[], options: Partial<IngestOptions> = {}) =>
    ingest(ingestTarget(rag, name), paths.map((path) => join(base, path)), { chunkSize: 200, chunkOverlap: 20, root: base, ...options })
  const stored = async (source?: string) => {
    const records = await rag.store.get(name, source ? { where: { source } } : {})
    return records.sort((a, b) => String(a.metadata.source).localeCompare(String(b.metadata.source)) || Number(a.metadata.chunk) - Number(b.metadata.chunk))
  }

  beforeAll(async () => {
    const url = await chroma.start()
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: { APP_ENV: 'test', CHROMA_URL: url, EMBEDDINGS_PROVIDER: 'fake' },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
  })

  beforeEach(() => {
    embeddings = new FailingEmbeddings()
    rag = new RagManager({ config: app.config.get('rag'), appEnv: 'test', basePath: base, embeddings })
    name = `ingest-${++counter}`
    rmSync(join(base, 'docs'), { recursive: true, force: true })
  })
  afterEach(() => rag.close())

  afterAll(async () => {
    await app?.shutdown()
    await chroma.stop()
    rmSync(base, { recursive: true, force: true })
  })

  it('a second run over unchanged files adds nothing and embeds nothing', async () => {
    write('docs/a.md', `# A\n\n${words('alpha', 120)}`)
    write('docs/b.txt', words('beta', 50))
    const first = await run(['docs'])
    expect(first.files).toBe(2)
    expect(first.chunks.added).toBeGreaterThan(2)
    expect(await rag.collection(name).count()).toBe(first.chunks.added)

    const calls = embeddings.calls
    const second = await run(['docs'])
    expect(second.chunks).toEqual({ added: 0, unchanged: first.chunks.added, removed: 0 })
    expect(embeddings.calls).toBe(calls)
    expect(await rag.collection(name).count()).toBe(first.chunks.added)
  })

  it('an edited file replaces its chunks: the old ones are gone, the new ones in, other files untouched', async () => {
    write('docs/a.md', words('alpha', 120))
    write('docs/b.md', words('beta', 120))
    await run(['docs'])
    const before = await stored()
    const oldA = before.filter((record) => record.metadata.source === 'docs/a.md')
    const b = before.filter((record) => record.metadata.source === 'docs/b.md')

    write('docs/a.md', words('gamma', 40))
    const summary = await run(['docs'])
    const newA = await stored('docs/a.md')
    expect(summary.chunks).toEqual({ added: newA.length, unchanged: b.length, removed: oldA.length })
    expect(newA.map((record) => record.text).join(' ')).not.toContain('alpha')
    expect(newA.map((record) => record.id).filter((id) => oldA.some((old) => old.id === id))).toEqual([])
    expect(await stored('docs/b.md')).toEqual(b)
    expect(await rag.collection(name).count()).toBe(newA.length + b.length)
  })

  it('embeddings failing mid-file leave the previous version whole; the next run completes the change', async () => {
    write('docs/a.md', words('alpha', 400))
    await run(['docs'])
    const old = await stored('docs/a.md')
    expect(old.length).toBeGreaterThan(2)

    // A batch of the collection is 64 texts and ingestion writes 64 chunks at a time: fail the second write.
    write('docs/a.md', Array.from({ length: 100 }, (_, index) => `paragraph ${index} ${words('gamma', 30)}`).join('\n\n'))
    embeddings.failAt = embeddings.calls + 2
    await expect(run(['docs'])).rejects.toThrow('embedding provider went away')
    expect(await stored('docs/a.md')).toEqual(old)

    const retried = await run(['docs'])
    expect(retried.chunks.removed).toBe(old.length)
    const now = await stored('docs/a.md')
    expect(now.length).toBe(retried.chunks.added)
    expect(now.every((record) => record.text.includes('gamma'))).toBe(true)
  })

  it('--prune removes the chunks of a deleted file under the path', async () => {
    write('docs/keep.md', 'keep this one')
    write('docs/gone.md', 'this one will be deleted')
    await run(['docs'])
    unlinkSync(join(base, 'docs/gone.md'))
    expect((await run(['docs'])).pruned).toEqual([])
    expect(new Set((await stored()).map((record) => record.metadata.source))).toEqual(new Set(['docs/keep.md', 'docs/gone.md']))

    const summary = await run(['docs'], { prune: true })
    expect(summary).toMatchObject({ pruned: ['docs/gone.md'], chunks: { added: 0, unchanged: 1, removed: 1 } })
    expect((await stored()).map((record) => record.metadata.source)).toEqual(['docs/keep.md'])
  })

  it('skips binary, oversized and unreadable paths with a reason each, and stores the rest', async () => {
    write('docs/ok.md', 'readable text')
    write('docs/photo.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]))
    write('docs/huge.txt', 'z'.repeat(5000))
    const summary = await run(['docs', 'nothing-here'], { maxFileBytes: 4096 })
    expect(summary.files).toBe(1)
    expect(summary.skipped).toEqual([
      { path: 'nothing-here', reason: 'not found' },
      { path: 'docs/huge.txt', reason: 'larger than the 4 KB limit (4.9 KB)' },
      { path: 'docs/photo.jpg', reason: 'binary file (contains NUL bytes)' },
    ])
    expect((await stored()).map((record) => record.metadata.source)).toEqual(['docs/ok.md'])
  })

  it('HTML is stored as its visible text with its title; JSONL as one record per line with its fields as metadata', async () => {
    write('docs/page.html', '<html><head><title>Returns &amp; refunds</title><style>body{}</style></head><body><script>track()</script><h1>Returns</h1><p>Send it back within 30&nbsp;days.</p></body></html>')
    write('docs/faq.jsonl', '{"question":"Where?","content":"Our office is in Lisbon","team":"ops","views":12,"tags":["x"]}\n{"body":"Support answers within a day","team":"support"}\n')
    await run(['docs'])
    const page = await stored('docs/page.html')
    expect(page.map((record) => record.text)).toEqual(['Returns\n\nSend it back within 30 days.'])
    expect(page[0].metadata).toMatchObject({ title: 'Returns & refunds', source: 'docs/page.html', chunk: 0 })
    const faq = await stored('docs/faq.jsonl')
    expect(faq.map((record) => [record.text, record.metadata])).toEqual([
      ['Our office is in Lisbon', { question: 'Where?', team: 'ops', views: 12, record: 0, source: 'docs/faq.jsonl', chunk: 0, hash: expect.any(String), file_hash: expect.any(String) }],
      ['Support answers within a day', { team: 'support', record: 1, source: 'docs/faq.jsonl', chunk: 1, hash: expect.any(String), file_hash: expect.any(String) }],
    ])
    const [best] = await rag.collection(name).search('which team is in the office in Lisbon', { k: 1, filter: { team: 'ops' } })
    expect(best).toMatchObject({ source: 'docs/faq.jsonl', chunk: 0 })
  })

  it('a search over an ingested corpus ranks the document about the query first', async () => {
    write('docs/refunds.md', '# Refunds\n\nRefunds are paid back to the original card within five business days of the return arriving.')
    write('docs/shipping.md', '# Shipping\n\nParcels ship from the Lisbon warehouse; delivery takes two days in Portugal.')
    write('docs/passwords.md', '# Passwords\n\nReset a forgotten password from the sign-in page; the reset link expires after an hour.')
    write('docs/invoices.md', '# Invoices\n\nInvoices are emailed as PDF at the start of every month and list each subscription.')
    await run(['docs'])
    const search = async (query: string) => (await rag.collection(name).search(query, { k: 4 }))[0].source
    expect(await search('how many days until refunds reach my card')).toBe('docs/refunds.md')
    expect(await search('forgotten password reset link')).toBe('docs/passwords.md')
    expect(await search('when are invoices emailed')).toBe('docs/invoices.md')
  })

  it('records each run on the ingest duration histogram, and a failed run as an ingest error', async () => {
    const { registry } = getMetrics()
    const errors = () => metricValue(registry, 'langvel_rag_errors_total', { operation: 'ingest', kind: 'other' })
    write('docs/a.md', 'measured')
    const errorsBefore = await errors()
    await run(['docs'])
    await run(['docs'])
    expect(await metricValue(registry, 'langvel_rag_ingest_duration_seconds', { collection: name })).toBe(2)

    write('docs/a.md', 'changed, and the provider fails')
    embeddings.failAt = embeddings.calls + 1
    await expect(run(['docs'])).rejects.toThrow('embedding provider went away')
    expect(await metricValue(registry, 'langvel_rag_ingest_duration_seconds', { collection: name })).toBe(2)
    expect(await errors()).toBe(errorsBefore + 1)
  })
})
