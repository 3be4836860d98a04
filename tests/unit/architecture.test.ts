import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'

const FRAMEWORK = join(__dirname, '..', '..', 'framework')

/** Every framework folder a folder's TypeScript files import from (type-only imports included). */
function importedFolders(folder: string): Map<string, string[]> {
  const found = new Map<string, string[]>()
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.name.endsWith('.ts')) {
        for (const match of readFileSync(path, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
          const target = relative(FRAMEWORK, resolve(dirname(path), match[1])).split('/')[0]
          if (target === folder || target.startsWith('..')) continue
          found.set(target, [...(found.get(target) ?? []), relative(FRAMEWORK, path)])
        }
      }
    }
  }
  walk(join(FRAMEWORK, folder))
  return found
}

describe('framework folder dependencies', () => {
  it('run inward: http -> routing -> agents, never back', () => {
    const agents = importedFolders('agents')
    expect({ routing: agents.get('routing'), http: agents.get('http') }).toEqual({ routing: undefined, http: undefined })
    expect(importedFolders('routing').get('http')).toBeUndefined()
  })

  it('keep the pipeline (and its one middleware registry) free of the layers that use it', () => {
    expect([...importedFolders('pipeline').keys()]).toEqual(['errors'])
  })
})
