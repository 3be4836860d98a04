import { ingest, ingestTarget } from '../../rag/ingest'
import type { CommandHandler } from '../command'
import { ingestProgressPrinter, megabytes, plural, requireCollection, wholeNumber } from './rag_shared'

interface IngestCommandOptions {
  collection?: string
  chunkSize: string
  chunkOverlap: string
  glob?: string
  prune?: boolean
  maxFileSize: string
  json?: boolean
}

/**
 * `langvel rag:ingest <path...> --collection <name> [--chunk-size 1000] [--chunk-overlap 150] [--glob <pattern>] [--prune] [--max-file-size 2] [--json]`:
 * indexes files into a collection, progress on stderr, the summary on stdout.
 * Ctrl-C stops it; the file being written keeps its previous version.
 */
const ragIngest: CommandHandler<IngestCommandOptions> = async ({ app, args, options, output }) => {
  const name = requireCollection(options)
  const settings = {
    chunkSize: wholeNumber('--chunk-size', options.chunkSize),
    chunkOverlap: wholeNumber('--chunk-overlap', options.chunkOverlap),
    maxFileBytes: megabytes('--max-file-size', options.maxFileSize),
  }
  // Resolving the store first: production without CHROMA_URL fails here, before any file is read.
  const target = ingestTarget(app.make('rag'), name)
  const controller = new AbortController()
  // The first Ctrl-C stops the run (the file being written is left at its previous version) and the app shuts down cleanly.
  // Our listener stays registered meanwhile: the managed Chroma's own handler stops the server at once
  // when it is the only one. A second Ctrl-C is delivered again without us: exit now.
  const stop = () => {
    if (controller.signal.aborted) {
      process.removeListener('SIGINT', stop)
      process.kill(process.pid, 'SIGINT')
      return
    }
    output.warn('stopping; the file being written keeps its previous version (Ctrl-C again to quit at once)')
    controller.abort(new Error('interrupted (Ctrl-C)'))
  }
  process.on('SIGINT', stop)
  try {
    const summary = await ingest(target, args, {
      ...settings,
      glob: options.glob,
      prune: Boolean(options.prune),
      root: app.basePath,
      signal: controller.signal,
      onProgress: ingestProgressPrinter(output, { tty: Boolean(process.stderr.isTTY) }),
    })
    if (options.json) {
      output.json({ collection: name, ...summary })
      return
    }
    const { added, unchanged, removed } = summary.chunks
    output.success(`Ingested ${plural(summary.files, 'file')} into "${name}" in ${summary.seconds.toFixed(1)}s`)
    output.line(`Chunks: ${added} added, ${unchanged} unchanged, ${removed} removed`)
    if (summary.pruned.length > 0) output.line(`Pruned: ${summary.pruned.join(', ')}`)
    if (summary.skipped.length > 0) {
      output.line(`Skipped ${plural(summary.skipped.length, 'path')}:`)
      for (const skipped of summary.skipped) output.line(`  ${skipped.path}: ${skipped.reason}`)
    }
  } finally {
    process.removeListener('SIGINT', stop)
  }
}

export default ragIngest
