import { readFile, stat } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { abortError } from '../../support/abort'
import { recordRagError, recordRagIngest } from '../rag_metrics'
import type { RagCollection, StoredRecord, VectorStore, Where } from '../types'
import { Chunker, contentHash, type Chunk } from './chunker'
import { collectFiles, inScope, pathOfSource, readFailure, type FileCandidate, type SkippedFile } from './files'
import { decodeUtf8, kindOf, loadRecords, Unloadable, type DocumentKind, type LoadedRecord } from './loaders'

/** Files larger than this are skipped unless `maxFileBytes` says otherwise. */
export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024

/** Chunks per write: a failure loses little work, and a stop (signal) is seen between writes. */
const WRITE_BATCH = 64

/** Stored records read per request when prune lists what the collection holds. */
const SCAN_PAGE = 500

/**
 * What ingestion needs of a collection: the RAG contract, and reading back
 * the ids and metadata it holds, to tell new chunks from stored ones.
 */
export interface IngestCollection extends RagCollection {
  get(selector: { ids?: string[]; where?: Where; limit?: number; offset?: number }, options?: { signal?: AbortSignal }): Promise<StoredRecord[]>
}

/**
 * A collection of the rag manager as ingestion needs it: the collection, and
 * the manager's store to read back what the collection holds.
 *
 * @example
 * await ingest(ingestTarget(app.make('rag'), 'docs'), ['docs'], { chunkSize: 1000, chunkOverlap: 150 })
 */
export function ingestTarget(rag: { collection(name: string): RagCollection; store: VectorStore }, name: string): IngestCollection {
  const collection = rag.collection(name)
  return {
    name: collection.name,
    add: (documents, options) => collection.add(documents, options),
    upsert: (documents, options) => collection.upsert(documents, options),
    delete: (selector, options) => collection.delete(selector, options),
    search: (query, options) => collection.search(query, options),
    count: (options) => collection.count(options),
    info: (options) => collection.info(options),
    get: (selector, options) => rag.store.get(name, selector, options),
  }
}

export interface IngestOptions {
  chunkSize: number
  chunkOverlap: number
  /** Picks the files of a folder argument (`**\/*.md`), matched against the path relative to that folder. */
  glob?: string
  /** Remove the chunks of files under the given paths that no longer exist. */
  prune?: boolean
  /** Larger files are skipped (default 2 MB). */
  maxFileBytes?: number
  /** Sources are paths relative to this folder (default: the working directory). */
  root?: string
  /** Stops the run (E_ABORTED); the file being written is left at its previous version. */
  signal?: AbortSignal
  onProgress?: (event: IngestProgress) => void
}

/** What happened to one file. `indexed`: its chunks were written (new or changed file). */
export type FileOutcome = 'indexed' | 'unchanged' | 'skipped'

export type IngestProgress =
  | { type: 'start'; total: number }
  | { type: 'file'; done: number; total: number; source: string; outcome: FileOutcome; added: number; removed: number; reason?: string }
  | { type: 'prune'; sources: string[]; removed: number }

export interface IngestSummary {
  /** Files read and indexed or found unchanged (skipped files not included). */
  files: number
  skipped: SkippedFile[]
  chunks: { added: number; unchanged: number; removed: number }
  /** Sources whose chunks prune removed. */
  pruned: string[]
  seconds: number
}

/**
 * Indexes files and folders into a collection, idempotently. Each file is
 * read (Markdown, text, HTML, JSON, JSONL; see loaders.ts), split into chunks
 * whose ids derive from the file and its content, then compared with what the
 * collection holds for that source: an unchanged file writes nothing, a
 * changed one writes its new chunks first and then deletes the old ones, so
 * a failure leaves the previous version whole (the new chunks written are
 * deleted again; should the store take one after that, the next run
 * completes the change). Binary, oversized and unreadable files are skipped
 * with a reason, never thrown.
 *
 * @example
 * const summary = await ingest(ingestTarget(app.make('rag'), 'docs'), ['docs'], { chunkSize: 1000, chunkOverlap: 150, glob: '**\/*.md', prune: true })
 * // { files: 12, skipped: [], chunks: { added: 3, unchanged: 140, removed: 2 }, pruned: [], seconds: 0.8 }
 */
export async function ingest(collection: IngestCollection, paths: string[], options: IngestOptions): Promise<IngestSummary> {
  const started = performance.now()
  try {
    const summary = await run(collection, paths, options)
    summary.seconds = Number(((performance.now() - started) / 1000).toFixed(3))
    recordRagIngest(collection.name, summary.seconds)
    return summary
  } catch (error) {
    recordRagError('ingest', error)
    throw error
  }
}

