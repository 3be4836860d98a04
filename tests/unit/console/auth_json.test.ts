import { authCliProject, type AuthCliProject } from '../auth/cli_project'

describe('auth and apikey commands with --json', () => {
  let project: AuthCliProject
  const cli = (args: string[]) => project.cli(args)

  beforeEach(async () => {
    project = await authCliProject('langvel-auth-json-')
  })
  afterEach(() => project.remove())

  it('auth:revoke --json prints the jti and until when the revocation is recorded', async () => {
    const issued = await cli(['auth:token', 'alice', '--json'])
    expect(issued.stderr).toBe('')
    const { token, jti, expires_at: expiresAt } = JSON.parse(issued.stdout) as { token: string; jti: string; expires_at: string }

    // The whole token, so the revocation knows its exact expiry.
    const revoked = await cli(['auth:revoke', token, '--json'])
    expect(revoked.code).toBe(0)
    const parsed = JSON.parse(revoked.stdout)
    expect(parsed).toEqual({ jti, revoked: true, expires_at: expiresAt, recorded_until: expect.any(String) })
    expect(Date.parse(parsed.recorded_until)).toBeGreaterThanOrEqual(Date.parse(expiresAt))
    expect(revoked.stderr).toBe(`done  Revoked token ${jti} (recorded until ${parsed.recorded_until})\n`)
  })

  it('apikey:create, apikey:list and apikey:revoke --json each print one document; the notes go to stderr', async () => {
    const created = await cli(['apikey:create', 'ci', '--permissions', 'agents.*', '--json'])
    expect(created.code).toBe(0)
    const record = JSON.parse(created.stdout)
    expect(record).toEqual({ id: expect.stringMatching(/^ak_/), key: expect.stringMatching(/^lv_/), name: 'ci', permissions: ['agents.*'], expires_at: null })
    expect(created.stderr).toBe('')

    const revoked = await cli(['apikey:revoke', record.id, '--json'])
    expect(revoked.code).toBe(0)
    expect(JSON.parse(revoked.stdout)).toEqual({ id: record.id, name: 'ci', revoked_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
    expect(revoked.stderr).toBe(`done  Revoked API key ${record.id} (ci)\n`)

    const listed = await cli(['apikey:list', '--json'])
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id: record.id, status: 'revoked' })])
    expect(listed.stderr).toBe('')
  })

  it('apikey:list --json prints an empty list, not the hint, when there are no keys', async () => {
    expect(await cli(['apikey:list', '--json'])).toEqual({ code: 0, stdout: '[]\n', stderr: '' })
  })
})
