import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { extname, join } from 'node:path'

export interface PlaygroundAsset {
  body: Buffer
  contentType: string
  /** A strong ETag: the content's hash. */
  etag: string
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

/** The mermaid bundle, served from the installed package (a classic script defining `window.mermaid`). */
export const MERMAID_ASSET = 'mermaid.min.js'

/**
 * The page's files: those of the `assets/` folder beside this module (copied
 * there by `langvel build`, so compiled code finds them too) and mermaid's
 * browser bundle from node_modules. Only those names are served, each read
 * once and kept: a request can never name another file.
 *
 * @example
 * const asset = await new PlaygroundAssets().get('playground.js')
 */
export class PlaygroundAssets {
  private names?: Promise<Map<string, string>>
  private readonly cache = new Map<string, Promise<PlaygroundAsset>>()

  constructor(private readonly directory: string = join(__dirname, 'assets')) {}

  async get(name: string): Promise<PlaygroundAsset | undefined> {
    const file = (await this.files()).get(name)
    if (!file) return undefined
    let asset = this.cache.get(name)
    if (!asset) {
      asset = readFile(file).then((body) => ({ body, contentType: CONTENT_TYPES[extname(name)] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }))
      // A failed read is not remembered: the next request tries again.
      asset.catch(() => this.cache.delete(name))
      this.cache.set(name, asset)
    }
    return asset
  }

  private files(): Promise<Map<string, string>> {
    if (this.names) return this.names
    const names = readdir(this.directory).then((entries) => {
      const files = new Map<string, string>()
      for (const entry of entries) if (CONTENT_TYPES[extname(entry)]) files.set(entry, join(this.directory, entry))
      files.set(MERMAID_ASSET, require.resolve('mermaid/dist/mermaid.min.js'))
      return files
    })
    // A failed listing is not remembered either.
    names.catch(() => {
      if (this.names === names) this.names = undefined
    })
    this.names = names
    return names
  }
}
