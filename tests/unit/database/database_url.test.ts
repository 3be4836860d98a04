import { parseDatabaseUrl } from '../../../framework/database/database_url'

describe('parseDatabaseUrl', () => {
  const base = '/srv/app'

  it('uses storage/database.sqlite under the project root when DATABASE_URL is empty', () => {
    expect(parseDatabaseUrl(undefined, base)).toEqual({ dialect: 'sqlite', filename: '/srv/app/storage/database.sqlite' })
    expect(parseDatabaseUrl('', base)).toEqual({ dialect: 'sqlite', filename: '/srv/app/storage/database.sqlite' })
  })

  it('hands postgres:// and postgresql:// URLs to PostgreSQL unchanged', () => {
    expect(parseDatabaseUrl('postgres://u:p@db:5432/app', base)).toEqual({ dialect: 'postgres', url: 'postgres://u:p@db:5432/app' })
    expect(parseDatabaseUrl('postgresql://db/app?sslmode=require', base)).toEqual({ dialect: 'postgres', url: 'postgresql://db/app?sslmode=require' })
  })

  it.each([
    ['sqlite:///var/data/app.db', '/var/data/app.db'],
    ['sqlite:/var/data/app.db', '/var/data/app.db'],
    ['file:///var/data/app.db', '/var/data/app.db'],
    ['file://localhost/var/data/app.db', '/var/data/app.db'],
    ['sqlite:./data/app.db', '/srv/app/data/app.db'],
    ['sqlite:data/app.db', '/srv/app/data/app.db'],
    ['file:./data/app.db?mode=rwc', '/srv/app/data/app.db'],
    ['sqlite:///var/my%20data/app.db', '/var/my data/app.db'],
    ['sqlite:', '/srv/app/storage/database.sqlite'],
  ])('reads %s as the SQLite file %s', (url, filename) => {
    expect(parseDatabaseUrl(url, base)).toEqual({ dialect: 'sqlite', filename })
  })

  it('reads sqlite::memory: as an in-memory database', () => {
    expect(parseDatabaseUrl('sqlite::memory:', base)).toEqual({ dialect: 'sqlite', filename: ':memory:' })
  })

  it('rejects other schemes with E_INVALID_CONFIG', () => {
    expect(() => parseDatabaseUrl('mysql://db/app', base)).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG' }))
  })
})
