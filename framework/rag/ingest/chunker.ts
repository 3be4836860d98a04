import { createHash } from 'node:crypto'
import { MarkdownTextSplitter, RecursiveCharacterTextSplitter, type TextSplitter } from '@langchain/textsplitters'
import { E_INVALID_INPUT } from '../../errors'
import type { DocumentInput, Metadata } from '../types'
import type { DocumentKind, LoadedRecord } from './loaders'
import { markdownHeadings } from './markdown_headings'

export interface ChunkOptions {
  /** Characters per chunk at most. */
  chunkSize: number
  /** Characters a chunk repeats from the end of the one before, so a sentence cut in two is whole in one of them. */
  chunkOverlap: number
}

/** A document ready to store: its id is fixed by what it holds, so storing it again changes nothing. */
export type Chunk = DocumentInput & { id: string; metadata: Metadata }

/** A short content hash (sha256, 16 hex digits): enough to tell contents apart, short enough to read in metadata. */
export function contentHash(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 16)
}

/**
 * A chunk's id, from its source, the version of the file (file_hash), its
 * position and its content. The same file chunked the same way gives the same
 * ids, so ingesting it again adds nothing; any change to the file gives all
 * new ids, so its old chunks are replaced as a whole and none is left
 * carrying another version's metadata.
 */
export function chunkId(source: string, fileHash: string, chunk: number, hash: string): string {
  return createHash('sha256').update(`${source}:${fileHash}:${chunk}:${hash}`).digest('hex').slice(0, 32)
}

/**
 * Splits a file's records into chunks with `@langchain/textsplitters`: the
 * Markdown splitter (headings, then paragraphs) for Markdown, the recursive
 * character splitter (paragraphs, lines, words) for the rest. A JSON record
 * is split on its own, so no chunk mixes two records. A Markdown chunk names
 * its section in `heading` (the chain of headings where it starts), which
 * ranking and the agents' context format read.
 *
 * @example
 * const chunker = new Chunker({ chunkSize: 1000, chunkOverlap: 150 })
 * await chunker.chunk({ source: 'docs/intro.md', fileHash, kind: 'markdown', records })
 * // [{ id, text, metadata: { title, heading: 'Intro > Install', source: 'docs/intro.md', chunk: 0, hash, file_hash } }, ...]
 */
export class Chunker {
  private readonly markdown: TextSplitter
  private readonly plain: TextSplitter

  constructor(options: ChunkOptions) {
    const { chunkSize, chunkOverlap } = options
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new E_INVALID_INPUT(`chunk size must be a whole number of characters above 0, got ${chunkSize}`)
    if (!Number.isInteger(chunkOverlap) || chunkOverlap < 0) throw new E_INVALID_INPUT(`chunk overlap must be a whole number of characters, 0 or more, got ${chunkOverlap}`)
    if (chunkOverlap >= chunkSize) throw new E_INVALID_INPUT(`chunk overlap (${chunkOverlap}) must be smaller than the chunk size (${chunkSize})`)
    this.markdown = new MarkdownTextSplitter({ chunkSize, chunkOverlap })
    this.plain = new RecursiveCharacterTextSplitter({ chunkSize, chunkOverlap })
  }

  async chunk(file: { source: string; fileHash: string; kind: DocumentKind; records: LoadedRecord[] }): Promise<Chunk[]> {
    const markdown = file.kind === 'markdown'
    const splitter = markdown ? this.markdown : this.plain
    const chunks: Chunk[] = []
    for (const record of file.records) {
      if (record.text.trim() === '') continue
      const headings = markdown ? markdownHeadings(record.text) : undefined
      // createDocuments, not splitText: the same chunks, with the lines each came from.
      for (const piece of await splitter.createDocuments([record.text])) {
        const text = piece.pageContent
        if (text.trim() === '') continue
        const position = chunks.length
        const hash = contentHash(text)
        const heading = headings?.trailAt((piece.metadata as { loc?: { lines?: { from?: number } } }).loc?.lines?.from ?? 1)
        chunks.push({
          id: chunkId(file.source, file.fileHash, position, hash),
          text,
          // Ours last: a JSON record's own `source` or `chunk` field cannot hide where the chunk came from.
          metadata: { ...record.metadata, ...(heading ? { heading } : {}), source: file.source, chunk: position, hash, file_hash: file.fileHash },
        })
      }
    }
    return chunks
  }
}
