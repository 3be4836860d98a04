import { jsonOption as json, type CommandSpec } from '../command'

const collection = { flags: '-c, --collection <name>', description: 'the collection (required)' }

/** Retrieval: ingest files into a collection, search it, list and drop collections. Each command's code is loaded only when it runs. */
export const ragCommands: CommandSpec[] = [
  {
    name: 'rag:ingest',
    group: 'rag',
    description: 'Index files and folders (Markdown, text, HTML, JSON, JSONL) into a collection; unchanged files are not embedded again',
    arguments: [{ name: 'path', description: 'files or folders to index', variadic: true }],
    options: [
      collection,
      { flags: '--chunk-size <chars>', description: 'characters per chunk at most', default: '1000' },
      { flags: '--chunk-overlap <chars>', description: 'characters a chunk repeats from the one before', default: '150' },
      { flags: '--glob <pattern>', description: "which files of a folder to index, e.g. '**/*.md' (default: all)" },
      { flags: '--prune', description: 'remove the chunks of files under the paths that no longer exist' },
      { flags: '--max-file-size <mb>', description: 'skip files larger than this many megabytes', default: '2' },
      json,
    ],
    load: () => require('../commands/rag_ingest'),
  },
  {
    name: 'rag:query',
    group: 'rag',
    description: 'Search a collection and print the best chunks with their score and source',
    arguments: [{ name: 'text', description: 'what to search for' }],
    options: [collection, { flags: '-k, --k <n>', description: 'how many chunks (default: RAG_DEFAULT_K)' }, json],
    load: () => require('../commands/rag_query'),
  },
  {
    name: 'rag:collections',
    group: 'rag',
    description: 'List collections with their size and the embeddings they were built with',
    options: [json],
    load: () => require('../commands/rag_collections'),
  },
  {
    name: 'rag:drop',
    group: 'rag',
    description: 'Drop a collection and everything in it',
    arguments: [{ name: 'name', description: 'the collection' }],
    options: [{ flags: '--force', description: 'run even when APP_ENV=production' }, json],
    load: () => require('../commands/rag_drop'),
  },
]
