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
