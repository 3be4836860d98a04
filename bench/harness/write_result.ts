import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Writes `bench/results/<name>.json` (git-ignored) and returns its path.
 *
 * @example
 * const file = writeResult(root, 'load-nightly', report)
 */
export function writeResult(root: string, name: string, result: unknown): string {
  const folder = join(root, 'bench', 'results')
  mkdirSync(folder, { recursive: true })
  const file = join(folder, `${name}.json`)
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
  return file
}
