import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { LocalChroma } from '../../../framework/rag'
import { scratch } from '../../unit/console/cli_harness'

const ROOT = join(__dirname, '..', '..', '..')

interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** `node bin/langvel <args>` as a process with piped output: stderr is not a terminal, so progress is plain lines. */
function langvel(args: string[], env: Record<string, string>, cwd = ROOT) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'langvel'), ...args], {
    cwd,
    env: { ...process.env, APP_ENV: 'test', LOG_LEVEL: 'error', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (data: Buffer) => (stdout += data))
  child.stderr.on('data', (data: Buffer) => (stderr += data))
  const finished = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })))
  /** Resolves once stderr shows `text`; fails if the process ends first. */
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!stderr.includes(text)) return
        child.stderr.off('data', check)
        resolve()
      }
      child.stderr.on('data', check)
      child.on('close', (code, signal) => reject(new Error(`exited (${code ?? signal}) without printing ${text}:\n${stderr}`)))
      check()
    })
  return { child, finished, stderr: () => stderr, printed }
}

/** A vector per text from its words (like the fake embeddings), in OpenAI's wire format. */
function embeddingResponse(body: { input: string[]; encoding_format?: string }) {
  const data = body.input.map((text, index) => {
    const vector = new Float32Array(16)
    for (const word of text.toLowerCase().match(/\w+/g) ?? ['empty']) vector[createHash('sha1').update(word).digest()[0] % 16] += 1
    const embedding = body.encoding_format === 'base64' ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector)
    return { object: 'embedding', index, embedding }
  })
  return { object: 'list', data, model: 'held-16', usage: { prompt_tokens: 0, total_tokens: 0 } }
}

describe('rag:ingest as a process', () => {
  const storage = scratch('langvel-cli-process-chroma-')
  const chroma = new LocalChroma({ path: join(storage.dir, 'data') })
  let url: string
  let project: ReturnType<typeof scratch>

  beforeAll(async () => {
    url = await chroma.start()
  })
  afterAll(async () => {
    await chroma.stop()
    storage.cleanup()
  })
  beforeEach(() => {
    project = scratch('langvel-cli-process-')
    mkdirSync(join(project.dir, 'docs'))
    for (const name of ['a', 'b', 'c']) writeFileSync(join(project.dir, 'docs', `${name}.md`), `# ${name}\n\nText of document ${name}.`)
  })
  afterEach(() => project.cleanup())

  it('writes one progress line per file on stderr and the summary on stdout; a relative path is read from the working directory', async () => {
    const ran = await langvel(['rag:ingest', 'docs', '--collection', 'process-plain'], { LANGVEL_BASE_PATH: project.dir, CHROMA_URL: url, EMBEDDINGS_PROVIDER: 'fake' }, project.dir).finished
    expect(ran.stderr.split('\n')).toEqual(['3 files to read', '[1/3] indexed docs/a.md (+1 -0)', '[2/3] indexed docs/b.md (+1 -0)', '[3/3] indexed docs/c.md (+1 -0)', ''])
    expect(ran.stdout).toMatch(/^done {2}Ingested 3 files into "process-plain" in \d+\.\ds\nChunks: 3 added, 0 unchanged, 0 removed\n$/)
    expect(ran.code).toBe(0)

    const json = await langvel(['rag:ingest', 'docs', '-c', 'process-plain', '--json'], { LANGVEL_BASE_PATH: project.dir, CHROMA_URL: url, EMBEDDINGS_PROVIDER: 'fake' }, project.dir).finished
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ collection: 'process-plain', files: 3, chunks: { added: 0, unchanged: 3, removed: 0 } })
    expect(json.stderr).toContain('[3/3] unchanged docs/c.md\n')
  })

  describe('Ctrl-C', () => {
    let server: Server
    let requests = 0
    let held: ServerResponse | undefined
    let onHeld: () => void
    const heldRequest = new Promise<void>((resolve) => (onHeld = resolve))

    beforeAll(async () => {
      // Answers the first embedding request (file a.md), holds the second (b.md) until the test lets go.
      server = createServer((req: IncomingMessage, res: ServerResponse) => {
        let body = ''
        req.on('data', (data: Buffer) => (body += data))
        req.on('end', () => {
          requests++
          if (requests === 2) {
            held = res
            onHeld()
            return
          }
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(embeddingResponse(JSON.parse(body))))
        })
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    })
    afterAll(async () => {
      held?.destroy()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    })

    it('stops the run with E_ABORTED: the files written stay, the file being written has none of its chunks', async () => {
      const env = {
        LANGVEL_BASE_PATH: project.dir,
        CHROMA_URL: url,
        EMBEDDINGS_PROVIDER: 'openai-compatible',
        EMBEDDINGS_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        EMBEDDINGS_MODEL: 'held-16',
      }
      const run = langvel(['rag:ingest', 'docs', '--collection', 'process-interrupted'], env, project.dir)
      await heldRequest
      expect(run.stderr()).toContain('[1/3] indexed docs/a.md (+1 -0)\n')
      run.child.kill('SIGINT')
      await run.printed('[E_ABORTED]')
      // The embeddings client does not cancel its request: the process lives until that request ends.
      held?.destroy()
      const result = await run.finished
      expect(result).toMatchObject({ code: 1, signal: null, stdout: '' })
      expect(result.stderr).toContain('warn  stopping; the file being written keeps its previous version')
      expect(result.stderr).toMatch(/error \[E_ABORTED\] .*interrupted \(Ctrl-C\)\n/)
      expect(result.stderr).not.toContain('docs/c.md')

      const listed = await langvel(['rag:collections', '--json'], { ...env, EMBEDDINGS_PROVIDER: 'fake' }, project.dir).finished
      expect(JSON.parse(listed.stdout)).toContainEqual(expect.objectContaining({ name: 'process-interrupted', count: 1 }))
    })
  })
})
