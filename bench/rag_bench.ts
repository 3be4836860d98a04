import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { ChromaClient } from 'chromadb'
import { Registry } from 'prom-client'
import type { Output } from '../framework/console/output'
import { FakeEmbeddings } from '../framework/rag/embeddings/fake_embeddings'
import { LocalEmbeddings } from '../framework/rag/embeddings/local_embeddings'
import { ingest, ingestTarget } from '../framework/rag/ingest'
import { LocalChroma } from '../framework/rag/local_chroma'
import { RagManager, type RagConfig } from '../framework/rag/rag_manager'
import { RagMetrics } from '../framework/rag/rag_metrics'
import { candidateCount, rankMatches } from '../framework/rag/ranking'
import type { Embeddings, SearchOptions } from '../framework/rag/types'
import { resultName } from './options'
import { summarizeLatencies, type LatencySummary } from './harness/percentiles'
import { readProcessMemory, toMb } from './harness/rss'
import { writeResult } from './harness/write_result'
import { loadQuestions, measureQuality, type QualityReport, type Searchable } from './rag_quality'

export const RAG_USAGE = `Usage: npm run bench -- rag [options]

  Ingests a generated Markdown corpus into a Chroma of its own, times searches
  through Langvel against the same searches with the bare chromadb client, and
  measures retrieval quality on docs/ (bench/fixtures/rag/questions.json).

  --name <name>          result file bench/results/<name>.json (default: rag-<timestamp>)
  --chunks <n>           chunks to ingest, at least (default 5000)
  --queries <n>          measured searches per client (default 500)
  --k <n>                results per search (default 5)
  --embeddings <p>       embeddings of the corpus and the latency runs: fake (default: measures Langvel and Chroma,
                         not a model) or local (the offline model; slow to ingest)
  --quality <list>       embeddings to measure quality with, comma-separated (default fake,local)
  -h, --help             this text
`

interface RagBenchOptions {
  name: string
  chunks: number
  queries: number
  k: number
  embeddings: 'fake' | 'local'
  quality: Array<'fake' | 'local'>
  help: boolean
}

/** The corpus ingestion settings: the CLI's defaults. */
const CHUNK_SIZE = 1000
const CHUNK_OVERLAP = 150
const WARMUP_QUERIES = 30

export function parseRagBenchArgs(argv: string[], now = new Date()): RagBenchOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string' },
      chunks: { type: 'string' },
      queries: { type: 'string' },
      k: { type: 'string' },
      embeddings: { type: 'string' },
      quality: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (positionals.length > 0) throw new Error(`unexpected argument: ${positionals.join(' ')}`)
  const name = resultName(values.name, 'rag', now)
  const provider = (value: string, flag: string): 'fake' | 'local' => {
    if (value !== 'fake' && value !== 'local') throw new Error(`${flag} ${JSON.stringify(value)}: expected fake or local`)
    return value
  }
  return {
    name,
    chunks: integer('--chunks', values.chunks, 5000, 1, 1_000_000),
    queries: integer('--queries', values.queries, 500, 1, 1_000_000),
    k: integer('--k', values.k, 5, 1, 100),
    embeddings: provider(values.embeddings ?? 'fake', '--embeddings'),
    quality: (values.quality ?? 'fake,local')
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean)
      .map((value) => provider(value, '--quality')),
    help: values.help ?? false,
  }
}

interface RagBenchContext {
  root: string
  output: Output
}

/**
 * `npm run bench -- rag`: ingestion throughput (chunks/s through
 * rag:ingest's code), search latency through a RagCollection against the
 * bare chromadb client on the same Chroma and queries (run in turn, one
 * search at a time), memory, and retrieval quality (hit@3, MRR) on docs/.
 * Prints tables and writes bench/results/<name>.json. Resolves with the exit code.
 *
 * @example
 * await runRagBench(['--chunks', '5000'], { root, output })
 */
