import { spawn, type ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { join } from 'node:path'

/*
 * What the process-level tests share: a CLI entry that runs chosen command
 * groups through the CLI kernel (the code `bin/langvel` runs) with tsx, and
 * plain HTTP calls on fresh connections.
 */

const ROOT = join(__dirname, '..', '..', '..')
const TSX = require.resolve('tsx/cjs/api')

/** Command manifests of framework/console/manifests, by the name each exports. */
const MANIFESTS = { serverCommands: 'server', authCommands: 'auth', queueCommands: 'queue' } as const

/**
 * Writes `<dir>/cli.js`, running the given command groups through `runCli`;
 * `codePath` points the application at another code root.
 *
 * @example
 * const cli = writeCliEntry(scratch, ['serverCommands'])
 * spawn(process.execPath, [cli, 'serve', '--port', '0'])
 */
export function writeCliEntry(dir: string, manifests: Array<keyof typeof MANIFESTS>, options: { codePath?: string } = {}): string {
  const file = join(dir, 'cli.js')
  const requires = manifests
    .map((name) => `const { ${name} } = require(${JSON.stringify(join(ROOT, 'framework/console/manifests', `${MANIFESTS[name]}.ts`))})`)
    .join('\n')
  const app = options.codePath ? `, app: { codePath: ${JSON.stringify(options.codePath)} }` : ''
  writeFileSync(
    file,
    `require(${JSON.stringify(TSX)}).register()
const { runCli } = require(${JSON.stringify(join(ROOT, 'framework/console/kernel.ts'))})
${requires}
runCli(process.argv, { commands: [${manifests.map((name) => `...${name}`).join(', ')}]${app} }).then((code) => { process.exitCode = code })
`,
  )
  return file
}

export interface HttpAnswer {
  status: number
  text: string
}

/** One request on its own connection (no keep-alive pool): a JSON body when `body` is given. */
export function httpCall(url: string, options: { method?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const { method = options.body === undefined ? 'GET' : 'POST', body, headers = {} } = options
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false, headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (data: string) => (text += data))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
    })
    req.on('error', reject)
    req.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

/** A `langvel serve` child that printed its address. */
export interface ServedProcess {
  child: ChildProcess
  url: string
  output: () => string
  exited: Promise<number | null>
}

/**
 * Spawns `node <cliEntry> serve --host 127.0.0.1 --port 0 ...args` and
 * resolves once it prints `ready at <url>` (rejects if it exits first or
 * stays silent for 30 s). The child is pushed to `options.children` at once,
 * so the caller can kill it whether it started or not.
 *
 * @example
 * const server = await spawnServe(cli, [], { cwd: ROOT, env: { ...process.env, APP_ENV: 'test' }, children })
 */
export function spawnServe(cliEntry: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; children: ChildProcess[] }): Promise<ServedProcess> {
  const child = spawn(process.execPath, [cliEntry, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  options.children.push(child)
  let output = ''
  child.stdout!.on('data', (data) => (output += data))
  child.stderr!.on('data', (data) => (output += data))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 30_000)
    const onData = () => {
      const match = /ready at (http:\/\/[\d.]+:\d+)/.exec(output)
      if (!match) return
      clearTimeout(timer)
      resolve({ child, url: match[1], output: () => output, exited })
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code}:\n${output}`))
    })
  })
}

/** Polls `probe` every 100 ms until `ok` holds for its value, which it returns; throws after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T> | T, ok: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
