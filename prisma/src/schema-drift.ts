/**
 * Does `schema.prisma` describe the database the SQL migrations build? The migrations are the
 * truth for PostgreSQL (applied by migrate.ts, offline), `schema.prisma` the truth for the Prisma
 * client; both are edited by hand, so this compares them (issue 12): every model's table and every
 * scalar field's column, with its type family, nullability and enum, and no table or column that
 * the schema does not know. Relations and indexes are left to the migrations.
 */
import type pg from 'pg';

export interface SchemaField {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  nativeType: string | null;
}

export interface SchemaModel {
  name: string;
  table: string;
  fields: SchemaField[];
}

export interface PrismaSchema {
  models: SchemaModel[];
  enums: Map<string, string[]>;
}

const SCALARS = new Set([
  'String',
  'Int',
  'BigInt',
  'Float',
  'Decimal',
  'DateTime',
  'Boolean',
  'Json',
  'Bytes',
]);

/** A parser for the subset of the Prisma schema language this project uses (models, enums, @map). */
export function parsePrismaSchema(text: string): PrismaSchema {
  const lines = text.split('\n').map((l) => l.replace(/\/\/.*$/, '').trim());
  const models: SchemaModel[] = [];
  const enums = new Map<string, string[]>();
  const enumNames = new Set([...text.matchAll(/^enum\s+(\w+)/gm)].map((m) => m[1]!));
  let block: { kind: 'model' | 'enum'; name: string; body: string[] } | null = null;
  for (const line of lines) {
    const open = /^(model|enum)\s+(\w+)\s*\{$/.exec(line);
    if (open) {
      block = { kind: open[1] as 'model' | 'enum', name: open[2]!, body: [] };
      continue;
    }
    if (line === '}' && block) {
      if (block.kind === 'enum')
        enums.set(
          block.name,
          block.body.map((l) => l.split(/\s/)[0]!),
        );
      else {
        const table = block.body.map((l) => /^@@map\("([^"]+)"\)/.exec(l)?.[1]).find(Boolean) ?? block.name;
        const fields: SchemaField[] = [];
        for (const l of block.body) {
          const m = /^(\w+)\s+(\w+)(\[\])?(\?)?(.*)$/.exec(l);
          if (!m || l.startsWith('@@')) continue;
          const [, name, type, list, optional, rest] = m as unknown as string[];
          if (!SCALARS.has(type!) && !enumNames.has(type!)) continue; // a relation
          fields.push({
            name: name!,
            column: /@map\("([^"]+)"\)/.exec(rest!)?.[1] ?? name!,
            type: type!,
            optional: optional === '?',
            list: list === '[]',
            nativeType: /@db\.(\w+)/.exec(rest!)?.[1] ?? null,
          });
        }
        models.push({ name: block.name, table, fields });
      }
      block = null;
      continue;
    }
    if (block && line) block.body.push(line);
  }
  return { models, enums };
}

/** PostgreSQL `data_type`s a Prisma scalar may be stored as. */
const TYPE_FAMILY: Record<string, readonly string[]> = {
  String: ['text', 'uuid', 'character varying', 'character', 'inet', 'citext'],
  Int: ['integer', 'smallint'],
  BigInt: ['bigint'],
  Float: ['double precision', 'real'],
  Decimal: ['numeric'],
  DateTime: ['timestamp with time zone', 'timestamp without time zone', 'date', 'time without time zone'],
  Boolean: ['boolean'],
  Json: ['jsonb', 'json'],
  Bytes: ['bytea'],
};

export interface DbColumn {
  table: string;
  column: string;
  dataType: string;
  udtName: string;
  nullable: boolean;
}

/** Differences between the schema and the database, one readable line each (empty = in step). */
export function schemaDrift(
  schema: PrismaSchema,
  columns: readonly DbColumn[],
  dbEnums: ReadonlyMap<string, readonly string[]>,
  ignoreTables: readonly string[] = [],
): string[] {
  const out: string[] = [];
  const byTable = new Map<string, Map<string, DbColumn>>();
  for (const c of columns) {
    if (!byTable.has(c.table)) byTable.set(c.table, new Map());
    byTable.get(c.table)!.set(c.column, c);
  }
  for (const model of schema.models) {
    const cols = byTable.get(model.table);
    if (!cols) {
      out.push(`model ${model.name}: table ${model.table} does not exist`);
      continue;
    }
    for (const f of model.fields) {
      const c = cols.get(f.column);
      const where = `${model.name}.${f.name} (${model.table}.${f.column})`;
      if (!c) {
        out.push(`${where}: column does not exist`);
        continue;
      }
      if (schema.enums.has(f.type) && f.list) {
        // an enum array: PostgreSQL names its type after the element with a leading underscore
        if (c.dataType !== 'ARRAY' || c.udtName !== `_${f.type}`)
          out.push(
            `${where}: a list of enum ${f.type} in the schema, ${c.dataType} ${c.udtName} in the database`,
          );
      } else if (schema.enums.has(f.type)) {
        if (c.dataType !== 'USER-DEFINED' || c.udtName !== f.type)
          out.push(
            `${where}: enum ${f.type} in the schema, ${c.dataType === 'USER-DEFINED' ? c.udtName : c.dataType} in the database`,
          );
      } else if (f.list) {
        if (c.dataType !== 'ARRAY') out.push(`${where}: a list in the schema, ${c.dataType} in the database`);
      } else if (!TYPE_FAMILY[f.type]?.includes(c.dataType)) {
        out.push(`${where}: ${f.type} in the schema, ${c.dataType} in the database`);
      }
      if (f.optional !== c.nullable)
        out.push(
          `${where}: ${f.optional ? 'optional' : 'required'} in the schema, ${c.nullable ? 'NULL' : 'NOT NULL'} in the database`,
        );
    }
    const known = new Set(model.fields.map((f) => f.column));
    for (const column of cols.keys())
      if (!known.has(column))
        out.push(`table ${model.table}: column ${column} is not in model ${model.name}`);
  }
  const modelled = new Set(schema.models.map((m) => m.table));
  for (const table of byTable.keys())
    if (!modelled.has(table) && !ignoreTables.includes(table)) out.push(`table ${table} has no model`);
  for (const [name, values] of schema.enums) {
    const db = dbEnums.get(name);
    if (!db) out.push(`enum ${name} does not exist in the database`);
    else if (db.join(',') !== values.join(','))
      out.push(`enum ${name}: ${values.join(', ')} in the schema, ${db.join(', ')} in the database`);
  }
  return out;
}

/** The public schema's columns and enums as PostgreSQL reports them. */
export async function readDatabaseShape(
  pool: Pick<pg.Pool, 'query'>,
): Promise<{ columns: DbColumn[]; enums: Map<string, string[]> }> {
  const { rows } = await pool.query<{
    table_name: string;
    column_name: string;
    data_type: string;
    udt_name: string;
    is_nullable: 'YES' | 'NO';
  }>(
    `SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
      WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`,
  );
  const e = await pool.query<{ name: string; value: string }>(
    `SELECT t.typname AS name, e.enumlabel AS value
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
       JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = 'public' ORDER BY t.typname, e.enumsortorder`,
  );
  const enums = new Map<string, string[]>();
  for (const r of e.rows) enums.set(r.name, [...(enums.get(r.name) ?? []), r.value]);
  return {
    columns: rows.map((r) => ({
      table: r.table_name,
      column: r.column_name,
      dataType: r.data_type,
      udtName: r.udt_name,
      nullable: r.is_nullable === 'YES',
    })),
    enums,
  };
}