async function run(collection: IngestCollection, paths: string[], options: IngestOptions): Promise<IngestSummary> {
  const chunker = new Chunker(options)
  const root = options.root ?? process.cwd()
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES
  const { signal, onProgress } = options
  const summary: IngestSummary = { files: 0, skipped: [], chunks: { added: 0, unchanged: 0, removed: 0 }, pruned: [], seconds: 0 }

  const found = await collectFiles(paths, { root, glob: options.glob })
  summary.skipped.push(...found.skipped)
  const total = found.files.length
  onProgress?.({ type: 'start', total })

  for (const [index, file] of found.files.entries()) {
    stopIfAborted(signal)
    const loaded = await load(file, maxFileBytes)
    if ('reason' in loaded) {
      summary.skipped.push({ path: file.source, reason: loaded.reason })
      onProgress?.({ type: 'file', done: index + 1, total, source: file.source, outcome: 'skipped', added: 0, removed: 0, reason: loaded.reason })
      continue
    }
    const chunks = await chunker.chunk({ source: file.source, ...loaded })
    const result = await replaceChunks(collection, file.source, chunks, signal)
    summary.files++
    summary.chunks.added += result.added
    summary.chunks.unchanged += result.unchanged
    summary.chunks.removed += result.removed
    const outcome = result.added === 0 && result.removed === 0 ? 'unchanged' : 'indexed'
    onProgress?.({ type: 'file', done: index + 1, total, source: file.source, outcome, added: result.added, removed: result.removed })
  }

  if (options.prune) {
    stopIfAborted(signal)
    const gone = await vanishedSources(collection, found.scopes, root, signal)
    for (const [source, count] of gone) {
      stopIfAborted(signal)
      await collection.delete({ where: { source } }, { signal })
      summary.pruned.push(source)
      summary.chunks.removed += count
    }
    onProgress?.({ type: 'prune', sources: summary.pruned, removed: [...gone.values()].reduce((sum, count) => sum + count, 0) })
  }
  return summary
}

/** A file's kind, records and hash, or why it cannot be indexed. */
async function load(file: FileCandidate, maxFileBytes: number): Promise<{ reason: string } | { kind: DocumentKind; records: LoadedRecord[]; fileHash: string }> {
  try {
    const info = await stat(file.path)
    if (info.size > maxFileBytes) return { reason: tooLarge(info.size, maxFileBytes) }
    const bytes = await readFile(file.path)
    // The file may have grown between stat and read.
    if (bytes.length > maxFileBytes) return { reason: tooLarge(bytes.length, maxFileBytes) }
    const kind = kindOf(file.path)
    return { kind, records: loadRecords(decodeUtf8(bytes), kind), fileHash: contentHash(bytes) }
  } catch (error) {
    if (error instanceof Unloadable) return { reason: error.message }
    return { reason: readFailure(error) }
  }
}

/**
 * Makes the collection hold exactly `chunks` for `source`. New chunks are
 * written before stale ones are deleted; if a write fails, the chunks this
 * call wrote are taken back (as far as the store lets us) so the file stays
 * at its previous version, and the error goes to the caller.
 */
async function replaceChunks(collection: IngestCollection, source: string, chunks: Chunk[], signal?: AbortSignal) {
  const stored = new Set((await collection.get({ where: { source } }, { signal })).map((record) => record.id))
  const wanted = new Set(chunks.map((chunk) => chunk.id))
  const fresh = chunks.filter((chunk) => !stored.has(chunk.id))
  const stale = [...stored].filter((id) => !wanted.has(id))

  let writing = false
  try {
    for (let start = 0; start < fresh.length; start += WRITE_BATCH) {
      stopIfAborted(signal)
      writing = true
      await collection.upsert(fresh.slice(start, start + WRITE_BATCH), { signal })
    }
  } catch (error) {
    // The store may have taken part of the failed batch too: take back every id of this file's new version.
    // No signal: the caller's may be the reason we are here, and this cleanup must still run.
    if (writing) await collection.delete({ ids: fresh.map((chunk) => chunk.id) }).catch(() => undefined)
    throw error
  }
  if (stale.length > 0) await collection.delete({ ids: stale }, { signal })
  return { added: fresh.length, unchanged: chunks.length - fresh.length, removed: stale.length }
}

/** Stored sources under the path arguments whose file is gone, with how many chunks each holds. */
async function vanishedSources(collection: IngestCollection, scopes: Array<{ source: string; directory: boolean }>, root: string, signal?: AbortSignal) {
  const counts = new Map<string, number>()
  for (let offset = 0; ; offset += SCAN_PAGE) {
    const page = await collection.get({ limit: SCAN_PAGE, offset }, { signal })
    for (const record of page) {
      const source = record.metadata.source
      if (typeof source === 'string' && scopes.some((scope) => inScope(scope, source))) counts.set(source, (counts.get(source) ?? 0) + 1)
    }
    if (page.length < SCAN_PAGE) break
  }
  const gone = new Map<string, number>()
  for (const [source, count] of counts) {
    const exists = await stat(pathOfSource(root, source)).then(
      () => true,
      (error: NodeJS.ErrnoException) => error.code !== 'ENOENT' && error.code !== 'ENOTDIR',
    )
    if (!exists) gone.set(source, count)
  }
  return gone
}

function tooLarge(size: number, limit: number): string {
  return `larger than the ${bytesText(limit)} limit (${bytesText(size)})`
}

function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`
  if (bytes < 1024 * 1024) return `${Number((bytes / 1024).toFixed(1))} KB`
  return `${Number((bytes / (1024 * 1024)).toFixed(1))} MB`
}

function stopIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal)
}
