// Prints a Redis ACL file (aclfile) with one restricted user per worker:
//
//   npx tsx deploy/redis/acl-cli.ts --key-prefix vs \
//     --worker value-segmentation:vs-value-segmentation:/run/secrets/redis-vseg.password \
//     [--worker <worker>:<user>:<password-file> ...] [--read-only <worker>:<user>:<password-file> ...] \
//     [--admin <user>:<password-file>] [--default-off] [--waitaof] > users.acl
//
// --waitaof only for Redis 7.2+ (Redis 7.0 refuses an ACL file naming an unknown command).
// --explain prints the allowed commands and why, as a Markdown table (ACL files take no comments).
// Passwords are read from files and written as SHA-256 hashes. Exit code 2 on a usage error.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { commandTable, workerAclLine } from './worker-acl.js';

function fail(message: string): never {
  process.stderr.write(`acl: ${message}\n`);
  process.exit(2);
}

function readPassword(file: string, flag: string): string {
  try {
    return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    return fail(`${flag}: cannot read password file ${file}: ${(error as Error).message}`);
  }
}

function parseUserSpec(spec: string, flag: string): { worker: string; username: string; password: string } {
  const [worker, username, ...file] = spec.split(':');
  if (!worker || !username || file.length === 0) fail(`${flag} must be <worker>:<user>:<password-file>`);
  return { worker, username, password: readPassword(file.join(':'), flag) };
}

const { values } = parseArgs({
  options: {
    'key-prefix': { type: 'string', default: process.env.KEY_PREFIX ?? 'vs' },
    worker: { type: 'string', multiple: true, default: [] },
    'read-only': { type: 'string', multiple: true, default: [] },
    admin: { type: 'string' },
    'default-off': { type: 'boolean', default: false },
    waitaof: { type: 'boolean', default: false },
    explain: { type: 'boolean', default: false },
  },
});

if (values.explain) {
  process.stdout.write(`${commandTable()}\n`);
  process.exit(0);
}

const keyPrefix = values['key-prefix']!;
const lines: string[] = [];
if (values['default-off']) lines.push('user default off');
if (values.admin) {
  const [username, ...file] = values.admin.split(':');
  if (!username || file.length === 0) fail('--admin must be <user>:<password-file>');
  const password = readPassword(file.join(':'), '--admin');
  const hash = createHash('sha256').update(password).digest('hex');
  lines.push(`user ${username} reset on #${hash} ~* &* +@all`);
}
const users = [
  ...values.worker!.map((spec) => ({ ...parseUserSpec(spec, '--worker'), readOnly: false })),
  ...values['read-only']!.map((spec) => ({ ...parseUserSpec(spec, '--read-only'), readOnly: true })),
];
if (users.length === 0) fail('give at least one --worker or --read-only');
try {
  for (const user of users) {
    lines.push(
      workerAclLine({
        username: user.username,
        password: user.password,
        keyPrefix,
        workers: [user.worker],
        waitAof: values.waitaof!,
        readOnly: user.readOnly,
      }),
    );
  }
} catch (error) {
  fail((error as Error).message);
}
process.stdout.write(`${lines.join('\n')}\n`);
