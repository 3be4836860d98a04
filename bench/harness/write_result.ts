import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Writes `bench/results/<name>.json` (git-ignored) and returns its path.
 *
 * @example
 * const file = writeResult(root, 'load-nightly', report)
 */
export function writeResult(root: string, name: string, result: unknown): string {
  const folder = resultsDir(root)
  mkdirSync(folder, { recursive: true })
  const file = join(folder, `${name}.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  return file
}

/** bench/results/ under the repository root. */
export function resultsDir(root: string): string {
  return join(root, 'bench', 'results')
}

/** Where `--profile` has the servers write their .cpuprofile files; undefined without the flag. */
export function profileDirFor(root: string, options: { name: string; profile: boolean }): string | undefined {
  return options.profile ? join(resultsDir(root), `${options.name}-profiles`) : undefined
}