export async function runRagBench(argv: string[], context: RagBenchContext): Promise<number> {
  const { output, root } = context
  let options: RagBenchOptions
  try {
    options = parseRagBenchArgs(argv)
  } catch (error) {
    output.error(error instanceof Error ? error.message : String(error))
    process.stderr.write(`\n${RAG_USAGE}`)
    return 2
  }
  if (options.help) {
    output.line(RAG_USAGE)
    return 0
  }
  const scratch = mkdtempSync(join(tmpdir(), 'langvel-bench-rag-'))
  const chroma = new LocalChroma({ path: join(scratch, 'chroma') })
  const managers: RagManager[] = []
  try {
    const url = await chroma.start()
    output.info(`chroma ${url} (pid ${chroma.pid}), data in ${scratch}`)
    const rssAtStart = process.memoryUsage().rss
    const manager = (embeddings: Embeddings) => {
      const created = new RagManager({ config: ragConfig(url, options.k), appEnv: 'test', basePath: root, embeddings, metrics: new RagMetrics(new Registry()) })
      managers.push(created)
      return created
    }

    // Ingestion: a generated corpus through the ingestion code, as `langvel rag:ingest` runs it.
    const corpus = join(scratch, 'corpus')
    const files = writeCorpus(corpus, options.chunks)
    const rag = manager(embeddingsFor(options.embeddings))
    output.info(`ingesting ${files} generated files (${options.embeddings} embeddings)...`)
    const summary = await ingest(ingestTarget(rag, 'bench-corpus'), [corpus], { chunkSize: CHUNK_SIZE, chunkOverlap: CHUNK_OVERLAP, root: corpus })
    const ingestion = {
      embeddings: options.embeddings,
      files: summary.files,
      chunks: summary.chunks.added,
      seconds: summary.seconds,
      chunksPerSecond: round(summary.chunks.added / summary.seconds),
    }
    const rssAfterIngest = process.memoryUsage().rss

    // Latency: the same queries through Langvel and through the bare client, in turn.
    const queries = corpusQueries(options.queries + WARMUP_QUERIES)
    const latency = await compareLatency(rag, url, queries, options.k)
    const rssAfterQueries = process.memoryUsage().rss
    const chromaMemory = chroma.pid ? readProcessMemory(chroma.pid) : undefined

    // Quality: docs/ per embeddings provider, as shipped and against vector-only ranking.
    const quality: Record<string, QualityFigures> = {}
    for (const provider of options.quality) {
      output.info(`quality on docs/ with ${provider} embeddings...`)
      quality[provider] = await measureProvider(manager(embeddingsFor(provider)), root, options.k)
    }

    const result = {
      kind: 'rag',
      name: options.name,
      date: new Date().toISOString(),
      node: process.version,
      options: { chunks: options.chunks, queries: options.queries, k: options.k, embeddings: options.embeddings, chunkSize: CHUNK_SIZE, chunkOverlap: CHUNK_OVERLAP },
      ingestion,
      latency,
      memory: {
        benchRssStartMb: toMb(rssAtStart),
        benchRssAfterIngestMb: toMb(rssAfterIngest),
        benchRssAfterQueriesMb: toMb(rssAfterQueries),
        chromaRssMb: chromaMemory ? toMb(chromaMemory.rss) : null,
        chromaPeakMb: chromaMemory ? toMb(chromaMemory.peak) : null,
      },
      quality,
    }
    printResult(output, result)
    output.success(`wrote ${writeResult(root, options.name, result)}`)
    return 0
  } finally {
    for (const created of managers) await created.close()
    await chroma.stop()
    rmSync(scratch, { recursive: true, force: true })
  }
}

interface LatencyFigures {
  queries: number
  k: number
  /** RagCollection.search: embed the query, query Chroma for candidateCount(k), rank, cut to k. */
  langvel: LatencySummary
  /** The same embedding, then the chromadb client's collection.query for k results. */
  bare: LatencySummary
  /** The bare client asked for as many results as Langvel's search asks Chroma for. */
  bareCandidates: LatencySummary
  candidates: number
  /** Langvel's p50 over the bare client's, as a share (0.1 = 10% slower). */
  overheadP50: number
  overheadP50Ms: number
}

