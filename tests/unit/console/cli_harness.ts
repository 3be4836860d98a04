import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { Writable } from 'node:stream'
import { runCli } from '../../../framework/console/kernel'
import { Output } from '../../../framework/console/output'
import { createLogger } from '../../../framework/logger'

const logger = createLogger({ silent: true })

/** Runs `langvel <args>` in-process against a scratch project root, capturing both streams. */
export async function cli(basePath: string, args: string[], env: Record<string, string> = {}) {
  const out: string[] = []
  const err: string[] = []
  const sink = (into: string[]) => new Writable({ write: (chunk, _encoding, done) => (into.push(String(chunk)), done()) })
  const output = new Output({ stdout: sink(out), stderr: sink(err), colors: false })
  const code = await runCli(['node', 'langvel', ...args], { output, app: { basePath, env: { APP_ENV: 'test', ...env }, logger } })
  return { code, stdout: out.join(''), stderr: err.join('') }
}

export function scratch(prefix = 'langvel-console-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Every file and folder under `root`, relative and sorted: "nothing was written" is `tree(dir)` unchanged. */
export function tree(root: string): string[] {
  const entries: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      entries.push(relative(root, path))
      if (statSync(path).isDirectory()) walk(path)
    }
  }
  walk(root)
  return entries.sort()
}
