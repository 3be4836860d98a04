import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { NoteStore } from '../../../app/mcp/notes_server'
import { nodeServer } from '../../../framework/mcp/node_server'

const ROOT = join(__dirname, '..', '..', '..')
const NOTES_PER_SERVER = 20

/*
 * `langvel serve --workers N` starts one notes server per worker, all on the
 * same NOTES_FILE: two server processes adding notes at the same time must not
 * lose any, nor hand out the same id twice.
 */
describe('the notes server (app/mcp/notes_server.ts) shared by several processes', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'langvel-notes-server-'))
  const notesFile = join(scratch, 'notes', 'notes.json')
  const clients: Client[] = []

  /** A notes server process on the shared file, as config/mcp.ts starts it, through the SDK client. */
  async function startServer(): Promise<Client> {
    const transport = new StdioClientTransport({
      ...nodeServer(join(ROOT, 'app', 'mcp', 'notes_server')),
      env: { NOTES_FILE: notesFile },
      cwd: scratch,
      stderr: 'ignore',
    })
    const client = new Client({ name: 'notes-test', version: '1.0.0' })
    clients.push(client)
    await client.connect(transport)
    return client
  }

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close().catch(() => undefined)))
    rmSync(scratch, { recursive: true, force: true })
  })

  it('keeps every note when two server processes each add 20 at the same time', async () => {
    const servers = await Promise.all([startServer(), startServer()])

    const added = await Promise.all(
      servers.flatMap((client, server) =>
        Array.from({ length: NOTES_PER_SERVER }, (_, index) =>
          client.callTool({ name: 'add_note', arguments: { title: `server ${server} note ${index}` } }),
        ),
      ),
    )
    expect(added.filter((result) => result.isError)).toEqual([])

    const saved = JSON.parse(readFileSync(notesFile, 'utf8')) as { notes: Array<{ id: number; title: string }> }
    expect(saved.notes).toHaveLength(2 * NOTES_PER_SERVER)
    expect(new Set(saved.notes.map((note) => note.id)).size).toBe(2 * NOTES_PER_SERVER)
    expect(new Set(saved.notes.map((note) => note.title)).size).toBe(2 * NOTES_PER_SERVER)
    // Each server reads the file again: both list the 40 notes.
    for (const client of servers) {
      const listed = await client.callTool({ name: 'list_notes', arguments: {} })
      expect(listed.structuredContent).toMatchObject({ count: 2 * NOTES_PER_SERVER })
    }
    // No temporary file and no lock file left behind.
    expect(readdirSync(join(scratch, 'notes'))).toEqual(['notes.json'])
  })

  it('takes over a lock left by a process that died holding it, and removes it', async () => {
    const file = join(scratch, 'stale', 'notes.json')
    mkdirSync(join(scratch, 'stale'))
    writeFileSync(`${file}.lock`, '')
    const minuteAgo = new Date(Date.now() - 60_000)
    utimesSync(`${file}.lock`, minuteAgo, minuteAgo)

    await expect(new NoteStore(file).add('after a crash', '')).resolves.toMatchObject({ id: 1 })
    expect(readdirSync(join(scratch, 'stale'))).toEqual(['notes.json'])
  })
})
