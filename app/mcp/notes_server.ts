/*
 * The example MCP server of the /notes agent: notes kept in a JSON file,
 * served over stdio with the official SDK. Langvel starts it as the `notes`
 * server declared in config/mcp.ts; any other MCP client can too:
 *
 *   node --import tsx app/mcp/notes_server.ts      (sources)
 *   node build/app/mcp/notes_server.js             (after `langvel build`)
 *
 * Tools: add_note {title, body?}, list_notes {}, search_notes {query}.
 * Resource: notes://all (every note, as JSON). Prompt: summarize_notes {focus?}.
 * Env: NOTES_FILE, the notes file (default storage/mcp/notes.json, relative
 * to the working directory). Several servers may share one file (one per
 * worker under `langvel serve --workers N`): see NoteStore.
 *
 * stdout carries the protocol and nothing else: logs go to stderr.
 */

import { randomUUID } from 'node:crypto'
import { closeSync, openSync, rmSync, statSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { z } from 'zod'

const NoteSchema = z.object({
  id: z.number().int().positive(),
  title: z.string(),
  body: z.string(),
  createdAt: z.string(),
})
export type Note = z.infer<typeof NoteSchema>

const NotesFileSchema = z.object({ notes: z.array(NoteSchema) })

/** A line on stderr, which Langvel writes to its log under the server's name. */
function log(message: string): void {
  process.stderr.write(`${message}\n`)
}

/** A lock file older than this was left by a process that died holding it: it is removed. */
const STALE_LOCK_MS = 5_000

/**
 * The notes file. Every change is written to a temporary file then renamed
 * over the old one, so a crash mid-write never leaves a truncated file (and a
 * reader never sees half a file). Every operation reads the file again, and
 * an addition holds `<file>.lock` from its read to its write, so servers in
 * other processes on the same file (one per worker) cannot lose a note or
 * reuse an id. Within a process, operations run one at a time.
 */
export class NoteStore {
  private queue: Promise<unknown> = Promise.resolve()

  constructor(readonly file: string) {}

  list(): Promise<Note[]> {
    return this.exclusive(() => this.read())
  }

  add(title: string, body: string): Promise<Note> {
    return this.exclusive(() =>
      this.locked(async () => {
        const notes = await this.read()
        const note: Note = { id: Math.max(0, ...notes.map((n) => n.id)) + 1, title, body, createdAt: new Date().toISOString() }
        await this.write([...notes, note])
        return note
      }),
    )
  }

  /** Notes whose title or body holds every word of the query, ignoring case. */
  async search(query: string): Promise<Note[]> {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean)
    const notes = await this.list()
    return notes.filter((note) => {
      const text = `${note.title}\n${note.body}`.toLowerCase()
      return words.every((word) => text.includes(word))
    })
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work)
    this.queue = result.catch(() => undefined)
    return result
  }

  /**
   * Runs work holding the lock file shared with other processes: created with
   * `wx` (fails while another process holds it), retried with a short backoff,
   * removed when done. A lock older than STALE_LOCK_MS is taken as abandoned.
   */
  private async locked<T>(work: () => Promise<T>): Promise<T> {
    const lock = `${this.file}.lock`
    await mkdir(dirname(this.file), { recursive: true })
    for (let attempt = 0; ; attempt++) {
      try {
        closeSync(openSync(lock, 'wx'))
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      if (isStale(lock)) {
        log(`removing the stale lock ${lock}`)
        rmSync(lock, { force: true })
        continue
      }
      await sleep(Math.min(2 ** attempt, 50) + Math.random() * 5)
    }
    try {
      return await work()
    } finally {
      rmSync(lock, { force: true })
    }
  }

  private async read(): Promise<Note[]> {
    let content: string
    try {
      content = await readFile(this.file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
    const parsed = NotesFileSchema.safeParse(JSON.parse(content))
    if (!parsed.success) throw new Error(`${this.file} is not a notes file: ${parsed.error.issues[0]?.message}`)
    return parsed.data.notes
  }

  private async write(notes: Note[]): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true })
    const temporary = join(dirname(this.file), `.${basename(this.file)}.${randomUUID()}.tmp`)
    try {
      await writeFile(temporary, `${JSON.stringify({ notes }, null, 2)}\n`, 'utf8')
      await rename(temporary, this.file)
    } catch (error) {
      await rm(temporary, { force: true })
      throw error
    }
  }
}

