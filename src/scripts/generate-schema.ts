import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { createTesseraApp } from '../app.factory.js';
import { loadConfig } from '../config/app-config.js';
import { renderSchema } from '../graphql/render-schema.js';

/** Boots the real app on a throwaway in-memory database and writes the schema it serves to schema.gql. */
const tessera = await createTesseraApp(loadConfig({ DATA_DIR: 'memory://', LOG_LEVEL: 'silent' }));
try {
  const { schema } = tessera.app.get(GraphQLSchemaHost);
  const target = join(process.cwd(), 'schema.gql');
  await writeFile(target, renderSchema(schema));
  process.stdout.write(`Wrote ${target}\n`);
} finally {
  await tessera.close();
}
