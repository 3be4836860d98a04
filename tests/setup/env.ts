// Tests run against the embedded defaults unless a test says otherwise.
process.env.APP_ENV ??= 'test'
process.env.LOG_LEVEL ??= 'error'