async function compareLatency(rag: RagManager, url: string, queries: string[], k: number): Promise<LatencyFigures> {
  const collection = rag.collection('bench-corpus')
  const embeddings = rag.embeddings
  const address = new URL(url)
  const client = new ChromaClient({ host: address.hostname, port: Number(address.port), ssl: false })
  const bare = await client.getCollection({ name: 'bench-corpus' })
  const candidates = candidateCount(k)
  const include = ['documents', 'metadatas', 'distances'] as never
  const runs: Record<'langvel' | 'bare' | 'bareCandidates', (query: string) => Promise<unknown>> = {
    langvel: (query) => collection.search(query, { k }),
    bare: async (query) => bare.query({ queryEmbeddings: [await embeddings.embedQuery(query)], nResults: k, include }),
    bareCandidates: async (query) => bare.query({ queryEmbeddings: [await embeddings.embedQuery(query)], nResults: candidates, include }),
  }
  const samples: Record<keyof typeof runs, number[]> = { langvel: [], bare: [], bareCandidates: [] }
  const order = Object.keys(runs) as Array<keyof typeof runs>
  for (const [index, query] of queries.entries()) {
    // Each query goes through every client in turn, the order rotating, so drift and caching favour none.
    for (let turn = 0; turn < order.length; turn++) {
      const which = order[(index + turn) % order.length]
      const started = performance.now()
      await runs[which](query)
      if (index >= WARMUP_QUERIES) samples[which].push(performance.now() - started)
    }
  }
  const langvel = summarizeLatencies(samples.langvel)
  const bareSummary = summarizeLatencies(samples.bare)
  return {
    queries: samples.langvel.length,
    k,
    langvel,
    bare: bareSummary,
    bareCandidates: summarizeLatencies(samples.bareCandidates),
    candidates,
    overheadP50: round(langvel.p50 / bareSummary.p50 - 1),
    overheadP50Ms: round(langvel.p50 - bareSummary.p50),
  }
}

interface QualityFigures {
  chunks: number
  ingestSeconds: number
  chunksPerSecond: number
  /** RagCollection.search as it ships. */
  search: Omit<QualityReport, 'outcomes'>
  /** Chroma's k nearest, ranked by vector similarity alone: the ranking before hybrid scoring. */
  vectorOnly: Omit<QualityReport, 'outcomes'>
  /** Chroma's candidateCount(k) nearest, re-ranked by rankMatches (vector + keywords), cut to k. */
  hybrid: Omit<QualityReport, 'outcomes'>
  /** Questions the shipped search misses at 3, with the sources it returned. */
  misses: Array<{ question: string; source: string; top: string[] }>
}

async function measureProvider(rag: RagManager, root: string, k: number): Promise<QualityFigures> {
  const name = `quality-${rag.embeddings.provider}`
  const summary = await ingest(ingestTarget(rag, name), [join(root, 'docs')], { chunkSize: CHUNK_SIZE, chunkOverlap: CHUNK_OVERLAP, root })
  const questions = loadQuestions(root)
  const ranked = (pool: (wanted: number) => number, keywordWeight?: number): Searchable => ({
    search: async (query: string, options: SearchOptions = {}) => {
      const wanted = options.k ?? k
      const vector = await rag.embeddings.embedQuery(query)
      const matches = await rag.store.query(name, vector, { k: pool(wanted) })
      return rankMatches(query, matches, keywordWeight === undefined ? {} : { keywordWeight }).slice(0, wanted)
    },
  })
  const strip = ({ outcomes: _outcomes, ...figures }: QualityReport) => figures
  const shipped = await measureQuality(rag.collection(name), questions)
  return {
    chunks: summary.chunks.added,
    ingestSeconds: summary.seconds,
    chunksPerSecond: round(summary.chunks.added / summary.seconds),
    search: strip(shipped),
    vectorOnly: strip(await measureQuality(ranked((wanted) => wanted, 0), questions)),
    hybrid: strip(await measureQuality(ranked(candidateCount), questions)),
    misses: shipped.outcomes.filter((outcome) => !outcome.hit).map(({ question, source, top }) => ({ question, source, top })),
  }
}

