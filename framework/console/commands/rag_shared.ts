import { E_INVALID_INPUT } from '../../errors'
import type { IngestProgress } from '../../rag/ingest'
import type { Output } from '../output'

/** `--collection`, which every command naming a collection requires. */
export function requireCollection(options: { collection?: string }): string {
  if (!options.collection) throw new E_INVALID_INPUT('--collection <name> is required', { help: 'Name the collection, e.g. --collection docs (`langvel rag:collections` lists them).' })
  return options.collection
}

/** A whole-number flag (`--chunk-size 800`), refused with its name when it is anything else. */
export function wholeNumber(flag: string, value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new E_INVALID_INPUT(`${flag} must be a whole number, got ${JSON.stringify(value)}`)
  return Number(value)
}

/** A positive number of megabytes (`--max-file-size 0.5`) in bytes. */
export function megabytes(flag: string, value: string): number {
  const parsed = Number(value)
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) throw new E_INVALID_INPUT(`${flag} must be a number of megabytes above 0, got ${JSON.stringify(value)}`)
  return Math.round(parsed * 1024 * 1024)
}

const BAR_WIDTH = 24

/**
 * Ingestion progress on stderr, so stdout keeps the summary (or the JSON).
 * On a terminal, one bar redrawn in place; otherwise (a pipe, a CI log) one
 * plain line per file. Skipped files are listed in the summary, not while
 * the bar is drawn, where they would be overwritten.
 */
export function ingestProgressPrinter(output: Output, options: { tty: boolean }): (event: IngestProgress) => void {
  // The `--json` output writes status lines to stderr: the one place progress goes in both modes.
  const stderr = output.forJson()
  let drawn = false
  return (event) => {
    if (event.type === 'start') {
      if (!options.tty) stderr.status(`${event.total} file${event.total === 1 ? '' : 's'} to read`)
      return
    }
    if (event.type === 'prune') {
      stderr.status(`pruned ${event.sources.length} deleted file${event.sources.length === 1 ? '' : 's'} (${event.removed} chunk${event.removed === 1 ? '' : 's'})`)
      drawn = false
      return
    }
    if (options.tty) {
      const filled = event.total === 0 ? BAR_WIDTH : Math.round((event.done / event.total) * BAR_WIDTH)
      const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${event.done}/${event.total} ${event.source}`
      // Cursor up one line and clear it: the bar replaces itself instead of scrolling.
      stderr.status(`${drawn ? '\u001b[1A\u001b[2K' : ''}${bar}`)
      drawn = true
      return
    }
    const detail = event.outcome === 'skipped' ? `: ${event.reason}` : event.outcome === 'indexed' ? ` (+${event.added} -${event.removed})` : ''
    stderr.status(`[${event.done}/${event.total}] ${event.outcome} ${event.source}${detail}`)
  }
}

/** One line of a chunk for a table: whitespace collapsed, cut at `length` characters. */
export function snippet(text: string, length = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat
}

export const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`
