import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { runNode } from './run_node'
import type { Stoppable } from './process_guard'

/** What `langvel build` compiles and reads; tests/, bench/ and storage/ stay behind. */
const PROJECT_ENTRIES = ['bin', 'framework', 'app', 'config', 'database', 'routes', 'stubs', 'package.json', 'tsconfig.json', 'tsconfig.build.json']

export interface BuiltProject {
  /** The compiled project (`<copy>/build`): config/, app/, routes/, database/migrations as JavaScript. */
  codeRoot: string
  /** `node <cli> serve` runs the server without tsx or TypeScript. */
  cli: string
  /** What was built: `working tree`, or `commit <sha>`. */
  source: string
  seconds: number
}

export interface BuildProjectOptions {
  /** The repository. */
  root: string
  /** Empty folder the copy is made and built in. */
  folder: string
  /** A commit to build (`git archive`) instead of the working tree. */
  ref?: string
  adopt: (child: Stoppable) => void
}

/**
 * Copies the project's sources (the working tree, or the commit `ref`) into
 * `folder` and runs `langvel build` there, the way a release is built, so the
 * benchmark measures the compiled JavaScript production runs, not the
 * sources under tsx. The copy is taken once, at the start: every round of the
 * run measures the same code, however the working tree changes meanwhile.
 * node_modules is linked, not copied.
 *
 * @example
 * const { cli } = await buildProject({ root, folder: join(scratch, 'project'), adopt })
 * // node <cli> migrate --force; node <cli> serve
 */
export async function buildProject(options: BuildProjectOptions): Promise<BuiltProject> {
  const started = Date.now()
  const { root, folder } = options
  mkdirSync(folder, { recursive: true })
  let source = 'working tree'
  if (options.ref) source = `commit ${extractCommit(root, options.ref, folder)}`
  else {
    for (const entry of PROJECT_ENTRIES) {
      if (existsSync(join(root, entry))) cpSync(join(root, entry), join(folder, entry), { recursive: true })
    }
  }
  symlinkSync(join(root, 'node_modules'), join(folder, 'node_modules'), 'dir')
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, APP_ENV: 'test', LOG_LEVEL: 'error', NO_COLOR: '1', LANGVEL_BASE_PATH: folder }
  try {
    await runNode([join(folder, 'bin', 'langvel'), 'build'], { cwd: folder, env, adopt: options.adopt, timeoutMs: 300_000 })
  } catch (error) {
    throw new Error(`langvel build failed, so there is no compiled server to measure: ${error instanceof Error ? error.message : String(error)}`, { cause: error })
  }
  const codeRoot = join(folder, 'build')
  const cli = join(codeRoot, 'bin', 'langvel.js')
  if (!existsSync(cli)) throw new Error(`langvel build succeeded but emitted no ${cli}`)
  return { codeRoot, cli, source, seconds: Math.round((Date.now() - started) / 100) / 10 }
}

/**
 * Writes the project entries of commit `ref` into `folder` and returns the
 * commit's hash. Reads the object store only: neither the index nor the
 * working tree, which others may be changing.
 */
function extractCommit(root: string, ref: string, folder: string): string {
  const git = (args: string[]) => execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 512 * 1024 * 1024 })
  let commit: string
  try {
    commit = git(['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`]).toString().trim()
  } catch (error) {
    throw new Error(`--ref ${ref}: not a commit of ${root}`, { cause: error })
  }
  const entries = git(['ls-tree', '--name-only', commit]).toString().split('\n').filter((name) => PROJECT_ENTRIES.includes(name))
  execFileSync('tar', ['-x', '-C', folder], { input: git(['archive', '--format=tar', commit, '--', ...entries]) })
  return commit
}
