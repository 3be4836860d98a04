import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')
/** What tsconfig.build.json compiles, plus what the build reads: everything else stays behind. */
const PROJECT_ENTRIES = ['bin', 'framework', 'app', 'config', 'database', 'routes', 'package.json', 'tsconfig.json', 'tsconfig.build.json']
/** The compiled CLI must run without these. */
const SOURCE_ONLY_PACKAGES = new Set(['tsx', 'typescript', '.bin'])

function node(args: string[], env: Record<string, string> = {}, cwd?: string) {
  return spawnSync(process.execPath, args, {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, APP_ENV: 'test', LOG_LEVEL: 'error', NO_COLOR: '1', ...env },
  })
}

describe('langvel build', () => {
  const work = mkdtempSync(join(tmpdir(), 'langvel-e2e-build-'))
  afterAll(() => rmSync(work, { recursive: true, force: true }))

  it('compiles a copy of the project into build/ that runs with plain node, without tsx or TypeScript', () => {
    // A copy, so the test neither touches the checkout's build/ nor needs cleaning up in CI.
    const project = join(work, 'project')
    mkdirSync(project)
    for (const entry of PROJECT_ENTRIES) {
      if (existsSync(join(ROOT, entry))) cpSync(join(ROOT, entry), join(project, entry), { recursive: true })
    }
    // node_modules without tsx and typescript proves the output needs neither.
    mkdirSync(join(project, 'node_modules'))
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      if (!SOURCE_ONLY_PACKAGES.has(entry)) symlinkSync(join(ROOT, 'node_modules', entry), join(project, 'node_modules', entry))
    }
    mkdirSync(join(project, 'build'))
    writeFileSync(join(project, 'build', 'stale.js'), '')

    const built = node([join(ROOT, 'bin', 'langvel'), 'build'], { LANGVEL_BASE_PATH: project })
    expect(built.stderr).not.toContain('error')
    expect(built.status).toBe(0)
    expect(built.stdout).toContain('built build/')
    expect(existsSync(join(project, 'build', 'stale.js'))).toBe(false)

    const compiled = join(project, 'build', 'bin', 'langvel.js')
    expect(node(['-e', "require.resolve('tsx')"], {}, join(project, 'build')).status).not.toBe(0)

    const help = node([compiled, '--help'])
    expect(help.status).toBe(0)
    expect(help.stdout).toContain('make:state')
    expect(help.stdout).toContain('key:generate')

    const version = node([compiled, '--version'])
    expect(version.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version)

    // The compiled playground finds its page and the mermaid bundle.
    const assets = node(
      ['-e', "const { PlaygroundAssets } = require('./framework/playground/playground_assets.js'); const a = new PlaygroundAssets(); Promise.all(['index.html', 'playground.js', 'mermaid.min.js'].map((n) => a.get(n))).then((l) => console.log(l.map((x) => (x ? x.body.length : 0)).join(',')))"],
      {},
      join(project, 'build'),
    )
    expect(assets.status).toBe(0)
    for (const size of assets.stdout.trim().split(',')) expect(Number(size)).toBeGreaterThan(0)

    const target = join(work, 'generated')
    mkdirSync(target)
    const made = node([compiled, 'make:state', 'Foo'], { LANGVEL_BASE_PATH: target })
    expect(made.status).toBe(0)
    expect(made.stdout).toContain('created app/state/foo_state.ts')
    expect(readFileSync(join(target, 'app', 'state', 'foo_state.ts'), 'utf8')).toContain('export const FooState = z.object(')
  })
})

describe('langvel build assets', () => {
  it('fails with E_BUILD_FAILED when the playground page is missing, rather than building a server whose page is gone', () => {
    const { copyAssets } = require('../../framework/console/commands/build') as typeof import('../../framework/console/commands/build')
    const project = mkdtempSync(join(tmpdir(), 'langvel-build-assets-'))
    try {
      mkdirSync(join(project, 'framework', 'console', 'stubs'), { recursive: true })
      writeFileSync(join(project, 'package.json'), '{}')
      let failure: unknown
      try {
        copyAssets(project, join(project, 'build'))
      } catch (error) {
        failure = error
      }
      expect(failure).toMatchObject({ code: 'E_BUILD_FAILED', message: expect.stringContaining(join('framework', 'playground', 'assets')) })
    } finally {
      rmSync(project, { recursive: true, force: true })
    }
  })
})
