import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openStore } from './db.ts'

describe('the SQLite store', () => {
  it('keeps its files readable by Loom’s user only', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loom-db-'))
    try {
      const file = path.join(dir, 'data', 'loom.sqlite')
      // An older install's file, created readable by everyone, is tightened too.
      fs.mkdirSync(path.dirname(file))
      fs.writeFileSync(file, '', { mode: 0o644 })
      fs.chmodSync(file, 0o644)
      const store = openStore({ databaseUrl: null, sqliteFile: file })
      await store.ping()
      for (const name of fs.readdirSync(path.dirname(file))) {
        const mode = fs.statSync(path.join(path.dirname(file), name)).mode & 0o777
        expect(mode & 0o077, `${name} ${mode.toString(8)}`).toBe(0)
      }
      await store.close()
      const fresh = path.join(dir, 'new', 'loom.sqlite')
      const second = openStore({ databaseUrl: null, sqliteFile: fresh })
      await second.ping()
      expect(fs.statSync(path.dirname(fresh)).mode & 0o077).toBe(0)
      expect(fs.statSync(fresh).mode & 0o077).toBe(0)
      await second.close()
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
