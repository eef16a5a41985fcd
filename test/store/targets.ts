/** Where the store tests put their databases: temp dirs for SQLite, throwaway schemas for PostgreSQL. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../gateway/store/open-store.js';
import type { StoreTarget } from './conformance.js';

export const PG_URL = process.env['MAI_TEST_DATABASE_URL'] ?? 'postgres://mai:mai@127.0.0.1:5432/mai_test';

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable MAI_TEST_DATABASE_URL)';
  }
}

export function sqliteTarget(): StoreTarget {
  const dirs: string[] = [];
  return {
    kind: 'sqlite',
    async fresh() {
      const dataDir = await mkdtemp(join(tmpdir(), 'mai-store-'));
      dirs.push(dataDir);
      return () => openStore({ dataDir });
    },
    async dispose() {
      await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

let schemaCounter = 0;

/** A schema name unique to this run, so parallel CI jobs sharing one database do not collide. */
export function freshSchemaName(): string {
  return `mai_test_${process.pid}_${Date.now().toString(36)}_${++schemaCounter}`;
}

export function pgTarget(): StoreTarget {
  const schemas: string[] = [];
  return {
    kind: 'postgres',
    async fresh() {
      const schema = freshSchemaName();
      schemas.push(schema);
      // dataDir is ignored for PostgreSQL; any path will do.
      return () => openStore({ databaseUrl: PG_URL, dataDir: tmpdir(), schema });
    },
    async dispose() {
      await dropSchemas(schemas.splice(0));
    },
  };
}

/** Runs one statement against the test database outside the store (fixtures, inspection). */
export async function pgQuery<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export async function dropSchemas(schemas: string[]): Promise<void> {
  if (schemas.length === 0) return;
  try {
    await pgQuery(`DROP SCHEMA IF EXISTS ${schemas.join(', ')} CASCADE`);
  } catch (err) {
    // Cleanup must not throw (uvu swallows hook errors); say so loudly instead.
    console.error(`could not drop test schemas ${schemas.join(", ")}: ${(err as Error).message}`);
  }
}
