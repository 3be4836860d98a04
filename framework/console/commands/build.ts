import { spawn } from 'node:child_process'
import { chmodSync, cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { E_BUILD_FAILED } from '../../errors'
import type { CommandHandler } from '../command'

/** Must match `outDir` of tsconfig.build.json. */
const OUT_DIR = 'build'

/**
 * `langvel build`: compiles the project with `tsc -p tsconfig.build.json`
 * into build/ and copies what the compiled code reads at run time but tsc does
 * not emit (stubs, the playground's page, package.json), so `node build/bin/langvel.js` needs
 * neither tsx nor TypeScript.
 */
const build: CommandHandler = async ({ app, output }) => {
  const started = Date.now()
  const tsconfig = app.path('tsconfig.build.json')
  if (!existsSync(tsconfig)) throw new E_BUILD_FAILED('tsconfig.build.json not found in the project root')
  const outDir = app.path(OUT_DIR)
  // Files deleted from the sources must not survive in the output and be loaded (config/, migrations).
  rmSync(outDir, { recursive: true, force: true })

  const { code, text } = await compile(tsconfig, app.path(), output.colors)
  if (code !== 0) {
    // tsc emits despite type errors; a half-good build/ must not be mistaken for a release.
    rmSync(outDir, { recursive: true, force: true })
    if (text.trim()) output.error(`\n${text.trimEnd()}`)
    const errors = (text.match(/error TS\d+/g) ?? []).length
    throw new E_BUILD_FAILED(errors > 0 ? `tsc reported ${errors} error${errors === 1 ? '' : 's'}` : `tsc exited with code ${code}`)
  }

  copyAssets(app.path(), outDir)
  output.success(`built ${OUT_DIR}/ in ${((Date.now() - started) / 1000).toFixed(1)}s; run it with: node ${OUT_DIR}/bin/langvel.js`)
  return 0
}

function compile(tsconfig: string, cwd: string, pretty: boolean): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const tsc = require.resolve('typescript/bin/tsc')
    const child = spawn(process.execPath, [tsc, '-p', tsconfig, '--pretty', String(pretty)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
    child.on('error', (error) => reject(new E_BUILD_FAILED(`could not run tsc: ${error.message}`, { cause: error })))
    child.on('close', (code) => resolve({ code: code ?? 1, text: Buffer.concat(chunks).toString('utf8') }))
  })
}

/**
 * The compiled kernel reads its version from `../../package.json`, i.e.
 * build/package.json, and generators read their stubs next to their own
 * code. With package.json inside it, build/ is also a self-contained project
 * root (see foundation/paths.ts): deployable with its own node_modules.
 */
export function copyAssets(projectRoot: string, outDir: string): void {
  const stubs = join('framework', 'console', 'stubs')
  if (!existsSync(join(projectRoot, stubs))) throw new E_BUILD_FAILED(`${stubs} is missing from the project`)
  cpSync(join(projectRoot, stubs), join(outDir, stubs), { recursive: true })
  // The playground's page is read next to its compiled module.
  const playground = join('framework', 'playground', 'assets')
  if (!existsSync(join(projectRoot, playground))) throw new E_BUILD_FAILED(`${playground} is missing from the project`)
  cpSync(join(projectRoot, playground), join(outDir, playground), { recursive: true })
  // The project's own stub overrides live at the project root, which build/ becomes when deployed alone.
  if (existsSync(join(projectRoot, 'stubs'))) cpSync(join(projectRoot, 'stubs'), join(outDir, 'stubs'), { recursive: true })

  const pkg = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as Record<string, unknown>
  // Scripts and dev tools refer to the sources; the bin must point at the compiled entry.
  delete pkg.scripts
  delete pkg.devDependencies
  pkg.bin = { langvel: 'bin/langvel.js' }
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`)

  const entry = join(outDir, 'bin', 'langvel.js')
  if (!existsSync(entry)) throw new E_BUILD_FAILED(`${OUT_DIR}/bin/langvel.js was not emitted; check "include" in tsconfig.build.json`)
  const source = readFileSync(entry, 'utf8')
  // An npm bin needs a shebang; bin/langvel.ts has none because it is required by bin/langvel, never run directly.
  if (!source.startsWith('#!')) writeFileSync(entry, `#!/usr/bin/env node\n${source}`)
  chmodSync(entry, 0o755)
}

export default build