function printResult(output: Output, result: { ingestion: Record<string, unknown>; latency: LatencyFigures; memory: Record<string, number | null>; quality: Record<string, QualityFigures> }): void {
  const { ingestion, latency, memory } = result
  output.line()
  output.table(
    ['ingestion', 'embeddings', 'files', 'chunks', 'seconds', 'chunks/s'],
    [['generated corpus', String(ingestion.embeddings), String(ingestion.files), String(ingestion.chunks), String(ingestion.seconds), String(ingestion.chunksPerSecond)]],
  )
  output.line()
  const row = (label: string, summary: LatencySummary) => [label, summary.p50, summary.p95, summary.p99, summary.mean]
  output.table(
    [`search, k=${latency.k}, ${latency.queries} queries (ms)`, 'p50', 'p95', 'p99', 'mean'],
    [row('Langvel RagCollection.search', latency.langvel), row(`bare chromadb query, ${latency.k} results`, latency.bare), row(`bare chromadb query, ${latency.candidates} results`, latency.bareCandidates)],
  )
  output.line(`Langvel over the bare client at p50: ${latency.overheadP50Ms >= 0 ? '+' : ''}${latency.overheadP50Ms} ms (${Math.round(latency.overheadP50 * 100)}%)`)
  output.line()
  output.table(
    ['memory (MB)', 'RSS'],
    [
      ['bench process at start', String(memory.benchRssStartMb)],
      ['bench process after ingest', String(memory.benchRssAfterIngestMb)],
      ['bench process after searches', String(memory.benchRssAfterQueriesMb)],
      ['chroma server', String(memory.chromaRssMb ?? '-')],
    ],
  )
  output.line()
  output.table(
    ['quality on docs/', 'chunks', 'chunks/s', 'hit@3 search', 'MRR search', 'hit@3 vector-only', 'MRR vector-only', 'hit@3 hybrid', 'MRR hybrid'],
    Object.entries(result.quality).map(([provider, figures]) => [
      provider,
      figures.chunks,
      figures.chunksPerSecond,
      figures.search.hitAt3,
      figures.search.mrr,
      figures.vectorOnly.hitAt3,
      figures.vectorOnly.mrr,
      figures.hybrid.hitAt3,
      figures.hybrid.mrr,
    ]),
  )
}

function embeddingsFor(provider: 'fake' | 'local'): Embeddings {
  return provider === 'local' ? new LocalEmbeddings() : new FakeEmbeddings(64)
}

function ragConfig(url: string, k: number): RagConfig {
  return {
    chroma: { url, tenant: 'default_tenant', database: 'default_database', apiKey: undefined, timeoutMs: 30_000, retries: 2 },
    storagePath: 'storage/chroma',
    defaultK: k,
    embeddings: { provider: 'fake', model: undefined, baseUrl: undefined, apiKey: undefined },
  } as RagConfig
}

/**
 * A Markdown corpus of at least `chunks` chunks: pages of sections whose
 * paragraphs are each close to a chunk long, so the splitter makes about one
 * chunk per paragraph. The words are drawn with a fixed seed: every run
 * ingests the same text.
 */
function writeCorpus(folder: string, chunks: number): number {
  mkdirSync(folder, { recursive: true })
  const random = seeded(42)
  const perFile = 50
  // Paragraphs that fall short of a chunk get merged with the next: a margin keeps the count above the target.
  const files = Math.ceil((chunks * 1.15) / perFile)
  for (let file = 0; file < files; file++) {
    const lines = [`# ${title(random)} ${file}`, '']
    for (let paragraph = 0; paragraph < perFile; paragraph++) {
      if (paragraph % 5 === 0) lines.push(`## ${title(random)}`, '')
      lines.push(sentences(random, 820), '')
    }
    writeFileSync(join(folder, `page_${String(file).padStart(4, '0')}.md`), lines.join('\n'))
  }
  return files
}

function corpusQueries(count: number): string[] {
  const random = seeded(7)
  return Array.from({ length: count }, () => `how do I ${words(random, 6)}?`)
}

const VOCABULARY = (
  'agent graph node state thread checkpoint resume interrupt stream event token model tool call retry timeout fallback route middleware ' +
  'throttle limit window redis postgres sqlite memory driver saver migration batch rollback lock queue worker server request response ' +
  'header cookie session user permission role key secret config environment value default production deploy build container health ' +
  'metric latency throughput cache entry policy document chunk collection embedding vector search query rank score source page section ' +
  'heading answer question context prompt message system human assistant schema input output error code status branch loop merge'
).split(' ')

function words(random: () => number, count: number): string {
  return Array.from({ length: count }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)]).join(' ')
}

function title(random: () => number): string {
  const text = words(random, 3)
  return text.charAt(0).toUpperCase() + text.slice(1)
}

function sentences(random: () => number, length: number): string {
  let text = ''
  while (text.length < length) {
    const sentence = words(random, 8 + Math.floor(random() * 8))
    text += `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}. `
  }
  return text.trim()
}

/** mulberry32: a small seeded generator, so the corpus is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function integer(flag: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const number = Number(value)
  if (!/^\d+$/.test(value) || number < min || number > max) throw new Error(`${flag} ${JSON.stringify(value)}: expected an integer between ${min} and ${max}`)
  return number
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