/** Older than STALE_LOCK_MS; a lock removed meanwhile counts as not stale (the next attempt may take it). */
function isStale(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS
  } catch {
    return false
  }
}

const text = (value: string) => ({ type: 'text' as const, text: value })

function lines(notes: Note[]): string {
  return notes.map((note) => `#${note.id} ${note.title}${note.body ? `: ${note.body}` : ''}`).join('\n')
}

/**
 * The MCP server over a store: its tools, the notes://all resource and the
 * summarize_notes prompt. Connect it to a transport to serve it.
 *
 * @example
 * await createNotesServer(new NoteStore('/tmp/notes.json')).connect(new StdioServerTransport())
 */
export function createNotesServer(store: NoteStore): McpServer {
  const server = new McpServer({ name: 'langvel-notes', version: '1.0.0' })
  const noteList = { notes: z.array(NoteSchema), count: z.number().int().nonnegative() }

  // Declared in this order on purpose: the offline fake model calls the first tool whose name it finds in the
  // question, and "notes" would otherwise send "list my notes" to add_note ("note").
  server.registerTool(
    'list_notes',
    { title: 'List notes', description: 'Lists every saved note, oldest first.', inputSchema: {}, outputSchema: noteList },
    async () => {
      const notes = await store.list()
      return { content: [text(notes.length > 0 ? lines(notes) : 'No notes yet.')], structuredContent: { notes, count: notes.length } }
    },
  )

  server.registerTool(
    'search_notes',
    {
      title: 'Search notes',
      description: 'Finds the notes whose title or body contains every word of the query (case-insensitive).',
      inputSchema: { query: z.string().min(1).max(500).describe('Words to look for, e.g. "milk"') },
      outputSchema: { query: z.string(), ...noteList },
    },
    async ({ query }) => {
      const notes = await store.search(query)
      return {
        content: [text(notes.length > 0 ? lines(notes) : `No note matches "${query}".`)],
        structuredContent: { query, notes, count: notes.length },
      }
    },
  )

  server.registerTool(
    'add_note',
    {
      title: 'Add a note',
      description: 'Saves a note and returns it with its id.',
      inputSchema: {
        title: z.string().min(1).max(200).describe('A short title, e.g. "Groceries"'),
        body: z.string().max(10_000).optional().describe('The text of the note'),
      },
      outputSchema: { note: NoteSchema },
    },
    async ({ title, body }) => {
      const note = await store.add(title.trim(), body?.trim() ?? '')
      log(`added note #${note.id}`)
      return { content: [text(`Saved note #${note.id}: ${note.title}`)], structuredContent: { note } }
    },
  )

  server.registerResource(
    'all_notes',
    'notes://all',
    { title: 'All notes', description: 'Every saved note, as JSON.', mimeType: 'application/json' },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ notes: await store.list() }, null, 2) }] }),
  )

  server.registerPrompt(
    'summarize_notes',
    {
      title: 'Summarize notes',
      description: 'A request to summarize the saved notes, with the notes included.',
      argsSchema: { focus: z.string().optional().describe('What the summary should concentrate on') },
    },
    async ({ focus }) => {
      const notes = await store.list()
      const ask = `Summarize my notes in a few sentences${focus ? `, concentrating on ${focus}` : ''}.`
      const content = notes.length > 0 ? `${ask}\n\n${lines(notes)}` : `${ask}\n\n(There are no notes yet.)`
      return { messages: [{ role: 'user' as const, content: text(content) }] }
    },
  )

  return server
}

async function main(): Promise<void> {
  const file = resolve(process.env.NOTES_FILE || join('storage', 'mcp', 'notes.json'))
  await createNotesServer(new NoteStore(file)).connect(new StdioServerTransport())
  log(`notes server ready (notes file: ${file})`)
}

if (require.main === module) {
  main().catch((error: unknown) => {
    log(`notes server failed to start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  })
}
