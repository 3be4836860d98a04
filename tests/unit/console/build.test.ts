import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cli, scratch } from './cli_harness'

describe('build', () => {
  let dir: string
  let cleanup: () => void
  beforeEach(() => ({ dir, cleanup } = scratch('langvel-build-')))
  afterEach(() => cleanup())

  it('fails with E_BUILD_FAILED when the project has no tsconfig.build.json', async () => {
    const result = await cli(dir, ['build'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_BUILD_FAILED]')
  })

  it("exits non-zero with the compiler's diagnostics and leaves no partial build/", async () => {
    writeFileSync(
      join(dir, 'tsconfig.build.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'commonjs', types: [], rootDir: '.', outDir: 'build' }, include: ['bin/**/*.ts'] }),
    )
    mkdirSync(join(dir, 'bin'))
    writeFileSync(join(dir, 'bin', 'langvel.ts'), `const port: number = 'eighty'\nexport default port\n`)
    mkdirSync(join(dir, 'build'))
    writeFileSync(join(dir, 'build', 'stale.js'), '')

    const result = await cli(dir, ['build'])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('[E_BUILD_FAILED]')
    expect(result.stderr).toMatch(/bin\/langvel\.ts\(1,7\): error TS2322/)
    expect(existsSync(join(dir, 'build'))).toBe(false)
  })
})
