import { describe, expect, it } from 'vitest';
import { type DbColumn, parsePrismaSchema, schemaDrift } from './schema-drift.ts';

const SCHEMA = `
enum Role {
  admin
  operator
}

model User {
  id        String    @id @db.Uuid
  role      Role
  disabledAt DateTime? @map("disabled_at") @db.Timestamptz(3)
  sessions  Session[]

  @@map("users")
}

model Session {
  tokenHash String @id @map("token_hash")
  userId    String @map("user_id") @db.Uuid
  user      User   @relation(fields: [userId], references: [id])
  @@map("sessions")
}
`;

const col = (table: string, column: string, dataType: string, nullable = false, udtName = ''): DbColumn => ({
  table,
  column,
  dataType,
  udtName,
  nullable,
});

const inStep: DbColumn[] = [
  col('users', 'id', 'uuid'),
  col('users', 'role', 'USER-DEFINED', false, 'Role'),
  col('users', 'disabled_at', 'timestamp with time zone', true),
  col('sessions', 'token_hash', 'text'),
  col('sessions', 'user_id', 'uuid'),
];
const enums = new Map([['Role', ['admin', 'operator']]]);

describe('schema drift between schema.prisma and the migrated database (issue 12)', () => {
  it('reads models, mapped names, optional fields and enums, and skips relations', () => {
    const s = parsePrismaSchema(SCHEMA);
    expect(s.models.map((m) => m.table)).toEqual(['users', 'sessions']);
    expect(s.models[0]!.fields.map((f) => [f.column, f.optional])).toEqual([
      ['id', false],
      ['role', false],
      ['disabled_at', true],
    ]);
    expect(s.enums.get('Role')).toEqual(['admin', 'operator']);
  });

  it('finds nothing when both describe the same database', () => {
    expect(schemaDrift(parsePrismaSchema(SCHEMA), inStep, enums)).toEqual([]);
  });

  it('reads a list of an enum as PostgreSQL names its array type (_Role)', () => {
    const schema = parsePrismaSchema(`
enum Role {
  admin
}

model Tenant {
  id    String @id @db.Uuid
  roles Role[] @default([]) @map("totp_required_roles")
  @@map("tenants")
}
`);
    const tenant = (dataType: string, udtName: string) => [
      col('tenants', 'id', 'uuid'),
      col('tenants', 'totp_required_roles', dataType, false, udtName),
    ];
    const roles = new Map([['Role', ['admin']]]);
    expect(schemaDrift(schema, tenant('ARRAY', '_Role'), roles)).toEqual([]);
    expect(schemaDrift(schema, tenant('ARRAY', '_text'), roles)).toEqual([
      'Tenant.roles (tenants.totp_required_roles): a list of enum Role in the schema, ARRAY _text in the database',
    ]);
    expect(schemaDrift(schema, tenant('USER-DEFINED', 'Role'), roles)).toEqual([
      'Tenant.roles (tenants.totp_required_roles): a list of enum Role in the schema, USER-DEFINED Role in the database',
    ]);
  });

  it('names each kind of drift', () => {
    const drift = schemaDrift(
      parsePrismaSchema(SCHEMA),
      [
        col('users', 'id', 'uuid'),
        col('users', 'role', 'text'),
        col('users', 'disabled_at', 'timestamp with time zone', false),
        col('users', 'extra', 'integer'),
        col('sessions', 'token_hash', 'integer'),
        col('orphans', 'id', 'uuid'),
      ],
      new Map([['Role', ['admin']]]),
    );
    expect(drift).toEqual([
      'User.role (users.role): enum Role in the schema, text in the database',
      'User.disabledAt (users.disabled_at): optional in the schema, NOT NULL in the database',
      'table users: column extra is not in model User',
      'Session.tokenHash (sessions.token_hash): String in the schema, integer in the database',
      'Session.userId (sessions.user_id): column does not exist',
      'table orphans has no model',
      'enum Role: admin, operator in the schema, admin in the database',
    ]);
  });
});
