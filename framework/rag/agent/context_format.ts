import type { SearchResult } from '../types'

/**
 * Retrieved text goes to a model inside `<document>` tags that name where it
 * came from, so the model can tell passages apart and cite them. A passage
 * that itself contains the tags would end its block early, or open a block
 * with a source of its choosing; its tags are neutralised.
 */
const DOCUMENT_TAG = /<(\/?)document\b/gi
const SOURCE_ATTRIBUTE = /<document\b[^>]*\bsource="([^"]*)"/g

export interface ContextFormatOptions {
  /** Named in the notice written when nothing was found. */
  collection?: string
  /** The notice when nothing was found; default: says the collection had no matching passage. */
  empty?: string
}

/**
 * Retrieved chunks as one text for a prompt or a tool result: each chunk in
 * a `<document>` block carrying its rank, source, chunk position and score,
 * best first. Without results it returns a notice that says so, so a model
 * reading it is told there is nothing to answer from instead of nothing.
 *
 * @example
 * formatContext(await this.rag.collection('docs').search('resume a thread'), { collection: 'docs' })
 * // <document index="1" source="docs/checkpointers.md" chunk="3" score="0.82">
 * // ...
 * // </document>
 */
export function formatContext(results: readonly SearchResult[], options: ContextFormatOptions = {}): string {
  if (results.length === 0) return options.empty ?? noMatchNotice(options.collection)
  return results.map((result, index) => formatDocument(result, index + 1)).join('\n')
}

/** One result as a `<document>` block. */
export function formatDocument(result: SearchResult, index: number): string {
  const attributes = [`index="${index}"`, `source="${attribute(sourceOf(result))}"`]
  if (result.chunk !== undefined) attributes.push(`chunk="${result.chunk}"`)
  attributes.push(`score="${result.score.toFixed(2)}"`)
  const heading = typeof result.metadata.heading === 'string' && result.metadata.heading ? ` heading="${attribute(result.metadata.heading)}"` : ''
  return `<document ${attributes.join(' ')}${heading}>\n${result.text.trim().replace(DOCUMENT_TAG, '<$1 document')}\n</document>`
}

/**
 * The sources named by `<document>` blocks in texts (tool results, a
 * retrieved context), each once, in order of appearance. Lets an agent list
 * what an answer was built from whatever the model wrote.
 *
 * @example
 * citedSources([toolMessage.text]) // ['docs/checkpointers.md', 'docs/agents.md']
 */
export function citedSources(texts: Iterable<string>): string[] {
  const sources = new Set<string>()
  for (const text of texts) {
    for (const match of text.matchAll(SOURCE_ATTRIBUTE)) sources.add(unescapeAttribute(match[1]))
  }
  return [...sources]
}

/** A result's attribution: its source file, else its id (documents added in code may have no source). */
export function sourceOf(result: SearchResult): string {
  return result.source ?? result.id
}

export function noMatchNotice(collection?: string): string {
  const where = collection ? `the collection "${collection}"` : 'the collection'
  return `No passage of ${where} matches this query. Say that the documents do not cover it; do not make up an answer.`
}

function attribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\s+/g, ' ')
}

function unescapeAttribute(value: string): string {
  return value.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
}
