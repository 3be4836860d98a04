import { extname } from 'node:path'
import type { Metadata } from '../types'
import { htmlToText } from './html'

export type DocumentKind = 'markdown' | 'html' | 'json' | 'jsonl' | 'text'

const KINDS: Record<string, DocumentKind> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.mdx': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
}

/** The fields a JSON record's text is taken from, in order; a record with none of them is indexed as its JSON. */
export const TEXT_FIELDS = ['text', 'content', 'body'] as const

/** One piece of text to chunk, with the metadata every chunk of it carries. */
export interface LoadedRecord {
  text: string
  metadata: Metadata
}

/** A file that cannot be indexed, with the reason shown to the user (`binary file`, `invalid JSON on line 3`). */
export class Unloadable extends Error {}

/**
 * How a file is read, by extension. Any other file is read as plain text,
 * so source code, CSV or reStructuredText index as they are.
 *
 * @example
 * kindOf('docs/intro.md') // 'markdown'
 */
export function kindOf(path: string): DocumentKind {
  return KINDS[extname(path).toLowerCase()] ?? 'text'
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The file's text, or Unloadable for a file that is not text: NUL bytes mark
 * binary formats (images, archives, PDFs), and bytes that are not UTF-8 would
 * be indexed as replacement characters. A byte order mark is dropped.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.includes(0)) throw new Unloadable('binary file (contains NUL bytes)')
  try {
    return utf8.decode(bytes)
  } catch {
    throw new Unloadable('not UTF-8 text')
  }
}

/**
 * The records of a file's text. Markdown and plain text are one record; an
 * HTML page is its visible text with the `<title>` as metadata; JSON (an
 * array of records, or one) and JSONL (a record per line) give a record each,
 * see `recordOf`. Invalid JSON makes the whole file Unloadable, never part of it.
 *
 * @example
 * loadRecords('{"text":"Refunds take 5 days","lang":"en"}\n', 'jsonl') // [{ text: 'Refunds take 5 days', metadata: { lang: 'en', record: 0 } }]
 */
export function loadRecords(text: string, kind: DocumentKind): LoadedRecord[] {
  if (kind === 'html') {
    const page = htmlToText(text)
    return [{ text: page.text, metadata: page.title ? { title: page.title } : {} }]
  }
  if (kind === 'markdown') {
    const heading = /^#[ \t]+(.+?)[ \t#]*$/m.exec(text)
    return [{ text, metadata: heading ? { title: heading[1] } : {} }]
  }
  if (kind === 'json') {
    const value = parseJson(text, 'invalid JSON')
    const values = Array.isArray(value) ? value : [value]
    return values.map((item, index) => recordOf(item, index))
  }
  if (kind === 'jsonl') {
    const records: LoadedRecord[] = []
    text.split('\n').forEach((line, lineIndex) => {
      if (line.trim() === '') return
      records.push(recordOf(parseJson(line, `invalid JSON on line ${lineIndex + 1}`), records.length))
    })
    return records
  }
  return [{ text, metadata: {} }]
}

/**
 * A JSON record's text and metadata: the text is its first non-empty `text`,
 * `content` or `body` string field, or else the record's JSON; the other
 * fields that are strings, finite numbers or booleans become metadata (nested
 * objects, arrays and nulls have no place in Chroma's flat metadata).
 * `record` is the record's position in the file.
 */
export function recordOf(value: unknown, index: number): LoadedRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { text: typeof value === 'string' ? value : JSON.stringify(value), metadata: { record: index } }
  }
  const fields = value as Record<string, unknown>
  const textField = TEXT_FIELDS.find((field) => typeof fields[field] === 'string' && (fields[field] as string).trim() !== '')
  const metadata: Metadata = {}
  for (const [key, field] of Object.entries(fields)) {
    if (key === textField) continue
    if (typeof field === 'string' || typeof field === 'boolean' || (typeof field === 'number' && Number.isFinite(field))) metadata[key] = field
  }
  metadata.record = index
  return { text: textField ? (fields[textField] as string) : JSON.stringify(value, null, 2), metadata }
}

function parseJson(text: string, reason: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new Unloadable(`${reason}: ${(error as Error).message}`)
  }
}
