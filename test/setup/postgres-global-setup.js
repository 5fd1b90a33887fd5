// Fails the PostgreSQL run at once, with the way out, when no server answers.
import pg from 'pg';

export default async function checkPostgres() {
  const url = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    // Databases left behind by an interrupted earlier run, but not those of a run still going on
    // the same server (their names carry the id of a process that is alive).
    const { rows } = await client.query(`SELECT datname FROM pg_database WHERE datname LIKE 'tessera_test_%'`);
    for (const { datname } of rows) {
      if (!createdByDeadProcess(datname)) continue;
      await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } catch (error) {
    throw new Error(
      `The e2e-postgres tests need PostgreSQL at ${url} (set TEST_POSTGRES_URL to use another server, ` +
        `or run only the embedded suite with: npm run test:embedded). ${error.message}`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}

function createdByDeadProcess(datname) {
  const pid = Number(/^tessera_test_(\d+)_/.exec(datname)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}
